//! The stream state machine and the channel's wake-ups, driven by a fake clock: every timing rule
//! (keep-alive, the early first keep-alive, stream delay, pause) is checked at exact
//! milliseconds, with no real timer.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code, not reachable from JS

use eric_sse::{Channel, ChannelConfig, Flush, ListenerKey, Message, Next, Numbering, StreamPoll, Take};

fn channel(config: ChannelConfig) -> Channel {
    Channel::new("ch", ChannelConfig { numbering: Numbering::Local { epoch: 7 }, ..config })
}

fn poll(ch: &mut Channel, key: ListenerKey, now: u64) -> (StreamPoll, String) {
    let mut out = Vec::new();
    let poll = ch.poll_stream(key, now, usize::MAX, &mut out).unwrap();
    (poll, String::from_utf8(out).unwrap().replace("7-", ""))
}

fn pending(at: Option<u64>) -> (StreamPoll, String) {
    (StreamPoll::Pending { wake_at: at }, String::new())
}

fn sent(text: &str) -> (StreamPoll, String) {
    (StreamPoll::Sent, text.to_owned())
}

fn broadcast(ch: &mut Channel, payload: &str) {
    ch.broadcast(Message::new("t", payload)).unwrap();
}

fn frame(n: u64, payload: &str) -> String {
    format!("id: {n}\nevent: t\ndata: {payload}\n\n")
}

/// An open stream whose opening was sent at `t`.
fn opened(ch: &mut Channel, t: u64) -> ListenerKey {
    let key = ch.add_listener().unwrap();
    ch.open_stream(key, None, t).unwrap();
    assert_eq!(poll(ch, key, t), sent("retry: 5000\n\n"));
    key
}

#[test]
fn the_first_keep_alive_comes_early_then_every_interval_of_silence() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 15_000, first_keep_alive_ms: 1000, ..ChannelConfig::default() });
    let a = opened(&mut ch, 100);
    assert_eq!(poll(&mut ch, a, 100), pending(Some(1100)));
    assert_eq!(poll(&mut ch, a, 1099), pending(Some(1100)));
    assert_eq!(poll(&mut ch, a, 1100), sent(": keep-alive\n\n"));
    assert_eq!(poll(&mut ch, a, 1100), pending(Some(16_100)));
    assert_eq!(poll(&mut ch, a, 16_100), sent(": keep-alive\n\n"));
}

#[test]
fn a_message_restarts_the_silence_and_ends_the_early_interval() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 500, first_keep_alive_ms: 100, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    broadcast(&mut ch, "1");
    assert_eq!(poll(&mut ch, a, 50), sent(&frame(1, "1")));
    assert_eq!(poll(&mut ch, a, 60), pending(Some(550)));
}

#[test]
fn keep_alive_zero_never_wakes() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    assert_eq!(poll(&mut ch, a, 1_000_000), pending(None));
}

#[test]
fn stream_delay_sends_one_frame_per_interval() {
    let mut ch = channel(ChannelConfig { stream_delay_ms: 40, keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = ch.add_listener().unwrap();
    for n in 1..=3 {
        broadcast(&mut ch, &n.to_string());
    }
    ch.open_stream(a, None, 0).unwrap();
    assert_eq!(poll(&mut ch, a, 0), sent(&format!("retry: 5000\n\n{}", frame(1, "1"))));
    assert_eq!(poll(&mut ch, a, 10), pending(Some(40)));
    assert_eq!(poll(&mut ch, a, 40), sent(&frame(2, "2")));
    assert_eq!(poll(&mut ch, a, 79), pending(Some(80)));
    assert_eq!(poll(&mut ch, a, 85), sent(&frame(3, "3")));
    assert_eq!(poll(&mut ch, a, 200), pending(None), "nothing queued: no deadline");
}

#[test]
fn a_stopped_listener_streams_only_keep_alives_and_start_wakes_it() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 1000, first_keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    ch.stop(a).unwrap();
    broadcast(&mut ch, "1");
    assert_eq!(poll(&mut ch, a, 10), pending(Some(1000)));
    assert_eq!(poll(&mut ch, a, 1000), sent(": keep-alive\n\n"));
    assert_eq!(poll(&mut ch, a, 1001), pending(Some(2000)));
    ch.start(a).unwrap();
    let mut flush = Flush::default();
    ch.flush(1002, &mut flush);
    assert_eq!(flush.streams, [a], "start wakes the waiting stream");
    assert_eq!(poll(&mut ch, a, 1002), sent(&frame(1, "1")));
}

#[test]
fn waiting_streams_share_one_chunk_of_the_broadcasts_since_the_last_flush() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 0, ..ChannelConfig::default() });
    let (a, b, c) = (opened(&mut ch, 0), opened(&mut ch, 0), opened(&mut ch, 0));
    for key in [a, b, c] {
        assert_eq!(poll(&mut ch, key, 0), pending(None));
    }
    broadcast(&mut ch, "1");
    broadcast(&mut ch, "2");
    ch.dispatch(c, Message::new("t", "only c")).unwrap();
    let mut flush = Flush::default();
    ch.flush(5, &mut flush);
    let shared = String::from_utf8(flush.shared.clone()).unwrap().replace("7-", "");
    assert_eq!(shared, format!("{}{}", frame(1, "1"), frame(2, "2")));
    let mut keys = flush.shared_keys.clone();
    keys.sort();
    assert_eq!(keys, [a, b]);
    assert_eq!(flush.streams, [c], "c's queue holds more than the broadcasts: it polls");
    assert_eq!((ch.queued(a).unwrap(), ch.queued(b).unwrap(), ch.queued(c).unwrap()), (0, 0, 3));
    ch.flush(6, &mut flush);
    assert!(flush.is_empty(), "each waiting stream is woken once");
}

