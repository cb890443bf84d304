//! Messages as users send them ([`Message`], [`SignedMessage`]) and as channels hold them
//! ([`Envelope`]: id, predecessor id, type, payload, sender and the SSE frame, encoded once and
//! shared by every queue and the history).

use std::ops::Range;
use std::rc::Rc;

use crate::error::Error;
use crate::id::{check_id, MessageId};
use crate::memory::Charge;
use crate::sse::{encode_fields, Frame};

/// Message types starting with this prefix are the library's own signals (end of stream,
/// overflow, dropped messages, replay gaps); users cannot send them.
pub const RESERVED_PREFIX: &str = "_eric_";
/// Sent as the last frame of every stream when its channel ends (eric-sse's end-of-stream type).
pub const CHANNEL_CLOSED: &str = "_eric_channel_closed";
/// Sent as the last frame of a stream whose listener was disconnected for overflowing its queue.
pub const OVERFLOW: &str = "_eric_overflow";
/// Delivered before the next message when the `drop-oldest` policy discarded messages.
pub const DROPPED: &str = "_eric_dropped";
/// Sent when messages between a client's `Last-Event-ID` (or a node's last message) and what
/// follows cannot be proven continuous: older than the history, from another lifetime of the
/// channel, or lost by an engine.
pub const REPLAY_GAP: &str = "_eric_replay_gap";
/// An action listener's reply when its action failed (eric-sse's internal error type).
pub const ERROR: &str = "_eric_error";
/// Sent to every open listener of a channel on a backplane when its engine goes away
/// (`{"state":"down"}`) and when it is back (`{"state":"up"}`); nothing is lost meanwhile: the
/// channel resumes the engine's log where it left off (or reports the gap).
pub const BACKPLANE: &str = "_eric_backplane";

/// The longest message type, in bytes.
pub const MAX_TYPE_BYTES: usize = 256;

/// Bytes charged per envelope beyond its text: the `Rc` box and its fields.
const ENVELOPE_OVERHEAD: usize = 96;

/// A message: a type (the SSE `event`) and a payload (the SSE `data`, text; JSON from JS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The message type (SSE `event`).
    pub kind: String,
    /// The payload text (SSE `data`).
    pub payload: String,
}

impl Message {
    /// A message of `kind` carrying `payload`.
    pub fn new(kind: impl Into<String>, payload: impl Into<String>) -> Self {
        Message { kind: kind.into(), payload: payload.into() }
    }
}

/// A message that carries the id of the listener that sent it, so replies can go back to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMessage {
    /// The sending listener's id (a valid listener id).
    pub sender_id: String,
    /// The message.
    pub message: Message,
}

impl SignedMessage {
    /// `message` signed by `sender_id`.
    pub fn new(sender_id: impl Into<String>, message: Message) -> Self {
        SignedMessage { sender_id: sender_id.into(), message }
    }
}

/// Where an envelope's payload text lives: inside its frame (a one-line payload, such as any
/// JSON text) or on its own.
#[derive(Debug, PartialEq, Eq)]
enum Payload {
    InFrame(Range<usize>),
    Owned(Box<str>),
}

/// A message as a channel holds it: numbered, linked to its predecessor, typed, optionally
/// signed and targeted, with its SSE frame already encoded. Queues and the history share one
/// `Rc<Envelope>` per message; its bytes are charged to the memory budget while it lives.
#[derive(Debug)]
pub struct Envelope {
    id: Option<MessageId>,
    prev: Option<MessageId>,
    kind: Box<str>,
    sender_id: Option<Box<str>>,
    target: Option<Rc<str>>,
    frame: Box<[u8]>,
    payload: Payload,
    charge: Charge,
}

/// What an envelope is made of, before its frame is encoded.
pub(crate) struct Parts<'a> {
    pub(crate) id: Option<MessageId>,
    pub(crate) prev: Option<MessageId>,
    pub(crate) kind: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) sender_id: Option<&'a str>,
    pub(crate) target: Option<Rc<str>>,
}

impl Envelope {
    /// Builds an envelope and its frame, charging its size to the memory budget.
    pub(crate) fn build(parts: Parts<'_>) -> Result<Envelope, Error> {
        let Parts { id, prev, kind, payload, sender_id, target } = parts;
        // Room for two u64s in decimal and the dash: one allocation.
        let mut id_text = Vec::with_capacity(41);
        if let Some(id) = id {
            id.write_to(&mut id_text);
        }
        let id_str = core::str::from_utf8(&id_text).ok().filter(|s| !s.is_empty());
        // The frame's exact length when the payload is one line (JSON always is), so that
        // `into_boxed_slice` below keeps the allocation as it is: `event: ` `\n` `data: ` `\n`
        // `\n` (16 bytes), and `id: ` `\n` (5) with an id.
        let id_len = id_str.map_or(0, |id| id.len() + 5);
        let mut frame = Vec::with_capacity(kind.len() + payload.len() + id_len + 16);
        let fields = Frame { id: id_str, event: Some(kind), data: Some(payload), ..Frame::default() };
        let payload = match encode_fields(&mut frame, &fields)? {
            Some(range) => Payload::InFrame(range),
            None => Payload::Owned(payload.into()),
        };
        let owned = match &payload {
            Payload::Owned(text) => text.len(),
            Payload::InFrame(_) => 0,
        };
        let size = ENVELOPE_OVERHEAD + frame.len() + owned + kind.len() + sender_id.map_or(0, str::len);
        let charge = Charge::reserve(size)?;
        Ok(Envelope {
            id,
            prev,
            kind: kind.into(),
            sender_id: sender_id.map(Into::into),
            target,
            frame: frame.into_boxed_slice(),
            payload,
            charge,
        })
    }

