//! UTF-8 → UTF-16 with the spec's replacement characters, fused with the search for the line end:
//! one pass over a line's bytes finds its CR or LF and writes its text as UTF-16.
//!
//! Two implementations of the same function, selected at run time by a flag so that both can be
//! compared on the same input in the same build:
//!
//! - **wide**: sixteen bytes at a time. Each block is classified (which bytes are CR or LF, which
//!   are not ASCII) and widened to sixteen UTF-16 units with WebAssembly SIMD128 instructions
//!   (`u8x16_eq`, `u8x16_bitmask`, `u16x8_extend_{low,high}_u8x16`) when the crate is compiled
//!   for wasm32 with `target-feature=+simd128` (the shipped build); elsewhere the same three
//!   block operations are written as plain loops over the sixteen bytes ([`lanes`]), so native
//!   `cargo test` and the fuzz target run the block algorithm too. A block with a non-ASCII byte
//!   is widened up to it, then the multi-byte sequences are decoded one by one.
//! - **scalar**: one byte at a time; the reference.
//!
//! Both decode invalid UTF-8 as the WHATWG decoder does: each maximal subpart of an ill-formed
//! sequence becomes one U+FFFD, and the byte that broke a sequence is read again. CR and LF are
//! ASCII, so no sequence can swallow a line end.

/// Transcodes `src` into `out` up to its first CR or LF and returns that position; without one,
/// transcodes all of `src` and returns `None`.
pub(crate) fn transcode(src: &[u8], out: &mut Vec<u16>, scalar: bool) -> Option<usize> {
    if scalar {
        transcode_scalar(src, out)
    } else {
        transcode_wide(src, out)
    }
}

/// Transcodes all of `src`, which holds no line end (a field value).
pub(crate) fn transcode_all(src: &[u8], out: &mut Vec<u16>, scalar: bool) {
    let _ = transcode(src, out, scalar);
}

/// Position of the first CR or LF.
pub(crate) fn find_line_end(bytes: &[u8], scalar: bool) -> Option<usize> {
    if scalar {
        return super::parse::find_line_end(bytes);
    }
    let mut at = 0;
    while let Some(block) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
        let ends = lanes::line_ends(block);
        if ends != 0 {
            return Some(at + ends.trailing_zeros() as usize);
        }
        at += 16;
    }
    bytes.get(at..)?.iter().position(|&b| b == b'\n' || b == b'\r').map(|p| at + p)
}

fn transcode_scalar(src: &[u8], out: &mut Vec<u16>) -> Option<usize> {
    let mut at = 0;
    while let Some(&byte) = src.get(at) {
        if byte < 0x80 {
            if byte == b'\n' || byte == b'\r' {
                return Some(at);
            }
            out.push(u16::from(byte));
            at += 1;
        } else {
            at = decode_one(src, at, out);
        }
    }
    None
}

fn transcode_wide(src: &[u8], out: &mut Vec<u16>) -> Option<usize> {
    let mut at = 0;
    while let Some(block) = src.get(at..).and_then(<[u8]>::first_chunk::<16>) {
        let (wide, ends, high) = lanes::widen(block);
        let stops = ends | high;
        if stops == 0 {
            out.extend_from_slice(&wide);
            at += 16;
            continue;
        }
        let ascii = stops.trailing_zeros() as usize;
        out.extend_from_slice(wide.get(..ascii).unwrap_or_default());
        at += ascii;
        if ends >> ascii & 1 == 1 {
            return Some(at);
        }
        // A run of multi-byte sequences, up to the next ASCII byte.
        while src.get(at).is_some_and(|&b| b >= 0x80) {
            at = decode_one(src, at, out);
        }
    }
    let tail = src.get(at..)?;
    transcode_scalar(tail, out).map(|p| at + p)
}

