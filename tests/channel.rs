//! Channel behaviour through the public Rust API: what each call delivers, in which order, and
//! how each refusal looks.
#![allow(clippy::unwrap_used)] // test helpers, not reachable from JS


use eric_sse::{Channel, ChannelConfig, Error, Lifecycle, Message, Overflow, SignedMessage, StreamState};

fn channel(config: ChannelConfig) -> Channel {
    Channel::new("ch", config)
}

fn msg(kind: &str, payload: &str) -> Message {
    Message::new(kind, payload)
}

fn drain_all(ch: &mut Channel, key: eric_sse::ListenerKey) -> (String, StreamState) {
    let mut out = Vec::new();
    let state = ch.drain_frames(key, usize::MAX, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), state)
}

#[test]
fn dispatch_reaches_only_its_listener_in_fifo_order() {
    let mut ch = channel(ChannelConfig::default());
    let (a, b) = (ch.add_listener(), ch.add_listener());
    ch.dispatch(a, msg("t", "1")).unwrap();
    ch.dispatch(a, msg("t", "2")).unwrap();
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "1");
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "2");
    assert_eq!(ch.deliver_next(b).unwrap_err().name(), "NoMessagesError");
}

#[test]
fn broadcast_shares_one_envelope_between_listeners() {
    let mut ch = channel(ChannelConfig::default());
    let (a, b) = (ch.add_listener(), ch.add_listener());
    ch.broadcast(msg("news", "\"x\"")).unwrap();
    let (ea, eb) = (ch.deliver_next(a).unwrap(), ch.deliver_next(b).unwrap());
    assert!(std::rc::Rc::ptr_eq(&ea, &eb), "one frame, encoded once, shared");
    assert_eq!(ea.frame(), b"id: 1\nevent: news\ndata: \"x\"\n\n");
}

#[test]
fn message_ids_increase_across_dispatch_and_broadcast_and_skip_refusals() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener();
    assert_eq!(ch.dispatch(a, msg("t", "1")).unwrap(), 1);
    assert!(ch.dispatch(a, msg("", "1")).is_err());
    assert_eq!(ch.broadcast(msg("t", "2")).unwrap(), 2);
    assert_eq!(ch.dispatch(a, msg("t", "3")).unwrap(), 3);
}

#[test]
fn signed_messages_carry_their_sender() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener();
    ch.dispatch_signed(a, SignedMessage::new("bob", msg("ping", "null"))).unwrap();
    assert_eq!(ch.deliver_next(a).unwrap().sender_id(), Some("bob"));
}

#[test]
fn unknown_or_removed_listeners_are_refused() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener();
    ch.remove_listener(a).unwrap();
    for err in [
        ch.dispatch(a, msg("t", "1")).unwrap_err(),
        ch.deliver_next(a).unwrap_err(),
        ch.remove_listener(a).unwrap_err(),
        ch.listener_key("nobody").unwrap_err(),
    ] {
        assert_eq!(err.name(), "InvalidListenerError");
    }
}

#[test]
fn registered_ids_must_be_unique_and_printable() {
    let mut ch = channel(ChannelConfig::default());
    let k = ch.register_listener("alice").unwrap();
    assert_eq!(ch.listener_id(k).unwrap(), "alice");
    assert_eq!(ch.listener_key("alice").unwrap(), k);
    assert!(ch.register_listener("alice").is_err());
    assert!(ch.register_listener("").is_err());
    assert!(ch.register_listener("a\nb").is_err());
    assert_eq!(ch.listener_count(), 1);
}

#[test]
fn start_and_stop_toggle_running_and_new_listeners_run() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener();
    assert!(ch.is_running(a).unwrap());
    ch.stop(a).unwrap();
    assert!(!ch.is_running(a).unwrap());
    ch.dispatch(a, msg("t", "1")).unwrap();
    assert_eq!(ch.queued(a).unwrap(), 1, "stopped listeners still queue");
    ch.start(a).unwrap();
    assert!(ch.is_running(a).unwrap());
}

#[test]
fn drain_batches_all_pending_frames_into_one_buffer() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.broadcast(msg("t", "2")).unwrap();
    let (text, state) = drain_all(&mut ch, a);
    assert_eq!(text, "id: 1\nevent: t\ndata: 1\n\nid: 2\nevent: t\ndata: 2\n\n");
    assert_eq!(state, StreamState::Open);
    assert_eq!(ch.queued(a).unwrap(), 0);
}

