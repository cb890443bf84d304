//! UTF-8 → UTF-16 with the spec's replacement characters, fused with the search for the line end:
//! one pass over a line's bytes finds its CR or LF and writes its text as UTF-16.
//!
//! Two implementations of the same function, selected at run time by a flag so that both can be
//! compared on the same input in the same build:
//!
//! - **wide**: sixteen bytes at a time. Each block is classified (which bytes are CR or LF, which
//!   are not ASCII) and widened to sixteen UTF-16 units with WebAssembly SIMD128 instructions
//!   (`u8x16_eq`, `u8x16_bitmask`, `u16x8_extend_{low,high}_u8x16`) when the crate is compiled
//!   for wasm32 with `target-feature=+simd128` (the shipped build); elsewhere the same block
//!   operations are written as plain loops over the sixteen bytes ([`lanes`]), so native
//!   `cargo test` and the fuzz target run the block algorithm too. A block of ASCII and
//!   well-formed two-byte sequences (Latin, Greek, Cyrillic, Hebrew, Arabic text) is decoded whole:
//!   each lane's unit is computed from its byte and the next, and the units of the lanes that are
//!   not continuation bytes are moved together with `i8x16_swizzle` ([`COMPACT`]). Any other
//!   block with a non-ASCII byte is widened up to it, then its multi-byte sequences are decoded
//!   one by one (two- and three-byte ones inline, up to the next ASCII byte).
//! - **scalar**: one byte at a time; the reference.
//!
//! Both decode invalid UTF-8 as the WHATWG decoder does: each maximal subpart of an ill-formed
//! sequence becomes one U+FFFD, and the byte that broke a sequence is read again. CR and LF are
//! ASCII, so no sequence can swallow a line end.

/// Room past a buffer's end that the block path may write and then not keep.
pub(crate) const BLOCK: usize = 16;

/// A UTF-16 buffer whose memory is initialized some way past its length, so that the block path
/// writes sixteen units at its end with one bounds check and keeps as many as it needs.
#[derive(Debug, Default)]
pub(crate) struct Units {
    buf: Vec<u16>,
    len: usize,
}

impl Units {
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub(crate) fn as_slice(&self) -> &[u16] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Units allocated (what the buffer holds in memory).
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    #[inline(always)]
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    /// Room for `more` units and a block past the end, growing by doubling.
    #[inline(always)]
    pub(crate) fn reserve(&mut self, more: usize) {
        // No overflow: both terms are sizes of buffers in memory.
        let needed = self.len + more + BLOCK;
        if needed > self.buf.len() {
            let size = needed.max(self.buf.len().saturating_mul(2));
            self.buf.resize(size, 0);
        }
    }

    /// Room for `more` units and a block past the end, growing by doubling but to no more than
    /// `cap` units unless more are needed: a bounded buffer stays within its bound.
    pub(crate) fn reserve_capped(&mut self, more: usize, cap: Option<usize>) {
        let needed = self.len.saturating_add(more).saturating_add(BLOCK);
        if needed > self.buf.len() {
            let doubled = self.buf.len().saturating_mul(2);
            let size = needed.max(cap.map_or(doubled, |cap| doubled.min(cap)));
            self.buf.reserve_exact(size - self.buf.len());
            self.buf.resize(size, 0);
        }
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, unit: u16) {
        match self.buf.get_mut(self.len) {
            Some(slot) => *slot = unit,
            None => self.buf.push(unit),
        }
        self.len += 1;
    }

    pub(crate) fn extend_from_slice(&mut self, units: &[u16]) {
        self.reserve(units.len());
        if let Some(room) = self.buf.get_mut(self.len..self.len + units.len()) {
            room.copy_from_slice(units);
            self.len += units.len();
        }
    }

    /// The sixteen units past the end (after `reserve`).
    #[inline(always)]
    fn block(&mut self) -> Option<&mut [u16; 16]> {
        self.buf.get_mut(self.len..)?.first_chunk_mut::<16>()
    }
}

