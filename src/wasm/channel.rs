//! `RawChannel`: a core [`Channel`] for `js/channel.js`. Listeners are addressed by their
//! numeric key; deliveries cross packed (`crate::pack`); stream bytes and flush results are
//! returned by separate calls so the hot calls return a number.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;

use crate::channel::{Channel, ChannelConfig, Flush, ListenerKey, Next, Numbering, Take, NUMBER_OPTIONS};
use crate::error::Error;
use crate::id::{check_id, MessageId};
use crate::pack::{pack, pack_flush, unpack_entry};
use crate::sse::{widen, Units};
use crate::stream::StreamPoll;
use crate::wasm::to_js;

/// The core channel behind a JS `Channel`.
#[wasm_bindgen]
pub struct RawChannel {
    inner: Channel,
    out: Vec<u8>,
    flush: Flush,
    keys: Vec<u32>,
    /// Where JS writes the keys of parked streams for `rewait`.
    parked: Vec<u32>,
    /// The error of the last call that returned [`FAILED`], for `takeError`.
    failure: Option<JsValue>,
    /// The last delivery `peek`, `take` or `peekStream` gave, packed (`crate::pack`).
    packed: String,
    /// The same as UTF-16, when it is not ASCII.
    wide: Units,
}

/// What the hot calls (`payloadBuffer`, `dispatch`, `broadcast`, `poll`) return when they fail;
/// the error waits in `takeError()`. They return a plain number because a `Result` comes back
/// through a return area the glue reads with a DataView, three or four reads a call, each of
/// which checks the memory's buffer (a slow getter on Node 20). Apart from `poll_code`'s -1
/// and -2 and `LONG_ID` (js/wasm.js `FAILED` is the same number).
const FAILED: f64 = -3.0;

/// What `dispatch` and `broadcast` return when the id's sequence is past 2^53 (not exact as a
/// JS number): the id is then read from `lastId`.
const LONG_ID: f64 = -2.0;

/// The number `dispatch` and `broadcast` return for `id`: its sequence, which JS appends to
/// `idPrefix`.
fn id_number(id: MessageId) -> f64 {
    id.exact_minor().unwrap_or(LONG_ID)
}