    /// Builds one of the library's own signals (a reserved type, no id).
    pub(crate) fn notice(kind: &str, payload: &str) -> Result<Envelope, Error> {
        Envelope::build(Parts { id: None, prev: None, kind, payload, sender_id: None, target: None })
    }

    /// The message id (what `Last-Event-ID` refers to); `None` for the library's notices.
    pub fn id(&self) -> Option<MessageId> {
        self.id
    }
    /// The id of the message the channel held before this one, when it had one.
    pub fn prev(&self) -> Option<MessageId> {
        self.prev
    }
    /// The message type.
    pub fn kind(&self) -> &str {
        &self.kind
    }
    /// The payload text.
    pub fn payload(&self) -> &str {
        match &self.payload {
            Payload::Owned(text) => text,
            Payload::InFrame(range) => {
                self.frame.get(range.clone()).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("")
            }
        }
    }
    /// The listener that sent this message, for signed messages.
    pub fn sender_id(&self) -> Option<&str> {
        self.sender_id.as_deref()
    }
    /// The listener this message was dispatched to; `None` for broadcasts.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }
    /// The encoded SSE frame (`id:`, `event:`, `data:` lines and the blank line).
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }
    /// Bytes charged to the memory budget for this envelope (what queue and history byte
    /// limits count).
    pub fn size(&self) -> usize {
        self.charge.bytes()
    }
    /// True when this message was sent to every listener, or to `listener`.
    pub(crate) fn is_for(&self, listener: &str) -> bool {
        self.target.as_deref().is_none_or(|t| t == listener)
    }
    /// True for messages users sent (not the library's notices).
    pub(crate) fn is_user(&self) -> bool {
        self.id.is_some()
    }
}


/// Checks that a user message type can be sent: 1 to 256 bytes, not reserved, no CR or LF.
///
/// # Errors
/// [`Error::InvalidMessageFormat`] saying which rule the type breaks.
pub fn validate_kind(kind: &str) -> Result<(), Error> {
    if kind.is_empty() {
        return Err(Error::format("message type must be a non-empty string"));
    }
    if kind.len() > MAX_TYPE_BYTES {
        return Err(Error::format("message type is at most 256 bytes"));
    }
    if kind.starts_with(RESERVED_PREFIX) {
        return Err(Error::format("message types starting with _eric_ are reserved"));
    }
    if crate::sse::has_line_break(kind) {
        return Err(Error::format("message type must not contain CR or LF"));
    }
    Ok(())
}

/// Checks a sender id: the rules of listener ids ([`check_id`]).
///
/// # Errors
/// [`Error::InvalidMessageFormat`] saying which rule the id breaks.
pub fn validate_sender(sender_id: &str) -> Result<(), Error> {
    check_id(sender_id).map_err(|why| {
        let mut reason = String::from("senderId: ");
        reason.push_str(why);
        Error::InvalidMessageFormat { reason }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: u64, kind: &str, payload: &str) -> Envelope {
        Envelope::build(Parts {
            id: Some(MessageId::new(5, id)),
            prev: None,
            kind,
            payload,
            sender_id: None,
            target: None,
        })
        .unwrap()
    }

    #[test]
    fn envelope_frame_carries_id_type_and_data() {
        let e = user(12, "tick", "{\"n\":1}");
        assert_eq!(e.frame(), b"id: 5-12\nevent: tick\ndata: {\"n\":1}\n\n");
        assert_eq!(e.payload(), "{\"n\":1}");
    }

    #[test]
    fn multi_line_payloads_are_kept_whole() {
        let e = user(1, "t", "a\r\nb\nc");
        assert_eq!(e.payload(), "a\r\nb\nc");
        assert_eq!(e.frame(), b"id: 5-1\nevent: t\ndata: a\ndata: b\ndata: c\n\n");
        assert_eq!(user(2, "t", "").payload(), "");
    }

    #[test]
    fn notices_have_no_id_line() {
        let e = Envelope::notice(DROPPED, "{\"dropped\":3}").unwrap();
        assert_eq!(e.id(), None);
        assert_eq!(e.frame(), b"event: _eric_dropped\ndata: {\"dropped\":3}\n\n");
    }

    #[test]
    fn bad_types_and_senders_are_refused_with_a_format_error() {
        for bad in ["", "_eric_channel_closed", "a\nb", "a\r", &"t".repeat(257)] {
            assert_eq!(validate_kind(bad).unwrap_err().name(), "InvalidMessageFormatError", "{bad:?}");
        }
        for bad in ["", "a\nb", "a b", "\u{2026}"] {
            assert_eq!(validate_sender(bad).unwrap_err().name(), "InvalidMessageFormatError", "{bad:?}");
        }
    }

    #[test]
    fn envelopes_are_charged_while_they_live() {
        let before = crate::memory::live_bytes();
        let e = user(1, "t", &"x".repeat(1000));
        assert!(e.size() > 1000);
        assert_eq!(crate::memory::live_bytes(), before + e.size());
        drop(e);
        assert_eq!(crate::memory::live_bytes(), before);
    }
}
