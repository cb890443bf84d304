//! The core's one error type. Each variant maps to one JS `Error` subclass whose `name` is
//! [`Error::name`]; the JS side builds the instance in one place (`coreError` in `js/errors.js`,
//! which the wasm bindings import), so no error crosses as a string.

use crate::text::push_display;

/// The class names the variants map to, as constants shared with `js/errors.js`.
pub mod names {
    /// [`super::Error::NoMessages`]
    pub const NO_MESSAGES: &str = "NoMessagesError";
    /// [`super::Error::InvalidListener`]
    pub const INVALID_LISTENER: &str = "InvalidListenerError";
    /// [`super::Error::ListenerExists`]
    pub const LISTENER_EXISTS: &str = "ListenerExistsError";
    /// [`super::Error::InvalidChannel`]
    pub const INVALID_CHANNEL: &str = "InvalidChannelError";
    /// [`super::Error::InvalidMessageFormat`]
    pub const INVALID_MESSAGE_FORMAT: &str = "InvalidMessageFormatError";
    /// [`super::Error::QueueOverflow`]
    pub const QUEUE_OVERFLOW: &str = "QueueOverflowError";
    /// [`super::Error::ChannelClosed`]
    pub const CHANNEL_CLOSED: &str = "ChannelClosedError";
    /// [`super::Error::MemoryLimit`]
    pub const MEMORY_LIMIT: &str = "MemoryLimitError";
    /// [`super::Error::InvalidOption`]
    pub const INVALID_OPTION: &str = "InvalidOptionError";
    /// [`super::Error::NotFound`]
    pub const NOT_FOUND: &str = "NotFoundError";
    /// [`super::Error::MethodNotAllowed`]
    pub const METHOD_NOT_ALLOWED: &str = "MethodNotAllowedError";
    /// [`super::Error::PayloadTooLarge`]
    pub const PAYLOAD_TOO_LARGE: &str = "PayloadTooLargeError";
}

/// What a queue limit counts: messages or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `max_queue`: messages waiting in one listener's queue.
    Messages(usize),
    /// `max_queue_bytes`: bytes of the messages waiting in one listener's queue.
    Bytes(usize),
}

