//! `#[wasm_bindgen]` surface used by `js/channel.js`. Conversion only: numbers and strings in,
//! strings and bytes out, core errors as `"<ErrorName>:<message>"` strings that
//! `js/errors.js` turns into `Error` subclasses. Listeners are addressed by their numeric key.

use wasm_bindgen::prelude::*;

use crate::channel::{Channel, ChannelConfig, ListenerKey, Overflow, StreamState};
use crate::error::Error;
use crate::listener::Lifecycle;
use crate::message::{Envelope, Message, SignedMessage};
use crate::sse::{encode, Frame, Parser, RawItem};
use crate::text::{push_decimal, push_display};

fn js_error(error: Error) -> JsValue {
    let mut text = String::from(error.name());
    text.push(':');
    text.push_str(&error.message());
    JsValue::from_str(&text)
}

/// Packs a delivery as `id \n type \n sender \n payload` (type and sender hold no LF; the
/// payload goes last, so it may hold anything). One string crosses instead of four.
fn pack(envelope: &Envelope) -> String {
    let mut out = String::with_capacity(envelope.payload().len() + envelope.kind().len() + 24);
    push_display(&mut out, envelope.id());
    out.push('\n');
    out.push_str(envelope.kind());
    out.push('\n');
    out.push_str(envelope.sender_id().unwrap_or(""));
    out.push('\n');
    out.push_str(envelope.payload());
    out
}

fn packed(result: Result<String, Error>) -> Result<Option<String>, JsValue> {
    match result {
        Ok(text) => Ok(Some(text)),
        Err(Error::NoMessages { .. }) => Ok(None),
        Err(error) => Err(js_error(error)),
    }
}

#[wasm_bindgen]
pub struct RawChannel {
    inner: Channel,
    finished: bool,
}

#[wasm_bindgen]
impl RawChannel {
    #[wasm_bindgen(constructor)]
    pub fn new(
        id: String,
        retry_ms: f64,
        stream_delay_ms: f64,
        keep_alive_ms: f64,
        history_size: u32,
        max_queue: u32,
        overflow: u8,
    ) -> RawChannel {
        let overflow = match overflow {
            1 => Overflow::DropOldest,
            2 => Overflow::Error,
            _ => Overflow::Disconnect,
        };
        let config = ChannelConfig {
            retry_ms: retry_ms as u64,
            stream_delay_ms: stream_delay_ms as u64,
            keep_alive_ms: keep_alive_ms as u64,
            history_size: history_size as usize,
            max_queue: max_queue as usize,
            overflow,
        };
        RawChannel { inner: Channel::new(id, config), finished: false }
    }

    pub fn register(&mut self, id: &str) -> Result<u32, JsValue> {
        self.inner.register_listener(id).map(|k| k.0).map_err(js_error)
    }

    pub fn remove(&mut self, key: u32) -> Result<(), JsValue> {
        self.inner.remove_listener(ListenerKey(key)).map_err(js_error)
    }

    /// Returns the message id. `sender` signs the message when given.
    pub fn dispatch(
        &mut self,
        key: u32,
        kind: String,
        payload: String,
        sender: Option<String>,
    ) -> Result<f64, JsValue> {
        let (key, message) = (ListenerKey(key), Message::new(kind, payload));
        let sent = match sender {
            Some(sender_id) => self.inner.dispatch_signed(key, SignedMessage::new(sender_id, message)),
            None => self.inner.dispatch(key, message),
        };
        sent.map(|id| id as f64).map_err(js_error)
    }

    /// Queues an `_eric_error` reply signed by `sender`.
    #[wasm_bindgen(js_name = dispatchError)]
    pub fn dispatch_error(&mut self, key: u32, sender: &str, payload: &str) -> Result<f64, JsValue> {
        self.inner.dispatch_error(ListenerKey(key), sender, payload).map(|id| id as f64).map_err(js_error)
    }

    pub fn broadcast(&mut self, kind: String, payload: String) -> Result<f64, JsValue> {
        self.inner.broadcast(Message::new(kind, payload)).map(|id| id as f64).map_err(js_error)
    }

    /// The next delivery, packed (see `pack`), without taking it; `undefined` when none is
    /// queued (so waiting consumers need no exception per empty poll).
    pub fn peek(&self, key: u32) -> Result<Option<String>, JsValue> {
        packed(self.inner.peek(ListenerKey(key)).map(|e| pack(&e)))
    }

    /// Takes the next delivery, packed; `undefined` when none is queued.
    pub fn next(&mut self, key: u32) -> Result<Option<String>, JsValue> {
        packed(self.inner.deliver_next(ListenerKey(key)).map(|e| pack(&e)))
    }

    /// 0 open, 1 overflowed (disconnected), 2 ended.
    pub fn lifecycle(&self, key: u32) -> Result<u8, JsValue> {
        let lifecycle = self.inner.lifecycle(ListenerKey(key)).map_err(js_error)?;
        Ok(match lifecycle {
            Lifecycle::Open => 0,
            Lifecycle::Overflowed => 1,
            Lifecycle::Ended => 2,
        })
    }

    /// The stream's first bytes: `retry:` and, given `last_event_id`, the replay.
    #[wasm_bindgen(js_name = openStream)]
    pub fn open_stream(&mut self, key: u32, last_event_id: Option<String>) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::new();
        self.inner
            .open_stream(ListenerKey(key), last_event_id.as_deref(), &mut out)
            .map_err(js_error)?;
        Ok(out)
    }

    /// Up to `max` pending frames as one chunk (empty when nothing is pending). Afterwards
    /// `finished()` tells whether the closing frame was included.
    pub fn drain(&mut self, key: u32, max: u32) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::new();
        let state =
            self.inner.drain_frames(ListenerKey(key), max as usize, &mut out).map_err(js_error)?;
        self.finished = state == StreamState::Finished;
        Ok(out)
    }

    /// Whether the last `drain` wrote the closing frame.
    #[wasm_bindgen(getter)]
    pub fn finished(&self) -> bool {
        self.finished
    }

    #[wasm_bindgen(js_name = notifyEnd)]
    pub fn notify_end(&mut self) {
        self.inner.notify_end();
    }

    #[wasm_bindgen(getter)]
    pub fn ended(&self) -> bool {
        self.inner.is_ended()
    }
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
    let frame = Frame {
        comment: comment.as_deref(),
        retry: (retry >= 0.0).then_some(retry as u64),
        id: id.as_deref(),
        event: event.as_deref(),
        data: data.as_deref(),
    };
    encode(&frame).map_err(js_error)
}

/// The incremental parser for `js/parser.js`. Each `feed` returns every item the chunk
/// completed as one byte string, fields raw (JS decodes the whole batch with one `TextDecoder`
/// call, the spec's own decoder), items and fields separated by CR — no field can hold a CR:
/// lines are split on it. Items: `I<lastEventId>␍` (the last event id changed; it holds for the
/// events after it), `E<type>␍<data>␍`, `R<ms>␍`, `C<comment>␍`, `X<limit>␍` (line too long),
/// `Z<limit>␍` (event too long).
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