/// Transcodes `src` into `out` up to its first CR or LF and returns that position; without one,
/// transcodes all of `src` and returns `None`.
#[inline(always)]
pub(crate) fn transcode(src: &[u8], out: &mut Units, scalar: bool) -> Option<usize> {
    let end = if scalar { transcode_scalar(src, out) } else { transcode_wide(src, out) };
    (end != NONE).then_some(end)
}

/// "No line end" from the functions that are not inlined (an `Option` would be returned through
/// memory on wasm32).
const NONE: usize = usize::MAX;

/// Blocks of one short data line (`data:`, at most 14 bytes of ASCII, LF LF), back to back from
/// the start of `src`: each value is widened into `out` from one 16-byte block and its range
/// appended to `index` after `tag`. Returns the bytes used: 0 when `src` does not start with
/// one. The loop keeps its state in locals (the text's length, the index entries in batches),
/// so the stores into `out` do not make it reload them. Block path only.
pub(crate) fn short_events(src: &[u8], out: &mut Units, index: &mut Vec<u32>, tag: u32) -> usize {
    const BATCH: usize = 3 * 16;
    let mut batch = [0u32; BATCH];
    let mut filled = 0;
    let mut len = out.len;
    let mut at = 0;
    while let Some(line) = src.get(at..) {
        let value_at = match line {
            [b'd', b'a', b't', b'a', b':', b' ', ..] => 6,
            [b'd', b'a', b't', b'a', b':', ..] => 5,
            _ => break,
        };
        let Some(block) = line.get(value_at..).and_then(<[u8]>::first_chunk::<16>) else { break };
        let Some(room) = out.buf.get_mut(len..).and_then(<[u16]>::first_chunk_mut::<16>) else { break };
        let (ends, high) = lanes::widen(block, room);
        let end = ends.trailing_zeros() as usize;
        if block.get(end..end + 2) != Some(b"\n\n".as_slice()) || (high.trailing_zeros() as usize) < end {
            break;
        }
        let Some(entry) = batch.get_mut(filled..filled + 3) else { break };
        entry.copy_from_slice(&[tag, len as u32, (len + end) as u32]);
        filled += 3;
        len += end;
        at += value_at + end + 2;
        if filled == BATCH {
            index.extend_from_slice(&batch);
            filled = 0;
        }
    }
    out.len = len;
    index.extend_from_slice(batch.get(..filled).unwrap_or_default());
    at
}

/// Appends all of `text` to `out` as UTF-16, its line ends included (the channel binding's
/// deliveries).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn widen(text: &str, out: &mut Units) {
    let mut src = text.as_bytes();
    while let Some(end) = transcode(src, out, false) {
        let Some(&line_end) = src.get(end) else { break };
        out.push(u16::from(line_end));
        src = src.get(end + 1..).unwrap_or_default();
    }
}

/// Transcodes all of `src`, which holds no line end (a field value).
#[inline(always)]
pub(crate) fn transcode_all(src: &[u8], out: &mut Units, scalar: bool) {
    if !scalar && src.len() < 16 && src.is_ascii() {
        // Short ASCII (ids, types): widened as is.
        out.reserve(src.len());
        if let Some(room) = out.buf.get_mut(out.len..out.len + src.len()) {
            room.iter_mut().zip(src).for_each(|(unit, &byte)| *unit = u16::from(byte));
            out.len += src.len();
        }
        return;
    }
    transcode_value(src, out, scalar);
}

/// [`transcode`] out of line, for values (ids, types, comments, buffered lines): one copy of
/// the block loop for them all.
#[inline(never)]
fn transcode_value(src: &[u8], out: &mut Units, scalar: bool) {
    let _ = transcode(src, out, scalar);
}

