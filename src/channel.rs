//! A channel: listeners, one bounded queue per listener, dispatch to one, broadcast to all,
//! ordered message ids, a replay history for `Last-Event-ID`, and the end-of-stream notice.
//!
//! Sans-IO: nothing here waits or sleeps. Drivers (the JS wrapper, or a Rust server) pull
//! deliveries with [`Channel::deliver_next`] or SSE bytes with [`Channel::drain_frames`], and
//! apply the timing settings (`stream_delay_ms`, `keep_alive_ms`) themselves.
//!
//! Cost: a broadcast validates and encodes its frame once, then pushes one `Rc` per listener.

use std::collections::HashMap;
use std::rc::Rc;

use crate::error::Error;
use crate::history::History;
use crate::listener::{Lifecycle, ListenerState};
use crate::message::{
    Envelope, Message, SignedMessage, CHANNEL_CLOSED, DROPPED, OVERFLOW, REPLAY_GAP,
};
use crate::sse::{encode_into, Frame};
use crate::text::{parse_decimal, push_display};

/// What happens when a message arrives for a listener whose queue holds `max_queue` messages.
/// Whichever applies, the affected listener or the sender gets a clear signal; nothing vanishes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overflow {
    /// The listener is cut off: it receives what is queued, then an `_eric_overflow` frame and
    /// its stream ends (an `EventSource` reconnects and resumes from the history with
    /// `Last-Event-ID`); a dispatch to it fails with `QueueOverflow`. Other listeners and the
    /// sender are not slowed by one slow consumer, which is why this is the default.
    #[default]
    Disconnect,
    /// The oldest queued message is discarded; the listener's next delivery is an
    /// `_eric_dropped` notice with the count.
    DropOldest,
    /// The dispatch or broadcast fails with `QueueOverflow` and nothing is queued anywhere.
    Error,
}

/// A channel's settings. `stream_delay_ms` and `keep_alive_ms` are read by stream drivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Sent as `retry:` at the start of every stream. Default 5000.
    pub retry_ms: u64,
    /// Pause between two deliveries on a stream (eric-sse's `stream_delay_seconds`). Default 0.
    pub stream_delay_ms: u64,
    /// A `:` comment is sent after this much silence on a stream; 0 disables. Default 15000.
    pub keep_alive_ms: u64,
    /// How many recent messages are kept for `Last-Event-ID` replay. Default 256.
    pub history_size: usize,
    /// Per-listener queue cap (at least 1). Default 10000.
    pub max_queue: usize,
    pub overflow: Overflow,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            retry_ms: 5000,
            stream_delay_ms: 0,
            keep_alive_ms: 15000,
            history_size: 256,
            max_queue: 10_000,
            overflow: Overflow::Disconnect,
        }
    }
}

/// A handle to a listener in one channel. Keys are never reused, so a stale key fails cleanly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerKey(pub u32);

/// Whether a stream should stay open after [`Channel::drain_frames`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    /// More messages may come.
    Open,
    /// The closing frame was written (channel ended, or the listener overflowed): close it.
    Finished,
}

#[derive(Debug)]
pub struct Channel {
    id: String,
    config: ChannelConfig,
    next_message_id: u64,
    next_key: u32,
    listeners: HashMap<u32, ListenerState>,
    keys: HashMap<Rc<str>, u32>,
    history: History,
    ended: bool,
}

impl Channel {
    pub fn new(id: impl Into<String>, mut config: ChannelConfig) -> Self {
        config.max_queue = config.max_queue.max(1);
        let history = History::new(config.history_size);
        Channel {
            id: id.into(),
            config,
            next_message_id: 1,
            next_key: 0,
            listeners: HashMap::new(),
            keys: HashMap::new(),
            history,
            ended: false,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn config(&self) -> &ChannelConfig {
        &self.config
    }
    /// True once [`Channel::notify_end`] was called.
    pub fn is_ended(&self) -> bool {
        self.ended
    }
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }
    pub fn listener_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(|k| &**k)
    }

    /// Adds a listener with a generated id (`listener-<n>`), running.
    pub fn add_listener(&mut self) -> ListenerKey {
        loop {
            let mut id = String::from("listener-");
            push_display(&mut id, u64::from(self.next_key));
            if let Ok(key) = self.register_listener(&id) {
                return key;
            }
        }
    }

