//! `RawParser`: the incremental SSE parser for `js/parser.js`, over wasm memory with no copies
//! made by the binding. JS writes a chunk straight into the parser's input buffer (`input(len)`
//! gives its address), `feed(len)` parses it, and JS reads the result as views of wasm memory:
//! the UTF-16 text (one string per chunk) and the `u32` index of items whose fields are ranges
//! of that text (layout: `crate::sse::Utf16Parser`). `feed` returns the index length and leaves
//! the text's and the index's addresses and lengths in the four words at `header()`.

use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::sse::Utf16Parser;
use crate::wasm::to_js;

/// A parser limit from JS: a whole number of bytes, 0 for none.
fn limit(name: &'static str, bytes: f64) -> Result<Option<usize>, JsValue> {
    if !(bytes >= 0.0 && bytes.fract() == 0.0 && bytes <= 9_007_199_254_740_991.0) {
        return Err(to_js(Error::InvalidOption { name, reason: "a non-negative integer (0: no limit)" }));
    }
    Ok((bytes >= 1.0).then(|| usize::try_from(bytes as u64).unwrap_or(usize::MAX)))
}

/// The parser behind `createParser`.
#[wasm_bindgen]
pub struct RawParser {
    inner: Utf16Parser,
    input: Vec<u8>,
    /// Text address, text length (units), index address, index length (words).
    header: Box<[u32; 4]>,
}

#[wasm_bindgen]
impl RawParser {
    /// A limit of 0 means none.
    ///
    /// # Errors
    /// `InvalidOptionError` for a limit that is not a non-negative integer.
    #[wasm_bindgen(constructor)]
    pub fn new(max_line_bytes: f64, max_event_bytes: f64) -> Result<RawParser, JsValue> {
        Ok(RawParser {
            inner: Utf16Parser::with_limits(limit("maxLineBytes", max_line_bytes)?, limit("maxEventBytes", max_event_bytes)?),
            input: Vec::new(),
            header: Box::new([0; 4]),
        })
    }

    /// Makes room for `len` input bytes and returns their address (valid until the next call).
    pub fn input(&mut self, len: usize) -> usize {
        if self.input.len() < len {
            self.input.resize(len, 0);
        }
        self.input.as_mut_ptr() as usize
    }

    /// The address of the header words that `feed` fills.
    pub fn header(&self) -> usize {
        self.header.as_ptr() as usize
    }

    /// Parses the first `len` bytes of the input buffer; returns the index length in words.
    pub fn feed(&mut self, len: usize) -> usize {
        self.inner.feed(self.input.get(..len).unwrap_or_default());
        let (text, index) = (self.inner.text(), self.inner.index());
        *self.header = [text.as_ptr() as u32, text.len() as u32, index.as_ptr() as u32, index.len() as u32];
        index.len()
    }

    /// Uses the byte-at-a-time code instead of SIMD128 (for tests comparing the two).
    #[wasm_bindgen(js_name = setScalar)]
    pub fn set_scalar(&mut self, scalar: bool) {
        self.inner.set_scalar(scalar);
    }

    pub fn reset(&mut self) {
        self.inner.reset();
    }

    #[wasm_bindgen(getter, js_name = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.inner.last_event_id()
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
