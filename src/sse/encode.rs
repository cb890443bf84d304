//! Writes SSE frames that any spec-following parser reads back exactly, and refuses fields that
//! would let a value inject lines: CR or LF in `event` or `id`, NUL in `id`.
//!
//! A frame is written as: one `: ` line per comment line, `retry:`, `id:`, `event:`, one `data:`
//! line per data line (data is split at CRLF, LF and CR, so it round-trips), then an empty line.

use core::ops::Range;

use crate::error::Error;
use crate::text::push_decimal;

/// The fields of one SSE frame. Every field is optional; a frame without `data` dispatches no
/// event in the receiver but still sets its `retry` and last event id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Frame<'a> {
    /// A comment, one `: ` line per line of it.
    pub comment: Option<&'a str>,
    /// The reconnection delay in milliseconds (`retry:`).
    pub retry: Option<u64>,
    /// The event id (`id:`); no CR, LF or NUL.
    pub id: Option<&'a str>,
    /// The event type (`event:`); no CR or LF.
    pub event: Option<&'a str>,
    /// The data, one `data:` line per line of it.
    pub data: Option<&'a str>,
}

/// Encodes `frame` into a new string, or explains which field would break the stream.
///
/// # Errors
/// [`Error::InvalidMessageFormat`] for CR or LF in `event` or `id`, or NUL in `id`.
///
/// ```
/// use eric_sse::sse::{encode, Frame};
/// let text = encode(&Frame { event: Some("tick"), data: Some("a\nb"), ..Frame::default() }).unwrap();
/// assert_eq!(text, "event: tick\ndata: a\ndata: b\n\n");
/// assert!(encode(&Frame { event: Some("x\ny"), ..Frame::default() }).is_err());
/// ```
pub fn encode(frame: &Frame<'_>) -> Result<String, Error> {
    let mut out = Vec::new();
    encode_into(&mut out, frame)?;
    // Every byte written comes from a `&str` or ASCII, so this never fails; map it anyway.
    String::from_utf8(out).map_err(|_| Error::format("frame is not UTF-8"))
}

/// Appends the encoded `frame` to `out`. On error nothing is appended.
///
/// # Errors
/// Those of [`encode`].
pub fn encode_into(out: &mut Vec<u8>, frame: &Frame<'_>) -> Result<(), Error> {
    encode_fields(out, frame).map(|_| ())
}

/// [`encode_into`], returning where `data` sits in `out` when it went out whole as one `data:`
/// line (so a holder of the frame need not keep the data apart; JSON is always one line).
pub(crate) fn encode_fields(out: &mut Vec<u8>, frame: &Frame<'_>) -> Result<Option<Range<usize>>, Error> {
    validate(frame)?;
    if let Some(comment) = frame.comment {
        for line in Lines::new(comment) {
            out.extend_from_slice(b": ");
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
    }
    if let Some(retry) = frame.retry {
        out.extend_from_slice(b"retry: ");
        push_decimal(out, retry);
        out.push(b'\n');
    }
    if let Some(id) = frame.id {
        push_field(out, b"id: ", id);
    }
    if let Some(event) = frame.event {
        push_field(out, b"event: ", event);
    }
    let mut whole = None;
    if let Some(data) = frame.data {
        for (n, line) in Lines::new(data).enumerate() {
            push_field(out, b"data: ", line);
            let end = out.len().saturating_sub(1);
            whole = (n == 0 && line.len() == data.len()).then(|| end.saturating_sub(line.len())..end);
        }
    }
    out.push(b'\n');
    Ok(whole)
}

fn validate(frame: &Frame<'_>) -> Result<(), Error> {
    if let Some(event) = frame.event {
        if has_line_break(event) {
            return Err(Error::format("SSE event type must not contain CR or LF"));
        }
    }
    if let Some(id) = frame.id {
        if has_line_break(id) || id.contains('\0') {
            return Err(Error::format("SSE id must not contain CR, LF or NUL"));
        }
    }
    Ok(())
}

pub(crate) fn has_line_break(s: &str) -> bool {
    line_break(s.as_bytes()).is_some()
}

fn push_field(out: &mut Vec<u8>, name: &[u8], value: &str) {
    out.extend_from_slice(name);
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

/// Splits text at CRLF, LF and lone CR, as an SSE parser does. "" yields one empty line.
struct Lines<'a> {
    rest: Option<&'a str>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines { rest: Some(text) }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        // CR and LF are ASCII, so a byte search finds the same (char-boundary) positions as a
        // char search, without decoding UTF-8 on the way.
        match line_break(rest.as_bytes()) {
            None => {
                self.rest = None;
                Some(rest)
            }
            Some(at) => {
                // Not `split_at`: its char-boundary panic brings core's formatting of the panic
                // message into the .wasm (7 KB raw, 4 KB gzipped). `at` is a CR or LF, always a
                // boundary, so `get` finds the line.
                let skip = if rest.as_bytes().get(at..at + 2) == Some(b"\r\n") { 2 } else { 1 };
                self.rest = rest.get(at + skip..);
                rest.get(..at)
            }
        }
    }
}