    /// Registers a listener under `id` (non-empty, no control characters, not taken), running.
    pub fn register_listener(&mut self, id: &str) -> Result<ListenerKey, Error> {
        if id.is_empty() || id.chars().any(char::is_control) {
            return Err(invalid_listener(id, "ids must be non-empty without control characters"));
        }
        if self.keys.contains_key(id) {
            return Err(invalid_listener(id, "this id is already registered"));
        }
        let key = self.next_key;
        self.next_key = self.next_key.wrapping_add(1);
        let id: Rc<str> = Rc::from(id);
        let lifecycle = if self.ended { Lifecycle::Ended } else { Lifecycle::Open };
        self.listeners.insert(key, ListenerState::new(Rc::clone(&id), lifecycle));
        self.keys.insert(id, key);
        Ok(ListenerKey(key))
    }

    /// Removes the listener and frees its queue.
    pub fn remove_listener(&mut self, key: ListenerKey) -> Result<(), Error> {
        let state = self.listeners.remove(&key.0).ok_or_else(|| unknown_key(key))?;
        self.keys.remove(&state.id);
        Ok(())
    }

    pub fn listener_key(&self, id: &str) -> Result<ListenerKey, Error> {
        self.keys
            .get(id)
            .map(|k| ListenerKey(*k))
            .ok_or_else(|| invalid_listener(id, "no such listener in this channel"))
    }

    pub fn listener_id(&self, key: ListenerKey) -> Result<&str, Error> {
        Ok(&self.listener(key)?.id)
    }

    pub fn start(&mut self, key: ListenerKey) -> Result<(), Error> {
        self.listener_mut(key)?.running = true;
        Ok(())
    }
    /// Pauses delivery to streams; messages keep queueing (bounded by `max_queue`).
    pub fn stop(&mut self, key: ListenerKey) -> Result<(), Error> {
        self.listener_mut(key)?.running = false;
        Ok(())
    }
    pub fn is_running(&self, key: ListenerKey) -> Result<bool, Error> {
        Ok(self.listener(key)?.running)
    }
    /// Number of messages waiting in the listener's queue.
    pub fn queued(&self, key: ListenerKey) -> Result<usize, Error> {
        Ok(self.listener(key)?.queue.len())
    }
    /// Where the listener is in its life (open, overflowed, ended).
    pub fn lifecycle(&self, key: ListenerKey) -> Result<Lifecycle, Error> {
        Ok(self.listener(key)?.lifecycle)
    }

    /// Queues `message` for one listener and returns its id.
    pub fn dispatch(&mut self, key: ListenerKey, message: Message) -> Result<u64, Error> {
        self.dispatch_from(key, message, None)
    }

    /// Like [`Channel::dispatch`], for a message that names its sender.
    pub fn dispatch_signed(&mut self, key: ListenerKey, signed: SignedMessage) -> Result<u64, Error> {
        self.dispatch_from(key, signed.message, Some(signed.sender_id))
    }

    /// Queues an `_eric_error` reply from `sender_id` (a reserved type users cannot send):
    /// how an action listener reports a failed action to the listener that asked.
    pub fn dispatch_error(&mut self, key: ListenerKey, sender_id: &str, payload: &str) -> Result<u64, Error> {
        self.check_open()?;
        let target = Rc::clone(&self.listener(key)?.id);
        let envelope =
            Envelope::error(self.next_message_id, payload.to_owned(), sender_id.to_owned(), target)?;
        self.enqueue_for(key, envelope)
    }

    fn dispatch_from(
        &mut self,
        key: ListenerKey,
        message: Message,
        sender: Option<String>,
    ) -> Result<u64, Error> {
        self.check_open()?;
        let target = Some(Rc::clone(&self.listener(key)?.id));
        let envelope = Envelope::user(self.next_message_id, message, sender, target)?;
        self.enqueue_for(key, envelope)
    }

    fn enqueue_for(&mut self, key: ListenerKey, envelope: Envelope) -> Result<u64, Error> {
        let (max_queue, overflow) = (self.config.max_queue, self.config.overflow);
        let envelope = Rc::new(envelope);
        let listener = self.listener_mut(key)?;
        let blocked = listener.lifecycle == Lifecycle::Overflowed
            || (overflow == Overflow::Error && listener.queue.len() >= max_queue);
        if blocked {
            return Err(overflow_error(listener, max_queue));
        }
        enqueue(listener, &envelope, max_queue, overflow);
        if listener.lifecycle == Lifecycle::Overflowed {
            return Err(overflow_error(listener, max_queue));
        }
        Ok(self.accept(&envelope))
    }

