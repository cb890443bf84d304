//! Fuzzes the SSE parser: for any bytes, cut anywhere (the first byte seeds the cuts, the second
//! picks the limits), parsing in chunks must equal parsing whole; every event must hold to the
//! format's invariants and carry the last committed id; what the parser holds must stay bounded
//! when both limits are set; a reset drops the block being read but keeps the committed id; and
//! encoding what was parsed must parse back to the same events. The UTF-16 parser behind
//! `createParser` (`Utf16Parser`), on its block (SIMD) path and on its scalar path, must give
//! exactly the byte parser's items on the same chunks, and stay under the same bound.
#![no_main]

use eric_sse::sse::{encode, Frame, Item, Parser, Reader, Utf16Parser};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq)]
enum Got {
    Event(String, String, String),
    Id(String),
    Retry(u64),
    Comment(String),
    TooLong,
    EventTooLong,
}

fn run(parser: &mut Parser, chunks: &[&[u8]], bound: Option<usize>) -> Vec<Got> {
    let mut out = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, &mut |item| {
            out.push(match item {
                Item::Event { kind, data, last_event_id } => Got::Event(kind.into(), data.into(), last_event_id.into()),
                Item::LastEventId(id) => Got::Id(id.into()),
                Item::Retry(ms) => Got::Retry(ms),
                Item::Comment(c) => Got::Comment(c.into()),
                Item::LineTooLong { .. } => Got::TooLong,
                Item::EventTooLong { .. } => Got::EventTooLong,
            })
        });
        if let Some(bound) = bound {
            assert!(parser.buffered_bytes() <= bound, "holds {} > {bound}", parser.buffered_bytes());
        }
    }
    out
}

/// The items of the byte parser and of both paths of the UTF-16 parser, as text, compared.
fn differential(limits: (Option<usize>, Option<usize>), chunks: &[&[u8]], bound: Option<usize>) {
    let mut bytes = Parser::with_limits(limits.0, limits.1);
    let mut want = Vec::new();
    for chunk in chunks {
        bytes.feed(chunk, &mut |item| want.push(format!("{item:?}")));
    }
    for scalar in [false, true] {
        let mut parser = Utf16Parser::with_limits(limits.0, limits.1);
        parser.set_scalar(scalar);
        let mut reader = Reader::default();
        let mut got = Vec::new();
        for chunk in chunks {
            parser.feed(chunk);
            reader.read(&parser, &mut |item| got.push(format!("{item:?}")));
            if let Some(bound) = bound {
                assert!(parser.buffered_bytes() <= bound, "UTF-16 parser holds {} > {bound}", parser.buffered_bytes());
            }
        }
        assert_eq!(got, want, "UTF-16 parser (scalar: {scalar}) differs from the byte parser");
        assert_eq!(parser.last_event_id(), bytes.last_event_id());
    }
}

/// 0: no limits; 1..=127: a line limit; 128..: both limits (small, so the fuzzer reaches them).
fn limits(byte: u8) -> (Option<usize>, Option<usize>) {
    match byte {
        0 => (None, None),
        1..=127 => (Some(usize::from(byte)), None),
        _ => (Some(usize::from(byte & 0x7f) + 1), Some(usize::from(byte & 0x7f) * 2 + 1)),
    }
}

fuzz_target!(|input: &[u8]| {
    let [seed, limit, body @ ..] = input else { return };
    let (max_line, max_event) = limits(*limit);
    let make = || Parser::with_limits(max_line, max_event);
    let bound = max_line.zip(max_event).map(|(line, event)| 2 * (event + 4 * line) + 64);
    let whole = run(&mut make(), &[body], bound);

    let mut chunks = Vec::new();
    let mut rest = body;
    let mut state = u32::from(*seed) | 1;
    while !rest.is_empty() {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let take = (state as usize >> 8) % (rest.len() + 1);
        let (head, tail) = rest.split_at(take.max(1).min(rest.len()));
        chunks.push(head);
        rest = tail;
    }
    assert_eq!(run(&mut make(), &chunks, bound), whole, "chunked parse differs from whole parse");
    differential((max_line, max_event), &chunks, bound);
    differential((max_line, max_event), &[body], bound);

    // A cut anywhere, then reset: the committed id is the last one reported before the cut.
    let cut = (state as usize) % (body.len() + 1);
    let mut parser = make();
    let before = run(&mut parser, &[&body[..cut]], bound);
    let committed = before.iter().rev().find_map(|g| match g { Got::Id(id) => Some(id.as_str()), _ => None }).unwrap_or("");
    assert_eq!(parser.last_event_id(), committed);
    parser.reset();
    assert_eq!(parser.last_event_id(), committed, "reset keeps the committed id, drops the pending one");

    let mut current = String::new();
    for got in &whole {
        match got {
            Got::Id(id) => {
                // Compared as bytes: two invalid sequences may decode to the same text.
                if !id.contains('\u{FFFD}') && !current.contains('\u{FFFD}') {
                    assert_ne!(*id, current, "an id item only when the id changes");
                }
                current.clone_from(id);
            }
            Got::Event(kind, data, id) => {
                assert_eq!(*id, current, "an event carries the last committed id");
                assert!(!kind.is_empty() && !kind.contains(['\r', '\n']));
                assert!(!data.contains('\r'));
                assert!(!id.contains(['\r', '\n', '\0']));
                if let Some(max) = max_event {
                    // Replacement characters may be longer than the bytes they replace.
                    assert!(data.chars().count() <= max, "an event over max_event_bytes was dispatched");
                }
                let frame = Frame { event: Some(kind), id: Some(id), data: Some(data), ..Frame::default() };
                let text = encode(&frame).expect("parsed fields always encode");
                let again = run(&mut Parser::new(), &[format!(":\n{text}").as_bytes()], None);
                let mut expected = vec![Got::Comment(String::new())];
                if !id.is_empty() {
                    expected.push(Got::Id(id.clone()));
                }
                expected.push(Got::Event(kind.clone(), data.clone(), id.clone()));
                assert_eq!(again, expected);
            }
            _ => {}
        }
    }
});