/// `a == b` for short byte strings, without a call to `memcmp`.
#[inline(always)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Replaces `buffer`'s bytes with `bytes`, without a call to `memcpy` for short ones.
#[inline(always)]
pub(crate) fn assign(buffer: &mut Vec<u8>, bytes: &[u8]) {
    buffer.clear();
    if bytes.len() < 16 {
        buffer.reserve(bytes.len());
        bytes.iter().for_each(|&byte| buffer.push(byte));
    } else {
        buffer.extend_from_slice(bytes);
    }
}

/// Position of the first CR or LF, by the fastest way this build has: the wide path where it
/// is SIMD128, eight bytes at a time (SWAR) elsewhere.
#[inline]
pub(crate) fn first_line_end(bytes: &[u8]) -> Option<usize> {
    find_line_end(bytes, cfg!(not(all(target_arch = "wasm32", target_feature = "simd128"))))
}

/// Position of the first CR or LF.
#[inline(always)]
pub(crate) fn find_line_end(bytes: &[u8], scalar: bool) -> Option<usize> {
    if scalar {
        return super::parse::find_line_end(bytes);
    }
    let end = find_line_end_wide(bytes);
    (end != NONE).then_some(end)
}

fn find_line_end_wide(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(block) = bytes.get(at..).and_then(<[u8]>::first_chunk::<16>) {
        let ends = lanes::line_ends(block);
        if ends != 0 {
            return at + ends.trailing_zeros() as usize;
        }
        at += 16;
    }
    let tail = bytes.get(at..).unwrap_or_default();
    tail.iter().position(|&b| b == b'\n' || b == b'\r').map_or(NONE, |p| at + p)
}

fn transcode_scalar(src: &[u8], out: &mut Units) -> usize {
    let mut at = 0;
    while let Some(&byte) = src.get(at) {
        if byte < 0x80 {
            if byte == b'\n' || byte == b'\r' {
                return at;
            }
            out.push(u16::from(byte));
            at += 1;
        } else {
            at = decode_one(src, at, out);
        }
    }
    NONE
}

#[inline(always)]
fn transcode_wide(src: &[u8], out: &mut Units) -> usize {
    // Each byte makes at most one unit (four make two): one reservation covers the whole call.
    out.reserve(src.len());
    let mut at = 0;
    while let Some(block) = src.get(at..).and_then(<[u8]>::first_chunk::<16>) {
        let Some(room) = out.block() else { break };
        let (ends, high) = lanes::widen(block, room);
        let stops = ends | high;
        if stops == 0 {
            out.len += 16;
            at += 16;
            continue;
        }
        let ascii = stops.trailing_zeros() as usize;
        if ends >> ascii & 1 == 1 {
            out.len += ascii;
            return at + ascii;
        }
        // Text of ASCII and two-byte sequences (Latin, Greek, Cyrillic, …): the block at once.
        let (leads, conts) = lanes::pair_masks(block);
        if let Some((used, keep)) = pair_span(ends, high, leads, conts) {
            out.len += lanes::decode_pairs(block, keep, room);
            at += used;
            if ends != 0 {
                return at;
            }
            continue;
        }
        out.len += ascii;
        at += ascii;
        // A run of multi-byte sequences, up to the next ASCII byte; two-byte ones and three-byte
        // ones that need no range check past the continuation bytes' (E1..EC, EE, EF) inline.
        while let Some(&lead) = src.get(at) {
            if lead < 0x80 {
                break;
            }
            let continues = |byte: Option<&u8>| byte.filter(|&&b| b & 0xC0 == 0x80).map(|&b| u16::from(b & 0x3F));
            match (continues(src.get(at + 1)), continues(src.get(at + 2))) {
                (Some(next), _) if (0xC2..=0xDF).contains(&lead) => {
                    out.push(u16::from(lead & 0x1F) << 6 | next);
                    at += 2;
                }
                (Some(second), Some(third)) if (0xE1..=0xEF).contains(&lead) && lead != 0xED => {
                    out.push(u16::from(lead & 0x0F) << 12 | second << 6 | third);
                    at += 3;
                }
                _ => at = decode_one(src, at, out),
            }
        }
    }
    let tail = src.get(at..).unwrap_or_default();
    match transcode_scalar(tail, out) {
        NONE => NONE,
        end => at + end,
    }
}