    /// Queues `message` for every open listener and returns its id. The frame is encoded once.
    /// With [`Overflow::Error`], a full queue anywhere refuses the whole broadcast.
    pub fn broadcast(&mut self, message: Message) -> Result<u64, Error> {
        self.check_open()?;
        let (max_queue, overflow) = (self.config.max_queue, self.config.overflow);
        if overflow == Overflow::Error {
            let full = self.listeners.values().find(|l| {
                l.lifecycle == Lifecycle::Open && l.queue.len() >= max_queue
            });
            if let Some(listener) = full {
                return Err(overflow_error(listener, max_queue));
            }
        }
        let envelope = Rc::new(Envelope::user(self.next_message_id, message, None, None)?);
        for listener in self.listeners.values_mut() {
            if listener.lifecycle == Lifecycle::Open {
                enqueue(listener, &envelope, max_queue, overflow);
            }
        }
        Ok(self.accept(&envelope))
    }

    fn accept(&mut self, envelope: &Rc<Envelope>) -> u64 {
        self.history.push(envelope);
        self.next_message_id = self.next_message_id.saturating_add(1);
        envelope.id()
    }

    /// The next delivery without taking it (so a failing `on_message` hook loses nothing).
    /// A pending `_eric_dropped` notice comes first.
    pub fn peek(&self, key: ListenerKey) -> Result<Rc<Envelope>, Error> {
        let (listener, max_queue) = (self.listener(key)?, self.config.max_queue);
        if listener.dropped > 0 {
            return dropped_notice(listener.dropped).map(Rc::new);
        }
        match listener.queue.front() {
            Some(envelope) => Ok(Rc::clone(envelope)),
            None if listener.lifecycle == Lifecycle::Overflowed => {
                Err(overflow_error(listener, max_queue))
            }
            None => Err(Error::NoMessages { listener: listener.id.to_string() }),
        }
    }

    /// Takes the next delivery in FIFO order. Empty: `NoMessages`, or `QueueOverflow` once a
    /// disconnected listener has received everything it had queued.
    pub fn deliver_next(&mut self, key: ListenerKey) -> Result<Rc<Envelope>, Error> {
        let next = self.peek(key)?;
        let listener = self.listener_mut(key)?;
        if listener.dropped > 0 {
            listener.dropped = 0;
        } else {
            listener.queue.pop_front();
        }
        Ok(next)
    }

    /// Starts a stream: writes `retry:` and, given a `Last-Event-ID`, the replay.
    ///
    /// Replay sends, in id order, the kept history for this listener after `last_event_id`
    /// together with its queue, so nothing is sent twice. When the id is not covered (older
    /// than the history, not a number, or from the future, as after a restart) it sends an
    /// `_eric_replay_gap` notice (`{"oldestId": "…"}`) and everything kept for this listener.
    pub fn open_stream(
        &mut self,
        key: ListenerKey,
        last_event_id: Option<&str>,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.listener(key)?;
        let retry = Frame { retry: Some(self.config.retry_ms), ..Frame::default() };
        encode_into(out, &retry)?;
        if let Some(last) = last_event_id {
            self.replay(key, last, out)?;
        }
        Ok(())
    }

    fn replay(&mut self, key: ListenerKey, last: &str, out: &mut Vec<u8>) -> Result<(), Error> {
        let oldest = self.history.oldest_id().unwrap_or(self.next_message_id);
        let seen = parse_decimal(last)
            .filter(|n| *n < self.next_message_id && n.saturating_add(1) >= oldest);
        if seen.is_none() {
            out.extend_from_slice(replay_gap_notice(self.history.oldest_id())?.frame());
        }
        let after = seen.unwrap_or(0);
        let history = &self.history;
        let listener = self.listeners.get_mut(&key.0).ok_or_else(|| unknown_key(key))?;
        let mut frames: Vec<Rc<Envelope>> =
            history.after(after).filter(|e| e.is_for(&listener.id)).cloned().collect();
        frames.extend(listener.queue.drain(..).filter(|e| e.id() > after));
        frames.sort_by_key(|e| e.id());
        frames.dedup_by_key(|e| e.id());
        for envelope in &frames {
            out.extend_from_slice(envelope.frame());
        }
        Ok(())
    }