#[test]
fn drain_respects_its_maximum() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.broadcast(msg("t", "2")).unwrap();
    let mut out = Vec::new();
    ch.drain_frames(a, 1, &mut out).unwrap();
    assert_eq!(out, b"id: 1\nevent: t\ndata: 1\n\n");
    assert_eq!(ch.queued(a).unwrap(), 1);
}

#[test]
fn notify_end_delivers_queued_then_closes_and_refuses_more() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.notify_end();
    assert!(ch.is_ended());
    assert_eq!(ch.broadcast(msg("t", "2")).unwrap_err().name(), "ChannelClosedError");
    assert_eq!(ch.dispatch(a, msg("t", "2")).unwrap_err().name(), "ChannelClosedError");
    let (text, state) = drain_all(&mut ch, a);
    assert_eq!(text, "id: 1\nevent: t\ndata: 1\n\nevent: _eric_channel_closed\ndata: null\n\n");
    assert_eq!(state, StreamState::Finished);
    assert_eq!(ch.lifecycle(a).unwrap(), Lifecycle::Ended);
}

#[test]
fn disconnect_policy_cuts_the_slow_listener_only_and_says_so() {
    let config = ChannelConfig { max_queue: 2, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let (slow, fast) = (ch.add_listener(), ch.add_listener());
    for n in 1..=2 {
        ch.broadcast(msg("t", &n.to_string())).unwrap();
        ch.deliver_next(fast).unwrap();
    }
    ch.broadcast(msg("t", "3")).unwrap();
    assert_eq!(ch.deliver_next(fast).unwrap().payload(), "3");
    assert_eq!(ch.lifecycle(slow).unwrap(), Lifecycle::Overflowed);
    let err = ch.dispatch(slow, msg("t", "4")).unwrap_err();
    assert_eq!(err, Error::QueueOverflow { listener: "listener-0".into(), max_queue: 2 });
    let (text, state) = drain_all(&mut ch, slow);
    assert!(text.ends_with("event: _eric_overflow\ndata: {\"maxQueue\":2}\n\n"), "{text}");
    assert!(text.starts_with("id: 1\n"));
    assert_eq!(state, StreamState::Finished);
    assert_eq!(ch.deliver_next(slow).unwrap_err().name(), "QueueOverflowError");
}

#[test]
fn drop_oldest_policy_reports_the_count_before_the_next_message() {
    let config = ChannelConfig { max_queue: 2, overflow: Overflow::DropOldest, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let a = ch.add_listener();
    for n in 1..=5 {
        ch.broadcast(msg("t", &n.to_string())).unwrap();
    }
    let notice = ch.deliver_next(a).unwrap();
    assert_eq!((notice.kind(), notice.payload(), notice.id()), ("_eric_dropped", "{\"dropped\":3}", 0));
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "4");
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "5");
}

#[test]
fn error_policy_refuses_the_whole_broadcast_and_changes_nothing() {
    let config = ChannelConfig { max_queue: 1, overflow: Overflow::Error, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let (a, b) = (ch.add_listener(), ch.add_listener());
    ch.dispatch(a, msg("t", "1")).unwrap();
    assert_eq!(ch.broadcast(msg("t", "2")).unwrap_err().name(), "QueueOverflowError");
    assert_eq!(ch.queued(b).unwrap(), 0, "nobody got the refused broadcast");
    assert_eq!(ch.dispatch(a, msg("t", "3")).unwrap_err().name(), "QueueOverflowError");
    assert_eq!(ch.lifecycle(a).unwrap(), Lifecycle::Open);
    assert_eq!(ch.broadcast(msg("t", "4")).unwrap_err().name(), "QueueOverflowError");
    ch.deliver_next(a).unwrap();
    assert_eq!(ch.broadcast(msg("t", "5")).unwrap(), 2, "refusals consumed no id");
}

#[test]
fn open_stream_starts_with_retry() {
    let mut ch = channel(ChannelConfig { retry_ms: 1234, ..ChannelConfig::default() });
    let a = ch.add_listener();
    let mut out = Vec::new();
    ch.open_stream(a, None, &mut out).unwrap();
    assert_eq!(out, b"retry: 1234\n\n");
}

fn open(ch: &mut Channel, key: eric_sse::ListenerKey, last: &str) -> String {
    let mut out = Vec::new();
    ch.open_stream(key, Some(last), &mut out).unwrap();
    String::from_utf8(out).unwrap().replacen("retry: 5000\n\n", "", 1)
}

#[test]
fn replay_after_last_event_id_skips_other_listeners_and_duplicates() {
    let mut ch = channel(ChannelConfig::default());
    let (a, b) = (ch.add_listener(), ch.add_listener());
    ch.broadcast(msg("t", "1")).unwrap();
    ch.dispatch(b, msg("t", "2")).unwrap();
    ch.dispatch(a, msg("t", "3")).unwrap();
    ch.broadcast(msg("t", "4")).unwrap();
    // a has 1, 3 and 4 queued; its client says it saw 1.
    let text = open(&mut ch, a, "1");
    assert_eq!(text, "id: 3\nevent: t\ndata: 3\n\nid: 4\nevent: t\ndata: 4\n\n");
    assert_eq!(ch.queued(a).unwrap(), 0, "replayed queue entries are not sent again");
}

#[test]
fn replay_of_a_removed_and_reregistered_listener_comes_from_history() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.register_listener("alice").unwrap();
    ch.dispatch(a, msg("t", "1")).unwrap();
    ch.dispatch(a, msg("t", "2")).unwrap();
    ch.remove_listener(a).unwrap();
    let a = ch.register_listener("alice").unwrap();
    assert_eq!(open(&mut ch, a, "1"), "id: 2\nevent: t\ndata: 2\n\n");
}

