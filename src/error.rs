//! The core's one error type. Each variant maps to one exported JS `Error` subclass whose `name`
//! is [`Error::name`]; the mapping lives in `js/errors.js` and nowhere else.

use crate::text::push_display;

/// Everything the core can refuse. No core function panics; each failure is one of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `deliver_next` found the listener's queue empty.
    NoMessages { listener: String },
    /// No listener with this id or key is registered, or the id is already taken or malformed.
    InvalidListener { listener: String, reason: &'static str },
    /// No channel with this id exists in the container, or the id is taken or malformed.
    InvalidChannel { channel: String, reason: &'static str },
    /// A message type, id, payload or SSE field that cannot be sent as it is.
    InvalidMessageFormat { reason: String },
    /// A listener's bounded queue is full (policy `error`) or the listener was disconnected
    /// for overflowing it (policy `disconnect`).
    QueueOverflow { listener: String, max_queue: usize },
    /// The channel has ended (`notify_end`): it accepts no more messages.
    ChannelClosed { channel: String },
}

impl Error {
    /// The JS class name this error maps to.
    pub fn name(&self) -> &'static str {
        match self {
            Error::NoMessages { .. } => "NoMessagesError",
            Error::InvalidListener { .. } => "InvalidListenerError",
            Error::InvalidChannel { .. } => "InvalidChannelError",
            Error::InvalidMessageFormat { .. } => "InvalidMessageFormatError",
            Error::QueueOverflow { .. } => "QueueOverflowError",
            Error::ChannelClosed { .. } => "ChannelClosedError",
        }
    }

    /// A sentence for people, built without `core::fmt` so the wasm stays small.
    pub fn message(&self) -> String {
        let mut s = String::new();
        match self {
            Error::NoMessages { listener } => {
                s.push_str("no messages queued for listener ");
                s.push_str(listener);
            }
            Error::InvalidListener { listener, reason } => {
                s.push_str("listener ");
                s.push_str(listener);
                s.push_str(": ");
                s.push_str(reason);
            }
            Error::InvalidChannel { channel, reason } => {
                s.push_str("channel ");
                s.push_str(channel);
                s.push_str(": ");
                s.push_str(reason);
            }
            Error::InvalidMessageFormat { reason } => s.push_str(reason),
            Error::QueueOverflow { listener, max_queue } => {
                s.push_str("queue of listener ");
                s.push_str(listener);
                s.push_str(" is full (maxQueue ");
                push_display(&mut s, *max_queue as u64);
                s.push(')');
            }
            Error::ChannelClosed { channel } => {
                s.push_str("channel ");
                s.push_str(channel);
                s.push_str(" has ended (notifyEnd) and accepts no more messages");
            }
        }
        s
    }

    pub(crate) fn format(reason: &str) -> Error {
        Error::InvalidMessageFormat { reason: reason.to_owned() }
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())?;
        f.write_str(": ")?;
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}
