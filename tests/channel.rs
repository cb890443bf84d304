//! Channel behaviour through the public Rust API: what each call delivers, in which order, and
//! how each refusal looks.
#![allow(clippy::unwrap_used)] // test helpers, not reachable from JS

use eric_sse::{
    Channel, ChannelConfig, Error, Lifecycle, Limit, ListenerKey, Message, MessageId, Next, Numbering, Overflow,
    SignedMessage, StreamPoll, Take,
};

const EPOCH: u64 = 1_700_000_000_000;

fn channel(config: ChannelConfig) -> Channel {
    Channel::new("ch", ChannelConfig { numbering: Numbering::Local { epoch: EPOCH }, ..config })
}

fn msg(kind: &str, payload: &str) -> Message {
    Message::new(kind, payload)
}

fn id(seq: u64) -> MessageId {
    MessageId::new(EPOCH, seq)
}

/// Rewrites `id: <epoch>-<n>` to `id: <n>` so expectations stay readable.
fn short(text: &str) -> String {
    text.replace(&format!("{EPOCH}-"), "")
}

/// Opens a stream (no replay) and polls it once with everything pending.
fn drain_all(ch: &mut Channel, key: ListenerKey) -> (String, StreamPoll) {
    ch.open_stream(key, None, 0).unwrap();
    let mut out = Vec::new();
    let poll = ch.poll_stream(key, 0, usize::MAX, &mut out).unwrap();
    (short(&String::from_utf8(out).unwrap()).replacen("retry: 5000\n\n", "", 1), poll)
}

#[test]
fn dispatch_reaches_only_its_listener_in_fifo_order() {
    let mut ch = channel(ChannelConfig::default());
    let (a, b) = (ch.add_listener().unwrap(), ch.add_listener().unwrap());
    ch.dispatch(a, msg("t", "1")).unwrap();
    ch.dispatch(a, msg("t", "2")).unwrap();
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "1");
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "2");
    assert_eq!(ch.deliver_next(b).unwrap_err().name(), "NoMessagesError");
}

#[test]
fn broadcast_shares_one_envelope_between_listeners() {
    let mut ch = channel(ChannelConfig::default());
    let (a, b) = (ch.add_listener().unwrap(), ch.add_listener().unwrap());
    ch.broadcast(msg("news", "\"x\"")).unwrap();
    let (ea, eb) = (ch.deliver_next(a).unwrap(), ch.deliver_next(b).unwrap());
    assert!(std::rc::Rc::ptr_eq(&ea, &eb), "one frame, encoded once, shared");
    assert_eq!(short(std::str::from_utf8(ea.frame()).unwrap()), "id: 1\nevent: news\ndata: \"x\"\n\n");
}

#[test]
fn message_ids_carry_the_epoch_and_increase_across_dispatch_and_broadcast_skipping_refusals() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
    assert_eq!(ch.dispatch(a, msg("t", "1")).unwrap(), id(1));
    assert!(ch.dispatch(a, msg("", "1")).is_err());
    assert_eq!(ch.broadcast(msg("t", "2")).unwrap(), id(2));
    assert_eq!(ch.dispatch(a, msg("t", "3")).unwrap(), id(3));
    assert_eq!(ch.last_id(), Some(id(3)));
}

#[test]
fn signed_messages_carry_their_sender_and_bad_senders_are_refused() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
    ch.dispatch_signed(a, SignedMessage::new("bob", msg("ping", "null"))).unwrap();
    assert_eq!(ch.deliver_next(a).unwrap().sender_id(), Some("bob"));
    for bad in ["", "a\nb", "has space", "caf\u{e9}"] {
        let err = ch.dispatch_signed(a, SignedMessage::new(bad, msg("ping", "null"))).unwrap_err();
        assert_eq!(err.name(), "InvalidMessageFormatError", "{bad:?}");
    }
    assert_eq!(ch.queued(a).unwrap(), 0, "a refused sender queues nothing");
    assert_eq!(ch.broadcast(msg("t", "1")).unwrap(), id(2), "and uses no id");
}

#[test]
fn unknown_or_removed_listeners_are_refused() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
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
fn registered_ids_must_be_unique_and_visible_ascii() {
    let mut ch = channel(ChannelConfig::default());
    let k = ch.register_listener("alice").unwrap();
    assert_eq!(ch.listener_id(k).unwrap(), "alice");
    assert_eq!(ch.listener_key("alice").unwrap(), k);
    assert_eq!(ch.register_listener("alice").unwrap_err().name(), "ListenerExistsError");
    for bad in ["", "a\nb", "a b", "\u{2026}", &"x".repeat(257)] {
        assert_eq!(ch.register_listener(bad).unwrap_err().name(), "InvalidListenerError", "{bad:?}");
    }
    assert_eq!(ch.listener_count(), 1);
}

#[test]
fn add_listener_skips_generated_ids_already_taken() {
    let mut ch = channel(ChannelConfig::default());
    ch.register_listener("listener-1").unwrap();
    ch.register_listener("listener-2").unwrap();
    let k = ch.add_listener().unwrap();
    assert_eq!(ch.listener_id(k).unwrap(), "listener-3");
    assert_eq!(ch.listener_count(), 3);
}

