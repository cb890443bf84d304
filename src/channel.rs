//! A channel: listeners, one bounded queue per listener, dispatch to one, broadcast to all,
//! ordered message ids, a replay history for `Last-Event-ID`, the end-of-stream notice, and the
//! state machine of every listener's stream and waiting consumer.
//!
//! Sans-IO: nothing here waits, sleeps or reads a clock. A driver (the JS layer, or a Rust
//! server) passes `now` in and gets bytes, "woken" listeners and deadlines out:
//! - a consumer that finds nothing ([`Channel::take_next`] → [`Next::Wait`], or
//!   [`Channel::poll_stream`] → [`StreamPoll::Pending`]) is marked waiting;
//! - every change that may let it progress (a message, the end, `start`, a deadline) queues it
//!   as woken; [`Channel::flush`] hands the woken listeners to the driver, and gives every woken
//!   stream whose pending frames are exactly the broadcasts since the last flush one shared
//!   chunk (so fan-out costs one encode and one buffer however many streams wait);
//! - [`Channel::next_timeout`] says when to call [`Channel::flush`] again for keep-alives and
//!   stream delays.
//!
//! Cost: a broadcast validates and encodes its frame once, then pushes one `Rc` per listener.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use crate::error::Error;
use crate::history::{History, Resume};
use crate::id::{check_id, MessageId};
use crate::listener::{Bounds, Lifecycle, ListenerState, Overflow, Shown};
use crate::message::{
    validate_kind, validate_sender, Envelope, Message, Parts, SignedMessage, BACKPLANE, CHANNEL_CLOSED,
    DROPPED, ERROR, REPLAY_GAP,
};
use crate::sse::{encode_into, Frame};
use crate::stream::{dropped_data, write_notice, Stream, StreamPoll, Timing};
use crate::text::push_display;

/// How a channel numbers its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// The channel assigns `epoch-1`, `epoch-2`, … The driver picks an epoch it never reuses
    /// for this channel id (the JS layer uses the time in milliseconds, kept increasing), so ids
    /// from an earlier lifetime of the channel are never taken for ids of this one.
    Local {
        /// The `major` of every id this channel assigns.
        epoch: u64,
    },
    /// An engine assigns the ids (a backplane); messages come in through [`Channel::accept`].
    External,
}

/// A channel's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Sent as `retry:` at the start of every stream. Default 5000.
    pub retry_ms: u64,
    /// Pause between two deliveries on a stream (eric-sse's `stream_delay_seconds`). Default 0.
    pub stream_delay_ms: u64,
    /// A `: keep-alive` comment is sent after this much silence on a stream; 0 disables.
    /// Default 15000.
    pub keep_alive_ms: u64,
    /// The first keep-alive of a stream that has sent nothing since it opened goes out after
    /// at most this long (a write is how some runtimes find a client that left). 0: the same as
    /// `keep_alive_ms`. Default 1000.
    pub first_keep_alive_ms: u64,
    /// How many recent messages are kept for `Last-Event-ID` replay. Default 256.
    pub history_size: usize,
    /// How many bytes of recent messages are kept for replay. Default 8 MiB.
    pub history_bytes: usize,
    /// Per-listener queue cap in messages (at least 1). Default 10000.
    pub max_queue: usize,
    /// Per-listener queue cap in bytes. Default 8 MiB.
    pub max_queue_bytes: usize,
    /// The largest payload accepted, in bytes. Default 4 MiB.
    pub max_message_bytes: usize,
    /// What a full queue does. Default [`Overflow::Disconnect`].
    pub overflow: Overflow,
    /// How message ids are assigned. Default `Local { epoch: 0 }`.
    pub numbering: Numbering,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            retry_ms: 5000,
            stream_delay_ms: 0,
            keep_alive_ms: 15000,
            first_keep_alive_ms: 1000,
            history_size: 256,
            history_bytes: 8 << 20,
            max_queue: 10_000,
            max_queue_bytes: 8 << 20,
            max_message_bytes: 4 << 20,
            overflow: Overflow::Disconnect,
            numbering: Numbering::Local { epoch: 0 },
        }
    }
}

/// The numeric options by their JS names, in the order drivers read them.
pub const NUMBER_OPTIONS: [&str; 9] = [
    "retryMs",
    "streamDelayMs",
    "keepAliveMs",
    "firstKeepAliveMs",
    "historySize",
    "historyBytes",
    "maxQueue",
    "maxQueueBytes",
    "maxMessageBytes",
];

impl ChannelConfig {
    /// Sets the numeric option called `name` in the JS API ([`NUMBER_OPTIONS`]). Times are
    /// whole milliseconds; sizes and counts are whole numbers or `Infinity` (no limit);
    /// `maxQueue` is at least 1. Unknown names are ignored.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for a value out of its kind or range.
    pub fn set_number(&mut self, name: &str, value: f64) -> Result<(), Error> {
        let Some(&name) = NUMBER_OPTIONS.iter().find(|n| **n == name) else { return Ok(()) };
        let is_size = !name.ends_with("Ms");
        let whole = if value == f64::INFINITY && is_size {
            u64::MAX
        } else if value >= 0.0 && value.fract() == 0.0 && value <= 9_007_199_254_740_991.0 {
            value as u64
        } else if is_size {
            return Err(Error::InvalidOption { name, reason: "a non-negative integer or Infinity" });
        } else {
            return Err(Error::InvalidOption { name, reason: "a non-negative integer (milliseconds)" });
        };
        let size = usize::try_from(whole).unwrap_or(usize::MAX);
        match name {
            "retryMs" => self.retry_ms = whole,
            "streamDelayMs" => self.stream_delay_ms = whole,
            "keepAliveMs" => self.keep_alive_ms = whole,
            "firstKeepAliveMs" => self.first_keep_alive_ms = whole,
            "historySize" => self.history_size = size,
            "historyBytes" => self.history_bytes = size,
            "maxQueue" if size == 0 => {
                return Err(Error::InvalidOption { name, reason: "at least 1 (or Infinity)" })
            }
            "maxQueue" => self.max_queue = size,
            "maxQueueBytes" => self.max_queue_bytes = size,
            _ => self.max_message_bytes = size,
        }
        Ok(())
    }

    /// Sets the overflow policy by its JS name (`"disconnect"`, `"drop-oldest"`, `"error"`).
    ///
    /// # Errors
    /// [`Error::InvalidOption`] for another name.
    pub fn set_overflow(&mut self, name: &str) -> Result<(), Error> {
        self.overflow = Overflow::from_name(name).ok_or(Error::InvalidOption {
            name: "overflow",
            reason: "\"disconnect\", \"drop-oldest\" or \"error\"",
        })?;
        Ok(())
    }
}