#[test]
fn flush_lists_woken_streams_in_key_order() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 0, ..ChannelConfig::default() });
    let keys: Vec<ListenerKey> = (0..200).map(|_| opened(&mut ch, 0)).collect();
    for &key in keys.iter().rev() {
        assert_eq!(poll(&mut ch, key, 0), pending(None));
    }
    broadcast(&mut ch, "1");
    let mut flush = Flush::default();
    ch.flush(1, &mut flush);
    assert_eq!(flush.shared_keys, keys, "registration order, not the map's");
}

#[test]
fn a_stream_that_waits_again_without_a_poll_is_woken_for_what_came_meanwhile() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    assert_eq!(poll(&mut ch, a, 0), pending(None));
    broadcast(&mut ch, "1");
    let mut flush = Flush::default();
    ch.flush(1, &mut flush);
    assert_eq!(flush.shared_keys, [a]);
    // Its reader has the chunk and has not asked again: a broadcast now only queues.
    broadcast(&mut ch, "2");
    ch.flush(2, &mut flush);
    assert!(flush.is_empty());
    assert!(ch.rewait_streams(&[a.0], 3), "a queue that is not empty wakes it");
    ch.flush(3, &mut flush);
    assert_eq!(flush.streams, [a]);
    assert_eq!(poll(&mut ch, a, 3), sent(&frame(2, "2")));
}

#[test]
fn a_stream_that_waits_again_with_nothing_queued_is_shared_the_next_broadcast() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 0, ..ChannelConfig::default() });
    let (a, b) = (opened(&mut ch, 0), opened(&mut ch, 0));
    for key in [a, b] {
        assert_eq!(poll(&mut ch, key, 0), pending(None));
    }
    let mut flush = Flush::default();
    for n in 1..=3 {
        broadcast(&mut ch, &n.to_string());
        ch.flush(n, &mut flush);
        assert_eq!(flush.shared_keys, [a, b], "broadcast {n}");
        assert!(!ch.rewait_streams(&[a.0, b.0], n), "nothing came: nothing to wake");
    }
    assert!(!ch.rewait_streams(&[999, a.0], 4), "unknown keys are skipped");
}

#[test]
fn waiting_again_wakes_a_stream_whose_keep_alive_is_due_or_that_ended() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 1000, first_keep_alive_ms: 0, ..ChannelConfig::default() });
    let (a, b) = (opened(&mut ch, 0), opened(&mut ch, 0));
    for key in [a, b] {
        assert_eq!(poll(&mut ch, key, 0), pending(Some(1000)));
    }
    broadcast(&mut ch, "1");
    let mut flush = Flush::default();
    ch.flush(10, &mut flush);
    assert_eq!(flush.shared_keys, [a, b]);
    assert!(!ch.rewait_streams(&[a.0], 1009));
    assert!(ch.rewait_streams(&[b.0], 1010), "keep-alive due at 1010 (the chunk went out at 10)");
    ch.flush(1010, &mut flush);
    assert_eq!(flush.streams, [b]);
    assert_eq!(poll(&mut ch, b, 1010), sent(": keep-alive\n\n"));
    ch.notify_end();
    ch.flush(1011, &mut flush);
    assert_eq!(flush.streams, [a], "a waits (told by rewait_streams); b has bytes to read");
    assert!(ch.rewait_streams(&[b.0], 1012), "the end wakes it");
}

#[test]
fn a_poll_that_sends_leaves_the_stream_not_waiting() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 1000, first_keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    assert_eq!(poll(&mut ch, a, 0), pending(Some(1000)));
    // A timer's poll sends a keep-alive: the reader has bytes to read, it does not wait.
    assert_eq!(poll(&mut ch, a, 1000), sent(": keep-alive\n\n"));
    broadcast(&mut ch, "1");
    let mut flush = Flush::default();
    ch.flush(1001, &mut flush);
    assert!(flush.is_empty(), "nothing is handed to a reader that has not asked");
    assert_eq!(poll(&mut ch, a, 1002), sent(&frame(1, "1")));
}

#[test]
fn streams_whose_reader_does_not_wait_are_not_handed_anything() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    broadcast(&mut ch, "1");
    let mut flush = Flush::default();
    ch.flush(1, &mut flush);
    assert!(flush.is_empty(), "the reader has not asked since the opening");
    assert_eq!(poll(&mut ch, a, 1), sent(&frame(1, "1")));
}

