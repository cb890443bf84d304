//! How values cross between the wasm core and the JS driver in one piece (one string or one
//! number array per call, instead of a call per field). `js/message.js` and `js/channel.js`
//! hold the JS twins of [`unpack`] and [`unpack_flush`]; these Rust versions pin the formats in
//! native tests and the fuzz targets.
//!
//! A delivery is `id LF type LF sender LF payload`: `id` is empty for the library's notices,
//! `sender` is empty for unsigned messages. Neither a type nor an id can hold LF (types refuse
//! CR/LF, ids are visible ASCII), and the payload goes last, so it may hold anything.
//!
//! An engine's log entry (a channel on a backplane) goes the other way as
//! `id LF prev LF type LF target LF sender LF payload` (`prev`, `target`, `sender` empty when
//! none); `js/backplane/replica.js` packs it.

use crate::channel::{External, Flush, ListenerKey};
use crate::id::MessageId;
use crate::message::Envelope;

/// Appends `envelope` packed as a delivery.
pub fn pack(envelope: &Envelope, out: &mut String) {
    out.reserve(envelope.payload().len() + envelope.kind().len() + 48);
    if let Some(id) = envelope.id() {
        out.push_str(&id.to_text());
    }
    out.push('\n');
    out.push_str(envelope.kind());
    out.push('\n');
    out.push_str(envelope.sender_id().unwrap_or(""));
    out.push('\n');
    out.push_str(envelope.payload());
}

/// A delivery read back from [`pack`]'s format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked<'a> {
    /// The message id; `None` for notices.
    pub id: Option<&'a str>,
    /// The message type.
    pub kind: &'a str,
    /// The sender, for signed messages.
    pub sender_id: Option<&'a str>,
    /// The payload text.
    pub payload: &'a str,
}

/// Reads a packed delivery; `None` when `text` is not in the format.
pub fn unpack(text: &str) -> Option<Unpacked<'_>> {
    let mut parts = text.splitn(4, '\n');
    let id = parts.next()?;
    let kind = parts.next()?;
    let sender = parts.next()?;
    let payload = parts.next()?;
    Some(Unpacked { id: non_empty(id), kind, sender_id: non_empty(sender), payload })
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// Reads a packed log entry; `None` when `text` is not in the format or an id is malformed.
pub fn unpack_entry(text: &str) -> Option<External<'_>> {
    let mut parts = text.splitn(6, '\n');
    let id = MessageId::parse(parts.next()?)?;
    let prev = match parts.next()? {
        "" => None,
        prev => Some(MessageId::parse(prev)?),
    };
    let kind = parts.next()?;
    let target = non_empty(parts.next()?);
    let sender_id = non_empty(parts.next()?);
    let payload = parts.next()?;
    Some(External { id, prev, kind, payload, sender_id, target })
}

/// Packs a flush's keys as `[shared count, stream count, shared…, streams…, consumers…]`.
pub fn pack_flush(flush: &Flush, out: &mut Vec<u32>) {
    out.clear();
    out.push(u32::try_from(flush.shared_keys.len()).unwrap_or(u32::MAX));
    out.push(u32::try_from(flush.streams.len()).unwrap_or(u32::MAX));
    for keys in [&flush.shared_keys, &flush.streams, &flush.consumers] {
        out.extend(keys.iter().map(|k| k.0));
    }
}

/// The three key lists of [`pack_flush`]'s format: shared, streams, consumers.
pub fn unpack_flush(packed: &[u32]) -> Option<[Vec<ListenerKey>; 3]> {
    let (&shared, rest) = packed.split_first()?;
    let (&streams, keys) = rest.split_first()?;
    let (shared, streams) = (usize::try_from(shared).ok()?, usize::try_from(streams).ok()?);
    let keys: Vec<ListenerKey> = keys.iter().map(|k| ListenerKey(*k)).collect();
    let first = keys.get(..shared)?.to_vec();
    let second = keys.get(shared..shared.checked_add(streams)?)?.to_vec();
    let third = keys.get(shared + streams..)?.to_vec();
    Some([first, second, third])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::{Channel, ChannelConfig, Next, Take};
    use crate::message::Message;

    #[test]
    fn deliveries_round_trip_through_the_packing() {
        let mut ch = Channel::new("c", ChannelConfig::default());
        let a = ch.add_listener().unwrap_or(ListenerKey(0));
        let payload = "line\nbreak and \r and \n\n trailing";
        ch.dispatch_signed(a, crate::SignedMessage::new("bob", Message::new("t", payload))).ok();
        let Ok(Next::Delivery(e)) = ch.take_next(a, Take::Any) else { panic!("queued") };
        let mut text = String::new();
        pack(&e, &mut text);
        let got = unpack(&text).unwrap();
        assert_eq!((got.id, got.kind, got.sender_id, got.payload), (Some("0-1"), "t", Some("bob"), payload));
    }

    #[test]
    fn entries_unpack_with_their_links_and_refuse_malformed_ids() {
        let e = unpack_entry("5-2\n5-1\nt\nalice\n\n{\"a\":\"x\\ny\"}").unwrap();
        assert_eq!((e.id, e.prev, e.kind, e.target, e.sender_id), (MessageId::new(5, 2), Some(MessageId::new(5, 1)), "t", Some("alice"), None));
        assert_eq!(e.payload, "{\"a\":\"x\\ny\"}");
        assert!(unpack_entry("5-1\n\nt\n\n\nnull").unwrap().prev.is_none());
        for bad in ["", "x\n\nt\n\n\n1", "5-1\n1\nt\n\n\n1", "5-1\n\nt"] {
            assert!(unpack_entry(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn flush_keys_round_trip() {
        let flush = Flush {
            shared: Vec::new(),
            shared_keys: vec![ListenerKey(1), ListenerKey(2)],
            streams: vec![ListenerKey(3)],
            consumers: vec![ListenerKey(4), ListenerKey(5)],
        };
        let mut packed = Vec::new();
        pack_flush(&flush, &mut packed);
        assert_eq!(unpack_flush(&packed).unwrap(), [flush.shared_keys, flush.streams, flush.consumers]);
    }
}