/// A handle to a listener in one channel. Keys are not reused while the listener lives, so a
/// stale key fails cleanly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListenerKey(pub u32);

/// How [`Channel::take_next`] and [`Channel::peek_next`] read a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// eric-sse's `deliver_next`: the head of the queue whether the listener runs or not; an
    /// empty queue is [`Error::NoMessages`].
    Any,
    /// A waiting consumer (an iterator, an action listener): nothing while the listener is
    /// stopped; `start`/`stop` messages toggle an action listener; an empty queue marks the
    /// listener waiting ([`Next::Wait`]).
    Running,
}

/// What a consumer gets next.
#[derive(Debug, Clone)]
pub enum Next {
    /// A delivery (a message, or one of the library's notices).
    Delivery(Rc<Envelope>),
    /// Nothing now: the listener is marked waiting and will be listed as woken.
    Wait,
    /// The channel ended and everything was delivered.
    End,
}

/// A message whose id an engine assigned, for [`Channel::accept`].
#[derive(Debug, Clone, Copy)]
pub struct External<'a> {
    /// The engine's id.
    pub id: MessageId,
    /// The id the engine holds before it (`None` for the first message of its log).
    pub prev: Option<MessageId>,
    /// The message type (a user type, or `_eric_error`).
    pub kind: &'a str,
    /// The payload text.
    pub payload: &'a str,
    /// The sending listener, for signed messages.
    pub sender_id: Option<&'a str>,
    /// The listener it was dispatched to; `None` for broadcasts.
    pub target: Option<&'a str>,
}

/// What [`Channel::accept`] did with an engine's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// It follows the last message: queued and kept.
    Appended,
    /// Its id is not after the last one: already held, ignored.
    Duplicate,
    /// It does not follow the last message (the engine lost or trimmed what was between):
    /// open listeners got an `_eric_replay_gap` notice before it, and a resume from an id
    /// before it is reported as a gap too.
    AfterGap,
}

/// What [`Channel::flush`] hands the driver.
#[derive(Debug, Default)]
pub struct Flush {
    /// One chunk for every stream in `shared_keys`: the frames broadcast since the last flush.
    pub shared: Vec<u8>,
    /// Streams whose reader waited and that got `shared` (their queues are drained).
    pub shared_keys: Vec<ListenerKey>,
    /// Streams whose reader waits and that may progress: poll them.
    pub streams: Vec<ListenerKey>,
    /// Listeners whose waiting consumer may progress: let it take again.
    pub consumers: Vec<ListenerKey>,
}

impl Flush {
    /// True when nothing was woken.
    pub fn is_empty(&self) -> bool {
        self.shared_keys.is_empty() && self.streams.is_empty() && self.consumers.is_empty()
    }

    fn clear(&mut self) {
        self.shared.clear();
        self.shared_keys.clear();
        self.streams.clear();
        self.consumers.clear();
    }
}

/// The hasher of the listener map. Its keys are the channel's own sequence numbers, never chosen
/// by a client, so no keyed hash is needed (SipHash would cost on every per-listener lookup:
/// poll, rewait, flush). The low 25 bits of the hash are the key itself, so the table places
/// keys in key order (modulo its size) and a pass over it walks the listeners in the order they
/// were registered, as [`Channel::flush`] hands them out; the top 7 bits of each 32-bit half,
/// which the table keeps as a tag to tell entries of a group apart, come from a multiplicative
/// (Fibonacci) hash of the key.
#[derive(Default)]
struct KeyHasher(u64);