#[test]
fn hooked_listeners_are_woken_but_never_shared() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    ch.set_hooked(a, true).unwrap();
    assert_eq!(poll(&mut ch, a, 0), pending(None));
    broadcast(&mut ch, "1");
    let mut flush = Flush::default();
    ch.flush(1, &mut flush);
    assert_eq!((flush.shared_keys.len(), flush.streams.as_slice()), (0, [a].as_slice()));
}

#[test]
fn deadlines_come_back_through_next_timeout_and_handle_timeout() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 1000, first_keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    let b = opened(&mut ch, 300);
    assert_eq!(poll(&mut ch, a, 0), pending(Some(1000)));
    assert_eq!(poll(&mut ch, b, 300), pending(Some(1300)));
    assert_eq!(ch.next_timeout(), Some(1000));
    let mut flush = Flush::default();
    ch.handle_timeout(999);
    ch.flush(999, &mut flush);
    assert!(flush.is_empty());
    ch.handle_timeout(1000);
    ch.flush(1000, &mut flush);
    assert_eq!(flush.streams, [a]);
    assert_eq!(ch.next_timeout(), Some(1300), "a no longer waits: its reader was woken");
    assert_eq!(poll(&mut ch, a, 1000), sent(": keep-alive\n\n"));
    ch.handle_timeout(1300);
    ch.flush(1300, &mut flush);
    assert_eq!(flush.streams, [b]);
}

#[test]
fn a_deadline_that_moved_later_does_not_fire() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 1000, first_keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    assert_eq!(poll(&mut ch, a, 0), pending(Some(1000)));
    broadcast(&mut ch, "1");
    let mut flush = Flush::default();
    ch.flush(500, &mut flush);
    assert_eq!(flush.shared_keys, [a]);
    assert_eq!(poll(&mut ch, a, 600), pending(Some(1500)));
    ch.handle_timeout(1000);
    ch.flush(1000, &mut flush);
    assert!(flush.is_empty(), "the silence restarted at 500");
    assert_eq!(ch.next_timeout(), Some(1500));
}

#[test]
fn waiting_consumers_are_listed_once_per_change() {
    let mut ch = channel(ChannelConfig::default());
    let a = ch.add_listener().unwrap();
    assert!(matches!(ch.take_next(a, Take::Running).unwrap(), Next::Wait));
    broadcast(&mut ch, "1");
    broadcast(&mut ch, "2");
    let mut flush = Flush::default();
    ch.flush(0, &mut flush);
    assert_eq!(flush.consumers, [a]);
    ch.flush(0, &mut flush);
    assert!(flush.consumers.is_empty());
    ch.notify_end();
    ch.flush(0, &mut flush);
    assert!(flush.consumers.is_empty(), "it did not wait again");
}

#[test]
fn the_end_wakes_every_waiting_stream_and_closes_it_after_its_queue() {
    let mut ch = channel(ChannelConfig { keep_alive_ms: 0, ..ChannelConfig::default() });
    let a = opened(&mut ch, 0);
    assert_eq!(poll(&mut ch, a, 0), pending(None));
    broadcast(&mut ch, "1");
    ch.notify_end();
    let mut flush = Flush::default();
    ch.flush(1, &mut flush);
    assert_eq!(flush.streams, [a], "not shared: the stream must also close");
    assert_eq!(
        poll(&mut ch, a, 1),
        (StreamPoll::Finished, format!("{}event: _eric_channel_closed\ndata: null\n\n", frame(1, "1")))
    );
    assert_eq!(ch.listener_count(), 0);
}

#[test]
fn dropping_a_stream_keeps_the_listener_and_closing_it_removes_the_listener() {
    let mut ch = channel(ChannelConfig::default());
    let a = opened(&mut ch, 0);
    broadcast(&mut ch, "1");
    ch.drop_stream(a);
    assert_eq!(ch.queued(a).unwrap(), 1);
    ch.open_stream(a, None, 0).unwrap();
    ch.close_stream(a);
    assert_eq!(ch.listener_count(), 0);
    ch.close_stream(a);
}

#[test]
fn peek_stream_shows_what_a_poll_would_send_now() {
    let mut ch = channel(ChannelConfig { stream_delay_ms: 10, ..ChannelConfig::default() });
    let a = ch.add_listener().unwrap();
    broadcast(&mut ch, "1");
    broadcast(&mut ch, "2");
    ch.open_stream(a, None, 0).unwrap();
    assert_eq!(ch.peek_stream(a, 0).unwrap().unwrap().payload(), "1");
    let mut out = Vec::new();
    ch.poll_stream(a, 0, 1, &mut out).unwrap();
    assert!(ch.peek_stream(a, 5).unwrap().is_none(), "held back by the delay");
    assert_eq!(ch.peek_stream(a, 10).unwrap().unwrap().payload(), "2");
    ch.stop(a).unwrap();
    assert!(ch.peek_stream(a, 10).unwrap().is_none(), "stopped");
}