fn options(id: &str, options: &JsValue, epoch: f64, external: bool) -> Result<ChannelConfig, Error> {
    check_id(id).map_err(|_| Error::InvalidOption { name: "id", reason: "1 to 256 visible ASCII characters, not \".\" or \"..\"" })?;
    let mut config = ChannelConfig::default();
    for name in NUMBER_OPTIONS {
        let value = js_sys::Reflect::get(options, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        if !value.is_undefined() {
            config.set_number(name, value.as_f64().unwrap_or(f64::NAN))?;
        }
    }
    let overflow = js_sys::Reflect::get(options, &JsValue::from_str("overflow")).unwrap_or(JsValue::UNDEFINED);
    if !overflow.is_undefined() {
        config.set_overflow(&overflow.as_string().unwrap_or_default())?;
    }
    config.numbering = if external { Numbering::External } else { Numbering::Local { epoch: epoch as u64 } };
    Ok(config)
}

/// `-1` sent, `-2` finished, `0` pending with no deadline, `t > 0` pending until `t`.
fn poll_code(poll: StreamPoll) -> f64 {
    match poll {
        StreamPoll::Sent => -1.0,
        StreamPoll::Finished => -2.0,
        StreamPoll::Pending { wake_at } => wake_at.map_or(0.0, |t| t.max(1) as f64),
    }
}

fn id_text(id: MessageId) -> String {
    id.to_text()
}

#[wasm_bindgen]
impl RawChannel {
    /// A channel `id` with the options object's numbers (`NUMBER_OPTIONS`) and `overflow`;
    /// numbered from `epoch`, or by an engine when `external`.
    #[wasm_bindgen(constructor)]
    pub fn new(id: String, options_object: &JsValue, epoch: f64, external: bool) -> Result<RawChannel, JsValue> {
        let config = options(&id, options_object, epoch, external).map_err(to_js)?;
        Ok(RawChannel {
            inner: Channel::new(id, config),
            out: Vec::new(),
            flush: Flush::default(),
            keys: Vec::new(),
            parked: Vec::new(),
            failure: None,
            packed: String::new(),
            wide: Units::default(),
        })
    }

    /// The settings in force as `[retryMs, streamDelayMs, …]` in `NUMBER_OPTIONS` order, then
    /// the overflow policy's name.
    pub fn settings(&self) -> js_sys::Array {
        let c = self.inner.config();
        let numbers = [
            c.retry_ms as f64,
            c.stream_delay_ms as f64,
            c.keep_alive_ms as f64,
            c.first_keep_alive_ms as f64,
            size(c.history_size),
            size(c.history_bytes),
            size(c.max_queue),
            size(c.max_queue_bytes),
            size(c.max_message_bytes),
        ];
        let out: js_sys::Array = numbers.into_iter().map(JsValue::from_f64).collect();
        out.push(&JsValue::from_str(c.overflow.name()));
        out
    }

    /// Registers a listener; returns its key. `actions`: an action listener.
    pub fn register(&mut self, id: &str, actions: bool) -> Result<u32, JsValue> {
        let key = self.inner.register_listener(id).map_err(to_js)?;
        self.inner.set_actions(key, actions).map_err(to_js)?;
        Ok(key.0)
    }

    /// Removes a listener (and its stream).
    pub fn remove(&mut self, key: u32) -> Result<(), JsValue> {
        self.inner.remove_listener(ListenerKey(key)).map_err(to_js)
    }

    /// The key of the listener `id`.
    pub fn key(&self, id: &str) -> Result<u32, JsValue> {
        self.inner.listener_key(id).map(|k| k.0).map_err(to_js)
    }

    /// How many listeners are registered.
    #[wasm_bindgen(getter, js_name = listenerCount)]
    pub fn listener_count(&self) -> u32 {
        u32::try_from(self.inner.listener_count()).unwrap_or(u32::MAX)
    }

    /// The registered listeners' ids.
    #[wasm_bindgen(js_name = listenerIds)]
    pub fn listener_ids(&self) -> Vec<String> {
        self.inner.listener_ids().map(String::from).collect()
    }

    /// Resumes a listener.
    pub fn start(&mut self, key: u32) -> Result<(), JsValue> {
        self.inner.start(ListenerKey(key)).map_err(to_js)
    }

    /// Pauses a listener.
    pub fn stop(&mut self, key: u32) -> Result<(), JsValue> {
        self.inner.stop(ListenerKey(key)).map_err(to_js)
    }

    /// Whether a listener runs.
    #[wasm_bindgen(js_name = isRunning)]
    pub fn is_running(&self, key: u32) -> Result<bool, JsValue> {
        self.inner.is_running(ListenerKey(key)).map_err(to_js)
    }

    /// Whether the driver runs a hook before each delivery of a listener.
    #[wasm_bindgen(js_name = setHooked)]
    pub fn set_hooked(&mut self, key: u32, hooked: bool) -> Result<(), JsValue> {
        self.inner.set_hooked(ListenerKey(key), hooked).map_err(to_js)
    }

    /// Room for the next payload, whose text is `units` UTF-16 units long, of at least `len`
    /// bytes (keeping what an earlier call for this payload got written): its address in
    /// memory. JS writes the payload's UTF-8 there natively (`encodeInto`, Node's `Buffer#write`)
    /// and passes its length to `dispatch`/`broadcast`: one write, no allocation per message.
    /// Refused at once (PayloadTooLarge) when `units` alone is over maxMessageBytes.
    #[wasm_bindgen(js_name = payloadBuffer)]
    pub fn payload_buffer(&mut self, units: usize, len: usize) -> f64 {
        let at = self.inner.check_payload_len(units).and_then(|()| {
            PAYLOAD.with(|cell| {
                let mut buffer = cell.try_borrow_mut().map_err(|_| Error::format("the payload buffer is in use"))?;
                Ok(room(&mut buffer, len)?.as_mut_ptr() as usize as f64)
            })
        });
        self.number(at)
    }

    /// Queues a message for one listener; returns its id's sequence (see `idPrefix`), or
    /// `FAILED` (see `takeError`). `sender` signs it. The payload is the first `len` bytes of
    /// the payload buffer (`payloadBuffer`).
    pub fn dispatch(&mut self, key: u32, kind: &str, len: usize, sender: Option<String>) -> f64 {
        let inner = &mut self.inner;
        let id = with_payload(len, |payload| inner.dispatch_text(ListenerKey(key), kind, payload, sender.as_deref()));
        self.number(id.map(id_number))
    }

    /// Queues an `_eric_error` reply signed by `sender`.
    #[wasm_bindgen(js_name = dispatchError)]
    pub fn dispatch_error(&mut self, key: u32, sender: &str, payload: &str) -> Result<String, JsValue> {
        self.inner.dispatch_error(ListenerKey(key), sender, payload).map(id_text).map_err(to_js)
    }

    /// Queues a message for every listener; returns its id's sequence (see `idPrefix`), or
    /// `FAILED` (see `takeError`). The payload is the first `len` bytes of the payload buffer
    /// (`payloadBuffer`).
    pub fn broadcast(&mut self, kind: &str, len: usize) -> f64 {
        let inner = &mut self.inner;
        let id = with_payload(len, |payload| inner.broadcast_text(kind, payload));
        self.number(id.map(id_number))
    }

    /// What the ids of this channel's own messages start with (`<epoch>-`; the sequence that
    /// `dispatch` and `broadcast` return completes them). Empty for a channel an engine numbers.
    #[wasm_bindgen(getter, js_name = idPrefix)]
    pub fn id_prefix(&self) -> String {
        match self.inner.config().numbering {
            Numbering::Local { epoch } => MessageId::prefix(epoch),
            Numbering::External => String::new(),
        }
    }

    /// The error of the last call that returned `FAILED` (once), or `undefined`.
    #[wasm_bindgen(js_name = takeError)]
    pub fn take_error(&mut self) -> JsValue {
        self.failure.take().unwrap_or(JsValue::UNDEFINED)
    }

    /// Takes entries an engine numbered, packed (`crate::pack::unpack_entry`), in log order.
    /// Returns one code per entry: 0 appended, 1 duplicate, 2 after a gap.
    #[wasm_bindgen(js_name = acceptEntries)]
    pub fn accept_entries(&mut self, entries: Vec<String>) -> Result<Vec<u8>, JsValue> {
        let mut codes = Vec::with_capacity(entries.len());
        for text in &entries {
            let entry = unpack_entry(text).ok_or_else(|| to_js(Error::format("a log entry is not in the packed format")))?;
            codes.push(self.inner.accept(entry).map_err(to_js)? as u8);
        }
        Ok(codes)
    }

    /// Checks a message before it goes to the engine; `target` must be a valid listener id.
    #[wasm_bindgen(js_name = checkOutgoing)]
    pub fn check_outgoing(&self, kind: &str, payload: &str, sender: Option<String>, target: Option<String>) -> Result<(), JsValue> {
        if let Some(target) = target.as_deref() {
            check_id(target).map_err(|why| to_js(Error::InvalidListener { listener: target.to_owned(), reason: why }))?;
        }
        self.inner.check_outgoing(kind, payload, sender.as_deref()).map_err(to_js)
    }

    /// Whether the channel's own history can replay after `last_event_id`.
    #[wasm_bindgen(js_name = canResume)]
    pub fn can_resume(&self, last_event_id: &str) -> bool {
        self.inner.can_resume(last_event_id)
    }

    /// Opens a stream whose replay comes from the engine's log (packed entries after
    /// `last_event_id`, and the log's tail id).
    #[wasm_bindgen(js_name = openStreamReplay)]
    pub fn open_stream_replay(
        &mut self,
        key: u32,
        last_event_id: &str,
        entries: Vec<String>,
        tail: Option<String>,
        now: f64,
    ) -> Result<(), JsValue> {
        let parsed: Option<Vec<_>> = entries.iter().map(|text| unpack_entry(text)).collect();
        let parsed = parsed.ok_or_else(|| to_js(Error::format("a log entry is not in the packed format")))?;
        let tail = tail.as_deref().and_then(MessageId::parse);
        self.inner.open_stream_replay(ListenerKey(key), last_event_id, &parsed, tail, now as u64).map_err(to_js)
    }

    /// Tells every open listener the engine is reachable (`up`) or not.
    #[wasm_bindgen(js_name = announceBackplane)]
    pub fn announce_backplane(&mut self, up: bool) -> Result<(), JsValue> {
        self.inner.announce_backplane(up).map_err(to_js)
    }

    /// Sets the last id without a message (a channel joining an engine's log).
    #[wasm_bindgen(js_name = setLastId)]
    pub fn set_last_id(&mut self, id: Option<String>) -> Result<(), JsValue> {
        let id = match id {
            Some(text) => Some(MessageId::parse(&text).ok_or_else(|| to_js(Error::format("ids are <number>-<number>")))?),
            None => None,
        };
        self.inner.set_last_id(id);
        Ok(())
    }

    /// The next delivery without taking it (`commit` takes it), as `delivery` says.
    /// `running`: honour stop/start (iterators); otherwise eric-sse's `deliver_next` (an empty
    /// queue fails with `NoMessagesError`).
    pub fn peek(&mut self, key: u32, running: bool) -> f64 {
        let next = self.inner.peek_next(ListenerKey(key), take_mode(running));
        self.delivery(next)
    }

    /// Takes the delivery `peek` showed (by its id; `undefined` for a notice) if still next.
    pub fn commit(&mut self, key: u32, id: Option<String>) {
        let id = id.as_deref().and_then(MessageId::parse);
        self.inner.commit_id(ListenerKey(key), id);
    }

    /// `peek` then `commit`.
    pub fn take(&mut self, key: u32, running: bool) -> f64 {
        let next = self.inner.take_next(ListenerKey(key), take_mode(running));
        self.delivery(next)
    }

    /// Opens a listener's stream (`retry:` and the replay after `last_event_id` come first).
    #[wasm_bindgen(js_name = openStream)]
    pub fn open_stream(&mut self, key: u32, last_event_id: Option<String>, now: f64) -> Result<(), JsValue> {
        self.inner.open_stream(ListenerKey(key), last_event_id.as_deref(), now as u64).map_err(to_js)
    }

    /// Polls a stream (see `poll_code`), or `FAILED` (see `takeError`); the bytes are at
    /// `outputAt()`.
    pub fn poll(&mut self, key: u32, now: f64, max_frames: u32) -> f64 {
        reuse(&mut self.out);
        let poll = self.inner.poll_stream(ListenerKey(key), now as u64, max_frames as usize, &mut self.out);
        self.number(poll.map(poll_code))
    }

    /// Room for `n` keys of parked streams: its address. JS writes the keys there and calls
    /// `rewait(n, now)` (no array is allocated or copied per call).
    #[wasm_bindgen(js_name = parkedBuffer)]
    pub fn parked_buffer(&mut self, n: usize) -> Result<usize, JsValue> {
        Ok(room(&mut self.parked, n).map_err(to_js)?.as_mut_ptr() as usize)
    }

    /// The readers of the first `n` streams of the parked buffer took a shared chunk and wait
    /// again (no poll); true when some were woken (flush then). See `Channel::rewait_streams`.
    pub fn rewait(&mut self, n: usize, now: f64) -> bool {
        let keys = self.parked.get(..n).unwrap_or_default();
        self.inner.rewait_streams(keys, now as u64)
    }

    /// The bytes of the last `poll`: their address in memory (`outputLen` of them), valid until
    /// the next call into the core. JS copies them out (a pooled Buffer in Node: far cheaper
    /// than a fresh ArrayBuffer for the small chunks most polls give).
    #[wasm_bindgen(js_name = outputAt)]
    pub fn output_at(&self) -> usize {
        self.out.as_ptr() as usize
    }

    /// How many bytes the last `poll` gave.
    #[wasm_bindgen(js_name = outputLen)]
    pub fn output_len(&self) -> usize {
        self.out.len()
    }

    /// What the stream would deliver now, as `delivery` says (`WAIT` for nothing); see
    /// `Channel::peek_stream`.
    #[wasm_bindgen(js_name = peekStream)]
    pub fn peek_stream(&mut self, key: u32, now: f64) -> f64 {
        let next = self.inner.peek_stream(ListenerKey(key), now as u64);
        self.delivery(next.map(|envelope| envelope.map_or(Next::Wait, Next::Delivery)))
    }

    /// Where the last delivery's text is (see `delivery`): its ASCII bytes, or its UTF-16 units.
    #[wasm_bindgen(js_name = deliveryAt)]
    pub fn delivery_at(&self, wide: bool) -> usize {
        if wide {
            self.wide.as_slice().as_ptr() as usize
        } else {
            self.packed.as_ptr() as usize
        }
    }

    /// Ends a stream, keeping its listener.
    #[wasm_bindgen(js_name = dropStream)]
    pub fn drop_stream(&mut self, key: u32) {
        self.inner.drop_stream(ListenerKey(key));
    }

    /// A stream's client is gone: removes its listener.
    #[wasm_bindgen(js_name = closeStream)]
    pub fn close_stream(&mut self, key: u32) {
        self.inner.close_stream(ListenerKey(key));
    }

    /// Runs a flush; returns how many words the woken keys take packed
    /// (`crate::pack::pack_flush`), which are at `keysAt()` until the next call into the core,
    /// or 0 when it woke nothing (most flushes after a broadcast nobody waited for).
    /// The shared chunk is at `sharedAt()`.
    pub fn flush(&mut self, now: f64) -> usize {
        reuse(&mut self.flush.shared);
        self.inner.flush(now as u64, &mut self.flush);
        if self.flush.is_empty() {
            self.keys.clear();
        } else {
            pack_flush(&self.flush, &mut self.keys);
        }
        self.keys.len()
    }

    /// Where the last `flush` put the woken keys.
    #[wasm_bindgen(js_name = keysAt)]
    pub fn keys_at(&self) -> usize {
        self.keys.as_ptr() as usize
    }

    /// The chunk the last `flush` gave every shared stream: its address (`sharedLen` bytes),
    /// valid until the next call into the core, as with `outputAt`.
    #[wasm_bindgen(js_name = sharedAt)]
    pub fn shared_at(&self) -> usize {
        self.flush.shared.as_ptr() as usize
    }

    /// The length of the last `flush`'s shared chunk.
    #[wasm_bindgen(js_name = sharedLen)]
    pub fn shared_len(&self) -> usize {
        self.flush.shared.len()
    }

    /// When to flush again for timers (ms), or -1.
    #[wasm_bindgen(js_name = nextTimeout)]
    pub fn next_timeout(&self) -> f64 {
        self.inner.next_timeout().map_or(-1.0, |t| t as f64)
    }

    /// Ends the channel.
    #[wasm_bindgen(js_name = notifyEnd)]
    pub fn notify_end(&mut self) {
        self.inner.notify_end();
    }

    /// True once ended.
    #[wasm_bindgen(getter)]
    pub fn ended(&self) -> bool {
        self.inner.is_ended()
    }

    /// The last message id, or `undefined`.
    #[wasm_bindgen(getter, js_name = lastId)]
    pub fn last_id(&self) -> Option<String> {
        self.inner.last_id().map(id_text)
    }
}

/// What `peek`, `take` and `peekStream` return when the consumer must wait, and at the end.
const WAIT: f64 = -1.0;
const END: f64 = -2.0;

impl RawChannel {
    /// A hot call's result as its number, or [`FAILED`] with the error kept for `takeError`.
    fn number(&mut self, result: Result<f64, Error>) -> f64 {
        result.unwrap_or_else(|error| {
            self.failure = Some(to_js(error));
            FAILED
        })
    }

    /// A delivery for JS: [`WAIT`], [`END`], [`FAILED`], or its packed text (`crate::pack`) at
    /// `deliveryAt(wide)`: `2n` for `n` ASCII bytes, `2n + 1` for `n` UTF-16 units (not ASCII:
    /// the core widens it with SIMD128, where JS's UTF-8 decoders take ~3 ns a byte for text
    /// that is not all ASCII).
    fn delivery(&mut self, next: Result<Next, Error>) -> f64 {
        let envelope = match next {
            Ok(Next::Delivery(envelope)) => envelope,
            Ok(Next::Wait) => return WAIT,
            Ok(Next::End) => return END,
            Err(error) => return self.number(Err(error)),
        };
        reuse(&mut self.packed);
        pack(&envelope, &mut self.packed);
        if self.packed.is_ascii() {
            return size(self.packed.len()) * 2.0;
        }
        reuse(&mut self.wide);
        widen(&self.packed, &mut self.wide);
        size(self.wide.len()) * 2.0 + 1.0
    }
}

thread_local! {
    /// Where JS writes the UTF-8 of the next payload to dispatch or broadcast (one buffer for
    /// every channel; see `RawChannel::payload_buffer`).
    static PAYLOAD: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A payload or output buffer larger than this is let go after use (the allocator reuses it).
const KEPT: usize = 1 << 20;

/// Grows a buffer JS writes into to at least `len` elements (zeroed, earlier ones kept); an
/// allocation the engine refuses is a MemoryLimitError, not a trap.
fn room<T: Copy + Default>(buffer: &mut Vec<T>, len: usize) -> Result<&mut Vec<T>, Error> {
    if buffer.len() < len {
        let more = len - buffer.len();
        buffer
            .try_reserve_exact(more)
            .map_err(|_| Error::OutOfMemory { needed: more.saturating_mul(std::mem::size_of::<T>()) })?;
        buffer.resize(len, T::default());
    }
    Ok(buffer)
}

/// An output buffer the binding fills again and again: [`reuse`] empties it.
trait Scratch: Default {
    fn allocated(&self) -> usize;
    fn empty(&mut self);
}

impl Scratch for Vec<u8> {
    fn allocated(&self) -> usize {
        self.capacity()
    }
    fn empty(&mut self) {
        self.clear();
    }
}

impl Scratch for String {
    fn allocated(&self) -> usize {
        self.capacity()
    }
    fn empty(&mut self) {
        self.clear();
    }
}

impl Scratch for Units {
    fn allocated(&self) -> usize {
        self.capacity()
    }
    fn empty(&mut self) {
        self.clear();
    }
}

/// Empties an output buffer for its next contents, letting go of a large one.
fn reuse<B: Scratch>(buffer: &mut B) {
    if buffer.allocated() > KEPT {
        *buffer = B::default();
    } else {
        buffer.empty();
    }
}

/// Runs `send` on the first `len` bytes of the payload buffer as text; returns the id it gives.
fn with_payload(len: usize, send: impl FnOnce(&str) -> Result<MessageId, Error>) -> Result<MessageId, Error> {
    PAYLOAD.with(|cell| {
        let mut buffer = cell.try_borrow_mut().map_err(|_| Error::format("the payload buffer is in use"))?;
        let sent = match buffer.get(..len).map(std::str::from_utf8) {
            Some(Ok(payload)) => send(payload),
            Some(Err(_)) => Err(Error::format("the payload is not UTF-8")),
            None => Err(Error::format("the payload is longer than its buffer")),
        };
        if buffer.capacity() > KEPT {
            *buffer = Vec::new();
        }
        sent
    })
}

fn take_mode(running: bool) -> Take {
    if running {
        Take::Running
    } else {
        Take::Any
    }
}

fn size(n: usize) -> f64 {
    if n == usize::MAX {
        f64::INFINITY
    } else {
        n as f64
    }
}
