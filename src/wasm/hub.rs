//! The hub's decoder for `js/hub/`: routes and command bodies in, one command object out.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::Error;
use crate::hub::{decode, route, Field, Fields, Route};
use crate::wasm::{to_js, to_json};

/// A matched route.
#[wasm_bindgen]
pub struct RawRoute {
    inner: Route,
}

#[wasm_bindgen]
impl RawRoute {
    /// Whether the request's body is read.
    #[wasm_bindgen(getter, js_name = readsBody)]
    pub fn reads_body(&self) -> bool {
        self.inner.reads_body
    }

    /// True for `POST /command` (eric-sse's controller protocol, whose replies use its keys).
    #[wasm_bindgen(getter, js_name = isCommand)]
    pub fn is_command(&self) -> bool {
        self.inner.verb.is_none()
    }

    /// Whether the request must carry a body.
    #[wasm_bindgen(getter, js_name = bodyRequired)]
    pub fn body_required(&self) -> bool {
        self.inner.body_required
    }
}

/// Matches a request's method and (percent-encoded) path.
#[wasm_bindgen(js_name = matchRoute)]
pub fn match_route(method: &str, path: &str) -> Result<RawRoute, JsValue> {
    route(method, path).map(|inner| RawRoute { inner }).map_err(to_js)
}

/// Decodes the command a route and its body make, as `{ verb, action, channel, listener, type,
/// payload }` (`verb` is the controller code, absent for `listChannels`; `payload` is JSON
/// text).
#[wasm_bindgen(js_name = decodeCommand)]
pub fn decode_command(route: &RawRoute, body: &JsValue, max_payload: f64) -> Result<js_sys::Object, JsValue> {
    let body = body.dyn_ref::<js_sys::Object>().ok_or_else(|| to_js(Error::format("a command is a JSON object")))?;
    let command = decode(&route.inner, &JsFields(body), max_payload as usize).map_err(to_js)?;
    let out = js_sys::Object::new();
    let set = |key: &str, value: Option<&str>| {
        if let Some(value) = value {
            let _ = js_sys::Reflect::set(&out, &JsValue::from_str(key), &JsValue::from_str(value));
        }
    };
    set("verb", command.verb.code());
    set("action", Some(command.verb.action()));
    set("channel", command.channel.as_deref());
    set("listener", command.listener.as_deref());
    set("type", command.kind.as_deref());
    set("payload", command.payload.as_deref());
    Ok(out)
}

/// A body object's own fields.
struct JsFields<'a>(&'a js_sys::Object);

impl JsFields<'_> {
    fn get(&self, key: &str) -> JsValue {
        let key = JsValue::from_str(key);
        if !js_sys::Object::has_own(self.0, &key) {
            return JsValue::UNDEFINED;
        }
        js_sys::Reflect::get(self.0, &key).unwrap_or(JsValue::UNDEFINED)
    }
}

impl Fields for JsFields<'_> {
    fn text(&self, key: &str) -> Field {
        let value = self.get(key);
        match value.as_string() {
            _ if value.is_undefined() => Field::Absent,
            Some(text) => Field::Text(text),
            None => Field::Other,
        }
    }

    fn json(&self, key: &str) -> Result<Option<String>, Error> {
        let value = self.get(key);
        if value.is_undefined() {
            return Ok(None);
        }
        to_json(&value).map(Some).map_err(|thrown| {
            let reason = js_sys::Reflect::get(&thrown, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| String::from("payload cannot be serialized as JSON"));
            Error::InvalidMessageFormat { reason }
        })
    }
}
