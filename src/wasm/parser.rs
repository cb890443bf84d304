//! `RawParser`: the incremental SSE parser for `js/parser.js`. Each `feed` returns every item
//! the chunk completed as one byte string, fields raw (JS decodes the whole batch with one
//! `TextDecoder` call, the spec's own decoder), items and fields separated by CR — no field can
//! hold a CR: lines are split on it. Items: `E<type>␍<lastEventId>␍<data>␍`, `R<ms>␍`,
//! `C<comment>␍`, `X<limit>␍`.

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
    /// `max_line_bytes` 0 means no limit.
    #[wasm_bindgen(constructor)]
    pub fn new(max_line_bytes: f64) -> RawParser {
        let inner = if max_line_bytes >= 1.0 {
            Parser::with_max_line_bytes(max_line_bytes as usize)
        } else {
            Parser::new()
        };
        RawParser { inner }
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
}

fn pack_item(out: &mut Vec<u8>, item: RawItem<'_>) {
    match item {
        RawItem::Event { kind, data, last_event_id } => {
            out.push(b'E');
            out.extend_from_slice(kind);
            out.push(b'\r');
            out.extend_from_slice(last_event_id);
            out.push(b'\r');
            out.extend_from_slice(data);
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
    }
    out.push(b'\r');
}