#[test]
fn start_and_stop_toggle_running_and_new_listeners_run() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
    assert!(ch.is_running(a).unwrap());
    ch.stop(a).unwrap();
    assert!(!ch.is_running(a).unwrap());
    ch.dispatch(a, msg("t", "1")).unwrap();
    assert_eq!(ch.queued(a).unwrap(), 1, "stopped listeners still queue");
    assert!(matches!(ch.take_next(a, Take::Running).unwrap(), Next::Wait), "consumers wait while stopped");
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "1", "deliver_next ignores the flag, as in eric-sse");
    ch.start(a).unwrap();
    assert!(ch.is_running(a).unwrap());
}

#[test]
fn notify_end_delivers_queued_then_closes_and_refuses_more() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.notify_end();
    assert!(ch.is_ended());
    assert_eq!(ch.broadcast(msg("t", "2")).unwrap_err().name(), "ChannelClosedError");
    assert_eq!(ch.dispatch(a, msg("t", "2")).unwrap_err().name(), "ChannelClosedError");
    assert_eq!(ch.lifecycle(a).unwrap(), Lifecycle::Ended);
    let (text, poll) = drain_all(&mut ch, a);
    assert_eq!(text, "id: 1\nevent: t\ndata: 1\n\nevent: _eric_channel_closed\ndata: null\n\n");
    assert_eq!(poll, StreamPoll::Finished);
    assert_eq!(ch.listener_count(), 0, "a finished stream removes its listener");
}

#[test]
fn consumers_get_the_end_after_what_was_queued() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.notify_end();
    assert!(matches!(ch.take_next(a, Take::Running).unwrap(), Next::Delivery(e) if e.payload() == "1"));
    assert!(matches!(ch.take_next(a, Take::Running).unwrap(), Next::End));
}

