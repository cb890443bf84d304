//! Small text helpers shared by the encoder and error messages (no `core::fmt` in hot paths).

/// Appends the decimal form of `n` to `out`.
pub(crate) fn push_display(out: &mut String, n: u64) {
    let mut buf = Vec::with_capacity(20);
    push_decimal(&mut buf, n);
    out.extend(buf.into_iter().map(char::from));
}

/// Every two-digit number, in decimal: `PAIRS[2 * n..2 * n + 2]` is `n` for n < 100.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the ASCII decimal digits of `n` to `out`: two digits per step from a table, in `u32`
/// arithmetic (eight digits at a time past `u32::MAX`). wasm32 has no 64-bit multiply-high, so
/// a `u64` division by a constant stays a division instruction; an id `<epoch ms>-<n>` takes two
/// of them here instead of one per digit.
pub(crate) fn push_decimal(out: &mut Vec<u8>, n: u64) {
    const EIGHT: u64 = 100_000_000;
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    // Writes the two digits of `pair` (< 100) before `at`.
    let mut put_pair = |at: &mut usize, pair: u32| {
        *at = at.saturating_sub(2);
        let from = 2 * (pair % 100) as usize;
        if let (Some(slot), Some(two)) = (digits.get_mut(*at..*at + 2), PAIRS.get(from..from + 2)) {
            slot.copy_from_slice(two);
        }
    };
    let mut rest = n;
    while rest > u64::from(u32::MAX) {
        // Eight digits, zero-padded: more follow to their left.
        let mut low = (rest % EIGHT) as u32;
        rest /= EIGHT;
        for _ in 0..4 {
            put_pair(&mut at, low % 100);
            low /= 100;
        }
    }
    let mut small = rest as u32;
    while small >= 100 {
        put_pair(&mut at, small % 100);
        small /= 100;
    }
    if small >= 10 {
        put_pair(&mut at, small);
    } else {
        at = at.saturating_sub(1);
        if let Some(slot) = digits.get_mut(at) {
            *slot = b'0' + small as u8;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trips_through_text() {
        // Every power of ten and its neighbours (the carries and the zero-padded groups of
        // eight past u32), both sides of u32::MAX, an epoch in ms, and the extremes.
        let powers = (0..20).flat_map(|k| {
            let p = 10u64.pow(k);
            [p - 1, p, p + 1, p.saturating_mul(3).saturating_add(7)]
        });
        let edges = [12345, 4_294_967_295, 4_294_967_296, 1_764_000_000_000, 10_000_000_000_000_000_000, u64::MAX];
        for n in powers.chain(edges) {
            let mut v = b"x".to_vec();
            push_decimal(&mut v, n);
            let s = String::from_utf8(v).unwrap();
            assert_eq!(s, format!("x{n}"));
        }
    }
}
