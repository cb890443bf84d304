//! Messages as users send them ([`Message`], [`SignedMessage`]) and as channels deliver them
//! ([`Envelope`]: id, type, payload, sender and the SSE frame, encoded once and shared).

use std::rc::Rc;

use crate::error::Error;
use crate::sse::{encode_into, Frame};
use crate::text::push_decimal;

/// Message types starting with this prefix are the library's own signals (end of stream,
/// overflow, dropped messages, replay gaps); users cannot send them.
pub const RESERVED_PREFIX: &str = "_eric_";
/// Sent as the last frame of every stream when its channel ends (eric-sse's end-of-stream type).
pub const CHANNEL_CLOSED: &str = "_eric_channel_closed";
/// Sent as the last frame of a stream whose listener was disconnected for overflowing its queue.
pub const OVERFLOW: &str = "_eric_overflow";
/// Delivered before the next message when the `drop-oldest` policy discarded messages.
pub const DROPPED: &str = "_eric_dropped";
/// Sent before a replay when `Last-Event-ID` is older than the history (or unknown).
pub const REPLAY_GAP: &str = "_eric_replay_gap";
/// An action listener's reply when its action failed (eric-sse's internal error type).
pub const ERROR: &str = "_eric_error";

/// A message: a type (the SSE `event`) and a payload (the SSE `data`, text; JSON from JS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: String,
    pub payload: String,
}

impl Message {
    pub fn new(kind: impl Into<String>, payload: impl Into<String>) -> Self {
        Message { kind: kind.into(), payload: payload.into() }
    }
}

/// A message that carries the id of the listener that sent it, so replies can go back to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMessage {
    pub sender_id: String,
    pub message: Message,
}

impl SignedMessage {
    pub fn new(sender_id: impl Into<String>, message: Message) -> Self {
        SignedMessage { sender_id: sender_id.into(), message }
    }
}

/// A message as a channel holds it: numbered, typed, optionally signed, with its SSE frame
/// already encoded. Queues and the history share one `Rc<Envelope>` per message.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope {
    id: u64,
    kind: Box<str>,
    payload: Box<str>,
    sender_id: Option<Box<str>>,
    target: Option<Rc<str>>,
    frame: Box<[u8]>,
}

impl Envelope {
    /// Builds a user message with its frame, refusing a type that is empty, reserved or
    /// would inject lines.
    pub(crate) fn user(
        id: u64,
        message: Message,
        sender_id: Option<String>,
        target: Option<Rc<str>>,
    ) -> Result<Envelope, Error> {
        validate_kind(&message.kind)?;
        Self::build(id, message.kind, message.payload, sender_id, target)
    }

    /// Builds the library's `_eric_error` reply: numbered and signed like a user message.
    pub(crate) fn error(id: u64, payload: String, sender_id: String, target: Rc<str>) -> Result<Envelope, Error> {
        Self::build(id, ERROR.to_owned(), payload, Some(sender_id), Some(target))
    }

    /// Builds one of the library's own signals (reserved types, no id).
    pub(crate) fn notice(kind: &str, payload: String) -> Result<Envelope, Error> {
        Self::build(0, kind.to_owned(), payload, None, None)
    }

    fn build(
        id: u64,
        kind: String,
        payload: String,
        sender_id: Option<String>,
        target: Option<Rc<str>>,
    ) -> Result<Envelope, Error> {
        let mut frame = Vec::with_capacity(kind.len() + payload.len() + 32);
        let mut id_text = Vec::new();
        if id != 0 {
            push_decimal(&mut id_text, id);
        }
        let id_str = core::str::from_utf8(&id_text).ok().filter(|s| !s.is_empty());
        let fields = Frame { id: id_str, event: Some(&kind), data: Some(&payload), ..Frame::default() };
        encode_into(&mut frame, &fields)?;
        Ok(Envelope {
            id,
            kind: kind.into_boxed_str(),
            payload: payload.into_boxed_str(),
            sender_id: sender_id.map(String::into_boxed_str),
            target,
            frame: frame.into_boxed_slice(),
        })
    }

    /// The message id (what `Last-Event-ID` refers to); 0 for the library's own notices.
    pub fn id(&self) -> u64 {
        self.id
    }
    pub fn kind(&self) -> &str {
        &self.kind
    }
    pub fn payload(&self) -> &str {
        &self.payload
    }
    /// The listener that sent this message, for signed messages.
    pub fn sender_id(&self) -> Option<&str> {
        self.sender_id.as_deref()
    }
    /// The encoded SSE frame (`id:`, `event:`, `data:` lines and the blank line).
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }
    /// True when this message was sent to every listener rather than to `listener`.
    pub(crate) fn is_for(&self, listener: &str) -> bool {
        self.target.as_deref().is_none_or(|t| t == listener)
    }
}

/// Checks that a user message type can be sent: non-empty, not reserved, no CR or LF.
pub fn validate_kind(kind: &str) -> Result<(), Error> {
    if kind.is_empty() {
        return Err(Error::format("message type must be a non-empty string"));
    }
    if kind.starts_with(RESERVED_PREFIX) {
        return Err(Error::format("message types starting with _eric_ are reserved"));
    }
    if crate::sse::has_line_break(kind) {
        return Err(Error::format("message type must not contain CR or LF"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_frame_carries_id_type_and_data() {
        let e = Envelope::user(12, Message::new("tick", "{\"n\":1}"), None, None).unwrap();
        assert_eq!(e.frame(), b"id: 12\nevent: tick\ndata: {\"n\":1}\n\n");
    }

    #[test]
    fn notices_have_no_id_line() {
        let e = Envelope::notice(DROPPED, "{\"dropped\":3}".into()).unwrap();
        assert_eq!(e.id(), 0);
        assert_eq!(e.frame(), b"event: _eric_dropped\ndata: {\"dropped\":3}\n\n");
    }

    #[test]
    fn bad_types_are_refused_with_a_format_error() {
        for bad in ["", "_eric_channel_closed", "a\nb", "a\r"] {
            let err = Envelope::user(1, Message::new(bad, "1"), None, None).unwrap_err();
            assert_eq!(err.name(), "InvalidMessageFormatError", "{bad:?}");
        }
    }
}