#[test]
fn replay_with_an_id_older_than_history_signals_the_gap() {
    let mut ch = channel(ChannelConfig { history_size: 2, ..ChannelConfig::default() });
    let a = ch.add_listener();
    for n in 1..=4 {
        ch.broadcast(msg("t", &n.to_string())).unwrap();
        ch.deliver_next(a).unwrap();
    }
    let text = open(&mut ch, a, "1");
    assert_eq!(
        text,
        "event: _eric_replay_gap\ndata: {\"oldestId\":\"3\"}\n\nid: 3\nevent: t\ndata: 3\n\nid: 4\nevent: t\ndata: 4\n\n"
    );
    // Exactly covered: nothing to replay and no gap.
    assert_eq!(open(&mut ch, a, "2"), "id: 3\nevent: t\ndata: 3\n\nid: 4\nevent: t\ndata: 4\n\n");
    assert_eq!(open(&mut ch, a, "4"), "");
}

#[test]
fn replay_with_unknown_or_future_ids_signals_the_gap() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.deliver_next(a).unwrap();
    for last in ["abc", "99", "-1", ""] {
        let text = open(&mut ch, a, last);
        assert!(text.starts_with("event: _eric_replay_gap\n"), "{last:?}: {text}");
        assert!(text.ends_with("id: 1\nevent: t\ndata: 1\n\n"), "{last:?}: {text}");
    }
}

#[test]
fn removing_a_listener_frees_its_queue_but_not_the_shared_frames() {
    let mut ch = channel(ChannelConfig { history_size: 0, ..ChannelConfig::default() });
    let (a, b) = (ch.add_listener(), ch.add_listener());
    ch.broadcast(msg("t", "1")).unwrap();
    let kept = ch.peek(b).unwrap();
    assert_eq!(std::rc::Rc::strong_count(&kept), 3, "a's queue, b's queue, and this handle");
    ch.remove_listener(a).unwrap();
    assert_eq!(std::rc::Rc::strong_count(&kept), 2);
}

#[test]
fn listeners_added_after_the_end_are_ended_at_once() {
    let mut ch = channel(ChannelConfig::default());
    ch.notify_end();
    let a = ch.add_listener();
    let (text, state) = drain_all(&mut ch, a);
    assert_eq!((text.as_str(), state), ("event: _eric_channel_closed\ndata: null\n\n", StreamState::Finished));
}

#[test]
fn error_replies_use_the_reserved_type_and_are_signed() {
    let mut ch = channel(ChannelConfig::default());
    let asker = ch.register_listener("asker").unwrap();
    ch.register_listener("actor").unwrap();
    let id = ch.dispatch_error(asker, "actor", "{\"message\":\"boom\"}").unwrap();
    let got = ch.deliver_next(asker).unwrap();
    assert_eq!((got.id(), got.kind(), got.sender_id()), (id, "_eric_error", Some("actor")));
    assert!(ch.dispatch(asker, msg("_eric_error", "1")).is_err(), "users still cannot send it");
}