/// The bits of [`KeyHasher`]'s hash that come from the mixed key (hashbrown's tag is the top 7
/// bits of the hash's low 32 bits on 32-bit targets and of all 64 on 64-bit ones).
const TAG_BITS: u64 = 0xFE00_0000_FE00_0000;

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u32(u32::from(byte) ^ (self.0 as u32).rotate_left(8));
        }
    }

    fn write_u32(&mut self, n: u32) {
        let mixed = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = (mixed & TAG_BITS) | (u64::from(n) & !TAG_BITS);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A channel; see the module documentation.
#[derive(Debug)]
pub struct Channel {
    id: String,
    config: ChannelConfig,
    next_seq: u64,
    last_id: Option<MessageId>,
    next_key: u32,
    next_generated: u64,
    listeners: HashMap<u32, ListenerState, BuildHasherDefault<KeyHasher>>,
    keys: HashMap<Rc<str>, u32>,
    history: History,
    ended: bool,
    /// Listeners queued for the next flush (each at most once: `woken_mark`).
    woken: Vec<u32>,
    /// `sort_keys`'s second buffer, kept between flushes.
    sort_scratch: Vec<u32>,
    /// The broadcasts since the last flush, while they can still be one shared chunk.
    batch: Vec<Rc<Envelope>>,
    batch_valid: bool,
}

impl Channel {
    /// A channel with id `id`. `max_queue` is raised to at least 1.
    pub fn new(id: impl Into<String>, mut config: ChannelConfig) -> Self {
        config.max_queue = config.max_queue.max(1);
        let history = History::new(config.history_size, config.history_bytes);
        Channel {
            id: id.into(),
            config,
            next_seq: 1,
            last_id: None,
            next_key: 0,
            next_generated: 1,
            listeners: HashMap::default(),
            keys: HashMap::new(),
            history,
            ended: false,
            woken: Vec::new(),
            sort_scratch: Vec::new(),
            batch: Vec::new(),
            batch_valid: true,
        }
    }

    /// The channel's id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The settings in force.
    pub fn config(&self) -> &ChannelConfig {
        &self.config
    }
    /// True once [`Channel::notify_end`] was called.
    pub fn is_ended(&self) -> bool {
        self.ended
    }
    /// How many listeners are registered.
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }
    /// The registered listeners' ids, in no particular order.
    pub fn listener_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(|k| &**k)
    }
    /// The id of the last message the channel numbered or accepted.
    pub fn last_id(&self) -> Option<MessageId> {
        self.last_id
    }

    /// Adds a running listener with a generated id (`listener-<n>`, skipping taken ids).
    ///
    /// # Errors
    /// [`Error::MemoryLimit`] past the memory budget.
    pub fn add_listener(&mut self) -> Result<ListenerKey, Error> {
        loop {
            let mut id = String::from("listener-");
            push_display(&mut id, self.next_generated);
            self.next_generated = self.next_generated.wrapping_add(1);
            if !self.keys.contains_key(id.as_str()) {
                return self.register_listener(&id);
            }
        }
    }

    /// Registers a running listener under `id`. A listener registered after the end is ended.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an id that breaks [`check_id`], [`Error::ListenerExists`]
    /// for a taken one, [`Error::MemoryLimit`] past the memory budget.
    pub fn register_listener(&mut self, id: &str) -> Result<ListenerKey, Error> {
        check_id(id).map_err(|reason| invalid_listener(id, reason))?;
        if self.keys.contains_key(id) {
            return Err(Error::ListenerExists { listener: id.to_owned() });
        }
        while self.listeners.contains_key(&self.next_key) {
            self.next_key = self.next_key.wrapping_add(1);
        }
        let key = self.next_key;
        let id: Rc<str> = Rc::from(id);
        let lifecycle = if self.ended { Lifecycle::Ended } else { Lifecycle::Open };
        let state = ListenerState::new(Rc::clone(&id), lifecycle)?;
        self.next_key = self.next_key.wrapping_add(1);
        self.listeners.insert(key, state);
        self.keys.insert(id, key);
        Ok(ListenerKey(key))
    }

    /// Removes the listener, its queue and its stream.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key.
    pub fn remove_listener(&mut self, key: ListenerKey) -> Result<(), Error> {
        let state = self.listeners.remove(&key.0).ok_or_else(|| unknown_key(key))?;
        self.keys.remove(&state.id);
        Ok(())
    }

    /// The key of the listener registered as `id`.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] when none is.
    pub fn listener_key(&self, id: &str) -> Result<ListenerKey, Error> {
        self.keys
            .get(id)
            .map(|k| ListenerKey(*k))
            .ok_or_else(|| invalid_listener(id, "no such listener in this channel"))
    }

    /// The id of the listener `key`.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key.
    pub fn listener_id(&self, key: ListenerKey) -> Result<&str, Error> {
        Ok(&self.listener(key)?.id)
    }

    /// Resumes delivery to the listener's stream and waiting consumers.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key.
    pub fn start(&mut self, key: ListenerKey) -> Result<(), Error> {
        self.listener_mut(key)?.running = true;
        self.wake(key.0);
        Ok(())
    }
    /// Pauses delivery to the listener's stream and waiting consumers; messages keep queueing
    /// (bounded by the queue limits). `deliver_next` ignores it, as in eric-sse.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key.
    pub fn stop(&mut self, key: ListenerKey) -> Result<(), Error> {
        self.listener_mut(key)?.running = false;
        Ok(())
    }
    /// Whether the listener runs.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key.
    pub fn is_running(&self, key: ListenerKey) -> Result<bool, Error> {
        Ok(self.listener(key)?.running)
    }
    /// Messages waiting in the listener's queue.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key.
    pub fn queued(&self, key: ListenerKey) -> Result<usize, Error> {
        Ok(self.listener(key)?.queue.len())
    }
    /// Where the listener is in its life (open, overflowed, ended).
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key.
    pub fn lifecycle(&self, key: ListenerKey) -> Result<Lifecycle, Error> {
        Ok(self.listener(key)?.lifecycle)
    }
    /// Says whether the driver runs a hook before each delivery of this listener (deliveries
    /// then go one at a time, never in a shared chunk).
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key.
    pub fn set_hooked(&mut self, key: ListenerKey, hooked: bool) -> Result<(), Error> {
        self.listener_mut(key)?.hooked = hooked;
        Ok(())
    }
    /// Makes the listener an action listener: with [`Take::Running`], `start` and `stop`
    /// messages toggle it instead of being delivered, and are seen even while it is stopped
    /// (other messages wait, in order).
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key.
    pub fn set_actions(&mut self, key: ListenerKey, actions: bool) -> Result<(), Error> {
        self.listener_mut(key)?.actions = actions;
        Ok(())
    }

    /// Queues `message` for one listener and returns its id.
    ///
    /// # Errors
    /// [`Error::ChannelClosed`] after the end; [`Error::InvalidListener`] for an unknown key;
    /// [`Error::InvalidMessageFormat`] for a bad type; [`Error::PayloadTooLarge`];
    /// [`Error::QueueOverflow`] when the listener's queue is full (policy `error`) or it was
    /// cut off; [`Error::MemoryLimit`]. Nothing changes and no id is used on error.
    pub fn dispatch(&mut self, key: ListenerKey, message: Message) -> Result<MessageId, Error> {
        self.dispatch_text(key, &message.kind, &message.payload, None)
    }

    /// Like [`Channel::dispatch`], for a message that names its sender.
    ///
    /// # Errors
    /// Those of [`Channel::dispatch`], and [`Error::InvalidMessageFormat`] for a sender id that
    /// breaks the listener id rules.
    pub fn dispatch_signed(&mut self, key: ListenerKey, signed: SignedMessage) -> Result<MessageId, Error> {
        self.dispatch_text(key, &signed.message.kind, &signed.message.payload, Some(&signed.sender_id))
    }

    /// [`Channel::dispatch`] (or, with a sender, [`Channel::dispatch_signed`]) of a message given
    /// by its parts, for a driver that holds them in a buffer of its own.
    ///
    /// # Errors
    /// Those of [`Channel::dispatch_signed`].
    pub fn dispatch_text(&mut self, key: ListenerKey, kind: &str, payload: &str, sender_id: Option<&str>) -> Result<MessageId, Error> {
        validate_kind(kind)?;
        if let Some(sender_id) = sender_id {
            validate_sender(sender_id)?;
        }
        self.dispatch_parts(key, kind, payload, sender_id)
    }

    /// Queues an `_eric_error` reply from `sender_id` (a reserved type users cannot send): how
    /// an action listener reports a failed action to the listener that asked.
    ///
    /// # Errors
    /// Those of [`Channel::dispatch_signed`].
    pub fn dispatch_error(&mut self, key: ListenerKey, sender_id: &str, payload: &str) -> Result<MessageId, Error> {
        validate_sender(sender_id)?;
        self.dispatch_parts(key, ERROR, payload, Some(sender_id))
    }

    fn dispatch_parts(
        &mut self,
        key: ListenerKey,
        kind: &str,
        payload: &str,
        sender_id: Option<&str>,
    ) -> Result<MessageId, Error> {
        let id = self.next_local_id()?;
        self.check_payload(payload)?;
        let target = Rc::clone(&self.listener(key)?.id);
        let envelope = Envelope::build(Parts {
            id: Some(id),
            prev: self.last_id,
            kind,
            payload,
            sender_id,
            target: Some(target),
        })?;
        let (bounds, policy) = (self.bounds(), self.config.overflow);
        let listener = self.listener_mut(key)?;
        if listener.lifecycle == Lifecycle::Overflowed
            || (policy == Overflow::Error && !listener.fits(&envelope, bounds))
        {
            return Err(listener.overflow_error(bounds));
        }
        let envelope = Rc::new(envelope);
        let queued = listener.enqueue(&envelope, bounds, policy);
        // Woken either way: a listener cut off here has a stream to close.
        self.wake(key.0);
        if !queued {
            return Err(self.listener(key)?.overflow_error(bounds));
        }
        self.keep(&envelope);
        Ok(id)
    }

    /// Queues `message` for every open listener and returns its id. The frame is encoded once.
    ///
    /// # Errors
    /// [`Error::ChannelClosed`] after the end; [`Error::InvalidMessageFormat`];
    /// [`Error::PayloadTooLarge`]; [`Error::QueueOverflow`] when a queue is full under policy
    /// `error` (then nothing is queued anywhere); [`Error::MemoryLimit`]. Nothing changes and no
    /// id is used on error.
    pub fn broadcast(&mut self, message: Message) -> Result<MessageId, Error> {
        self.broadcast_text(&message.kind, &message.payload)
    }

    /// [`Channel::broadcast`] of a message given by its parts.
    ///
    /// # Errors
    /// Those of [`Channel::broadcast`].
    pub fn broadcast_text(&mut self, kind: &str, payload: &str) -> Result<MessageId, Error> {
        validate_kind(kind)?;
        let id = self.next_local_id()?;
        self.check_payload(payload)?;
        let envelope = Rc::new(Envelope::build(Parts {
            id: Some(id),
            prev: self.last_id,
            kind,
            payload,
            sender_id: None,
            target: None,
        })?);
        if self.config.overflow == Overflow::Error {
            let bounds = self.bounds();
            let full = self.listeners.values().find(|l| l.lifecycle == Lifecycle::Open && !l.fits(&envelope, bounds));
            if let Some(listener) = full {
                return Err(listener.overflow_error(bounds));
            }
        }
        self.fan_out(&envelope);
        self.keep(&envelope);
        Ok(id)
    }

    /// Takes a message whose id an engine assigned (a channel on a backplane). Messages are
    /// expected in the engine's order; one whose `prev` is not the last accepted id follows a
    /// gap, which open listeners are told about before it.
    ///
    /// With policy `error` a full queue cannot refuse what the engine already holds: the
    /// listener is cut off as with `disconnect`.
    ///
    /// # Errors
    /// [`Error::ChannelClosed`] after the end; [`Error::InvalidMessageFormat`] for a type that
    /// is neither a user type nor `_eric_error`, or a bad sender; [`Error::MemoryLimit`].
    pub fn accept(&mut self, message: External<'_>) -> Result<Accepted, Error> {
        self.check_open()?;
        if self.last_id.is_some_and(|last| message.id <= last) {
            return Ok(Accepted::Duplicate);
        }
        if message.kind == CHANNEL_CLOSED {
            // The engine's end marker: the channel was removed everywhere.
            self.last_id = Some(message.id);
            self.notify_end();
            return Ok(Accepted::Appended);
        }
        if message.kind != ERROR {
            validate_kind(message.kind)?;
        }
        if let Some(sender) = message.sender_id {
            validate_sender(sender)?;
        }
        let target = match message.target {
            Some(t) => Some(self.keys.get_key_value(t).map_or_else(|| Rc::from(t), |(k, _)| Rc::clone(k))),
            None => None,
        };
        let gap = self.last_id.is_some() && message.prev != self.last_id;
        let envelope = Rc::new(Envelope::build(Parts {
            id: Some(message.id),
            prev: message.prev,
            kind: message.kind,
            payload: message.payload,
            sender_id: message.sender_id,
            target,
        })?);
        if gap {
            let notice = Rc::new(Envelope::notice(REPLAY_GAP, &gap_data(Some(message.id)))?);
            self.fan_out(&notice);
        }
        match envelope.target().and_then(|t| self.keys.get(t)).copied() {
            Some(key) => {
                let (bounds, policy) = (self.bounds(), self.config.overflow);
                if let Ok(listener) = self.listener_mut(ListenerKey(key)) {
                    if listener.lifecycle == Lifecycle::Open {
                        listener.enqueue(&envelope, bounds, policy);
                    }
                }
                self.wake(key);
            }
            None if envelope.target().is_none() => self.fan_out(&envelope),
            None => {}
        }
        self.history.push(&envelope, gap);
        self.last_id = Some(message.id);
        Ok(if gap { Accepted::AfterGap } else { Accepted::Appended })
    }

    /// Tells every open listener whether the engine behind this channel is reachable
    /// (an `_eric_backplane` notice, `{"state":"up"}` or `{"state":"down"}`).
    ///
    /// # Errors
    /// [`Error::MemoryLimit`] when the notice cannot be built.
    pub fn announce_backplane(&mut self, up: bool) -> Result<(), Error> {
        let data = if up { "{\"state\":\"up\"}" } else { "{\"state\":\"down\"}" };
        let notice = Rc::new(Envelope::notice(BACKPLANE, data)?);
        self.fan_out(&notice);
        Ok(())
    }

    /// Checks a message before it is handed to an engine (a channel on a backplane): the same
    /// rules as [`Channel::broadcast`] and [`Channel::dispatch_signed`] apply, so a message the
    /// replicas would refuse never reaches the log.
    ///
    /// # Errors
    /// [`Error::ChannelClosed`], [`Error::InvalidMessageFormat`], [`Error::PayloadTooLarge`].
    pub fn check_outgoing(&self, kind: &str, payload: &str, sender_id: Option<&str>) -> Result<(), Error> {
        self.check_open()?;
        validate_kind(kind)?;
        if let Some(sender) = sender_id {
            validate_sender(sender)?;
        }
        self.check_payload(payload)
    }

    /// Sets the last id without a message: where a channel joining an engine's log starts, so
    /// the first message accepted is checked for continuity.
    pub fn set_last_id(&mut self, id: Option<MessageId>) {
        self.last_id = id;
    }

    /// Queues `envelope` for every open listener and wakes the waiting ones.
    fn fan_out(&mut self, envelope: &Rc<Envelope>) {
        let (bounds, policy) = (self.bounds(), self.config.overflow);
        let mut woken = std::mem::take(&mut self.woken);
        let mut streams_wait = false;
        for (key, listener) in &mut self.listeners {
            if listener.lifecycle == Lifecycle::Open {
                listener.enqueue(envelope, bounds, policy);
                streams_wait |= listener.stream.as_ref().is_some_and(|s| s.waiting);
                mark_woken(&mut woken, *key, listener);
            }
        }
        self.woken = woken;
        if !streams_wait {
            // A stream that starts waiting later has drained this already.
            self.batch.clear();
            self.batch_valid = true;
        } else if self.batch_valid && envelope.is_user() && self.batch.len() < bounds.messages {
            self.batch.push(Rc::clone(envelope));
        } else {
            self.batch_valid = false;
            self.batch.clear();
        }
    }

    /// Keeps a numbered envelope for replay and records its id as the last.
    fn keep(&mut self, envelope: &Rc<Envelope>) {
        self.history.push(envelope, false);
        if let Some(id) = envelope.id() {
            self.last_id = Some(id);
            self.next_seq = id.minor.saturating_add(1);
        }
    }

    fn next_local_id(&self) -> Result<MessageId, Error> {
        self.check_open()?;
        match self.config.numbering {
            Numbering::Local { epoch } => Ok(MessageId::new(epoch, self.next_seq)),
            Numbering::External => Err(Error::format(
                "this channel's ids come from its backplane: publish through it",
            )),
        }
    }

    fn check_payload(&self, payload: &str) -> Result<(), Error> {
        self.check_payload_len(payload.len())
    }

    /// Whether a payload of `len` UTF-8 bytes is within `maxMessageBytes` (a driver asks before
    /// it encodes a payload: a text of `n` UTF-16 units takes at least `n` bytes).
    ///
    /// # Errors
    /// [`Error::PayloadTooLarge`] when it is over.
    pub fn check_payload_len(&self, len: usize) -> Result<(), Error> {
        if len > self.config.max_message_bytes {
            return Err(Error::PayloadTooLarge { limit: self.config.max_message_bytes });
        }
        Ok(())
    }

    /// The next delivery for `key` without taking it (a driver runs a hook on it first, then
    /// calls [`Channel::commit`]). With [`Take::Running`], `start`/`stop` messages of an action
    /// listener are applied and removed on the way. A queued message it shows is in delivery
    /// while it stays the head: it counts outside the queue's bounds and `drop-oldest` spares it
    /// (what a hook sends to its own listener must not drop the message the hook runs for).
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key; with [`Take::Any`], [`Error::NoMessages`]
    /// for an empty queue; [`Error::QueueOverflow`] once a cut-off listener is drained;
    /// [`Error::MemoryLimit`] when a notice cannot be built.
    pub fn peek_next(&mut self, key: ListenerKey, take: Take) -> Result<Next, Error> {
        let bounds = self.bounds();
        let listener = self.listener_mut(key)?;
        if take == Take::Running {
            if listener.actions {
                apply_controls(listener);
            }
            if !listener.running {
                // Stopped with nothing left and nothing to come: it ends as a running one would
                // (notifyEnd ends every iterator).
                if listener.is_done() {
                    if listener.lifecycle == Lifecycle::Overflowed {
                        return Err(listener.overflow_error(bounds));
                    }
                    return Ok(Next::End);
                }
                listener.waiting = true;
                return Ok(Next::Wait);
            }
        }
        if listener.dropped > 0 {
            let notice = Rc::new(Envelope::notice(DROPPED, &dropped_data(listener.dropped))?);
            listener.shown = Shown::Dropped { through: listener.dropped_total };
            return Ok(Next::Delivery(notice));
        }
        if let Some(envelope) = listener.queue.front().cloned() {
            listener.held = Rc::downgrade(&envelope);
            listener.shown =
                if envelope.is_user() { Shown::Message } else { Shown::Notice(Rc::downgrade(&envelope)) };
            return Ok(Next::Delivery(envelope));
        }
        if listener.lifecycle == Lifecycle::Overflowed {
            return Err(listener.overflow_error(bounds));
        }
        match take {
            Take::Any => Err(Error::NoMessages { listener: String::from(&*listener.id) }),
            Take::Running if listener.lifecycle == Lifecycle::Ended => Ok(Next::End),
            Take::Running => {
                listener.waiting = true;
                Ok(Next::Wait)
            }
        }
    }

    /// Takes what [`Channel::peek_next`] showed, if it is still next. Does nothing when the
    /// listener is gone (a hook removed it) or the delivery was taken meanwhile.
    pub fn commit(&mut self, key: ListenerKey, delivery: &Envelope) {
        self.commit_id(key, delivery.id());
    }

    /// [`Channel::commit`] by the delivery's id: the message with id `id` if it is at the head
    /// of the queue; or (`None`) the notice the last [`Channel::peek_next`] showed: an
    /// `_eric_dropped` notice reports the drops it counted (any counted since stay pending for
    /// the next one), a queued notice is taken if it is still at the head. A notice is
    /// committed once.
    pub fn commit_id(&mut self, key: ListenerKey, id: Option<MessageId>) {
        let Ok(listener) = self.listener_mut(key) else { return };
        match id {
            None => listener.commit_shown(),
            Some(id) if listener.queue.front().is_some_and(|e| e.id() == Some(id)) => {
                listener.pop();
            }
            Some(_) => {}
        }
    }

    /// Takes the next delivery: [`Channel::peek_next`] then [`Channel::commit`].
    ///
    /// # Errors
    /// Those of [`Channel::peek_next`].
    pub fn take_next(&mut self, key: ListenerKey, take: Take) -> Result<Next, Error> {
        let next = self.peek_next(key, take)?;
        if let Next::Delivery(envelope) = &next {
            self.commit(key, envelope);
        }
        Ok(next)
    }

    /// eric-sse's `deliver_next`: takes the head of the queue, FIFO.
    ///
    /// # Errors
    /// [`Error::NoMessages`] for an empty queue, [`Error::QueueOverflow`] once a cut-off
    /// listener has received everything it had queued, [`Error::InvalidListener`].
    pub fn deliver_next(&mut self, key: ListenerKey) -> Result<Rc<Envelope>, Error> {
        match self.take_next(key, Take::Any)? {
            Next::Delivery(envelope) => Ok(envelope),
            Next::Wait | Next::End => Err(Error::NoMessages { listener: String::from(&*self.listener(key)?.id) }),
        }
    }

    /// Opens the listener's stream: its first poll sends `retry:` and, given a `Last-Event-ID`,
    /// the replay.
    ///
    /// Replay sends, in id order, the kept history for this listener after `last_event_id`
    /// merged with its queue, nothing twice. When continuity from that id cannot be proven (it
    /// is older than the history, malformed, from another lifetime of the channel, or what
    /// follows it crosses a gap in an engine's log) it sends an `_eric_replay_gap` notice
    /// (`{"oldestId": "…"}`) and everything kept for the listener.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key or a listener that already streams.
    pub fn open_stream(&mut self, key: ListenerKey, last_event_id: Option<&str>, now: u64) -> Result<(), Error> {
        if self.listener(key)?.stream.is_some() {
            return Err(invalid_listener(self.listener_id(key)?, "already has an open stream"));
        }
        let mut opening = Vec::new();
        encode_into(&mut opening, &Frame { retry: Some(self.config.retry_ms), ..Frame::default() })?;
        if let Some(last) = last_event_id {
            self.replay(key, last, &mut opening)?;
        }
        let listener = self.listener_mut(key)?;
        // What this stream's client has is what this replay gave it: nothing accepted from now
        // on is skipped for it (an earlier stream's replay from an engine may have set a mark).
        listener.replayed_through = None;
        listener.stream = Some(Stream::new(opening, now));
        Ok(())
    }

    /// Whether this channel's own history proves continuity after `last_event_id` (else a
    /// driver on a backplane reads the engine's log: [`Channel::open_stream_replay`]).
    pub fn can_resume(&self, last_event_id: &str) -> bool {
        MessageId::parse(last_event_id).is_some_and(|last| self.history.resume(last, self.last_id) != Resume::Gap)
    }

    /// Opens the listener's stream with a replay read from an engine's log: `entries` are the
    /// log's entries after `last_event_id` in order, `tail` the log's last id. The replay is
    /// continuous when the first entry's predecessor (or, with no entries, the tail) is
    /// `last_event_id`; otherwise an `_eric_replay_gap` notice comes first. Entries for other
    /// listeners are skipped, and the listener's queue is merged in, nothing twice.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key or a listener that already streams;
    /// [`Error::InvalidMessageFormat`] for an entry that could not be a message;
    /// [`Error::MemoryLimit`].
    pub fn open_stream_replay(
        &mut self,
        key: ListenerKey,
        last_event_id: &str,
        entries: &[External<'_>],
        tail: Option<MessageId>,
        now: u64,
    ) -> Result<(), Error> {
        let id = Rc::clone(&self.listener(key)?.id);
        if self.listener(key)?.stream.is_some() {
            return Err(invalid_listener(&id, "already has an open stream"));
        }
        let last = MessageId::parse(last_event_id);
        let continuous = last.is_some() && entries.first().map_or(tail == last, |e| e.prev == last);
        let mut replayed = Vec::new();
        for entry in entries.iter().filter(|e| e.target.is_none_or(|t| t == &*id) && e.kind != CHANNEL_CLOSED) {
            replayed.push(Rc::new(Envelope::build(Parts {
                id: Some(entry.id),
                prev: entry.prev,
                kind: entry.kind,
                payload: entry.payload,
                sender_id: entry.sender_id,
                target: entry.target.map(|_| Rc::clone(&id)),
            })?));
        }
        let mut opening = Vec::new();
        encode_into(&mut opening, &Frame { retry: Some(self.config.retry_ms), ..Frame::default() })?;
        if !continuous {
            write_notice(&mut opening, REPLAY_GAP, &gap_data(entries.first().map(|e| e.id)))?;
        }
        let after = if continuous { last } else { None };
        // The client's id counts only when the replay continues from it: an id the log never
        // had (ahead of the tail, or from a log the engine lost) covers nothing to come.
        let through = [after, tail, entries.last().map(|e| e.id)].into_iter().flatten().max();
        let listener = self.listener_mut(key)?;
        // As `replay`: the queue's messages after `after`, and its `_eric_backplane` notices.
        let queued = listener.queue.iter().filter(|e| match e.id() {
            Some(id) => after.is_none_or(|a| id > a),
            None => e.kind() == BACKPLANE,
        });
        merge_by_id(replayed.iter(), queued, |envelope| opening.extend_from_slice(envelope.frame()));
        listener.clear();
        // This replica may still be behind the engine: what it accepts later up to here, the
        // client already has.
        listener.replayed_through = through;
        listener.stream = Some(Stream::new(opening, now));
        Ok(())
    }

    fn replay(&mut self, key: ListenerKey, last: &str, out: &mut Vec<u8>) -> Result<(), Error> {
        let last = MessageId::parse(last);
        let resume = match last {
            Some(last) => self.history.resume(last, self.last_id),
            None => Resume::Gap,
        };
        if resume == Resume::Gap {
            write_notice(out, REPLAY_GAP, &gap_data(self.history.oldest_id()))?;
        }
        let from = match resume {
            Resume::UpToDate => None,
            Resume::From(index) => Some(index),
            Resume::Gap => Some(0),
        };
        let after = if resume == Resume::Gap { None } else { last };
        let history = &self.history;
        let listener = self.listeners.get_mut(&key.0).ok_or_else(|| unknown_key(key))?;
        let kept: Vec<&Rc<Envelope>> = match from {
            Some(from) => history.from(from).filter(|e| e.is_for(&listener.id)).collect(),
            None => Vec::new(),
        };
        // The queue's messages after `last`, and its `_eric_backplane` notices (the engine's
        // state is news to this client; a dropped count or a gap notice is superseded by the
        // replay, which resends or announces the same messages).
        let queued = listener.queue.iter().filter(|e| match e.id() {
            Some(id) => after.is_none_or(|a| id > a),
            None => e.kind() == BACKPLANE,
        });
        merge_by_id(kept.into_iter(), queued, |envelope| out.extend_from_slice(envelope.frame()));
        listener.clear();
        Ok(())
    }

    /// One poll of the listener's stream when its reader waits; see [`StreamPoll`]. Appends to
    /// `out`. On [`StreamPoll::Finished`] the listener has been removed.
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key or a listener without a stream.
    pub fn poll_stream(
        &mut self,
        key: ListenerKey,
        now: u64,
        max_frames: usize,
        out: &mut Vec<u8>,
    ) -> Result<StreamPoll, Error> {
        let timing = self.timing();
        let listener = self.listener_mut(key)?;
        let poll = listener.poll_stream(timing, now, max_frames, out)?;
        match poll {
            StreamPoll::Finished => self.remove_listener(key)?,
            StreamPoll::Pending { .. } => {
                self.batch.clear();
                self.batch_valid = true;
            }
            StreamPoll::Sent => {}
        }
        Ok(poll)
    }

    /// The readers of these streams wait again without a poll: each took the shared chunk of
    /// the last [`Channel::flush`] and asks for more. Marks them waiting as a poll that found
    /// nothing would, and queues as woken those a poll at `now` could send something to
    /// (anything queued since, the end, a keep-alive due), so none is left waiting with work.
    /// Keys of listeners or streams that are gone are skipped. Returns true when it woke any:
    /// the driver flushes then.
    ///
    /// It does not give a deadline: the driver keeps the timer an earlier poll armed (deadlines
    /// only move later while shared chunks go out) and polls when it fires.
    pub fn rewait_streams(&mut self, keys: &[u32], now: u64) -> bool {
        let timing = self.timing();
        let mut woken = std::mem::take(&mut self.woken);
        let (mut any_woken, mut any_idle) = (false, false);
        for &key in keys {
            let Some(listener) = self.listeners.get_mut(&key) else { continue };
            let ready = listener.stream_ready(timing, now);
            let Some(stream) = listener.stream.as_mut() else { continue };
            stream.waiting = true;
            if ready {
                mark_woken(&mut woken, key, listener);
                any_woken = true;
            } else {
                any_idle = true;
            }
        }
        self.woken = woken;
        if any_idle {
            // As a poll that finds nothing: the broadcasts before now are not this stream's.
            self.batch.clear();
            self.batch_valid = true;
        }
        any_woken
    }

    /// What the listener's stream would deliver now, without taking it: the head of the queue
    /// (or a pending `_eric_dropped` notice) when the listener runs and no stream delay holds it
    /// back. A driver runs a hook on it, then polls with `max_frames` 1. A queued message it
    /// shows is in delivery, as with [`Channel::peek_next`].
    ///
    /// # Errors
    /// [`Error::InvalidListener`] for an unknown key or a listener without a stream;
    /// [`Error::MemoryLimit`] when a notice cannot be built.
    pub fn peek_stream(&mut self, key: ListenerKey, now: u64) -> Result<Option<Rc<Envelope>>, Error> {
        let delay = self.config.stream_delay_ms;
        let listener = self.listener_mut(key)?;
        // Checked with or without a delay: a listener without a stream has nothing to peek.
        let next_delivery_at = listener.stream_mut()?.next_delivery_at;
        let held = delay > 0 && now < next_delivery_at;
        if !listener.running || held {
            return Ok(None);
        }
        if listener.dropped > 0 {
            return Ok(Some(Rc::new(Envelope::notice(DROPPED, &dropped_data(listener.dropped))?)));
        }
        let head = listener.queue.front().cloned();
        if let Some(head) = &head {
            listener.held = Rc::downgrade(head);
        }
        Ok(head)
    }

    /// The stream's client is gone (cancelled, aborted): the listener is removed, as its stream
    /// owned its end. Does nothing for a listener already gone.
    pub fn close_stream(&mut self, key: ListenerKey) {
        let _ = self.remove_listener(key);
    }

    /// Ends the listener's stream but keeps the listener and its queue (the driver failed the
    /// stream, for instance on a hook's error); a new stream may be opened.
    pub fn drop_stream(&mut self, key: ListenerKey) {
        if let Ok(listener) = self.listener_mut(key) {
            listener.stream = None;
            // The replay mark belonged to the stream's client: queue everything from now on.
            listener.replayed_through = None;
        }
    }

    /// When a waiting stream next has something to do on its own (a keep-alive, a delayed
    /// delivery): call [`Channel::handle_timeout`] then. Costs a pass over the listeners. (The
    /// JS driver instead arms one timer per stream from each poll's `wake_at`, so every stream's
    /// timer belongs to its own request, as workerd requires.)
    pub fn next_timeout(&self) -> Option<u64> {
        let timing = self.timing();
        self.listeners
            .values()
            .filter(|l| l.stream.as_ref().is_some_and(|s| s.waiting))
            .filter_map(|l| l.wake_at(timing))
            .min()
    }

    /// Queues as woken every waiting stream whose deadline passed by `now`; the next
    /// [`Channel::flush`] lists them. Costs a pass over the listeners.
    pub fn handle_timeout(&mut self, now: u64) {
        let timing = self.timing();
        let mut woken = std::mem::take(&mut self.woken);
        for (key, listener) in &mut self.listeners {
            let waits = listener.stream.as_ref().is_some_and(|s| s.waiting);
            if waits && listener.wake_at(timing).is_some_and(|at| at <= now) {
                mark_woken(&mut woken, *key, listener);
            }
        }
        self.woken = woken;
    }

    /// Hands the driver everything that may progress: listeners woken by messages, the end,
    /// `start` or [`Channel::handle_timeout`]. Streams whose pending frames are exactly the
    /// broadcasts since the last flush share one chunk and are drained here; `now` is when
    /// that chunk goes out.
    pub fn flush(&mut self, now: u64, out: &mut Flush) {
        out.clear();
        let mut woken = std::mem::take(&mut self.woken);
        // In key order, which is the order listeners were registered (keys only grow), so a
        // driver walks its per-stream objects in the order it allocated them. The map's own
        // order is random: with 10,000 streams that cost the JS side 3-4x per delivery in
        // cache misses (paced fan-out, bench/NOTES.md).
        sort_keys(&mut woken, &mut self.sort_scratch);
        let timing = self.timing();
        for &key in &woken {
            let Some(listener) = self.listeners.get_mut(&key) else { continue };
            listener.woken_mark = false;
            let consumer = std::mem::take(&mut listener.waiting);
            if consumer {
                out.consumers.push(ListenerKey(key));
            }
            let Some(stream) = listener.stream.as_mut() else { continue };
            if !std::mem::take(&mut stream.waiting) {
                continue;
            }
            let shareable = self.batch_valid
                && !self.batch.is_empty()
                && timing.stream_delay_ms == 0
                && listener.running
                && !listener.hooked
                && listener.dropped == 0
                && listener.lifecycle == Lifecycle::Open
                && same_frames(&listener.queue, &self.batch);
            if shareable {
                if out.shared.is_empty() {
                    for envelope in &self.batch {
                        out.shared.extend_from_slice(envelope.frame());
                    }
                }
                listener.clear();
                if let Some(stream) = listener.stream.as_mut() {
                    stream.last_sent_at = now;
                    stream.sent_since_open = true;
                }
                out.shared_keys.push(ListenerKey(key));
            } else {
                out.streams.push(ListenerKey(key));
            }
        }
        self.woken = woken;
        self.woken.clear();
        self.batch.clear();
        self.batch_valid = true;
    }

    /// Queues `key` for the next flush if a consumer or stream of it waits.
    fn wake(&mut self, key: u32) {
        if let Some(listener) = self.listeners.get_mut(&key) {
            mark_woken(&mut self.woken, key, listener);
        }
    }

    /// Ends the channel: listeners receive what is queued, then their streams close with an
    /// `_eric_channel_closed` frame. Later dispatches fail with `ChannelClosed`.
    pub fn notify_end(&mut self) {
        self.ended = true;
        let mut woken = std::mem::take(&mut self.woken);
        for (key, listener) in &mut self.listeners {
            if listener.lifecycle == Lifecycle::Open {
                listener.lifecycle = Lifecycle::Ended;
            }
            mark_woken(&mut woken, *key, listener);
        }
        self.woken = woken;
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.ended {
            return Err(Error::ChannelClosed { channel: self.id.clone() });
        }
        Ok(())
    }

    fn bounds(&self) -> Bounds {
        Bounds { messages: self.config.max_queue, bytes: self.config.max_queue_bytes }
    }

    fn timing(&self) -> Timing {
        Timing {
            stream_delay_ms: self.config.stream_delay_ms,
            keep_alive_ms: self.config.keep_alive_ms,
            first_keep_alive_ms: self.config.first_keep_alive_ms,
        }
    }

    fn listener(&self, key: ListenerKey) -> Result<&ListenerState, Error> {
        self.listeners.get(&key.0).ok_or_else(|| unknown_key(key))
    }

    fn listener_mut(&mut self, key: ListenerKey) -> Result<&mut ListenerState, Error> {
        self.listeners.get_mut(&key.0).ok_or_else(|| unknown_key(key))
    }
}

