//! `RawParser`: the incremental SSE parser for `js/parser.js`. Each `feed` returns every item
//! the chunk completed as one byte string, fields raw (JS decodes the whole batch with one
//! `TextDecoder` call, the spec's own decoder), items and fields separated by CR — no field can
//! hold a CR: lines are split on it. Items: `I<lastEventId>␍` (the last event id changed; it
//! holds for the events after it), `E<type>␍<data>␍`, `R<ms>␍`, `C<comment>␍`, `X<limit>␍`
//! (line too long), `Z<limit>␍` (event too long).

use wasm_bindgen::prelude::*;

use crate::sse::{Parser, RawItem};
use crate::text::push_decimal;

/// The parser behind `createParser`.
#[wasm_bindgen]
pub struct RawParser {
    inner: Parser,
}

#[wasm_bindgen]
impl RawParser {
    /// A limit of 0 means none.
    #[wasm_bindgen(constructor)]
    pub fn new(max_line_bytes: f64, max_event_bytes: f64) -> RawParser {
        let limit = |bytes: f64| (bytes >= 1.0).then_some(bytes as usize);
        RawParser { inner: Parser::with_limits(limit(max_line_bytes), limit(max_event_bytes)) }
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.inner.feed_bytes(chunk, &mut |item| pack_item(&mut out, item));
        out
    }

    #[wasm_bindgen(js_name = feedText)]
    pub fn feed_text(&mut self, chunk: &str) -> Vec<u8> {
        self.feed(chunk.as_bytes())
    }

    pub fn reset(&mut self) {
        self.inner.reset();
    }

    #[wasm_bindgen(getter, js_name = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.inner.last_event_id().into_owned()
    }

    #[wasm_bindgen(setter, js_name = lastEventId)]
    pub fn set_last_event_id(&mut self, id: &str) {
        self.inner.set_last_event_id(id);
    }

    /// Bytes the parser holds (a partial line and the event being built).
    #[wasm_bindgen(getter, js_name = bufferedBytes)]
    pub fn buffered_bytes(&self) -> f64 {
        self.inner.buffered_bytes() as f64
    }
}

fn pack_item(out: &mut Vec<u8>, item: RawItem<'_>) {
    match item {
        // The event's id is the one of the last `I` item (or the id set from JS): not repeated.
        RawItem::Event { kind, data, last_event_id: _ } => {
            out.push(b'E');
            out.extend_from_slice(kind);
            out.push(b'\r');
            out.extend_from_slice(data);
        }
        RawItem::LastEventId(id) => {
            out.push(b'I');
            out.extend_from_slice(id);
        }
        RawItem::Retry(ms) => {
            out.push(b'R');
            push_decimal(out, ms);
        }
        RawItem::Comment(text) => {
            out.push(b'C');
            out.extend_from_slice(text);
        }
        RawItem::LineTooLong { limit } => {
            out.push(b'X');
            push_decimal(out, limit as u64);
        }
        RawItem::EventTooLong { limit } => {
            out.push(b'Z');
            push_decimal(out, limit as u64);
        }
    }
    out.push(b'\r');
}
