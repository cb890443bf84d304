//! The `#[wasm_bindgen]` surface used by the JS driver in `js/`: conversion only. This file is
//! the one error boundary: every core error becomes its JS class through `coreError`, which the
//! module imports from `js/errors.js`, so no error crosses as a string and every call that can
//! fail returns either its value or a proper `Error` subclass.

use wasm_bindgen::prelude::*;

use crate::error::Error;

mod channel;
mod hub;
mod parser;

#[wasm_bindgen(raw_module = "../js/errors.js")]
extern "C" {
    /// Builds the JS error for a core error: its class by `name`, with `message` and `detail`.
    #[wasm_bindgen(js_name = coreError)]
    fn core_error(name: &str, message: &str, detail: Option<&str>) -> JsValue;
}

#[wasm_bindgen(raw_module = "../js/message.js")]
extern "C" {
    /// The JSON text of a payload; throws `InvalidMessageFormatError` for values JSON cannot
    /// carry. The one serializer of payloads, shared with `js/channel.js`.
    #[wasm_bindgen(js_name = toJson, catch)]
    fn to_json(value: &JsValue) -> Result<String, JsValue>;
}

/// A core error as the JS error users get.
pub(crate) fn to_js(error: Error) -> JsValue {
    core_error(error.name(), &error.message(), error.detail())
}

/// Encodes one SSE frame; see `crate::sse::encode`. `retry` < 0 means none.
#[wasm_bindgen(js_name = encodeFrame)]
pub fn encode_frame(
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
    retry: f64,
    comment: Option<String>,
) -> Result<String, JsValue> {
    let frame = crate::sse::Frame {
        comment: comment.as_deref(),
        retry: (retry >= 0.0).then_some(retry as u64),
        id: id.as_deref(),
        event: event.as_deref(),
        data: data.as_deref(),
    };
    crate::sse::encode(&frame).map_err(to_js)
}

/// Sets the instance's memory budget in bytes (see `crate::memory`).
#[wasm_bindgen(js_name = setMemoryBudget)]
pub fn set_memory_budget(bytes: f64) {
    crate::memory::set_budget(if bytes >= 0.0 { bytes as usize } else { 0 });
}

/// `[live bytes, budget]`.
#[wasm_bindgen(js_name = memoryUsage)]
pub fn memory_usage() -> Vec<f64> {
    vec![crate::memory::live_bytes() as f64, crate::memory::budget() as f64]
}