/// Sorts `keys` ascending. Usually they already are (a broadcast lists them in the table's
/// order, which is key order until the keys outgrow the table) and a pass checks that;
/// otherwise a radix sort by bytes through `scratch`, skipping a byte every key shares.
/// Not `sort_unstable`: its code is 3.5 KB of the .wasm (1.5 KB gzipped).
fn sort_keys(keys: &mut Vec<u32>, scratch: &mut Vec<u32>) {
    if keys.is_sorted() {
        return;
    }
    for shift in [0, 8, 16, 24] {
        let digit = |key: u32| ((key >> shift) & 0xff) as usize;
        let mut starts = [0usize; 256];
        for &key in keys.iter() {
            if let Some(count) = starts.get_mut(digit(key)) {
                *count += 1;
            }
        }
        if starts.contains(&keys.len()) {
            continue;
        }
        let mut at = 0;
        for start in &mut starts {
            let count = *start;
            *start = at;
            at += count;
        }
        scratch.clear();
        scratch.resize(keys.len(), 0);
        for &key in keys.iter() {
            if let Some(start) = starts.get_mut(digit(key)) {
                if let Some(slot) = scratch.get_mut(*start) {
                    *slot = key;
                }
                *start += 1;
            }
        }
        std::mem::swap(keys, scratch);
    }
}