/// Decodes the sequence that starts with the non-ASCII byte at `at`, returning where the next one
/// starts: a well-formed sequence becomes its code point (two units past U+FFFF), an ill-formed
/// one U+FFFD for its maximal subpart (the lead byte and the continuation bytes that fit it).
fn decode_one(src: &[u8], at: usize, out: &mut Vec<u16>) -> usize {
    let Some(&lead) = src.get(at) else { return at };
    // Continuation bytes needed, and the range of the first one (the WHATWG decoder's table).
    let (needed, first_low, first_high) = match lead {
        0xC2..=0xDF => (1, 0x80, 0xBF),
        0xE0 => (2, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
        0xED => (2, 0x80, 0x9F),
        0xF0 => (3, 0x90, 0xBF),
        0xF1..=0xF3 => (3, 0x80, 0xBF),
        0xF4 => (3, 0x80, 0x8F),
        _ => {
            out.push(0xFFFD);
            return at + 1;
        }
    };
    let mut code = u32::from(lead) & (0x3F >> needed);
    let mut next = at + 1;
    for n in 0..needed {
        let (low, high) = if n == 0 { (first_low, first_high) } else { (0x80, 0xBF) };
        match src.get(next) {
            Some(&byte) if (low..=high).contains(&byte) => {
                code = code << 6 | u32::from(byte & 0x3F);
                next += 1;
            }
            _ => {
                out.push(0xFFFD);
                return next;
            }
        }
    }
    if code >= 0x1_0000 {
        let code = code - 0x1_0000;
        out.push(0xD800 | (code >> 10) as u16);
        out.push(0xDC00 | (code & 0x3FF) as u16);
    } else {
        out.push(code as u16);
    }
    next
}

/// The block operations of the wide path: SIMD128 on wasm32 when the build enables it.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::{
        u16x8_extend_high_u8x16, u16x8_extend_low_u8x16, u16x8_extract_lane, u8x16, u8x16_bitmask,
        u8x16_eq, u8x16_splat, v128, v128_or,
    };

    #[inline(always)]
    fn load(bytes: &[u8; 16]) -> v128 {
        let [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15] = *bytes;
        u8x16(b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15)
    }

    #[inline(always)]
    fn ends_of(v: v128) -> u32 {
        let ends = v128_or(u8x16_eq(v, u8x16_splat(b'\n')), u8x16_eq(v, u8x16_splat(b'\r')));
        u32::from(u8x16_bitmask(ends))
    }

    /// Bit i set: byte i is CR or LF.
    #[inline(always)]
    pub(super) fn line_ends(bytes: &[u8; 16]) -> u32 {
        ends_of(load(bytes))
    }

    /// The sixteen bytes as UTF-16 units (right for the ASCII ones), the CR/LF mask and the
    /// non-ASCII mask.
    #[inline(always)]
    pub(super) fn widen(bytes: &[u8; 16]) -> ([u16; 16], u32, u32) {
        let v = load(bytes);
        let low = u16x8_extend_low_u8x16(v);
        let high = u16x8_extend_high_u8x16(v);
        let wide = [
            u16x8_extract_lane::<0>(low),
            u16x8_extract_lane::<1>(low),
            u16x8_extract_lane::<2>(low),
            u16x8_extract_lane::<3>(low),
            u16x8_extract_lane::<4>(low),
            u16x8_extract_lane::<5>(low),
            u16x8_extract_lane::<6>(low),
            u16x8_extract_lane::<7>(low),
            u16x8_extract_lane::<0>(high),
            u16x8_extract_lane::<1>(high),
            u16x8_extract_lane::<2>(high),
            u16x8_extract_lane::<3>(high),
            u16x8_extract_lane::<4>(high),
            u16x8_extract_lane::<5>(high),
            u16x8_extract_lane::<6>(high),
            u16x8_extract_lane::<7>(high),
        ];
        (wide, ends_of(v), u32::from(u8x16_bitmask(v)))
    }
}

/// The block operations of the wide path, lane by lane (native builds, wasm without SIMD128):
/// what the SIMD128 instructions compute, so the block algorithm runs and is tested everywhere.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    fn mask(bytes: &[u8; 16], test: impl Fn(u8) -> bool) -> u32 {
        bytes.iter().enumerate().fold(0, |mask, (lane, &b)| mask | u32::from(test(b)) << lane)
    }

    pub(super) fn line_ends(bytes: &[u8; 16]) -> u32 {
        mask(bytes, |b| b == b'\n' || b == b'\r')
    }

    pub(super) fn widen(bytes: &[u8; 16]) -> ([u16; 16], u32, u32) {
        (bytes.map(u16::from), line_ends(bytes), mask(bytes, |b| b >= 0x80))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(src: &[u8]) -> (Option<usize>, Vec<u16>) {
        let mut scalar = Vec::new();
        let mut wide = Vec::new();
        let a = transcode(src, &mut scalar, true);
        let b = transcode(src, &mut wide, false);
        assert_eq!((a, &scalar), (b, &wide), "scalar and wide differ on {src:?}");
        assert_eq!(find_line_end(src, true), a);
        assert_eq!(find_line_end(src, false), a);
        (a, scalar)
    }

    #[test]
    fn matches_the_standard_lossy_decoder_up_to_the_line_end() {
        // Every one- and two-byte input, and three bytes around the interesting ranges, at
        // several offsets so that both the blocks and the tail see them.
        let mut cases: Vec<Vec<u8>> = Vec::new();
        for a in 0..=255u8 {
            cases.push(vec![a]);
            for b in [0x00, 0x0A, 0x0D, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF] {
                cases.push(vec![a, b]);
                for c in [0x0A, 0x41, 0x80, 0xBF, 0xC3] {
                    cases.push(vec![a, b, c]);
                    cases.push(vec![a, b, c, 0x80]);
                }
            }
        }
        for case in cases {
            for pad in [0, 5, 14, 15, 16, 31] {
                let mut src = vec![b'x'; pad];
                src.extend_from_slice(&case);
                src.extend_from_slice(b"tail of the line that is long");
                let (end, got) = both(&src);
                let text = &src[..end.unwrap_or(src.len())];
                let want: Vec<u16> = String::from_utf8_lossy(text).encode_utf16().collect();
                assert_eq!(got, want, "{src:?}");
            }
        }
    }

    #[test]
    fn line_ends_are_found_in_every_lane() {
        for len in 0..70 {
            for end in [b'\n', b'\r'] {
                let mut src: Vec<u8> = "é".repeat(len).into_bytes();
                src.truncate(len);
                src.push(end);
                src.extend_from_slice(b"after");
                let (at, _) = both(&src);
                assert_eq!(at, Some(len));
            }
        }
    }
}