/// The position of the first CR or LF in `bytes`: sixteen bytes at a time (SIMD128) in the
/// shipped wasm, eight (SWAR) elsewhere. Payloads are mostly JSON, which has no raw line breaks.
fn line_break(bytes: &[u8]) -> Option<usize> {
    super::transcode::first_line_end(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(d: &str) -> String {
        encode(&Frame { data: Some(d), ..Frame::default() }).unwrap()
    }

    #[test]
    fn encode_fields_finds_data_sent_whole_on_one_line() {
        let whole = |d: &str| {
            let mut out = b"kept".to_vec();
            let range = encode_fields(&mut out, &Frame { id: Some("7"), event: Some("t"), data: Some(d), ..Frame::default() }).unwrap();
            range.map(|r| String::from_utf8(out[r].to_vec()).unwrap())
        };
        assert_eq!(whole("{\"a\":\"déjà\"}").as_deref(), Some("{\"a\":\"déjà\"}"));
        assert_eq!(whole("").as_deref(), Some(""));
        for split in ["a\nb", "a\rb", "a\r\nb", "a\n", "\r"] {
            assert_eq!(whole(split), None, "{split:?} is not one line");
        }
        let long = "y".repeat(1000);
        assert_eq!(whole(&long).as_deref(), Some(long.as_str()));
        let mut out = Vec::new();
        assert_eq!(encode_fields(&mut out, &Frame { comment: Some("c"), ..Frame::default() }).unwrap(), None);
    }

    #[test]
    fn full_frame_orders_fields_and_ends_with_blank_line() {
        let f = Frame {
            comment: Some("hello"),
            retry: Some(3000),
            id: Some("7"),
            event: Some("tick"),
            data: Some("{\"n\":1}"),
        };
        assert_eq!(
            encode(&f).unwrap(),
            ": hello\nretry: 3000\nid: 7\nevent: tick\ndata: {\"n\":1}\n\n"
        );
    }

    #[test]
    fn line_breaks_are_found_at_every_offset_of_a_word() {
        for len in 0..40 {
            for at in 0..=len {
                for brk in [b'\r', b'\n'] {
                    // Bytes next to CR and LF in value (0x0b, 0x0c, 0x0e, 0x8a, 0x8d) must not match.
                    let mut bytes: Vec<u8> = (0..len).map(|i| [b'a', 0x0b, 0x0c, 0x0e, 0x8a, 0x8d, 0xff][i % 7]).collect();
                    let expected = if at < len {
                        if let Some(b) = bytes.get_mut(at) {
                            *b = brk;
                        }
                        Some(at)
                    } else {
                        None
                    };
                    assert_eq!(line_break(&bytes), expected, "len {len}, break at {at}");
                    assert_eq!(line_break(&bytes), bytes.iter().position(|b| *b == b'\r' || *b == b'\n'));
                }
            }
        }
    }

    #[test]
    fn data_is_split_at_every_kind_of_line_end() {
        assert_eq!(data("a\nb\r\nc\rd"), "data: a\ndata: b\ndata: c\ndata: d\n\n");
        assert_eq!(data("a\n"), "data: a\ndata: \n\n");
        assert_eq!(data("\r\n"), "data: \ndata: \n\n");
        assert_eq!(data(""), "data: \n\n");
    }

    #[test]
    fn data_keeps_leading_spaces_nul_and_unicode_separators() {
        assert_eq!(data("  x\0\u{2028}y😀"), "data:   x\0\u{2028}y😀\n\n");
    }

    #[test]
    fn comments_are_split_per_line() {
        let f = Frame { comment: Some("a\r\nb"), ..Frame::default() };
        assert_eq!(encode(&f).unwrap(), ": a\n: b\n\n");
    }

    #[test]
    fn injection_through_event_or_id_is_refused() {
        for bad in ["a\nb", "a\rb", "\r\n"] {
            assert!(encode(&Frame { event: Some(bad), ..Frame::default() }).is_err());
            assert!(encode(&Frame { id: Some(bad), ..Frame::default() }).is_err());
        }
        let err = encode(&Frame { id: Some("a\0b"), ..Frame::default() }).unwrap_err();
        assert_eq!(err.name(), "InvalidMessageFormatError");
    }

    #[test]
    fn refused_frame_appends_nothing() {
        let mut out = b"kept".to_vec();
        assert!(encode_into(&mut out, &Frame { event: Some("x\n"), ..Frame::default() }).is_err());
        assert_eq!(out, b"kept");
    }
}