/// Queues `key` in `woken` once, if a consumer or the stream's reader of `listener` waits.
fn mark_woken(woken: &mut Vec<u32>, key: u32, listener: &mut ListenerState) {
    let stream_waits = listener.stream.as_ref().is_some_and(|s| s.waiting);
    if (listener.waiting || stream_waits) && !listener.woken_mark {
        listener.woken_mark = true;
        woken.push(key);
    }
}

/// Applies and removes the `start`/`stop` messages an action listener may act on now: at the
/// head while it runs, anywhere in the queue while it is stopped (the rest keeps its order).
fn apply_controls(listener: &mut ListenerState) {
    loop {
        let at = if listener.running {
            listener.queue.front().filter(|e| is_control(e)).map(|_| 0)
        } else {
            listener.queue.iter().position(|e| is_control(e))
        };
        let Some(envelope) = at.and_then(|at| listener.remove_at(at)) else { return };
        listener.running = envelope.kind() == "start";
    }
}

fn is_control(envelope: &Envelope) -> bool {
    envelope.is_user() && matches!(envelope.kind(), "start" | "stop")
}

/// Calls `emit` for the envelopes of two id-ordered sequences in id order, each id once. A
/// notice (no id) in `b` goes out as soon as it is `b`'s next: after the message before it in
/// `b`, before the one after it.
fn merge_by_id<'a>(
    a: impl Iterator<Item = &'a Rc<Envelope>>,
    b: impl Iterator<Item = &'a Rc<Envelope>>,
    mut emit: impl FnMut(&Envelope),
) {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if x.id() == y.id() => {
                b.next();
                a.next()
            }
            (Some(x), Some(y)) if x.id() < y.id() => a.next(),
            (Some(_), Some(_)) | (None, Some(_)) => b.next(),
            (Some(_), None) => a.next(),
            (None, None) => return,
        };
        if let Some(envelope) = next {
            emit(envelope);
        }
    }
}

