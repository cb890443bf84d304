//! One listener's state inside a channel: its bounded FIFO queue of shared envelopes (bounded by
//! count and by bytes), whether it runs, how it ends, how many messages the `drop-oldest` policy
//! discarded since its last delivery, whether a consumer waits to be woken, and its stream.

use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use crate::error::{Error, Limit};
use crate::memory::Charge;
use crate::message::Envelope;
use crate::stream::Stream;

/// Where a listener is in its life. Queued messages are always delivered before the end shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Accepting messages.
    Open,
    /// Disconnected for overflowing its queue (policy `disconnect`): accepts nothing more.
    Overflowed,
    /// Its channel ended (`notify_end`).
    Ended,
}

/// What happens when a message arrives for a listener whose queue is at `max_queue` messages or
/// would pass `max_queue_bytes`. Whichever applies, the affected listener or the sender gets a
/// clear signal; nothing vanishes silently.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overflow {
    /// The listener is cut off: it receives what is queued, then an `_eric_overflow` frame and
    /// its stream ends (an `EventSource` reconnects and resumes from the history with
    /// `Last-Event-ID`); a dispatch to it fails with `QueueOverflow`. Other listeners and the
    /// sender are not slowed by one slow consumer, which is why this is the default.
    #[default]
    Disconnect,
    /// The oldest queued messages are discarded until the new one fits; the listener's next
    /// delivery is an `_eric_dropped` notice with the count.
    DropOldest,
    /// The dispatch or broadcast fails with `QueueOverflow` and nothing is queued anywhere.
    Error,
}

impl Overflow {
    /// The policy's name in the JS API.
    pub fn name(self) -> &'static str {
        match self {
            Overflow::Disconnect => "disconnect",
            Overflow::DropOldest => "drop-oldest",
            Overflow::Error => "error",
        }
    }

    /// The policy called `name` in the JS API.
    pub fn from_name(name: &str) -> Option<Overflow> {
        [Overflow::Disconnect, Overflow::DropOldest, Overflow::Error].into_iter().find(|p| p.name() == name)
    }
}

/// A queue's limits: messages and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub(crate) messages: usize,
    pub(crate) bytes: usize,
}

/// What the last `peek_next` showed a consumer, so that committing a notice (which has no id)
/// takes exactly that notice.
#[derive(Debug, Default)]
pub(crate) enum Shown {
    /// A message (committed by its id), or nothing yet.
    #[default]
    Message,
    /// The `_eric_dropped` notice, counting the drops up to `through` (a `dropped_total`).
    Dropped {
        /// `dropped_total` when it was shown.
        through: u64,
    },
    /// A notice queued like a message (`_eric_replay_gap`, `_eric_backplane`).
    Notice(Weak<Envelope>),
}

/// Bytes charged per listener beyond its id.
const LISTENER_OVERHEAD: usize = 192;

#[derive(Debug)]
pub(crate) struct ListenerState {
    pub(crate) id: Rc<str>,
    pub(crate) running: bool,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) queue: VecDeque<Rc<Envelope>>,
    pub(crate) queue_bytes: usize,
    /// Messages discarded by `drop-oldest` that the consumer has not been told about yet.
    pub(crate) dropped: u64,
    /// Messages discarded by `drop-oldest` since the listener was added (`dropped` of them not
    /// reported yet).
    pub(crate) dropped_total: u64,
    /// What the last `peek_next` showed.
    pub(crate) shown: Shown,
    /// The queued envelope a peek last showed (a hook may be running for it): while it is the
    /// head it is in delivery, so it counts outside the bounds and `drop-oldest` spares it.
    pub(crate) held: Weak<Envelope>,
    /// The driver runs a hook before each delivery, so deliveries go one at a time.
    pub(crate) hooked: bool,
    /// `start` and `stop` messages toggle `running` (an action listener).
    pub(crate) actions: bool,
    /// A consumer (an iterator, an action listener) waits to be woken by a change.
    pub(crate) waiting: bool,
    /// Queued in the channel's woken list (so it is listed once).
    pub(crate) woken_mark: bool,
    pub(crate) stream: Option<Stream>,
    /// Its stream's replay was read from an engine up to here: entries at or before it that the
    /// channel accepts later (a replica still behind the engine) are already the client's.
    pub(crate) replayed_through: Option<crate::id::MessageId>,
    /// The limit that cut this listener off (policy `disconnect`).
    cut_by: Option<Limit>,
    _charge: Charge,
}

impl ListenerState {
    pub(crate) fn new(id: Rc<str>, lifecycle: Lifecycle) -> Result<Self, Error> {
        let charge = Charge::reserve(LISTENER_OVERHEAD + id.len())?;
        Ok(ListenerState {
            id,
            running: true,
            lifecycle,
            queue: VecDeque::new(),
            queue_bytes: 0,
            dropped: 0,
            dropped_total: 0,
            shown: Shown::Message,
            held: Weak::new(),
            hooked: false,
            actions: false,
            waiting: false,
            woken_mark: false,
            stream: None,
            replayed_through: None,
            cut_by: None,
            _charge: charge,
        })
    }