#[test]
fn disconnect_policy_cuts_the_slow_listener_only_and_says_so() {
    let config = ChannelConfig { max_queue: 2, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let (slow, fast) = (ch.register_listener("slow").unwrap(), ch.add_listener().unwrap());
    for n in 1..=2 {
        ch.broadcast(msg("t", &n.to_string())).unwrap();
        ch.deliver_next(fast).unwrap();
    }
    ch.broadcast(msg("t", "3")).unwrap();
    assert_eq!(ch.deliver_next(fast).unwrap().payload(), "3");
    assert_eq!(ch.lifecycle(slow).unwrap(), Lifecycle::Overflowed);
    let err = ch.dispatch(slow, msg("t", "4")).unwrap_err();
    assert_eq!(err, Error::QueueOverflow { listener: "slow".into(), limit: Limit::Messages(2) });
    assert_eq!(ch.broadcast(msg("t", "5")).unwrap(), id(4), "the refused dispatch used no id");
    let (text, poll) = drain_all(&mut ch, slow);
    assert!(text.ends_with("event: _eric_overflow\ndata: {\"maxQueue\":2}\n\n"), "{text}");
    assert!(text.starts_with("id: 1\n"));
    assert_eq!(poll, StreamPoll::Finished);
}

#[test]
fn the_byte_bound_applies_the_overflow_policy_too() {
    let frame_size = {
        let mut probe = channel(ChannelConfig::default());
        let a = probe.add_listener().unwrap();
        probe.broadcast(msg("t", &"x".repeat(1000))).unwrap();
        probe.deliver_next(a).unwrap().size()
    };
    let config = ChannelConfig { max_queue_bytes: frame_size * 2, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let (slow, fast) = (ch.register_listener("slow").unwrap(), ch.add_listener().unwrap());
    for _ in 0..3 {
        ch.broadcast(msg("t", &"x".repeat(1000))).unwrap();
        ch.deliver_next(fast).unwrap();
    }
    assert_eq!(ch.lifecycle(slow).unwrap(), Lifecycle::Overflowed);
    let err = ch.deliver_next(slow).and_then(|_| ch.deliver_next(slow)).and_then(|_| ch.deliver_next(slow));
    assert_eq!(err.unwrap_err(), Error::QueueOverflow { listener: "slow".into(), limit: Limit::Bytes(frame_size * 2) });

    let config = ChannelConfig { max_queue_bytes: frame_size * 2, overflow: Overflow::DropOldest, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let a = ch.add_listener().unwrap();
    for n in 0..5 {
        ch.broadcast(msg("t", &format!("{n}{}", "x".repeat(999)))).unwrap();
    }
    let notice = ch.deliver_next(a).unwrap();
    assert_eq!((notice.kind(), notice.payload()), ("_eric_dropped", "{\"dropped\":3}"));
    assert!(ch.deliver_next(a).unwrap().payload().starts_with('3'));
}

#[test]
fn drop_oldest_policy_reports_the_count_before_the_next_message() {
    let config = ChannelConfig { max_queue: 2, overflow: Overflow::DropOldest, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let a = ch.add_listener().unwrap();
    for n in 1..=5 {
        ch.broadcast(msg("t", &n.to_string())).unwrap();
    }
    let notice = ch.deliver_next(a).unwrap();
    assert_eq!((notice.kind(), notice.payload(), notice.id()), ("_eric_dropped", "{\"dropped\":3}", None));
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "4");
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "5");
}

#[test]
fn a_replay_supersedes_the_dropped_count() {
    // Found by review: a complete replay was followed by `_eric_dropped` for the messages it
    // had just sent.
    let config = ChannelConfig { max_queue: 2, overflow: Overflow::DropOldest, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let a = ch.add_listener().unwrap();
    let first = ch.broadcast(msg("t", "1")).unwrap();
    for n in 2..=5 {
        ch.broadcast(msg("t", &n.to_string())).unwrap();
    }
    ch.open_stream(a, Some(&first.to_text()), 0).unwrap();
    let mut out = Vec::new();
    ch.poll_stream(a, 0, usize::MAX, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let data: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
    assert_eq!(data, ["2", "3", "4", "5"], "{text}");
}

#[test]
fn error_policy_refuses_the_whole_broadcast_and_changes_nothing() {
    let config = ChannelConfig { max_queue: 1, overflow: Overflow::Error, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let (a, b) = (ch.add_listener().unwrap(), ch.add_listener().unwrap());
    ch.dispatch(a, msg("t", "1")).unwrap();
    assert_eq!(ch.broadcast(msg("t", "2")).unwrap_err().name(), "QueueOverflowError");
    assert_eq!(ch.queued(b).unwrap(), 0, "nobody got the refused broadcast");
    assert_eq!(ch.dispatch(a, msg("t", "3")).unwrap_err().name(), "QueueOverflowError");
    assert_eq!(ch.lifecycle(a).unwrap(), Lifecycle::Open);
    ch.deliver_next(a).unwrap();
    assert_eq!(ch.broadcast(msg("t", "5")).unwrap(), id(2), "refusals consumed no id");
}

#[test]
fn payloads_over_the_message_limit_are_refused() {
    let mut ch = channel(ChannelConfig { max_message_bytes: 4, ..ChannelConfig::default() });
    let a = ch.add_listener().unwrap();
    assert_eq!(ch.broadcast(msg("t", "12345")).unwrap_err().name(), "PayloadTooLargeError");
    assert_eq!(ch.dispatch(a, msg("t", "12345")).unwrap_err().name(), "PayloadTooLargeError");
    assert_eq!(ch.broadcast(msg("t", "1234")).unwrap(), id(1));
}

#[test]
fn options_are_checked_once_by_their_js_names() {
    let mut config = ChannelConfig::default();
    config.set_number("retryMs", 250.0).unwrap();
    config.set_number("maxQueue", f64::INFINITY).unwrap();
    assert_eq!((config.retry_ms, config.max_queue), (250, usize::MAX));
    for (name, bad) in [("retryMs", 1.5), ("retryMs", -1.0), ("keepAliveMs", f64::INFINITY), ("maxQueue", 0.0), ("historySize", f64::NAN)] {
        assert_eq!(config.set_number(name, bad).unwrap_err().name(), "InvalidOptionError", "{name} {bad}");
    }
    config.set_overflow("drop-oldest").unwrap();
    assert_eq!(config.overflow, Overflow::DropOldest);
    for bad in ["drop", "toString", ""] {
        assert_eq!(config.set_overflow(bad).unwrap_err().name(), "InvalidOptionError");
    }
}

fn open(ch: &mut Channel, key: ListenerKey, last: &str) -> String {
    ch.open_stream(key, Some(last), 0).unwrap();
    let mut out = Vec::new();
    ch.poll_stream(key, 0, 0, &mut out).unwrap();
    ch.drop_stream(key);
    short(&String::from_utf8(out).unwrap()).replacen("retry: 5000\n\n", "", 1)
}

#[test]
fn open_stream_starts_with_retry() {
    let mut ch = channel(ChannelConfig { retry_ms: 1234, ..ChannelConfig::default() });
    let a = ch.add_listener().unwrap();
    ch.open_stream(a, None, 0).unwrap();
    let mut out = Vec::new();
    assert_eq!(ch.poll_stream(a, 0, 10, &mut out).unwrap(), StreamPoll::Sent);
    assert_eq!(out, b"retry: 1234\n\n");
    assert_eq!(ch.open_stream(a, None, 0).unwrap_err().name(), "InvalidListenerError", "one stream at a time");
}

#[test]
fn replay_after_last_event_id_skips_other_listeners_and_duplicates() {
    let mut ch = channel(ChannelConfig::default());
    let (a, b) = (ch.add_listener().unwrap(), ch.add_listener().unwrap());
    ch.broadcast(msg("t", "1")).unwrap();
    ch.dispatch(b, msg("t", "2")).unwrap();
    ch.dispatch(a, msg("t", "3")).unwrap();
    ch.broadcast(msg("t", "4")).unwrap();
    // a has 1, 3 and 4 queued; its client says it saw 1.
    let text = open(&mut ch, a, &id(1).to_text());
    assert_eq!(text, "id: 3\nevent: t\ndata: 3\n\nid: 4\nevent: t\ndata: 4\n\n");
    assert_eq!(ch.queued(a).unwrap(), 0, "replayed queue entries are not sent again");
}

#[test]
fn a_resume_keeps_the_queued_backplane_notices_in_their_place() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.announce_backplane(false).unwrap();
    ch.broadcast(msg("t", "2")).unwrap();
    ch.announce_backplane(true).unwrap();
    // Its client saw 1 and reconnects: the engine's state changes are news to it.
    let text = open(&mut ch, a, &id(1).to_text());
    assert_eq!(
        text,
        "event: _eric_backplane\ndata: {\"state\":\"down\"}\n\nid: 2\nevent: t\ndata: 2\n\n\
         event: _eric_backplane\ndata: {\"state\":\"up\"}\n\n"
    );
    assert_eq!(ch.queued(a).unwrap(), 0);
}

#[test]
fn replay_of_a_removed_and_reregistered_listener_comes_from_history() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.register_listener("alice").unwrap();
    ch.dispatch(a, msg("t", "1")).unwrap();
    ch.dispatch(a, msg("t", "2")).unwrap();
    ch.remove_listener(a).unwrap();
    let a = ch.register_listener("alice").unwrap();
    assert_eq!(open(&mut ch, a, &id(1).to_text()), "id: 2\nevent: t\ndata: 2\n\n");
}

#[test]
fn replay_with_an_id_older_than_history_signals_the_gap() {
    let mut ch = channel(ChannelConfig { history_size: 2, ..ChannelConfig::default() });
    let a = ch.add_listener().unwrap();
    for n in 1..=4 {
        ch.broadcast(msg("t", &n.to_string())).unwrap();
        ch.deliver_next(a).unwrap();
    }
    let text = open(&mut ch, a, &id(1).to_text());
    assert_eq!(
        text,
        "event: _eric_replay_gap\ndata: {\"oldestId\":\"3\"}\n\nid: 3\nevent: t\ndata: 3\n\nid: 4\nevent: t\ndata: 4\n\n"
    );
    // Exactly covered: the id just before the oldest kept, and the last id.
    assert_eq!(open(&mut ch, a, &id(2).to_text()), "id: 3\nevent: t\ndata: 3\n\nid: 4\nevent: t\ndata: 4\n\n");
    assert_eq!(open(&mut ch, a, &id(4).to_text()), "");
}

#[test]
fn replay_with_unknown_future_or_other_lifetime_ids_signals_the_gap() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.deliver_next(a).unwrap();
    let other_epoch = MessageId::new(EPOCH - 5, 1).to_text();
    let future = id(99).to_text();
    for last in ["abc", "1", "-1", "", &other_epoch, &future] {
        let text = open(&mut ch, a, last);
        assert!(text.starts_with("event: _eric_replay_gap\n"), "{last:?}: {text}");
        assert!(text.ends_with("id: 1\nevent: t\ndata: 1\n\n"), "{last:?}: {text}");
    }
}

#[test]
fn a_recreated_channel_never_takes_an_old_lifetimes_id_for_its_own() {
    // The first lifetime reaches id 3; the client saw 2. The channel is re-created with a later
    // epoch and reaches 5: a resume with the old id must get the gap notice, not skip 1–2.
    let mut old = Channel::new("room", ChannelConfig { numbering: Numbering::Local { epoch: 10 }, ..ChannelConfig::default() });
    let mut seen = None;
    for n in 1..=3 {
        let sent = old.broadcast(msg("t", &n.to_string())).unwrap();
        if n == 2 {
            seen = Some(sent);
        }
    }
    let mut new = Channel::new("room", ChannelConfig { numbering: Numbering::Local { epoch: 11 }, ..ChannelConfig::default() });
    let a = new.add_listener().unwrap();
    for n in 1..=5 {
        new.broadcast(msg("t", &n.to_string())).unwrap();
    }
    new.open_stream(a, Some(&seen.unwrap().to_text()), 0).unwrap();
    let mut out = Vec::new();
    new.poll_stream(a, 0, 0, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("event: _eric_replay_gap\n"), "{text}");
    assert_eq!(text.matches("event: t\n").count(), 5, "everything kept is replayed: {text}");
}

#[test]
fn removing_a_listener_frees_its_queue_but_not_the_shared_frames() {
    let mut ch = channel(ChannelConfig { history_size: 0, ..ChannelConfig::default() });
    let (a, b) = (ch.add_listener().unwrap(), ch.add_listener().unwrap());
    ch.broadcast(msg("t", "1")).unwrap();
    let Next::Delivery(kept) = ch.peek_next(b, Take::Any).unwrap() else { panic!("queued") };
    assert_eq!(std::rc::Rc::strong_count(&kept), 3, "a's queue, b's queue, and this handle");
    ch.remove_listener(a).unwrap();
    assert_eq!(std::rc::Rc::strong_count(&kept), 2);
}

#[test]
fn listeners_added_after_the_end_are_ended_at_once() {
    let mut ch = channel(ChannelConfig::default());
    ch.notify_end();
    let a = ch.add_listener().unwrap();
    let (text, poll) = drain_all(&mut ch, a);
    assert_eq!((text.as_str(), poll), ("event: _eric_channel_closed\ndata: null\n\n", StreamPoll::Finished));
}

#[test]
fn error_replies_use_the_reserved_type_and_are_signed() {
    let mut ch = channel(ChannelConfig::default());
    let asker = ch.register_listener("asker").unwrap();
    ch.register_listener("actor").unwrap();
    let sent = ch.dispatch_error(asker, "actor", "{\"message\":\"boom\"}").unwrap();
    let got = ch.deliver_next(asker).unwrap();
    assert_eq!((got.id(), got.kind(), got.sender_id()), (Some(sent), "_eric_error", Some("actor")));
    assert!(ch.dispatch(asker, msg("_eric_error", "1")).is_err(), "users still cannot send it");
}

#[test]
fn action_listeners_apply_start_and_stop_and_hold_the_rest_in_order() {
    let mut ch = channel(ChannelConfig::default());
    let actor = ch.register_listener("actor").unwrap();
    ch.set_actions(actor, true).unwrap();
    for kind in ["a", "stop", "b", "c", "start", "d"] {
        ch.dispatch(actor, msg(kind, "null")).unwrap();
    }
    let mut got = Vec::new();
    // While stopped the `start` behind the held messages is still seen.
    while let Next::Delivery(e) = ch.take_next(actor, Take::Running).unwrap() {
        got.push(e.kind().to_owned());
    }
    assert_eq!(got, ["a", "b", "c", "d"]);
    assert!(ch.is_running(actor).unwrap());
}

#[test]
fn commit_takes_only_what_is_still_next() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.broadcast(msg("t", "2")).unwrap();
    let Next::Delivery(first) = ch.peek_next(a, Take::Any).unwrap() else { panic!("queued") };
    ch.deliver_next(a).unwrap();
    ch.commit(a, &first);
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "2", "a stale commit takes nothing");
}

