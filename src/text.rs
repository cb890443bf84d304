//! Small text helpers shared by the encoder and error messages (no `core::fmt` in hot paths).

/// Appends the decimal form of `n` to `out`.
pub(crate) fn push_display(out: &mut String, n: u64) {
    let mut buf = Vec::with_capacity(20);
    push_decimal(&mut buf, n);
    out.extend(buf.into_iter().map(char::from));
}

/// Appends the ASCII decimal digits of `n` to `out`.
pub(crate) fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let start = out.len();
    loop {
        out.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if let Some(digits) = out.get_mut(start..) {
        digits.reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trips_through_text() {
        for n in [0u64, 7, 10, 12345, u64::MAX] {
            let mut v = Vec::new();
            push_decimal(&mut v, n);
            let s = String::from_utf8(v).unwrap();
            assert_eq!(s, n.to_string());
        }
    }
}
