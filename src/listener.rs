//! One listener's state inside a channel: its bounded FIFO queue of shared envelopes, whether it
//! runs, how it ends, and how many messages the `drop-oldest` policy discarded since the last
//! delivery.

use std::collections::VecDeque;
use std::rc::Rc;

use crate::message::Envelope;

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

#[derive(Debug)]
pub(crate) struct ListenerState {
    pub(crate) id: Rc<str>,
    pub(crate) running: bool,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) queue: VecDeque<Rc<Envelope>>,
    /// Messages discarded by `drop-oldest` that the consumer has not been told about yet.
    pub(crate) dropped: u64,
}

impl ListenerState {
    pub(crate) fn new(id: Rc<str>, lifecycle: Lifecycle) -> Self {
        ListenerState { id, running: true, lifecycle, queue: VecDeque::new(), dropped: 0 }
    }
}