    /// The head, when a peek showed it and it is still there (see `held`).
    fn held_head(&self) -> Option<&Rc<Envelope>> {
        self.queue.front().filter(|head| std::ptr::eq(Rc::as_ptr(head), self.held.as_ptr()))
    }

    /// Messages and bytes that count against the bounds: the queue but a held head.
    fn counted(&self) -> (usize, usize) {
        match self.held_head() {
            Some(head) => (self.queue.len().saturating_sub(1), self.queue_bytes.saturating_sub(head.size())),
            None => (self.queue.len(), self.queue_bytes),
        }
    }

    /// Whether `envelope` fits under the bounds as the queue stands.
    pub(crate) fn fits(&self, envelope: &Envelope, bounds: Bounds) -> bool {
        let (messages, bytes) = self.counted();
        messages < bounds.messages && bytes.saturating_add(envelope.size()) <= bounds.bytes
    }

    /// The limit `envelope` would pass as the queue stands.
    fn limit_passed(&self, bounds: Bounds) -> Limit {
        if self.counted().0 >= bounds.messages {
            Limit::Messages(bounds.messages)
        } else {
            Limit::Bytes(bounds.bytes)
        }
    }

    /// The error for a full queue, or for a listener cut off for overflowing.
    pub(crate) fn overflow_error(&self, bounds: Bounds) -> Error {
        let limit = self.cut_by.unwrap_or_else(|| self.limit_passed(bounds));
        Error::QueueOverflow { listener: String::from(&*self.id), limit }
    }

    /// Queues `envelope` under `policy` (the caller refused it already for [`Overflow::Error`]).
    /// Returns false when the listener was cut off instead.
    pub(crate) fn enqueue(&mut self, envelope: &Rc<Envelope>, bounds: Bounds, policy: Overflow) -> bool {
        if envelope.id().is_some_and(|id| self.replayed_through.is_some_and(|through| id <= through)) {
            return true;
        }
        if !self.fits(envelope, bounds) {
            match policy {
                Overflow::Disconnect | Overflow::Error => {
                    self.cut_by = Some(self.limit_passed(bounds));
                    self.lifecycle = Lifecycle::Overflowed;
                    return false;
                }
                Overflow::DropOldest => {
                    while !self.fits(envelope, bounds) {
                        // The oldest that is not in delivery.
                        let oldest = usize::from(self.held_head().is_some());
                        let popped = self.remove_at(oldest).is_some();
                        self.count_drop();
                        if !popped {
                            // Larger than the byte bound on its own: it is dropped too.
                            return true;
                        }
                    }
                }
            }
        }
        self.queue_bytes = self.queue_bytes.saturating_add(envelope.size());
        self.queue.push_back(Rc::clone(envelope));
        true
    }

    /// Counts one message discarded by `drop-oldest`.
    fn count_drop(&mut self) {
        self.dropped = self.dropped.saturating_add(1);
        self.dropped_total = self.dropped_total.saturating_add(1);
    }

    /// Takes the notice the last `peek_next` showed, if it is still to be taken: the
    /// `_eric_dropped` count it showed (drops counted after it stay pending), or the queued
    /// notice it showed if that is still at the head. Nothing else.
    pub(crate) fn commit_shown(&mut self) {
        match std::mem::take(&mut self.shown) {
            Shown::Dropped { through } => {
                // Reported: the drops up to `through`; pending: those counted since.
                self.dropped = self.dropped.min(self.dropped_total.saturating_sub(through));
            }
            Shown::Notice(shown) => {
                if self.queue.front().is_some_and(|e| std::ptr::eq(Rc::as_ptr(e), shown.as_ptr())) {
                    self.pop();
                }
            }
            Shown::Message => {}
        }
    }

    /// Takes the head of the queue.
    pub(crate) fn pop(&mut self) -> Option<Rc<Envelope>> {
        let envelope = self.queue.pop_front()?;
        self.queue_bytes = self.queue_bytes.saturating_sub(envelope.size());
        Some(envelope)
    }

    /// Takes the queued envelope at `index`.
    pub(crate) fn remove_at(&mut self, index: usize) -> Option<Rc<Envelope>> {
        let envelope = self.queue.remove(index)?;
        self.queue_bytes = self.queue_bytes.saturating_sub(envelope.size());
        Some(envelope)
    }

    /// Empties the queue and forgets its dropped count: what took the queue (a replay, or its
    /// gap notice; a flush's shared chunk, which needs no count) tells the client what it has,
    /// and a count of messages dropped before would announce losses it does not have.
    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.queue_bytes = 0;
        self.dropped = 0;
    }

    /// The limit that cut this listener off, once it was (policy `disconnect`).
    pub(crate) fn cut_limit(&self) -> Option<Limit> {
        (self.lifecycle == Lifecycle::Overflowed).then(|| self.cut_by.unwrap_or(Limit::Messages(0)))
    }

    /// True once nothing is left to deliver and the listener will get nothing more.
    pub(crate) fn is_done(&self) -> bool {
        self.queue.is_empty() && self.dropped == 0 && self.lifecycle != Lifecycle::Open
    }
}