/// Everything the core can refuse. No core function panics; each failure is one of these, and
/// a refused call changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `deliver_next` found the listener's queue empty.
    NoMessages {
        /// The listener's id.
        listener: String,
    },
    /// No listener with this id or key is registered, the id is malformed, or the call does not
    /// fit the listener's state (for instance a second stream).
    InvalidListener {
        /// The id (or `#key`) asked for.
        listener: String,
        /// Why, for people.
        reason: &'static str,
    },
    /// A listener with this id is already registered in the channel.
    ListenerExists {
        /// The id asked for.
        listener: String,
    },
    /// A channel id is malformed or missing.
    InvalidChannel {
        /// The id asked for.
        channel: String,
        /// Why, for people.
        reason: &'static str,
    },
    /// A message type, id, payload, command field or SSE field that cannot be sent as it is.
    InvalidMessageFormat {
        /// Why, for people.
        reason: String,
    },
    /// A listener's bounded queue is full (policy `error`) or the listener was disconnected for
    /// overflowing it (policy `disconnect`).
    QueueOverflow {
        /// The listener's id.
        listener: String,
        /// The limit that was reached.
        limit: Limit,
    },
    /// The channel has ended (`notify_end`): it accepts no more messages.
    ChannelClosed {
        /// The channel's id.
        channel: String,
    },
    /// Holding this would take the instance past its memory budget (see [`crate::memory`]).
    MemoryLimit {
        /// Bytes the refused value needs.
        needed: usize,
        /// The budget in force.
        budget: usize,
    },
    /// The WebAssembly memory could not grow to hold this (the engine refused).
    OutOfMemory {
        /// Bytes the refused value needs.
        needed: usize,
    },
    /// A channel option that is not of its kind or range.
    InvalidOption {
        /// The option's name in the JS API.
        name: &'static str,
        /// What it must be.
        reason: &'static str,
    },
    /// The hub has no route for this path.
    NotFound {
        /// The path asked for.
        path: String,
    },
    /// The hub's route exists but not for this method.
    MethodNotAllowed {
        /// The methods it takes, as an `Allow` header value.
        allow: &'static str,
    },
    /// A message payload (or request body) over the limit.
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl Error {
    /// The JS class name this error maps to (one of [`names`]).
    pub fn name(&self) -> &'static str {
        match self {
            Error::NoMessages { .. } => names::NO_MESSAGES,
            Error::InvalidListener { .. } => names::INVALID_LISTENER,
            Error::ListenerExists { .. } => names::LISTENER_EXISTS,
            Error::InvalidChannel { .. } => names::INVALID_CHANNEL,
            Error::InvalidMessageFormat { .. } => names::INVALID_MESSAGE_FORMAT,
            Error::QueueOverflow { .. } => names::QUEUE_OVERFLOW,
            Error::ChannelClosed { .. } => names::CHANNEL_CLOSED,
            Error::MemoryLimit { .. } | Error::OutOfMemory { .. } => names::MEMORY_LIMIT,
            Error::InvalidOption { .. } => names::INVALID_OPTION,
            Error::NotFound { .. } => names::NOT_FOUND,
            Error::MethodNotAllowed { .. } => names::METHOD_NOT_ALLOWED,
            Error::PayloadTooLarge { .. } => names::PAYLOAD_TOO_LARGE,
        }
    }

    /// Machine-readable detail beside the message: the `Allow` value of
    /// [`Error::MethodNotAllowed`], none otherwise.
    pub fn detail(&self) -> Option<&'static str> {
        match self {
            Error::MethodNotAllowed { allow } => Some(allow),
            _ => None,
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
            Error::ListenerExists { listener } => {
                s.push_str("listener ");
                s.push_str(listener);
                s.push_str(" is already registered in this channel");
            }
            Error::InvalidChannel { channel, reason } => {
                s.push_str("channel ");
                s.push_str(channel);
                s.push_str(": ");
                s.push_str(reason);
            }
            Error::InvalidMessageFormat { reason } => s.push_str(reason),
            Error::QueueOverflow { listener, limit } => {
                s.push_str("queue of listener ");
                s.push_str(listener);
                let (what, n) = match limit {
                    Limit::Messages(n) => (" is full (maxQueue ", *n),
                    Limit::Bytes(n) => (" is full (maxQueueBytes ", *n),
                };
                s.push_str(what);
                push_display(&mut s, n as u64);
                s.push(')');
            }
            Error::ChannelClosed { channel } => {
                s.push_str("channel ");
                s.push_str(channel);
                s.push_str(" has ended (notifyEnd) and accepts no more messages");
            }
            Error::OutOfMemory { needed } => {
                s.push_str("the WebAssembly memory could not grow by the ");
                push_display(&mut s, *needed as u64);
                s.push_str(" bytes this needs");
            }
            Error::MemoryLimit { needed, budget } => {
                s.push_str("holding ");
                push_display(&mut s, *needed as u64);
                s.push_str(" more bytes would pass the memory budget of ");
                push_display(&mut s, *budget as u64);
                s.push_str(" bytes (setMemoryBudget)");
            }
            Error::InvalidOption { name, reason } => {
                s.push_str("option ");
                s.push_str(name);
                s.push_str(" must be ");
                s.push_str(reason);
            }
            Error::NotFound { path } => {
                s.push_str("no route ");
                s.push_str(path);
            }
            Error::MethodNotAllowed { allow } => {
                s.push_str("use ");
                s.push_str(allow);
            }
            Error::PayloadTooLarge { limit } => {
                s.push_str("the payload is over ");
                push_display(&mut s, *limit as u64);
                s.push_str(" bytes");
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