/// True when `queue` holds exactly the envelopes of `batch`.
fn same_frames(queue: &std::collections::VecDeque<Rc<Envelope>>, batch: &[Rc<Envelope>]) -> bool {
    queue.len() == batch.len()
        && matches!((queue.front(), batch.first()), (Some(a), Some(b)) if Rc::ptr_eq(a, b))
        && matches!((queue.back(), batch.last()), (Some(a), Some(b)) if Rc::ptr_eq(a, b))
}

/// `{"oldestId":"…"}` or `{"oldestId":null}`
fn gap_data(oldest: Option<MessageId>) -> String {
    match oldest {
        Some(id) => {
            let mut data = String::from("{\"oldestId\":\"");
            data.push_str(&id.to_text());
            data.push_str("\"}");
            data
        }
        None => String::from("{\"oldestId\":null}"),
    }
}

fn invalid_listener(id: &str, reason: &'static str) -> Error {
    Error::InvalidListener { listener: id.to_owned(), reason }
}

fn unknown_key(key: ListenerKey) -> Error {
    let mut listener = String::from("#");
    push_display(&mut listener, u64::from(key.0));
    Error::InvalidListener { listener, reason: "no such listener in this channel" }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The listener map places keys in key order, so the passes over it (a broadcast's fan-out,
    /// which lists the streams it wakes) walk listeners as they were registered and the flush's
    /// sort finds them sorted; and the tags of neighbouring keys differ, so a lookup does not
    /// compare against every entry of a group.
    #[test]
    fn the_listener_map_iterates_in_key_order() {
        let mut map: HashMap<u32, (), BuildHasherDefault<KeyHasher>> = HashMap::default();
        for key in 1000..3000 {
            map.insert(key, ());
        }
        let order: Vec<u32> = map.keys().copied().collect();
        let runs = order.windows(2).filter(|pair| pair.first() > pair.get(1)).count();
        assert!(runs <= 1, "two ascending runs at most (the table wraps), got {} breaks", runs);
        let tags: std::collections::HashSet<u64> = (0..256u32)
            .map(|key| {
                let mut hasher = KeyHasher::default();
                hasher.write_u32(key);
                hasher.finish() & TAG_BITS
            })
            .collect();
        assert!(tags.len() > 64, "the tags of 256 neighbouring keys take {} values", tags.len());
    }

    #[test]
    fn sort_keys_sorts_as_the_standard_sort_does() {
        let mut scratch = Vec::new();
        let mut seed = 0x9e37_79b9_u32;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let cases: Vec<Vec<u32>> = vec![
            vec![],
            vec![7],
            vec![3, 1, 2],
            (0..1000).collect(),
            (0..1000).rev().collect(),
            // Two runs, as the listener table gives once it wraps; and keys that share bytes.
            (500..1000).chain(0..500).collect(),
            (0..3000).map(|_| random()).collect(),
            (0..3000).map(|_| random() & 0x0f00_00ff).collect(),
            (0..3000).map(|_| random() % 7).collect(),
            vec![u32::MAX, 0, u32::MAX, 1 << 24, 1 << 16, 1 << 8],
        ];
        for case in cases {
            let mut want = case.clone();
            want.sort_unstable();
            let mut got = case;
            sort_keys(&mut got, &mut scratch);
            assert_eq!(got, want);
        }
    }
}