    /// Appends up to `max` queued frames to `out` (a pending `_eric_dropped` notice first).
    /// When the queue is empty and the listener has ended or overflowed, appends the closing
    /// frame and returns [`StreamState::Finished`].
    pub fn drain_frames(
        &mut self,
        key: ListenerKey,
        max: usize,
        out: &mut Vec<u8>,
    ) -> Result<StreamState, Error> {
        let max_queue = self.config.max_queue;
        let listener = self.listener_mut(key)?;
        let mut taken = 0;
        if listener.dropped > 0 && max > 0 {
            out.extend_from_slice(dropped_notice(listener.dropped)?.frame());
            listener.dropped = 0;
            taken += 1;
        }
        while taken < max {
            let Some(envelope) = listener.queue.pop_front() else { break };
            out.extend_from_slice(envelope.frame());
            taken += 1;
        }
        if !listener.queue.is_empty() || listener.dropped > 0 {
            return Ok(StreamState::Open);
        }
        let closing = match listener.lifecycle {
            Lifecycle::Open => return Ok(StreamState::Open),
            Lifecycle::Ended => Envelope::notice(CHANNEL_CLOSED, "null".into())?,
            Lifecycle::Overflowed => overflow_notice(max_queue)?,
        };
        out.extend_from_slice(closing.frame());
        Ok(StreamState::Finished)
    }

    /// Ends the channel: listeners receive what is queued, then their streams close with an
    /// `_eric_channel_closed` frame. Later dispatches fail with `ChannelClosed`.
    pub fn notify_end(&mut self) {
        self.ended = true;
        for listener in self.listeners.values_mut() {
            if listener.lifecycle == Lifecycle::Open {
                listener.lifecycle = Lifecycle::Ended;
            }
        }
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.ended {
            return Err(Error::ChannelClosed { channel: self.id.clone() });
        }
        Ok(())
    }

    fn listener(&self, key: ListenerKey) -> Result<&ListenerState, Error> {
        self.listeners.get(&key.0).ok_or_else(|| unknown_key(key))
    }

    fn listener_mut(&mut self, key: ListenerKey) -> Result<&mut ListenerState, Error> {
        self.listeners.get_mut(&key.0).ok_or_else(|| unknown_key(key))
    }
}

fn enqueue(listener: &mut ListenerState, envelope: &Rc<Envelope>, max_queue: usize, policy: Overflow) {
    if listener.queue.len() >= max_queue {
        match policy {
            Overflow::Disconnect => {
                listener.lifecycle = Lifecycle::Overflowed;
                return;
            }
            Overflow::DropOldest => {
                listener.queue.pop_front();
                listener.dropped = listener.dropped.saturating_add(1);
            }
            // Refused before anything was queued.
            Overflow::Error => return,
        }
    }
    listener.queue.push_back(Rc::clone(envelope));
}

fn dropped_notice(count: u64) -> Result<Envelope, Error> {
    let mut data = String::from("{\"dropped\":");
    push_display(&mut data, count);
    data.push('}');
    Envelope::notice(DROPPED, data)
}

fn overflow_notice(max_queue: usize) -> Result<Envelope, Error> {
    let mut data = String::from("{\"maxQueue\":");
    push_display(&mut data, max_queue as u64);
    data.push('}');
    Envelope::notice(OVERFLOW, data)
}

fn replay_gap_notice(oldest: Option<u64>) -> Result<Envelope, Error> {
    let mut data = String::from("{\"oldestId\":");
    match oldest {
        Some(id) => {
            data.push('"');
            push_display(&mut data, id);
            data.push_str("\"}");
        }
        None => data.push_str("null}"),
    }
    Envelope::notice(REPLAY_GAP, data)
}

fn overflow_error(listener: &ListenerState, max_queue: usize) -> Error {
    Error::QueueOverflow { listener: listener.id.to_string(), max_queue }
}

fn invalid_listener(id: &str, reason: &'static str) -> Error {
    Error::InvalidListener { listener: id.to_owned(), reason }
}

fn unknown_key(key: ListenerKey) -> Error {
    let mut listener = String::from("#");
    push_display(&mut listener, u64::from(key.0));
    Error::InvalidListener { listener, reason: "no such listener in this channel" }
}
