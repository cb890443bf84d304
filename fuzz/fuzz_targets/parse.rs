//! Fuzzes the SSE parser: for any bytes, cut anywhere (the first byte seeds the cuts, the second
//! picks a line limit), parsing in chunks must equal parsing whole; every event must hold to the
//! format's invariants; and encoding what was parsed must parse back to the same events.
#![no_main]

use eric_sse::sse::{encode, Frame, Item, Parser};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq)]
enum Got {
    Event(String, String, String),
    Retry(u64),
    Comment(String),
    TooLong,
}

fn run(parser: &mut Parser, chunks: &[&[u8]]) -> Vec<Got> {
    let mut out = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, &mut |item| {
            out.push(match item {
                Item::Event { kind, data, last_event_id } => Got::Event(kind.into(), data.into(), last_event_id.into()),
                Item::Retry(ms) => Got::Retry(ms),
                Item::Comment(c) => Got::Comment(c.into()),
                Item::LineTooLong { .. } => Got::TooLong,
            })
        });
    }
    out
}

fn parser(limit: u8) -> Parser {
    if limit == 0 { Parser::new() } else { Parser::with_max_line_bytes(usize::from(limit)) }
}

fuzz_target!(|input: &[u8]| {
    let [seed, limit, body @ ..] = input else { return };
    let whole = run(&mut parser(*limit), &[body]);

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
    assert_eq!(run(&mut parser(*limit), &chunks), whole, "chunked parse differs from whole parse");

    for got in &whole {
        if let Got::Event(kind, data, id) = got {
            assert!(!kind.is_empty() && !kind.contains(['\r', '\n']));
            assert!(!data.contains('\r'));
            assert!(!id.contains(['\r', '\n', '\0']));
            let frame = Frame { event: Some(kind), id: Some(id), data: Some(data), ..Frame::default() };
            let text = encode(&frame).expect("parsed fields always encode");
            let again = run(&mut Parser::new(), &[format!(":\n{text}").as_bytes()]);
            assert_eq!(again, [Got::Comment(String::new()), Got::Event(kind.clone(), data.clone(), id.clone())]);
        }
    }
});