#[test]
fn committing_a_dropped_notice_reports_only_the_drops_it_showed() {
    // Found by the model (fuzz/regressions/channel/commit-clears-later-drops): committing the
    // notice cleared drops counted after the peek, whose count was then never reported.
    let config = ChannelConfig { max_queue: 1, overflow: Overflow::DropOldest, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let a = ch.add_listener().unwrap();
    ch.broadcast(msg("t", "1")).unwrap();
    ch.broadcast(msg("t", "2")).unwrap(); // drops 1
    let Next::Delivery(shown) = ch.peek_next(a, Take::Any).unwrap() else { panic!("a notice") };
    assert_eq!(shown.payload(), "{\"dropped\":1}");
    ch.broadcast(msg("t", "3")).unwrap(); // drops 2, after the peek
    ch.commit(a, &shown);
    let next = ch.deliver_next(a).unwrap();
    assert_eq!((next.kind(), next.payload()), ("_eric_dropped", "{\"dropped\":1}"), "the drop after the peek");
    assert_eq!(ch.deliver_next(a).unwrap().payload(), "3");
    ch.commit(a, &shown);
    assert_eq!(ch.deliver_next(a).unwrap_err().name(), "NoMessagesError", "a notice is committed once");
}

#[test]
fn peek_stream_refuses_a_listener_without_a_stream() {
    // Found by the model (fuzz/regressions/channel/peek-stream-without-stream): without a stream
    // delay, peek_stream answered as if the listener had a stream.
    for stream_delay_ms in [0, 10] {
        let mut ch = channel(ChannelConfig { stream_delay_ms, ..ChannelConfig::default() });
        let a = ch.add_listener().unwrap();
        ch.broadcast(msg("t", "1")).unwrap();
        assert_eq!(ch.peek_stream(a, 0).unwrap_err().name(), "InvalidListenerError", "delay {stream_delay_ms}");
        ch.open_stream(a, None, 0).unwrap();
        assert_eq!(ch.peek_stream(a, 0).unwrap().unwrap().payload(), "1");
        ch.drop_stream(a);
        assert_eq!(ch.peek_stream(a, 0).unwrap_err().name(), "InvalidListenerError", "dropped, delay {stream_delay_ms}");
    }
}

mod engine {
    //! A channel whose ids an engine assigns (a backplane replica).
    use super::*;
    use eric_sse::{Accepted, External};

    fn replica() -> Channel {
        Channel::new("r", ChannelConfig { numbering: Numbering::External, ..ChannelConfig::default() })
    }

    /// An entry as an engine numbers it (epoch 9), for the replica tests here and below.
    pub(super) fn entry(seq: u64, prev: Option<u64>, payload: &str) -> External<'_> {
        External {
            id: MessageId::new(9, seq),
            prev: prev.map(|p| MessageId::new(9, p)),
            kind: "t",
            payload,
            sender_id: None,
            target: None,
        }
    }

    #[test]
    fn engine_ids_are_taken_in_order_duplicates_ignored_and_gaps_announced() {
        let mut ch = replica();
        let a = ch.add_listener().unwrap();
        assert_eq!(ch.accept(entry(1, None, "1")).unwrap(), Accepted::Appended);
        assert_eq!(ch.accept(entry(2, Some(1), "2")).unwrap(), Accepted::Appended);
        assert_eq!(ch.accept(entry(2, Some(1), "2")).unwrap(), Accepted::Duplicate);
        assert_eq!(ch.accept(entry(5, Some(4), "5")).unwrap(), Accepted::AfterGap);
        let got: Vec<String> = std::iter::from_fn(|| ch.deliver_next(a).ok()).map(|e| e.kind().to_owned()).collect();
        assert_eq!(got, ["t", "t", "_eric_replay_gap", "t"]);
        assert_eq!(ch.broadcast(msg("t", "x")).unwrap_err().name(), "InvalidMessageFormatError", "ids come from the engine");
    }

    #[test]
    fn the_end_marker_ends_the_replica() {
        let mut ch = replica();
        let a = ch.add_listener().unwrap();
        ch.accept(entry(1, None, "1")).unwrap();
        let end = External { kind: "_eric_channel_closed", payload: "null", ..entry(2, Some(1), "") };
        ch.accept(end).unwrap();
        assert!(ch.is_ended());
        let (text, poll) = drain_all(&mut ch, a);
        assert!(text.ends_with("event: _eric_channel_closed\ndata: null\n\n"), "{text}");
        assert_eq!(poll, StreamPoll::Finished);
    }

    #[test]
    fn committing_a_notice_takes_only_the_notice_shown() {
        // Found by the model: a commit without an id took a queued notice nobody was shown.
        let mut ch = replica();
        let a = ch.add_listener().unwrap();
        ch.accept(entry(1, None, "1")).unwrap();
        ch.accept(entry(3, Some(2), "3")).unwrap(); // queues the gap notice, then 3
        assert_eq!(ch.deliver_next(a).unwrap().payload(), "1");
        ch.commit_id(a, None);
        let Next::Delivery(notice) = ch.peek_next(a, Take::Any).unwrap() else { panic!("the notice") };
        assert_eq!(notice.kind(), "_eric_replay_gap", "a commit of nothing shown took nothing");
        ch.commit(a, &notice);
        ch.commit(a, &notice);
        assert_eq!(ch.deliver_next(a).unwrap().payload(), "3", "the notice was taken once");
    }

    #[test]
    fn a_resume_across_a_gap_in_the_engines_log_reports_the_gap() {
        // Found by the model (fuzz/regressions/channel/replay-hole): the replay proved continuity
        // by the first message after the client's id only, and crossed the engine's gap before 5
        // without a notice: 4 was lost silently.
        let mut ch = replica();
        let a = ch.add_listener().unwrap();
        ch.accept(entry(1, None, "1")).unwrap();
        ch.accept(entry(2, Some(1), "2")).unwrap();
        assert_eq!(ch.accept(entry(5, Some(4), "5")).unwrap(), Accepted::AfterGap);
        ch.accept(entry(6, Some(5), "6")).unwrap();
        assert!(!ch.can_resume("9-1"), "continuity from 1 cannot be proven");
        ch.open_stream(a, Some("9-1"), 0).unwrap();
        let mut out = Vec::new();
        ch.poll_stream(a, 0, 0, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap().replace("9-", "");
        assert!(text.starts_with("retry: 5000\n\nevent: _eric_replay_gap\ndata: {\"oldestId\":\"1\"}\n\n"), "{text}");
        let data: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
        assert_eq!(data, ["{\"oldestId\":\"1\"}", "1", "2", "5", "6"]);
        // After the gap the links hold again.
        assert!(ch.can_resume("9-5") && ch.can_resume("9-6"));
    }

    #[test]
    fn a_resume_to_a_link_that_skips_forgotten_messages_reports_the_gap() {
        // Found by the model (fuzz/regressions/channel/replay-hole-backward-link): 3 names 1 as
        // its predecessor, after the channel had delivered 2; with only 3 kept, a resume from 1
        // took 3's link as proof and lost 2.
        let mut ch = Channel::new(
            "r",
            ChannelConfig { numbering: Numbering::External, history_size: 1, ..ChannelConfig::default() },
        );
        ch.accept(entry(1, None, "1")).unwrap();
        ch.accept(entry(2, Some(1), "2")).unwrap();
        assert_eq!(ch.accept(entry(3, Some(1), "3")).unwrap(), Accepted::AfterGap);
        assert!(!ch.can_resume("9-1"), "2 is forgotten");
        assert!(!ch.can_resume("9-2"), "3 does not follow 2");
        assert!(ch.can_resume("9-3"));
    }

    #[test]
    fn backplane_state_reaches_every_open_listener() {
        let mut ch = replica();
        let (a, b) = (ch.add_listener().unwrap(), ch.add_listener().unwrap());
        ch.announce_backplane(false).unwrap();
        for key in [a, b] {
            let notice = ch.deliver_next(key).unwrap();
            assert_eq!((notice.kind(), notice.payload(), notice.id()), ("_eric_backplane", "{\"state\":\"down\"}", None));
        }
    }

    fn opened(ch: &mut Channel, key: ListenerKey, last: &str, entries: &[External<'_>], tail: Option<u64>) -> String {
        ch.open_stream_replay(key, last, entries, tail.map(|t| MessageId::new(9, t)), 0).unwrap();
        let mut out = Vec::new();
        ch.poll_stream(key, 0, 0, &mut out).unwrap();
        String::from_utf8(out).unwrap().replace("9-", "").replacen("retry: 5000\n\n", "", 1)
    }

    #[test]
    fn a_replay_read_from_the_engine_is_continuous_only_when_its_links_hold() {
        let mut ch = replica();
        let a = ch.add_listener().unwrap();
        let read = [entry(3, Some(2), "3"), entry(4, Some(3), "4")];
        assert!(!ch.can_resume("9-2"), "the replica's own history does not reach back");
        assert_eq!(opened(&mut ch, a, "9-2", &read, Some(4)), "id: 3\nevent: t\ndata: 3\n\nid: 4\nevent: t\ndata: 4\n\n");
        let b = ch.add_listener().unwrap();
        let text = opened(&mut ch, b, "9-1", &read, Some(4));
        assert!(text.starts_with("event: _eric_replay_gap\ndata: {\"oldestId\":\"3\"}\n\nid: 3\n"), "{text}");
        let c = ch.add_listener().unwrap();
        assert_eq!(opened(&mut ch, c, "9-4", &[], Some(4)), "", "up to date");
        let d = ch.add_listener().unwrap();
        assert!(opened(&mut ch, d, "9-9", &[], Some(4)).starts_with("event: _eric_replay_gap"), "an id the log never had");
    }

    #[test]
    fn a_replay_from_the_engine_keeps_the_queued_backplane_notices() {
        // Found by review: the local replay kept them, the engine's dropped them.
        let mut ch = Channel::new("r", ChannelConfig { numbering: Numbering::External, history_size: 1, ..ChannelConfig::default() });
        ch.set_last_id(Some(MessageId::new(9, 3)));
        let a = ch.add_listener().unwrap();
        ch.announce_backplane(false).unwrap();
        ch.announce_backplane(true).unwrap();
        let read = [entry(3, Some(2), "3"), entry(4, Some(3), "4")];
        let text = opened(&mut ch, a, "9-2", &read, Some(4));
        assert_eq!(
            text,
            "event: _eric_backplane\ndata: {\"state\":\"down\"}\n\nevent: _eric_backplane\ndata: {\"state\":\"up\"}\n\n\
             id: 3\nevent: t\ndata: 3\n\nid: 4\nevent: t\ndata: 4\n\n"
        );
    }

    #[test]
    fn a_replay_from_the_engine_merges_the_live_queue_and_skips_others_dispatches() {
        let mut ch = replica();
        let a = ch.register_listener("alice").unwrap();
        ch.set_last_id(Some(MessageId::new(9, 3)));
        ch.accept(entry(4, Some(3), "4")).unwrap();
        let for_bob = External { target: Some("bob"), ..entry(3, Some(2), "3") };
        let read = [for_bob, entry(4, Some(3), "4")];
        assert_eq!(opened(&mut ch, a, "9-2", &read, Some(4)), "id: 4\nevent: t\ndata: 4\n\n", "4 once, bob's 3 not at all");
    }
}

mod lagging_replica {
    //! A replica behind its engine: a client resumes on it, the replay is read from the engine,
    //! then the replica catches up — the client must not get what it already has again.
    use super::engine::entry;
    use super::*;

    #[test]
    fn entries_the_replay_already_covered_are_not_delivered_again() {
        let mut ch = Channel::new("r", ChannelConfig { numbering: Numbering::External, keep_alive_ms: 0, ..ChannelConfig::default() });
        ch.set_last_id(None);
        let a = ch.add_listener().unwrap();
        // The engine holds 1..=5; the client saw 3; this replica has accepted nothing yet.
        let read = [entry(4, Some(3), "4"), entry(5, Some(4), "5")];
        ch.open_stream_replay(a, "9-3", &read, Some(MessageId::new(9, 5)), 0).unwrap();
        for (seq, prev) in [(1, None), (2, Some(1)), (3, Some(2)), (4, Some(3)), (5, Some(4)), (6, Some(5))] {
            ch.accept(entry(seq, prev, &seq.to_string())).unwrap();
        }
        let mut out = Vec::new();
        ch.poll_stream(a, 0, usize::MAX, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let got: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("data: ")).collect();
        assert_eq!(got, ["4", "5", "6"], "{text}");
    }

    fn data(ch: &mut Channel, key: ListenerKey) -> Vec<String> {
        let mut out = Vec::new();
        ch.poll_stream(key, 0, usize::MAX, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        text.lines().filter_map(|l| l.strip_prefix("data: ")).map(str::to_owned).collect()
    }

    #[test]
    fn a_client_id_the_log_never_had_covers_nothing_to_come() {
        // The client's id (9-9) is past the engine's log (the engine lost its data and started
        // over): the replay says so with a gap notice, and 3, accepted later, must still come.
        let mut ch = Channel::new("r", ChannelConfig { numbering: Numbering::External, keep_alive_ms: 0, ..ChannelConfig::default() });
        let a = ch.add_listener().unwrap();
        let read = [entry(1, None, "1"), entry(2, Some(1), "2")];
        ch.open_stream_replay(a, "9-9", &read, Some(MessageId::new(9, 2)), 0).unwrap();
        for (seq, prev) in [(1, None), (2, Some(1)), (3, Some(2))] {
            ch.accept(entry(seq, prev, &seq.to_string())).unwrap();
        }
        assert_eq!(data(&mut ch, a), ["{\"oldestId\":\"9-1\"}", "1", "2", "3"]);
    }

    #[test]
    fn a_new_stream_gets_what_an_earlier_streams_replay_covered() {
        // A stream resumed from the engine up to 5 ends (dropped by its driver); a new stream of
        // the same listener, without Last-Event-ID, must get everything the replica accepts
        // from then on, 1 to 5 included: its client had none of them.
        let mut ch = Channel::new("r", ChannelConfig { numbering: Numbering::External, keep_alive_ms: 0, ..ChannelConfig::default() });
        let a = ch.add_listener().unwrap();
        let read = [entry(4, Some(3), "4"), entry(5, Some(4), "5")];
        ch.open_stream_replay(a, "9-3", &read, Some(MessageId::new(9, 5)), 0).unwrap();
        ch.drop_stream(a);
        ch.open_stream(a, None, 0).unwrap();
        for (seq, prev) in [(1, None), (2, Some(1)), (3, Some(2)), (4, Some(3)), (5, Some(4)), (6, Some(5))] {
            ch.accept(entry(seq, prev, &seq.to_string())).unwrap();
        }
        assert_eq!(data(&mut ch, a), ["1", "2", "3", "4", "5", "6"]);
    }
}

#[test]
fn a_message_shown_to_a_hook_is_in_delivery_and_not_dropped_by_what_the_hook_sends() {
    // An onMessage hook that broadcasts to its own full drop-oldest queue dropped the message
    // it was running for (reported as dropped after the hook had seen it); the shown message is
    // in delivery: it neither counts against the bounds nor is the oldest to drop.
    for via_stream in [false, true] {
        let config = ChannelConfig { max_queue: 2, overflow: Overflow::DropOldest, ..ChannelConfig::default() };
        let mut ch = channel(config);
        let a = ch.add_listener().unwrap();
        ch.broadcast(msg("t", "1")).unwrap();
        ch.broadcast(msg("t", "2")).unwrap();
        let shown = if via_stream {
            ch.open_stream(a, None, 0).unwrap();
            ch.peek_stream(a, 0).unwrap().unwrap()
        } else {
            let Next::Delivery(shown) = ch.peek_next(a, Take::Any).unwrap() else { panic!("queued") };
            shown
        };
        assert_eq!(shown.payload(), "1");
        ch.broadcast(msg("t", "3")).unwrap(); // the hook's broadcast: 2 and 3 are queued behind 1
        if via_stream {
            let mut out = Vec::new();
            ch.poll_stream(a, 0, usize::MAX, &mut out).unwrap();
            let text = short(&String::from_utf8(out).unwrap());
            assert_eq!(text, "retry: 5000\n\nid: 1\nevent: t\ndata: 1\n\nid: 2\nevent: t\ndata: 2\n\nid: 3\nevent: t\ndata: 3\n\n");
        } else {
            ch.commit(a, &shown);
            let rest: Vec<String> = (0..2).map(|_| ch.deliver_next(a).unwrap().payload().to_owned()).collect();
            assert_eq!(rest, ["2", "3"]);
        }
        // Once taken, the bounds count every queued message again: the oldest goes first.
        for n in 4..=6 {
            ch.broadcast(msg("t", &n.to_string())).unwrap();
        }
        let next = ch.deliver_next(a).unwrap();
        assert_eq!((next.kind(), next.payload()), ("_eric_dropped", "{\"dropped\":1}"), "via stream {via_stream}");
    }
}

#[test]
fn a_shown_message_left_queued_counts_outside_the_bounds_only_while_it_is_the_head() {
    // A hook that throws leaves its message queued and shown: one message over the bound at most.
    let config = ChannelConfig { max_queue: 1, overflow: Overflow::DropOldest, ..ChannelConfig::default() };
    let mut ch = channel(config);
    let a = ch.add_listener().unwrap();
    ch.broadcast(msg("t", "1")).unwrap();
    let Next::Delivery(shown) = ch.peek_next(a, Take::Any).unwrap() else { panic!("queued") };
    assert_eq!(shown.payload(), "1");
    ch.broadcast(msg("t", "2")).unwrap();
    ch.broadcast(msg("t", "3")).unwrap(); // drops 2, never the shown 1
    let got: Vec<String> = (0..3).map(|_| ch.deliver_next(a).unwrap().payload().to_owned()).collect();
    // The drop is reported where drops always are, before the queue's head.
    assert_eq!(got, ["{\"dropped\":1}", "1", "3"]);
}