/// Where a block of ASCII and well-formed two-byte sequences (leads C2..DF, each followed by a
/// continuation byte) ends, from its masks (bit i: lane i is a line end, not ASCII, a two-byte
/// lead, a continuation byte): up to its first line end, else its sixteen bytes, or fifteen when
/// the last one starts a sequence the next block finishes. Returns those bytes and the lanes that
/// make a unit (all but the continuation bytes), or `None` when anything else is in that span
/// (the sequences are then decoded one by one).
#[inline(always)]
fn pair_span(ends: u32, high: u32, leads: u32, conts: u32) -> Option<(usize, u32)> {
    let n = if ends != 0 {
        ends.trailing_zeros()
    } else if leads >> 15 & 1 == 1 {
        15
    } else {
        16
    };
    let span = (1u32 << n) - 1;
    let last = 1u32 << n.checked_sub(1)?;
    let well_formed = high & span == (leads | conts) & span
        && conts & span == (leads << 1) & span
        && leads & last == 0;
    well_formed.then_some((n as usize, !conts & span))
}

/// Decodes the sequence that starts with the non-ASCII byte at `at`, returning where the next one
/// starts: a well-formed sequence becomes its code point (two units past U+FFFF), an ill-formed
/// one U+FFFD for its maximal subpart (the lead byte and the continuation bytes that fit it).
fn decode_one(src: &[u8], at: usize, out: &mut Units) -> usize {
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
        i16x8_extend_high_i8x16, i16x8_extend_low_i8x16, i8x16_shuffle, i8x16_swizzle, u16x8_extend_high_u8x16,
        u16x8_extend_low_u8x16, u16x8_extract_lane, u16x8_shl, u16x8_splat, u64x2, u8x16_bitmask, u8x16_eq,
        u8x16_lt, u8x16_splat, u8x16_sub, v128, v128_and, v128_bitselect, v128_or,
    };

    use super::COMPACT;

    #[inline(always)]
    fn load(bytes: &[u8; 16]) -> v128 {
        let low = bytes.first_chunk::<8>().map_or(0, |b| u64::from_le_bytes(*b));
        let high = bytes.last_chunk::<8>().map_or(0, |b| u64::from_le_bytes(*b));
        u64x2(low, high)
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

    /// Writes the sixteen bytes as UTF-16 units (right for the ASCII ones) into `wide`; returns
    /// the CR/LF mask and the non-ASCII mask.
    #[inline(always)]
    pub(super) fn widen(bytes: &[u8; 16], wide: &mut [u16; 16]) -> (u32, u32) {
        let v = load(bytes);
        let low = u16x8_extend_low_u8x16(v);
        let high = u16x8_extend_high_u8x16(v);
        let [w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15] = wide;
        *w0 = u16x8_extract_lane::<0>(low);
        *w1 = u16x8_extract_lane::<1>(low);
        *w2 = u16x8_extract_lane::<2>(low);
        *w3 = u16x8_extract_lane::<3>(low);
        *w4 = u16x8_extract_lane::<4>(low);
        *w5 = u16x8_extract_lane::<5>(low);
        *w6 = u16x8_extract_lane::<6>(low);
        *w7 = u16x8_extract_lane::<7>(low);
        *w8 = u16x8_extract_lane::<0>(high);
        *w9 = u16x8_extract_lane::<1>(high);
        *w10 = u16x8_extract_lane::<2>(high);
        *w11 = u16x8_extract_lane::<3>(high);
        *w12 = u16x8_extract_lane::<4>(high);
        *w13 = u16x8_extract_lane::<5>(high);
        *w14 = u16x8_extract_lane::<6>(high);
        *w15 = u16x8_extract_lane::<7>(high);
        (ends_of(v), u32::from(u8x16_bitmask(v)))
    }

    /// Lanes holding a two-byte lead (C2..DF), as a vector of all-ones bytes.
    #[inline(always)]
    fn leads_of(v: v128) -> v128 {
        u8x16_lt(u8x16_sub(v, u8x16_splat(0xC2)), u8x16_splat(0x1E))
    }

    /// The masks of the two-byte leads (C2..DF) and of the continuation bytes (80..BF): bit i
    /// for byte i.
    #[inline(always)]
    pub(super) fn pair_masks(bytes: &[u8; 16]) -> (u32, u32) {
        let v = load(bytes);
        let conts = u8x16_eq(v128_and(v, u8x16_splat(0xC0)), u8x16_splat(0x80));
        (u32::from(u8x16_bitmask(leads_of(v))), u32::from(u8x16_bitmask(conts)))
    }

    #[inline(always)]
    fn store8(v: v128, wide: &mut [u16; 8]) {
        let [w0, w1, w2, w3, w4, w5, w6, w7] = wide;
        *w0 = u16x8_extract_lane::<0>(v);
        *w1 = u16x8_extract_lane::<1>(v);
        *w2 = u16x8_extract_lane::<2>(v);
        *w3 = u16x8_extract_lane::<3>(v);
        *w4 = u16x8_extract_lane::<4>(v);
        *w5 = u16x8_extract_lane::<5>(v);
        *w6 = u16x8_extract_lane::<6>(v);
        *w7 = u16x8_extract_lane::<7>(v);
    }

    /// Writes the units of the lanes in `keep` (ASCII bytes and two-byte leads, each lead with
    /// the continuation byte after it) to the start of `wide`; returns how many.
    #[inline(always)]
    pub(super) fn decode_pairs(bytes: &[u8; 16], keep: u32, wide: &mut [u16; 16]) -> usize {
        let v = load(bytes);
        let next = i8x16_shuffle::<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16>(v, u8x16_splat(0));
        let leads = leads_of(v);
        let unit = |byte: v128, next: v128, lead: v128| {
            let pair = v128_or(u16x8_shl(v128_and(byte, u16x8_splat(0x1F)), 6), v128_and(next, u16x8_splat(0x3F)));
            v128_bitselect(pair, byte, lead)
        };
        let low = unit(u16x8_extend_low_u8x16(v), u16x8_extend_low_u8x16(next), i16x8_extend_low_i8x16(leads));
        let high = unit(u16x8_extend_high_u8x16(v), u16x8_extend_high_u8x16(next), i16x8_extend_high_i8x16(leads));
        let keep_low = (keep & 0xFF) as u8;
        let keep_high = (keep >> 8 & 0xFF) as u8;
        let n_low = keep_low.count_ones() as usize;
        let compact = |v: v128, keep: u8| COMPACT.get(usize::from(keep)).map_or(v, |order| i8x16_swizzle(v, load(order)));
        if let Some(first) = wide.first_chunk_mut::<8>() {
            store8(compact(low, keep_low), first);
        }
        // The high half's units follow the low half's (which ends by lane 8: no byte is lost).
        if let Some(second) = wide.get_mut(n_low..).and_then(<[u16]>::first_chunk_mut::<8>) {
            store8(compact(high, keep_high), second);
        }
        n_low + keep_high.count_ones() as usize
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

    pub(super) fn widen(bytes: &[u8; 16], wide: &mut [u16; 16]) -> (u32, u32) {
        *wide = bytes.map(u16::from);
        (line_ends(bytes), mask(bytes, |b| b >= 0x80))
    }

    pub(super) fn pair_masks(bytes: &[u8; 16]) -> (u32, u32) {
        (mask(bytes, |b| (0xC2..=0xDF).contains(&b)), mask(bytes, |b| b & 0xC0 == 0x80))
    }

    pub(super) fn decode_pairs(bytes: &[u8; 16], keep: u32, wide: &mut [u16; 16]) -> usize {
        let nexts = bytes.iter().skip(1).chain(std::iter::once(&0));
        let units = bytes.iter().zip(nexts).enumerate().filter(|(lane, _)| keep >> lane & 1 == 1).map(|(_, (&byte, &next))| {
            if (0xC2..=0xDF).contains(&byte) { u16::from(byte & 0x1F) << 6 | u16::from(next & 0x3F) } else { u16::from(byte) }
        });
        wide.iter_mut().zip(units).map(|(slot, unit)| *slot = unit).count()
    }
}

/// For each 8-bit mask of lanes to keep, the `i8x16_swizzle` order that moves those u16 lanes
/// to the front, in order (the rest of the lanes become 0).
#[cfg_attr(not(all(target_arch = "wasm32", target_feature = "simd128")), allow(dead_code))]
static COMPACT: [[u8; 16]; 256] = compact_orders();

// Evaluated at compile time: an index out of bounds here fails the build, it cannot panic.
#[allow(clippy::indexing_slicing)]
const fn compact_orders() -> [[u8; 16]; 256] {
    let mut orders = [[0x80u8; 16]; 256];
    let mut keep = 0;
    while keep < 256 {
        let mut lane = 0;
        let mut kept = 0;
        while lane < 8 {
            if keep >> lane & 1 == 1 {
                orders[keep][2 * kept] = 2 * lane as u8;
                orders[keep][2 * kept + 1] = 2 * lane as u8 + 1;
                kept += 1;
            }
            lane += 1;
        }
        keep += 1;
    }
    orders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widen_gives_the_texts_utf16_line_ends_included() {
        let long = "é…😀 abc ".repeat(40);
        for text in ["", "ascii only", "a\nb\r\nc\rd", "\n\n", "déjà vu\n", "😀\r", long.as_str(), "x\n😀\ny"] {
            let mut out = Units::default();
            out.push(7); // appends
            widen(text, &mut out);
            let want: Vec<u16> = std::iter::once(7).chain(text.encode_utf16()).collect();
            assert_eq!(out.as_slice(), want.as_slice(), "{text:?}");
        }
    }

    fn both(src: &[u8]) -> (Option<usize>, Vec<u16>) {
        let mut scalar = Units::default();
        let mut wide = Units::default();
        let a = transcode(src, &mut scalar, true);
        let b = transcode(src, &mut wide, false);
        assert_eq!((a, scalar.as_slice()), (b, wide.as_slice()), "scalar and wide differ on {src:?}");
        assert_eq!(find_line_end(src, true), a);
        assert_eq!(find_line_end(src, false), a);
        (a, scalar.as_slice().to_vec())
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
    fn two_byte_text_is_decoded_at_every_offset_and_cut() {
        // Runs of two-byte sequences with ASCII between them (the block path), broken ones
        // (a lone lead, a stray continuation, C0/C1, a lead before a line end or at a block's
        // last byte) and longer sequences, in random mixes and lengths.
        const PIECES: &[&[u8]] = &[
            "é".as_bytes(), "ж".as_bytes(), "ß".as_bytes(), "\u{7ff}".as_bytes(), "\u{80}".as_bytes(), b"a", b" ",
            b"\n", b"\r", &[0x80], &[0xBF], &[0xC0, 0x80], &[0xC1, 0xBF], &[0xC2], &[0xDF], "€".as_bytes(),
            "😀".as_bytes(), &[0xE2, 0x82],
        ];
        let mut state = 5u64;
        let mut rand = |n: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        for _ in 0..20_000 {
            let mut src = Vec::new();
            for _ in 0..rand(40) {
                // Mostly two-byte text, so that whole blocks of it occur.
                let piece = if rand(3) == 0 { PIECES[rand(PIECES.len())] } else { PIECES[rand(5)] };
                src.extend_from_slice(piece);
            }
            let (end, got) = both(&src);
            let want: Vec<u16> = String::from_utf8_lossy(&src[..end.unwrap_or(src.len())]).encode_utf16().collect();
            assert_eq!(got, want, "{src:?}");
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
