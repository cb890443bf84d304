//! Fuzzes the SSE encoder: for any frame fields (comment, retry, id, event, data), `encode` and
//! `encode_into` never panic and agree; a frame is refused exactly when its `event` holds CR or
//! LF or its `id` holds CR, LF or NUL, and a refused frame appends nothing; an accepted frame is
//! one event block (no empty line before its end, at most one `retry:`, `id:` and `event:` line,
//! nothing but the five field kinds) that `sse::Parser` reads back to exactly the fields given
//! (line ends in `data` and `comment` come back as LF, an empty `event` is `message`, a non-empty
//! `id` is committed at the block's end, before its event), and that leaves no state behind: a
//! `data: x` frame after it is a plain `message` carrying that id.
#![no_main]

use eric_sse::sse::{encode, encode_into, Frame, Item, Parser};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq)]
enum Got {
    Event { kind: String, data: String, id: String },
    Id(String),
    Retry(u64),
    Comment(String),
    TooLong,
}

fn parse(bytes: &[u8]) -> (Vec<Got>, String) {
    let mut parser = Parser::new();
    let mut out = Vec::new();
    parser.feed(bytes, &mut |item| {
        out.push(match item {
            Item::Event { kind, data, last_event_id } => Got::Event { kind: kind.into(), data: data.into(), id: last_event_id.into() },
            Item::LastEventId(id) => Got::Id(id.into()),
            Item::Retry(ms) => Got::Retry(ms),
            Item::Comment(c) => Got::Comment(c.into()),
            Item::LineTooLong { .. } | Item::EventTooLong { .. } => Got::TooLong,
        });
    });
    (out, parser.last_event_id().into_owned())
}

/// Splits at CRLF, LF and lone CR, as the SSE format does ("" is one empty line).
fn lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        match rest.find(['\r', '\n']) {
            None => {
                out.push(rest);
                return out;
            }
            Some(at) => {
                out.push(&rest[..at]);
                let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[at + skip..];
            }
        }
    }
}

/// Reads the fuzzer's bytes as frame fields: a flags byte, a retry, then four strings, each a
/// length byte and that many bytes (decoded lossily, so CR, LF, NUL and any UTF-8 reach it).
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn text(&mut self) -> String {
        let len = usize::from(self.byte());
        let take = len.min(self.0.len());
        let (head, rest) = self.0.split_at(take);
        self.0 = rest;
        String::from_utf8_lossy(head).into_owned()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let flags = input.byte();
    let retry = u64::from_le_bytes([input.byte(), input.byte(), input.byte(), input.byte(), 0, 0, 0, if flags & 0x20 != 0 { 0xff } else { 0 }]);
    let (comment, id, event, body) = (input.text(), input.text(), input.text(), input.text());
    let frame = Frame {
        comment: (flags & 1 != 0).then_some(comment.as_str()),
        retry: (flags & 2 != 0).then_some(retry),
        id: (flags & 4 != 0).then_some(id.as_str()),
        event: (flags & 8 != 0).then_some(event.as_str()),
        data: (flags & 16 != 0).then_some(body.as_str()),
    };

    let refuse = frame.event.is_some_and(|e| e.contains(['\r', '\n']))
        || frame.id.is_some_and(|i| i.contains(['\r', '\n', '\0']));
    let mut appended = b"kept".to_vec();
    let into = encode_into(&mut appended, &frame);
    let whole = encode(&frame);
    assert_eq!(into.is_err(), refuse, "encode_into accepted or refused the wrong frame: {frame:?}");
    assert_eq!(whole.is_err(), refuse, "encode accepted or refused the wrong frame: {frame:?}");
    if refuse {
        assert_eq!(appended, b"kept", "a refused frame appended bytes");
        assert_eq!(into.unwrap_err().name(), "InvalidMessageFormatError");
        return;
    }
    let text = whole.unwrap();
    assert_eq!(&appended[4..], text.as_bytes(), "encode and encode_into differ");

    // One event block: every line but the closing empty one holds a known field, once each.
    let mut lines_of_frame = lines(&text);
    assert_eq!(lines_of_frame.pop(), Some(""), "a frame ends with a line end");
    assert_eq!(lines_of_frame.pop(), Some(""), "a frame ends with an empty line");
    let (mut retries, mut ids, mut events) = (0, 0, 0);
    for line in &lines_of_frame {
        assert!(!line.is_empty(), "an empty line inside the frame dispatches early: {text:?}");
        let field = line.split_once(':').map_or(*line, |(f, _)| f);
        match field {
            "" | "data" => {}
            "retry" => retries += 1,
            "id" => ids += 1,
            "event" => events += 1,
            other => panic!("unexpected field {other:?} in {text:?}"),
        }
    }
    assert!(retries <= 1 && ids <= 1 && events <= 1, "a field was injected: {text:?}");

    // Parses back to exactly the fields given, and leaves no state for the next frame.
    let mut expected = Vec::new();
    if let Some(comment) = frame.comment {
        expected.extend(lines(comment).into_iter().map(|line| Got::Comment(line.to_owned())));
    }
    if let Some(retry) = frame.retry {
        expected.push(Got::Retry(retry));
    }
    let id_after = frame.id.unwrap_or("").to_owned();
    if !id_after.is_empty() {
        // The block's end commits the id (a fresh parser's is empty), before its event.
        expected.push(Got::Id(id_after.clone()));
    }
    if let Some(body) = frame.data {
        let kind = frame.event.filter(|e| !e.is_empty()).unwrap_or("message").to_owned();
        expected.push(Got::Event { kind, data: lines(body).join("\n"), id: id_after.clone() });
    }
    let plain = encode(&Frame { data: Some("x"), ..Frame::default() }).unwrap();
    expected.push(Got::Event { kind: "message".into(), data: "x".into(), id: id_after.clone() });
    let (got, last_id) = parse(format!("{text}{plain}").as_bytes());
    assert_eq!(got, expected, "{text:?} parsed back differently");
    assert_eq!(last_id, id_after, "{text:?} left another last event id");
});
