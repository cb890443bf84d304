//! A reference model of `Channel`, run side by side with the real one over a sequence of
//! operations read from bytes. Shared by the `channel` fuzz target (`fuzz/fuzz_targets/channel.rs`,
//! bytes from libFuzzer) and `tests/model.rs` (bytes from a seeded PRNG, so `cargo test` runs it).
//!
//! The model is deliberately plain: per listener a FIFO of message-log indices (and queued
//! notices) with the overflow policy applied by count and by bytes, a `dropped` count, a
//! lifecycle, a running flag, the stream's timing state; per channel the message log, the replay
//! history as a suffix of the log, the last id. After every operation the real channel must agree
//! with it: the same results and errors, byte-identical stream output, the same queue lengths,
//! lifecycles and deadlines. On top of the agreement it checks properties stated in the README:
//! - ids strictly increase, and a refused call uses none;
//! - a refused call (`Err`) changes nothing: the channel's full `Debug` state is the same before
//!   and after (every refusal found deep in a call, one in 16 of the frequent argument checks;
//!   the documented exception: a dispatch that cuts a `disconnect` listener off);
//! - queues stay within `max_queue` and `max_queue_bytes`;
//! - nothing is delivered twice on one stream (ids increase) and nothing is lost silently: a
//!   resume from `Last-Event-ID` without an `_eric_replay_gap` notice must be provably
//!   continuous (the client's id is the last one, or the first message after it names it as
//!   predecessor, no message after it was lost by the engine, and all of them are still kept),
//!   and then it replays exactly the log's messages for this listener after that id;
//! - a waiting stream or consumer that a message, `start`, the end, a cut or a due deadline may
//!   let progress is listed by the next `flush` (no lost wake-up); a shared chunk goes only to
//!   streams whose whole queue it is;
//! - a commit takes exactly what the last peek showed: a message by its id, the drops an
//!   `_eric_dropped` notice counted (later ones stay pending), a queued notice once;
//! - a replay read from an engine (`open_stream_replay`) is continuous only when its links hold,
//!   merges the queue without repeats, and keeps from that stream exactly what it covered;
//! - the memory charged returns to where it was when the channels are dropped.
//!
//! Streams' readers also wait again without a poll (`rewait_streams`), and the engine-numbered
//! channel also takes the engine's end marker, `_eric_backplane` notices, `check_outgoing` and
//! `can_resume`. The model found five places where the channel did not do
//! what its documentation says; `fuzz/README.md` lists them, each with the input that found it
//! in `fuzz/regressions/channel/`, and `tests/channel.rs` has a direct test for each.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    clippy::struct_excessive_bools,
    dead_code
)]

use std::collections::VecDeque;
use std::sync::OnceLock;

use eric_sse::message::{BACKPLANE, CHANNEL_CLOSED, DROPPED, ERROR, OVERFLOW, REPLAY_GAP};
use eric_sse::sse::{encode_into, Frame};
use eric_sse::stream::KEEP_ALIVE;
use eric_sse::{
    memory, Accepted, Channel, ChannelConfig, Envelope, Error, External, Flush, Lifecycle, Limit, ListenerKey, Message,
    MessageId, Next, Numbering, Overflow, SignedMessage, StreamPoll, Take,
};

// ---- reading the operations ----

/// The bytes an operation sequence is read from; reads past the end give 0 and end the run.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.data.split_first().unwrap_or((&0, &[]));
        self.data = rest;
        b
    }
    fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n
    }
    fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }
    fn pick<T: Clone>(&mut self, pool: &[T]) -> T {
        pool[self.below(pool.len())].clone()
    }
}

const KINDS: [&str; 11] = ["t", "u", "start", "stop", "t", "", "_eric_x", "a\nb", "a\rb", "\u{e9}", " sp"];
const PAYLOADS: [&str; 9] = ["1", "\"x\"", "", "a\nb", "a\r\nb\rc", "{\"k\":[1,2]}", "null", "40", "120"];
const SENDERS: [&str; 5] = ["bob", "listener-1", "", "a b", "caf\u{e9}"];
const IDS: [&str; 8] = ["a", "b", "listener-1", "listener-2", "", "a b", "long", "\u{e9}"];

fn payload_text(choice: &str) -> String {
    match choice {
        "40" => "x".repeat(40),
        "120" => "y".repeat(120),
        other => other.to_owned(),
    }
}

fn id_text(choice: &str) -> String {
    if choice == "long" {
        "x".repeat(257)
    } else {
        choice.to_owned()
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 256 && id.bytes().all(|b| b.is_ascii_graphic())
}

fn valid_kind(kind: &str) -> bool {
    !kind.is_empty() && kind.len() <= 256 && !kind.starts_with("_eric_") && !kind.contains(['\r', '\n'])
}

fn has_break(s: &str) -> bool {
    s.contains(['\r', '\n'])
}

fn frame(id: Option<&str>, kind: &str, data: &str) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(&mut out, &Frame { id, event: Some(kind), data: Some(data), ..Frame::default() }).unwrap();
    out
}

/// Bytes charged per envelope beyond its text, measured once on a real envelope.
fn overhead() -> usize {
    static OVERHEAD: OnceLock<usize> = OnceLock::new();
    *OVERHEAD.get_or_init(|| {
        let mut ch = Channel::new("probe", ChannelConfig::default());
        let k = ch.add_listener().unwrap();
        ch.dispatch(k, Message::new("t", "1")).unwrap();
        let e = ch.deliver_next(k).unwrap();
        e.size() - e.frame().len() - 1
    })
}

fn envelope_size(frame_len: usize, kind: &str, payload: &str, sender: Option<&str>) -> usize {
    overhead() + frame_len + if has_break(payload) { payload.len() } else { 0 } + kind.len() + sender.map_or(0, str::len)
}

fn dropped_data(n: u64) -> String {
    format!("{{\"dropped\":{n}}}")
}

fn name<T>(result: &Result<T, Error>) -> Option<&'static str> {
    result.as_ref().err().map(Error::name)
}

const FORMAT: &str = "InvalidMessageFormatError";
const CLOSED: &str = "ChannelClosedError";
const LISTENER: &str = "InvalidListenerError";
const EXISTS: &str = "ListenerExistsError";
const FULL: &str = "QueueOverflowError";
const NO_MESSAGES: &str = "NoMessagesError";
const TOO_LARGE: &str = "PayloadTooLargeError";
const MEMORY: &str = "MemoryLimitError";

// ---- the model ----

#[derive(Debug, Clone)]
struct Msg {
    id: MessageId,
    prev: Option<MessageId>,
    kind: String,
    payload: String,
    sender: Option<String>,
    target: Option<String>,
    size: usize,
    frame: Vec<u8>,
    /// Accepted after a gap in the engine's log (`Accepted::AfterGap`).
    hole_before: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    /// A message: its index in the log, and its size.
    Msg(usize, usize),
    /// A notice queued like a message (`_eric_replay_gap` after an engine's gap,
    /// `_eric_backplane`); `serial` tells equal notices apart.
    Notice { kind: &'static str, data: String, size: usize, serial: u64 },
}

impl Item {
    fn size(&self) -> usize {
        match self {
            Item::Msg(_, size) | Item::Notice { size, .. } => *size,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Life {
    Open,
    Cut(Limit),
    Ended,
}

#[derive(Debug)]
struct StreamModel {
    opening: Option<Vec<u8>>,
    last_sent_at: u64,
    next_delivery_at: u64,
    sent_since_open: bool,
    waiting: bool,
    /// The last message id this stream carried: ids on one stream strictly increase.
    last_id: Option<MessageId>,
}

/// What a consumer was shown by a peek, to commit later.
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    /// The `_eric_dropped` notice: its count, and the listener's `dropped_total` then.
    Dropped { n: u64, through: u64 },
    Item(Item),
}

/// What the channel remembers of the last peek that showed something (`commit_id(None)` takes
/// that notice and nothing else).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mark {
    Message,
    Dropped { through: u64 },
    Notice(u64),
}

#[derive(Debug)]
struct ListenerModel {
    key: ListenerKey,
    id: String,
    running: bool,
    life: Life,
    queue: VecDeque<Item>,
    queue_bytes: usize,
    dropped: u64,
    /// Every drop counted (`dropped` of them not reported yet).
    dropped_total: u64,
    hooked: bool,
    actions: bool,
    consumer_waiting: bool,
    /// Something happened that may let its waiting stream or consumer progress.
    must_wake: bool,
    stream: Option<StreamModel>,
    shown: Option<Shown>,
    /// What the last peek showed, as the channel remembers it.
    mark: Mark,
    /// The queued item a peek last showed: while it is the head it is in delivery (a hook may
    /// be running for it), outside the bounds, and `drop-oldest` spares it.
    held: Option<Item>,
    /// What the stream's replay from an engine covered: messages up to it are not queued.
    replayed_through: Option<MessageId>,
    /// The last message taken from the queue outside a stream (ids increase).
    last_taken: Option<MessageId>,
}

impl ListenerModel {
    /// A stream opens: its opening owed, nothing taken or replayed yet but `through`.
    fn open(&mut self, opening: Vec<u8>, now: u64, last_id: Option<MessageId>, through: Option<MessageId>) {
        self.last_taken = None;
        self.replayed_through = through;
        self.stream = Some(StreamModel {
            opening: Some(opening),
            last_sent_at: now,
            next_delivery_at: now,
            sent_since_open: false,
            waiting: false,
            last_id,
        });
    }
}

impl ListenerModel {
    fn waiting(&self) -> bool {
        self.consumer_waiting || self.stream.as_ref().is_some_and(|s| s.waiting)
    }
    fn done(&self) -> bool {
        self.queue.is_empty() && self.dropped == 0 && self.life != Life::Open
    }
}

/// An entry of an engine's log, for `open_stream_replay`.
#[derive(Debug, Clone)]
struct Entry {
    id: MessageId,
    prev: Option<MessageId>,
    kind: String,
    payload: String,
    sender: Option<String>,
    target: Option<String>,
}

/// What a model delivery is, to compare with a real `Envelope`.
#[derive(Debug, Clone, PartialEq)]
enum Want {
    Msg(usize),
    Notice(&'static str, String),
}

struct Sim {
    real: Channel,
    cfg: ChannelConfig,
    external: bool,
    epoch: u64,
    ended: bool,
    ls: Vec<ListenerModel>,
    keys_seen: Vec<ListenerKey>,
    log: Vec<Msg>,
    /// Where an external channel's log starts (`set_last_id`).
    anchor: Option<MessageId>,
    /// Log indices kept for replay, oldest first (always a suffix of the log).
    history: VecDeque<usize>,
    history_bytes: usize,
    last_id: Option<MessageId>,
    next_seq: u64,
    accepted_any: bool,
    /// Listeners were added or removed since the last check.
    membership: bool,
    /// Shallow refusals seen (every 16th is checked against a snapshot).
    refusals: u32,
    /// Notices queued so far (their serials).
    notices: u64,
}

fn config(input: &mut Input, external: bool) -> ChannelConfig {
    let epoch = input.below(3) as u64;
    ChannelConfig {
        retry_ms: input.pick(&[5000, 0, 17]),
        stream_delay_ms: input.pick(&[0, 0, 3, 10]),
        keep_alive_ms: input.pick(&[0, 5, 20, 15_000]),
        first_keep_alive_ms: input.pick(&[0, 2, 10, 1000]),
        history_size: input.below(6),
        history_bytes: input.pick(&[usize::MAX, usize::MAX, 150, 300, 600]),
        max_queue: 1 + input.below(4),
        max_queue_bytes: input.pick(&[usize::MAX, usize::MAX, 140, 200, 260, 400]),
        max_message_bytes: input.pick(&[usize::MAX, usize::MAX, usize::MAX, 0, 40]),
        overflow: input.pick(&[Overflow::Disconnect, Overflow::DropOldest, Overflow::Error]),
        numbering: if external { Numbering::External } else { Numbering::Local { epoch } },
    }
}

impl Sim {
    fn new(name: &str, cfg: ChannelConfig) -> Sim {
        let (external, epoch) = match cfg.numbering {
            Numbering::External => (true, 0),
            Numbering::Local { epoch } => (false, epoch),
        };
        Sim {
            real: Channel::new(name, cfg.clone()),
            cfg,
            external,
            epoch,
            ended: false,
            ls: Vec::new(),
            keys_seen: Vec::new(),
            log: Vec::new(),
            anchor: None,
            history: VecDeque::new(),
            history_bytes: 0,
            last_id: None,
            next_seq: 1,
            accepted_any: false,
            membership: false,
            refusals: 0,
            notices: 0,
        }
    }

    /// The channel's full state, taken before a call the model expects to be refused, to check
    /// that the refusal changed nothing. Always for a `deep` refusal (a full queue, the memory
    /// budget, a drained cut-off listener: found after the call looked at the listener's state);
    /// for one in 16 `shallow` refusals (an unknown key, a malformed argument, a call the
    /// channel's state rules out at once), which are frequent: formatting the whole channel for
    /// each of them took 70% of the fuzzer's time.
    fn snapshot(&mut self, deep: bool, shallow: bool) -> Option<String> {
        let sampled = shallow && {
            self.refusals = self.refusals.wrapping_add(1);
            self.refusals % 16 == 1
        };
        (deep || sampled).then(|| format!("{:?}", self.real))
    }

    fn unchanged(&self, before: &Option<String>, what: &str) {
        if let Some(before) = before {
            assert_eq!(before, &format!("{:?}", self.real), "a refused {what} changed the channel");
        }
    }

    fn pick_key(&self, input: &mut Input) -> ListenerKey {
        let n = input.byte();
        if self.keys_seen.is_empty() || n % 16 == 15 {
            return ListenerKey(0x7fff_0000 + u32::from(n));
        }
        self.keys_seen[usize::from(n) % self.keys_seen.len()]
    }

    fn index(&self, key: ListenerKey) -> Option<usize> {
        self.ls.iter().position(|l| l.key == key)
    }

    fn add(&mut self, key: ListenerKey, id: String) {
        assert!(!self.keys_seen.contains(&key), "key {key:?} reused");
        self.keys_seen.push(key);
        self.membership = true;
        let life = if self.ended { Life::Ended } else { Life::Open };
        self.ls.push(ListenerModel {
            key,
            id,
            running: true,
            life,
            queue: VecDeque::new(),
            queue_bytes: 0,
            dropped: 0,
            dropped_total: 0,
            hooked: false,
            actions: false,
            consumer_waiting: false,
            must_wake: false,
            stream: None,
            shown: None,
            mark: Mark::Message,
            held: None,
            replayed_through: None,
            last_taken: None,
        });
    }

    /// Messages and bytes that count against the bounds: the queue but a held head.
    fn counted(l: &ListenerModel) -> (usize, usize) {
        match l.queue.front() {
            Some(head) if l.held.as_ref() == Some(head) => (l.queue.len() - 1, l.queue_bytes - head.size()),
            _ => (l.queue.len(), l.queue_bytes),
        }
    }

    fn fits(&self, l: &ListenerModel, size: usize) -> bool {
        let (messages, bytes) = Self::counted(l);
        messages < self.cfg.max_queue && bytes.saturating_add(size) <= self.cfg.max_queue_bytes
    }

    fn limit_passed(&self, l: &ListenerModel) -> Limit {
        if Self::counted(l).0 >= self.cfg.max_queue {
            Limit::Messages(self.cfg.max_queue)
        } else {
            Limit::Bytes(self.cfg.max_queue_bytes)
        }
    }

    /// Queues `item` for listener `at` under the policy; false when the listener was cut off.
    fn enqueue(&mut self, at: usize, item: Item) -> bool {
        if let (Item::Msg(i, _), Some(through)) = (&item, self.ls[at].replayed_through) {
            if self.log[*i].id <= through {
                // The stream's replay from the engine gave it already.
                return true;
            }
        }
        let size = item.size();
        if !self.fits(&self.ls[at], size) {
            match self.cfg.overflow {
                Overflow::Disconnect | Overflow::Error => {
                    let limit = self.limit_passed(&self.ls[at]);
                    self.ls[at].life = Life::Cut(limit);
                    self.wake(at);
                    return false;
                }
                Overflow::DropOldest => {
                    while !self.fits(&self.ls[at], size) {
                        let l = &mut self.ls[at];
                        l.dropped += 1;
                        l.dropped_total += 1;
                        let oldest = usize::from(Self::counted(l).0 < l.queue.len());
                        match l.queue.remove(oldest) {
                            Some(old) => l.queue_bytes -= old.size(),
                            None => {
                                // Larger than the byte bound on its own: dropped too.
                                self.wake(at);
                                return true;
                            }
                        }
                    }
                }
            }
        }
        let l = &mut self.ls[at];
        l.queue_bytes += size;
        l.queue.push_back(item);
        let (messages, bytes) = Self::counted(l);
        assert!(messages <= self.cfg.max_queue && bytes <= self.cfg.max_queue_bytes);
        self.wake(at);
        true
    }

    /// A change that may let listener `at` progress: its waiting party must be woken.
    fn wake(&mut self, at: usize) {
        let l = &mut self.ls[at];
        if l.waiting() {
            l.must_wake = true;
        }
    }

    fn fan_out(&mut self, item: &Item) {
        for at in 0..self.ls.len() {
            if self.ls[at].life == Life::Open {
                self.enqueue(at, item.clone());
            }
        }
    }

    /// A notice to queue like a message.
    fn notice(&mut self, kind: &'static str, data: String) -> Item {
        let size = envelope_size(frame(None, kind, &data).len(), kind, &data, None);
        self.notices += 1;
        Item::Notice { kind, data, size, serial: self.notices }
    }

    fn keep(&mut self, index: usize) {
        if self.cfg.history_size == 0 {
            return;
        }
        self.history.push_back(index);
        self.history_bytes += self.log[index].size;
        while self.history.len() > self.cfg.history_size || self.history_bytes > self.cfg.history_bytes {
            let old = self.history.pop_front().unwrap();
            self.history_bytes -= self.log[old].size;
        }
    }

    fn push_log(&mut self, msg: Msg) -> usize {
        if let Some(last) = self.last_id {
            assert!(msg.id > last, "ids strictly increase: {} after {}", msg.id.to_text(), last.to_text());
        }
        self.last_id = Some(msg.id);
        self.log.push(msg);
        self.log.len() - 1
    }

    fn build(&self, id: MessageId, prev: Option<MessageId>, kind: &str, payload: &str, sender: Option<&str>, target: Option<&str>) -> Msg {
        let frame = frame(Some(&id.to_text()), kind, payload);
        Msg {
            id,
            prev,
            kind: kind.to_owned(),
            payload: payload.to_owned(),
            sender: sender.map(str::to_owned),
            target: target.map(str::to_owned),
            size: envelope_size(frame.len(), kind, payload, sender),
            frame,
            hole_before: false,
        }
    }

    fn item_frame(&self, item: &Item) -> Vec<u8> {
        match item {
            Item::Msg(i, _) => self.log[*i].frame.clone(),
            Item::Notice { kind, data, .. } => frame(None, kind, data),
        }
    }

    fn item_want(item: &Item) -> Want {
        match item {
            Item::Msg(i, _) => Want::Msg(*i),
            Item::Notice { kind, data, .. } => Want::Notice(kind, data.clone()),
        }
    }

    fn check_envelope(&self, got: &Envelope, want: &Want) {
        match want {
            Want::Msg(i) => {
                let m = &self.log[*i];
                assert_eq!(got.id(), Some(m.id));
                assert_eq!((got.kind(), got.payload(), got.sender_id()), (m.kind.as_str(), m.payload.as_str(), m.sender.as_deref()));
                assert_eq!(got.target(), m.target.as_deref());
                assert_eq!(got.frame(), m.frame.as_slice());
                assert_eq!(got.size(), m.size, "charged size of {}", m.id.to_text());
            }
            Want::Notice(kind, data) => {
                assert_eq!((got.id(), got.kind(), got.payload()), (None, *kind, data.as_str()));
            }
        }
    }

    // ---- the operations ----

    fn add_listener(&mut self, low: bool) {
        match self.real.add_listener() {
            Ok(key) => {
                let id = self.real.listener_id(key).unwrap().to_owned();
                assert!(id.starts_with("listener-") && valid_id(&id), "{id:?}");
                assert!(self.ls.iter().all(|l| l.id != id), "generated id {id} is taken");
                self.add(key, id);
            }
            // A refused add advances the generated-id counter only (ids are arbitrary).
            Err(e) => assert!(low && e.name() == MEMORY, "add_listener: {e}"),
        }
    }

    fn register(&mut self, id: &str, low: bool) {
        let want = if !valid_id(id) {
            Some(LISTENER)
        } else if self.ls.iter().any(|l| l.id == id) {
            Some(EXISTS)
        } else {
            None
        };
        let before = self.snapshot(low, want.is_some());
        let got = self.real.register_listener(id);
        match got {
            Ok(key) => {
                assert_eq!(want, None, "register_listener({id:?}) accepted");
                self.add(key, id.to_owned());
            }
            Err(e) => {
                if !(low && e.name() == MEMORY && want.is_none()) {
                    assert_eq!(Some(e.name()), want, "register_listener({id:?}): {e}");
                }
                self.unchanged(&before, "register_listener");
            }
        }
    }

    fn remove(&mut self, key: ListenerKey) {
        let before = self.snapshot(false, self.index(key).is_none());
        let got = self.real.remove_listener(key);
        match self.index(key) {
            Some(at) => {
                assert!(got.is_ok());
                self.ls.remove(at);
                self.membership = true;
            }
            None => {
                assert_eq!(name(&got), Some(LISTENER));
                self.unchanged(&before, "remove_listener");
            }
        }
    }

    fn toggle(&mut self, key: ListenerKey, what: u8, on: bool) {
        let before = self.snapshot(false, self.index(key).is_none());
        let got = match what {
            0 => self.real.start(key),
            1 => self.real.stop(key),
            2 => self.real.set_actions(key, on),
            _ => self.real.set_hooked(key, on),
        };
        let Some(at) = self.index(key) else {
            assert_eq!(name(&got), Some(LISTENER));
            self.unchanged(&before, "start/stop/set_*");
            return;
        };
        assert!(got.is_ok());
        match what {
            0 => {
                self.ls[at].running = true;
                self.wake(at);
            }
            1 => self.ls[at].running = false,
            2 => self.ls[at].actions = on,
            _ => self.ls[at].hooked = on,
        }
    }

    /// `mode`: 0 dispatch, 1 dispatch_signed, 2 dispatch_error.
    fn dispatch(&mut self, key: ListenerKey, mode: u8, kind: &str, payload: &str, sender: &str, low: bool) {
        let real_kind = kind;
        let real_sender = sender;
        let kind = if mode == 2 { ERROR } else { kind };
        let sender = (mode != 0).then_some(sender);
        let at = self.index(key);
        let format_ok = (mode == 2 || valid_kind(kind)) && sender.is_none_or(valid_id);
        let refusal = self.message_refusal(format_ok, payload).or(at.is_none().then_some(LISTENER));
        let id = MessageId::new(self.epoch, self.next_seq);
        let msg = at.filter(|_| refusal.is_none()).map(|at| self.build(id, self.last_id, kind, payload, sender, Some(&self.ls[at].id.clone())));
        let full = at.zip(msg.as_ref()).is_some_and(|(at, msg)| !self.fits(&self.ls[at], msg.size));
        let cut = at.is_some_and(|at| matches!(self.ls[at].life, Life::Cut(_)));
        let before = self.snapshot(low || cut || (full && self.cfg.overflow == Overflow::Error), refusal.is_some());
        let got = match mode {
            0 => self.real.dispatch(key, Message::new(real_kind, payload)),
            1 => self.real.dispatch_signed(key, SignedMessage::new(real_sender, Message::new(real_kind, payload))),
            _ => self.real.dispatch_error(key, real_sender, payload),
        };
        if let Some(want) = refusal {
            assert_eq!(name(&got), Some(want), "dispatch {kind:?} {payload:?} {sender:?}: {got:?}");
            self.unchanged(&before, "dispatch");
            return;
        }
        let (at, msg) = (at.unwrap(), msg.unwrap());
        if let Err(e) = &got {
            if low && e.name() == MEMORY {
                self.unchanged(&before, "dispatch");
                return;
            }
        }
        let size = msg.size;
        if matches!(self.ls[at].life, Life::Cut(_)) || (self.cfg.overflow == Overflow::Error && full) {
            assert_eq!(name(&got), Some(FULL), "dispatch to a full or cut-off queue: {got:?}");
            self.unchanged(&before, "dispatch");
            return;
        }
        if full && self.cfg.overflow == Overflow::Disconnect {
            // The documented exception: refused, and the listener is cut off.
            assert_eq!(name(&got), Some(FULL), "dispatch that cuts the listener off: {got:?}");
            let limit = self.limit_passed(&self.ls[at]);
            self.ls[at].life = Life::Cut(limit);
            self.wake(at);
            return;
        }
        assert_eq!(got.as_ref().ok(), Some(&id), "dispatch: {got:?}");
        let index = self.push_log(msg);
        self.next_seq += 1;
        assert!(self.enqueue(at, Item::Msg(index, size)));
        self.keep(index);
    }

    /// What the core refuses a new message for, checked in its order: format, end, a channel
    /// an engine numbers, size (a dispatch then checks its listener).
    fn message_refusal(&self, format_ok: bool, payload: &str) -> Option<&'static str> {
        if !format_ok {
            Some(FORMAT)
        } else if self.ended {
            Some(CLOSED)
        } else if self.external {
            Some(FORMAT)
        } else if payload.len() > self.cfg.max_message_bytes {
            Some(TOO_LARGE)
        } else {
            None
        }
    }

    fn broadcast(&mut self, kind: &str, payload: &str, low: bool) {
        let refusal = self.message_refusal(valid_kind(kind), payload);
        let id = MessageId::new(self.epoch, self.next_seq);
        let msg = refusal.is_none().then(|| self.build(id, self.last_id, kind, payload, None, None));
        let size = msg.as_ref().map_or(0, |m| m.size);
        let full = msg.is_some()
            && self.cfg.overflow == Overflow::Error
            && self.ls.iter().any(|l| l.life == Life::Open && !self.fits(l, size));
        let before = self.snapshot(low || full, refusal.is_some());
        let got = self.real.broadcast(Message::new(kind, payload));
        if let Some(want) = refusal {
            assert_eq!(name(&got), Some(want), "broadcast {kind:?}: {got:?}");
            self.unchanged(&before, "broadcast");
            return;
        }
        if let Err(e) = &got {
            if low && e.name() == MEMORY {
                self.unchanged(&before, "broadcast");
                return;
            }
        }
        if full {
            assert_eq!(name(&got), Some(FULL), "broadcast into a full queue under \"error\": {got:?}");
            self.unchanged(&before, "broadcast");
            return;
        }
        assert_eq!(got.as_ref().ok(), Some(&id), "broadcast: {got:?}");
        let index = self.push_log(msg.unwrap());
        self.next_seq += 1;
        self.fan_out(&Item::Msg(index, size));
        self.keep(index);
    }

    fn accept(&mut self, input: &mut Input, low: bool) {
        let id = match self.last_id {
            None => MessageId::new(1 + input.below(2) as u64, input.below(4) as u64),
            Some(last) => match input.below(8) {
                0 => last,
                1 => MessageId::new(last.major, last.minor.saturating_sub(1)),
                2 => MessageId::new(last.major + 1, 0),
                _ => MessageId::new(last.major, last.minor + 1 + input.below(2) as u64),
            },
        };
        let prev = match input.below(6) {
            0 => None,
            1 => Some(MessageId::new(1, input.below(4) as u64)),
            _ => self.last_id,
        };
        let kind = match input.below(5) {
            0 => ERROR.to_owned(),
            _ => input.pick(&KINDS).to_owned(),
        };
        let payload = payload_text(input.pick(&PAYLOADS));
        // Now and then the engine's end marker (the reserved "_eric_x" is refused otherwise).
        let kind = if kind == "_eric_x" && payload == "null" { CHANNEL_CLOSED.to_owned() } else { kind };
        let sender = input.flag().then(|| input.pick(&SENDERS).to_owned());
        let target = match input.below(6) {
            0..=2 => None,
            3 if !self.ls.is_empty() => Some(self.ls[input.below(self.ls.len())].id.clone()),
            4 => Some(input.pick(&IDS).to_owned()),
            _ => Some("ghost".to_owned()),
        };
        let duplicate = !self.ended && self.last_id.is_some_and(|last| id <= last);
        let refusal = if self.ended {
            Some(CLOSED)
        } else if duplicate || kind == CHANNEL_CLOSED {
            None
        } else if (kind != ERROR && !valid_kind(&kind)) || sender.as_deref().is_some_and(|s| !valid_id(s)) {
            Some(FORMAT)
        } else {
            None
        };
        let before = self.snapshot(low, refusal.is_some() || duplicate);
        let got = self.real.accept(External {
            id,
            prev,
            kind: &kind,
            payload: &payload,
            sender_id: sender.as_deref(),
            target: target.as_deref(),
        });
        if duplicate {
            assert_eq!(got.as_ref().ok(), Some(&Accepted::Duplicate), "accept of an old id: {got:?}");
            self.unchanged(&before, "accept (duplicate)");
            return;
        }
        if let Some(want) = refusal {
            assert_eq!(name(&got), Some(want), "accept: {got:?}");
            self.unchanged(&before, "accept");
            return;
        }
        if kind == CHANNEL_CLOSED {
            // The end marker ends the channel; it is no message (not logged, not kept).
            assert_eq!(got.as_ref().ok(), Some(&Accepted::Appended), "accept of the end marker: {got:?}");
            self.last_id = Some(id);
            self.model_end();
            return;
        }
        if let Err(e) = &got {
            if low && e.name() == MEMORY {
                self.unchanged(&before, "accept");
                return;
            }
        }
        self.accepted_any = true;
        let gap = self.last_id.is_some() && prev != self.last_id;
        assert_eq!(got.as_ref().ok(), Some(if gap { &Accepted::AfterGap } else { &Accepted::Appended }), "accept: {got:?}");
        let mut msg = self.build(id, prev, &kind, &payload, sender.as_deref(), target.as_deref());
        msg.hole_before = gap;
        let size = msg.size;
        if gap {
            let notice = self.notice(REPLAY_GAP, format!("{{\"oldestId\":\"{}\"}}", id.to_text()));
            self.fan_out(&notice);
        }
        let index = self.push_log(msg);
        match &target {
            None => self.fan_out(&Item::Msg(index, size)),
            Some(t) => {
                if let Some(at) = self.ls.iter().position(|l| &l.id == t) {
                    if self.ls[at].life == Life::Open {
                        self.enqueue(at, Item::Msg(index, size));
                    }
                }
            }
        }
        self.keep(index);
    }

    fn set_last_id(&mut self, input: &mut Input) {
        // Only where a channel joins an engine's log: before its first message.
        if self.accepted_any {
            return;
        }
        let id = input.flag().then(|| MessageId::new(1, input.below(3) as u64));
        self.real.set_last_id(id);
        self.anchor = id;
        self.last_id = id;
    }

    /// The model's `peek_next`, with its side effects (controls applied, waiting marked).
    fn model_peek(&mut self, at: usize, take: Take) -> Result<Option<Shown>, &'static str> {
        let log = &self.log;
        let l = &mut self.ls[at];
        let is_control = |item: &Item| matches!(item, Item::Msg(i, _) if matches!(log[*i].kind.as_str(), "start" | "stop"));
        if take == Take::Running {
            if l.actions {
                loop {
                    let position = if l.running {
                        l.queue.front().filter(|i| is_control(i)).map(|_| 0)
                    } else {
                        l.queue.iter().position(is_control)
                    };
                    let Some(p) = position else { break };
                    let item = l.queue.remove(p).unwrap();
                    l.queue_bytes -= item.size();
                    // Only messages are controls (see `is_control`).
                    l.running = matches!(item, Item::Msg(i, _) if log[i].kind == "start");
                }
            }
            if !l.running {
                if l.done() {
                    return Err(if matches!(l.life, Life::Cut(_)) { FULL } else { "end" });
                }
                l.consumer_waiting = true;
                return Ok(None);
            }
        }
        if l.dropped > 0 {
            return Ok(Some(Shown::Dropped { n: l.dropped, through: l.dropped_total }));
        }
        if let Some(front) = l.queue.front() {
            l.held = Some(front.clone());
            return Ok(Some(Shown::Item(front.clone())));
        }
        if matches!(l.life, Life::Cut(_)) {
            return Err(FULL);
        }
        match take {
            Take::Any => Err(NO_MESSAGES),
            Take::Running if l.life == Life::Ended => Err("end"),
            Take::Running => {
                l.consumer_waiting = true;
                Ok(None)
            }
        }
    }

    fn shown_want(shown: &Shown) -> Want {
        match shown {
            Shown::Dropped { n, .. } => Want::Notice(DROPPED, dropped_data(*n)),
            Shown::Item(item) => Self::item_want(item),
        }
    }

    /// The channel remembers what a successful peek showed.
    fn set_mark(&mut self, at: usize, shown: &Shown) {
        self.ls[at].mark = match shown {
            Shown::Dropped { through, .. } => Mark::Dropped { through: *through },
            Shown::Item(Item::Notice { serial, .. }) => Mark::Notice(*serial),
            Shown::Item(Item::Msg(..)) => Mark::Message,
        };
    }

    /// The model's `commit_id(None)`: takes the notice the last peek showed, once: the drops an
    /// `_eric_dropped` notice counted (those counted since stay pending), or a queued notice if
    /// it is still at the head.
    fn model_commit_notice(&mut self, at: usize) {
        let l = &mut self.ls[at];
        match std::mem::replace(&mut l.mark, Mark::Message) {
            Mark::Dropped { through } => l.dropped = l.dropped.min(l.dropped_total - through),
            Mark::Notice(serial) => {
                if matches!(l.queue.front(), Some(Item::Notice { serial: s, .. }) if *s == serial) {
                    let item = l.queue.pop_front().unwrap();
                    l.queue_bytes -= item.size();
                }
            }
            Mark::Message => {}
        }
    }

    /// The model's `commit_id(Some(id))` for the message at log index `i`: taken if it is next.
    fn model_commit_message(&mut self, at: usize, i: usize) {
        let id = self.log[i].id;
        let l = &mut self.ls[at];
        if matches!(l.queue.front(), Some(Item::Msg(j, _)) if *j == i) {
            let item = l.queue.pop_front().unwrap();
            l.queue_bytes -= item.size();
            assert!(l.last_taken.is_none_or(|last| last < id), "a message taken twice or out of order");
            l.last_taken = Some(id);
        }
    }

    /// The model's `take_next`: what `shown` was, peeked and committed.
    fn model_take(&mut self, at: usize, shown: &Shown) {
        self.set_mark(at, shown);
        match shown {
            Shown::Item(Item::Msg(i, _)) => self.model_commit_message(at, *i),
            _ => self.model_commit_notice(at),
        }
    }

    fn check_next(&self, got: &Result<Next, Error>, want: &Result<Option<Shown>, &'static str>, what: &str) {
        match (got, want) {
            (Ok(Next::Delivery(e)), Ok(Some(shown))) => self.check_envelope(e, &Self::shown_want(shown)),
            (Ok(Next::Wait), Ok(None)) | (Ok(Next::End), Err("end")) => {}
            (Err(e), Err(w)) => assert_eq!(e.name(), *w, "{what}"),
            _ => panic!("{what}: got {got:?}, the model {want:?}"),
        }
    }

    fn deliver_next(&mut self, key: ListenerKey, low: bool) {
        let at = self.index(key);
        let want = at.map(|at| self.model_peek(at, Take::Any));
        let deep = want.as_ref().is_some_and(|w| *w == Err(FULL) || (low && matches!(w, Ok(Some(Shown::Dropped { .. })))));
        let before = self.snapshot(deep, want.as_ref().is_none_or(Result::is_err));
        let got = self.real.deliver_next(key);
        let (Some(at), Some(want)) = (at, want) else {
            assert_eq!(name(&got), Some(LISTENER));
            self.unchanged(&before, "deliver_next");
            return;
        };
        match (&got, &want) {
            (Ok(e), Ok(Some(shown))) => {
                self.check_envelope(e, &Self::shown_want(shown));
                let shown = shown.clone();
                self.model_take(at, &shown);
            }
            (Err(e), Ok(Some(Shown::Dropped { .. }))) if low && e.name() == MEMORY => self.unchanged(&before, "deliver_next"),
            (Err(e), Err(w)) => {
                assert_eq!(e.name(), *w, "deliver_next");
                self.unchanged(&before, "deliver_next");
            }
            _ => panic!("deliver_next: got {got:?}, the model {want:?}"),
        }
    }

    fn peek_next(&mut self, key: ListenerKey, take: Take, commit: bool, low: bool) {
        let at = self.index(key);
        let want = at.map(|at| self.model_peek(at, take));
        let refused = want.as_ref().is_none_or(|w| take == Take::Any && w.is_err());
        let before = self.snapshot(refused && want.as_ref().is_some_and(|w| *w == Err(FULL)), refused);
        let got = if commit { self.real.take_next(key, take) } else { self.real.peek_next(key, take) };
        let (Some(at), Some(want)) = (at, want) else {
            assert_eq!(name(&got), Some(LISTENER));
            self.unchanged(&before, "peek_next");
            return;
        };
        if let (Err(e), Ok(Some(Shown::Dropped { .. }))) = (&got, &want) {
            // The notice could not be built; controls applied on the way stay applied.
            assert!(low && e.name() == MEMORY, "peek_next: {e}");
            return;
        }
        self.check_next(&got, &want, "peek_next");
        if take == Take::Any && got.is_err() {
            self.unchanged(&before, "peek_next");
        }
        if let Ok(Some(shown)) = want {
            if commit {
                self.model_take(at, &shown);
            } else {
                self.set_mark(at, &shown);
                self.ls[at].shown = Some(shown);
            }
        }
    }

    fn commit(&mut self, key: ListenerKey, input: &mut Input) {
        let Some(at) = self.index(key) else {
            // Commits to a listener that is gone do nothing.
            let before = self.snapshot(false, true);
            self.real.commit_id(key, None);
            self.unchanged(&before, "commit to a removed listener");
            return;
        };
        // What the last peek_next showed this driver; the channel may have seen other peeks
        // since (a deliver_next, a take), and commits what *it* last showed.
        match self.ls[at].shown.take() {
            Some(Shown::Item(Item::Msg(i, _))) => {
                self.real.commit_id(key, Some(self.log[i].id));
                self.model_commit_message(at, i);
            }
            Some(_) => {
                self.real.commit_id(key, None);
                self.model_commit_notice(at);
            }
            None if !self.log.is_empty() => {
                // A commit by id of any message: taken only if it is next.
                let i = input.below(self.log.len());
                self.real.commit_id(key, Some(self.log[i].id));
                self.model_commit_message(at, i);
            }
            None => {}
        }
    }

    /// Whether a client holding `x` can be brought up to date without a gap: `x` is the last id,
    /// or the first message logged after `x` names it, none after it was accepted after a gap in
    /// the engine's log, and all of them are still kept.
    fn continuous(&self, x: MessageId) -> bool {
        if self.last_id == Some(x) {
            return true;
        }
        let Some(j) = self.log.iter().position(|m| m.id > x) else { return false };
        let kept_from = self.history.front().copied().unwrap_or(usize::MAX);
        self.log[j].prev == Some(x) && self.log[j + 1..].iter().all(|m| !m.hole_before) && kept_from <= j
    }

    fn open_stream(&mut self, key: ListenerKey, last_event_id: Option<String>, now: u64) {
        let at = self.index(key).filter(|at| self.ls[*at].stream.is_none());
        let before = self.snapshot(false, at.is_none());
        let got = self.real.open_stream(key, last_event_id.as_deref(), now);
        let Some(at) = at else {
            assert_eq!(name(&got), Some(LISTENER), "open_stream");
            self.unchanged(&before, "open_stream");
            return;
        };
        assert!(got.is_ok(), "open_stream: {got:?}");
        let mut opening = Vec::new();
        encode_into(&mut opening, &Frame { retry: Some(self.cfg.retry_ms), ..Frame::default() }).unwrap();
        let mut stream_last = None;
        if let Some(text) = &last_event_id {
            let l = &self.ls[at];
            let for_l = |m: &Msg| m.target.as_deref().is_none_or(|t| t == l.id);
            let x = MessageId::parse(text);
            // What is replayed: history entries for the listener (after `x` when the replay is
            // continuous, else all, after a gap notice), and the queue's messages (likewise) and
            // its `_eric_backplane` notices (a dropped count or an engine gap notice is superseded
            // by the replay itself).
            let after = x.filter(|x| self.continuous(*x));
            let kept: Vec<usize> =
                self.history.iter().copied().filter(|&i| after.is_none_or(|x| self.log[i].id > x) && for_l(&self.log[i])).collect();
            let queued: Vec<&Item> = l
                .queue
                .iter()
                .filter(|item| match item {
                    Item::Msg(i, _) => after.is_none_or(|x| self.log[*i].id > x),
                    Item::Notice { kind, .. } => *kind == BACKPLANE,
                })
                .collect();
            if let Some(x) = after {
                // Strictly continuous: every message logged for it after `x`.
                let mut ids: Vec<usize> = kept.clone();
                ids.extend(queued.iter().filter_map(|item| match item {
                    Item::Msg(i, _) => Some(*i),
                    Item::Notice { .. } => None,
                }));
                ids.sort_by_key(|&i| self.log[i].id);
                ids.dedup();
                let logged: Vec<usize> = (0..self.log.len()).filter(|&i| self.log[i].id > x && for_l(&self.log[i])).collect();
                assert_eq!(ids, logged, "a continuous replay is every message logged for the listener after its id");
            } else {
                let oldest = self.history.front().map(|i| self.log[*i].id);
                let data = match oldest {
                    Some(id) => format!("{{\"oldestId\":\"{}\"}}", id.to_text()),
                    None => "{\"oldestId\":null}".to_owned(),
                };
                opening.extend_from_slice(&frame(None, REPLAY_GAP, &data));
            }
            // In id order, each id once; a notice keeps its place after the queued message
            // before it (it goes out as soon as everything queued before it has).
            let (mut k, mut q) = (0, 0);
            while k < kept.len() || q < queued.len() {
                let take_kept = match queued.get(q) {
                    Some(Item::Msg(i, _)) => kept.get(k).is_some_and(|&h| self.log[h].id <= self.log[*i].id),
                    Some(Item::Notice { .. }) => false,
                    None => true,
                };
                if take_kept {
                    let h = kept[k];
                    k += 1;
                    if let Some(Item::Msg(i, _)) = queued.get(q) {
                        if self.log[*i].id == self.log[h].id {
                            q += 1;
                        }
                    }
                    let id = self.log[h].id;
                    assert!(stream_last.is_none_or(|last| last < id), "the replay repeats or reorders ids");
                    stream_last = Some(id);
                    opening.extend_from_slice(&self.log[h].frame);
                } else {
                    match queued[q] {
                        Item::Msg(i, _) => {
                            let id = self.log[*i].id;
                            assert!(stream_last.is_none_or(|last| last < id), "the replay repeats or reorders ids");
                            stream_last = Some(id);
                            opening.extend_from_slice(&self.log[*i].frame);
                        }
                        Item::Notice { kind, data, .. } => opening.extend_from_slice(&frame(None, kind, data)),
                    }
                    q += 1;
                }
            }
            let l = &mut self.ls[at];
            l.queue.clear();
            l.queue_bytes = 0;
            l.dropped = 0;
        }
        self.ls[at].open(opening, now, stream_last, None);
    }

    /// A `Last-Event-ID` for a resume: none, an id of the log, the last id, a malformed one, one
    /// not used yet, or one of another lifetime.
    fn pick_last(&self, input: &mut Input) -> Option<String> {
        match input.below(9) {
            0..=2 => None,
            3 if !self.log.is_empty() => Some(self.log[input.below(self.log.len())].id.to_text()),
            4 => self.last_id.map(|id| id.to_text()),
            5 => Some(input.pick(&["", "garbage", "1-", "-1", "01-1"]).to_owned()),
            6 => {
                // Not used yet (for an engine's channel, past its last id: the engine may be
                // ahead, or the id may be from a log the engine lost).
                let ahead = input.below(3) as u64;
                let next = match (self.external, self.last_id) {
                    (true, Some(last)) => MessageId::new(last.major, last.minor + 1 + ahead),
                    _ => MessageId::new(self.epoch, self.next_seq + ahead),
                };
                Some(next.to_text())
            }
            7 => Some(MessageId::new(self.epoch, 0).to_text()),
            _ => Some(MessageId::new(self.epoch + 1 - input.below(3).min(self.epoch as usize + 1) as u64, 1).to_text()),
        }
    }

    fn announce(&mut self, up: bool, low: bool) {
        let before = self.snapshot(low, false);
        let got = self.real.announce_backplane(up);
        if let Err(e) = &got {
            assert!(low && e.name() == MEMORY, "announce_backplane: {e}");
            self.unchanged(&before, "announce_backplane");
            return;
        }
        let data = if up { "{\"state\":\"up\"}" } else { "{\"state\":\"down\"}" };
        let notice = self.notice(BACKPLANE, data.to_owned());
        self.fan_out(&notice);
    }

    fn check_outgoing(&mut self, kind: &str, payload: &str, sender: Option<&str>) {
        let want = if self.ended {
            Some(CLOSED)
        } else if !valid_kind(kind) || sender.is_some_and(|s| !valid_id(s)) {
            Some(FORMAT)
        } else if payload.len() > self.cfg.max_message_bytes {
            Some(TOO_LARGE)
        } else {
            None
        };
        let got = self.real.check_outgoing(kind, payload, sender);
        assert_eq!(name(&got), want, "check_outgoing({kind:?}, {payload:?}, {sender:?})");
    }

    fn can_resume(&mut self, text: &str) {
        let want = MessageId::parse(text).is_some_and(|x| self.continuous(x));
        assert_eq!(self.real.can_resume(text), want, "can_resume({text:?})");
    }

    /// A resume read from the engine's log: the entries after `text` (this replica's log after
    /// it, all of it for a malformed id), sometimes trimmed at the start as an engine may have,
    /// then up to two the replica has not accepted yet; the log's tail.
    fn open_stream_replay(&mut self, key: ListenerKey, text: &str, input: &mut Input, now: u64, low: bool) {
        let x = MessageId::parse(text);
        let mut entries: Vec<Entry> = self
            .log
            .iter()
            .filter(|m| x.is_none_or(|x| m.id > x))
            .map(|m| Entry {
                id: m.id,
                prev: m.prev,
                kind: m.kind.clone(),
                payload: m.payload.clone(),
                sender: m.sender.clone(),
                target: m.target.clone(),
            })
            .collect();
        if input.below(4) == 0 && !entries.is_empty() {
            entries.remove(0);
        }
        let mut prev = entries.last().map(|e| e.id).or(self.last_id);
        let base = prev.unwrap_or(MessageId::new(1, 0));
        let mine = self.index(key).map(|at| self.ls[at].id.clone());
        for k in 0..input.below(3) as u64 {
            let id = MessageId::new(base.major, base.minor + 1 + k);
            let kind = match input.below(8) {
                0 => "a\nb",
                1 => CHANNEL_CLOSED,
                _ => "t",
            };
            let target = match input.below(4) {
                0 => mine.clone(),
                1 => Some("ghost".to_owned()),
                _ => None,
            };
            let sender = input.flag().then(|| "bob".to_owned());
            entries.push(Entry { id, prev, kind: kind.to_owned(), payload: "\"f\"".to_owned(), sender, target });
            prev = Some(id);
        }
        let tail = match input.below(4) {
            0 => x,
            1 => None,
            _ => entries.last().map(|e| e.id).or(self.last_id),
        };

        let at = self.index(key).filter(|at| self.ls[*at].stream.is_none());
        let for_l = |e: &Entry, l: &str| e.target.as_deref().is_none_or(|t| t == l) && e.kind != CHANNEL_CLOSED;
        let bad = at.is_some_and(|at| entries.iter().any(|e| for_l(e, &self.ls[at].id) && has_break(&e.kind)));
        let before = self.snapshot(low || bad, at.is_none());
        let externals: Vec<External> = entries
            .iter()
            .map(|e| External {
                id: e.id,
                prev: e.prev,
                kind: &e.kind,
                payload: &e.payload,
                sender_id: e.sender.as_deref(),
                target: e.target.as_deref(),
            })
            .collect();
        let got = self.real.open_stream_replay(key, text, &externals, tail, now);
        let Some(at) = at else {
            assert_eq!(name(&got), Some(LISTENER), "open_stream_replay");
            self.unchanged(&before, "open_stream_replay");
            return;
        };
        if bad {
            // (Short of memory, an entry before it may fail first.)
            if !(low && name(&got) == Some(MEMORY)) {
                assert_eq!(name(&got), Some(FORMAT), "open_stream_replay with an entry that cannot be a frame");
            }
            self.unchanged(&before, "open_stream_replay");
            return;
        }
        if let Err(e) = &got {
            assert!(low && e.name() == MEMORY, "open_stream_replay: {e}");
            self.unchanged(&before, "open_stream_replay");
            return;
        }

        let continuous = x.is_some() && entries.first().map_or(tail == x, |e| e.prev == x);
        let mut opening = Vec::new();
        encode_into(&mut opening, &Frame { retry: Some(self.cfg.retry_ms), ..Frame::default() }).unwrap();
        if !continuous {
            let data = match entries.first() {
                Some(e) => format!("{{\"oldestId\":\"{}\"}}", e.id.to_text()),
                None => "{\"oldestId\":null}".to_owned(),
            };
            opening.extend_from_slice(&frame(None, REPLAY_GAP, &data));
        }
        let after = if continuous { x } else { None };
        let l = &self.ls[at];
        let read: Vec<(MessageId, Vec<u8>)> = entries
            .iter()
            .filter(|e| for_l(e, &l.id))
            .map(|e| (e.id, frame(Some(&e.id.to_text()), &e.kind, &e.payload)))
            .collect();
        // The queue's messages after `after` and its `_eric_backplane` notices, as in a local
        // replay; a notice keeps its place after the queued message before it.
        let queued: Vec<(Option<MessageId>, Vec<u8>)> = l
            .queue
            .iter()
            .filter_map(|item| match item {
                Item::Msg(i, _) => {
                    let m = &self.log[*i];
                    after.is_none_or(|a| m.id > a).then(|| (Some(m.id), m.frame.clone()))
                }
                Item::Notice { kind, data, .. } => (*kind == BACKPLANE).then(|| (None, frame(None, kind, data))),
            })
            .collect();
        let mut stream_last = None;
        let (mut r, mut q) = (0, 0);
        while r < read.len() || q < queued.len() {
            let take_read = match queued.get(q) {
                Some((Some(id), _)) => read.get(r).is_some_and(|(rid, _)| rid <= id),
                Some((None, _)) => false,
                None => true,
            };
            if take_read {
                let (id, bytes) = &read[r];
                r += 1;
                if queued.get(q).is_some_and(|(qid, _)| *qid == Some(*id)) {
                    q += 1;
                }
                assert!(stream_last.is_none_or(|last| last < *id), "the replay repeats or reorders ids");
                stream_last = Some(*id);
                opening.extend_from_slice(bytes);
            } else {
                let (id, bytes) = &queued[q];
                q += 1;
                if let Some(id) = id {
                    assert!(stream_last.is_none_or(|last| last < *id), "the replay repeats or reorders ids");
                    stream_last = Some(*id);
                }
                opening.extend_from_slice(bytes);
            }
        }
        // What the replay covered: the client's id only when the replay continues from it.
        let through = [after, tail, entries.last().map(|e| e.id)].into_iter().flatten().max();
        let l = &mut self.ls[at];
        l.queue.clear();
        l.queue_bytes = 0;
        l.dropped = 0;
        l.open(opening, now, stream_last, through);
    }

    fn keep_alive_at(&self, s: &StreamModel) -> Option<u64> {
        let (keep, first) = (self.cfg.keep_alive_ms, self.cfg.first_keep_alive_ms);
        if keep == 0 {
            return None;
        }
        let interval = if !s.sent_since_open && first > 0 { first.min(keep) } else { keep };
        Some(s.last_sent_at.saturating_add(interval))
    }

    fn wake_at(&self, l: &ListenerModel) -> Option<u64> {
        let s = l.stream.as_ref()?;
        let keep = self.keep_alive_at(s);
        let pending = !l.queue.is_empty() || l.dropped > 0 || l.done();
        let delayed = (l.running && self.cfg.stream_delay_ms > 0 && pending).then_some(s.next_delivery_at);
        match (keep, delayed) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn closing(&self, l: &ListenerModel) -> Vec<u8> {
        match l.life {
            Life::Cut(Limit::Messages(n)) => frame(None, OVERFLOW, &format!("{{\"maxQueue\":{n}}}")),
            Life::Cut(Limit::Bytes(n)) => frame(None, OVERFLOW, &format!("{{\"maxQueueBytes\":{n}}}")),
            _ => frame(None, CHANNEL_CLOSED, "null"),
        }
    }

    /// Appends `item`'s frame to `out` as a stream delivery of listener `at`.
    fn stream_out(&mut self, at: usize, item: &Item, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.item_frame(item));
        if let Item::Msg(i, _) = item {
            let id = self.log[*i].id;
            let s = self.ls[at].stream.as_mut().unwrap();
            assert!(s.last_id.is_none_or(|last| last < id), "a stream repeats or reorders ids");
            s.last_id = Some(id);
        }
    }

    fn poll_stream(&mut self, key: ListenerKey, now: u64, max_frames: usize) {
        let at = self.index(key).filter(|at| self.ls[*at].stream.is_some());
        let before = self.snapshot(false, at.is_none());
        let mut got_out = Vec::new();
        let got = self.real.poll_stream(key, now, max_frames, &mut got_out);
        let Some(at) = at else {
            assert_eq!(name(&got), Some(LISTENER), "poll_stream");
            assert!(got_out.is_empty());
            self.unchanged(&before, "poll_stream");
            return;
        };
        let delay = self.cfg.stream_delay_ms;
        let mut out = Vec::new();
        // The reader gets bytes, or waits again (Pending, below).
        self.ls[at].stream.as_mut().unwrap().waiting = false;
        let opening = self.ls[at].stream.as_mut().unwrap().opening.take();
        if let Some(o) = &opening {
            out.extend_from_slice(o);
        }
        let mut taken = 0;
        let next_at = self.ls[at].stream.as_ref().unwrap().next_delivery_at;
        let mut want = None;
        if self.ls[at].running && (delay == 0 || now >= next_at) {
            let max = if delay > 0 { max_frames.min(1) } else { max_frames };
            if self.ls[at].dropped > 0 && max > 0 {
                out.extend_from_slice(&frame(None, DROPPED, &dropped_data(self.ls[at].dropped)));
                self.ls[at].dropped = 0;
                taken += 1;
            }
            while taken < max {
                let Some(item) = self.ls[at].queue.pop_front() else { break };
                self.ls[at].queue_bytes -= item.size();
                self.stream_out(at, &item, &mut out);
                taken += 1;
            }
            if self.ls[at].done() {
                out.extend_from_slice(&self.closing(&self.ls[at]));
                self.ls.remove(at);
                self.membership = true;
                want = Some(StreamPoll::Finished);
            } else if taken > 0 && delay > 0 {
                self.ls[at].stream.as_mut().unwrap().next_delivery_at = now.saturating_add(delay);
            }
        }
        if want.is_none() && !self.ls[at].running && self.ls[at].done() {
            out.extend_from_slice(&self.closing(&self.ls[at]));
            self.ls.remove(at);
            self.membership = true;
            want = Some(StreamPoll::Finished);
        }
        if want.is_none() {
            let keep_due = self.keep_alive_at(self.ls[at].stream.as_ref().unwrap()).is_some_and(|t| now >= t);
            let s = self.ls[at].stream.as_mut().unwrap();
            want = Some(if taken > 0 {
                s.last_sent_at = now;
                s.sent_since_open = true;
                StreamPoll::Sent
            } else if opening.is_some() {
                s.last_sent_at = now;
                StreamPoll::Sent
            } else if keep_due {
                out.extend_from_slice(KEEP_ALIVE);
                s.last_sent_at = now;
                s.sent_since_open = true;
                StreamPoll::Sent
            } else {
                s.waiting = true;
                StreamPoll::Pending { wake_at: self.wake_at(&self.ls[at]) }
            });
        }
        assert_eq!(got.as_ref().ok(), want.as_ref(), "poll_stream at {now}");
        assert_eq!(String::from_utf8_lossy(&got_out), String::from_utf8_lossy(&out), "poll_stream output at {now}");
    }

    fn peek_stream(&mut self, key: ListenerKey, now: u64, low: bool) {
        let before = self.snapshot(false, true);
        let got = self.real.peek_stream(key, now);
        let at = self.index(key);
        let Some(at) = at.filter(|at| self.ls[*at].stream.is_some()) else {
            assert_eq!(name(&got), Some(LISTENER), "peek_stream without a stream: {got:?}");
            self.unchanged(&before, "peek_stream");
            return;
        };
        let l = &self.ls[at];
        let held = self.cfg.stream_delay_ms > 0 && now < l.stream.as_ref().unwrap().next_delivery_at;
        let want = if !l.running || held {
            None
        } else if l.dropped > 0 {
            Some(Want::Notice(DROPPED, dropped_data(l.dropped)))
        } else {
            let front = l.queue.front().cloned();
            if front.is_some() {
                self.ls[at].held.clone_from(&front);
            }
            front.as_ref().map(Self::item_want)
        };
        match (&got, &want) {
            (Ok(None), None) => {}
            (Ok(Some(e)), Some(w)) => self.check_envelope(e, w),
            (Err(e), Some(Want::Notice(..))) if low && e.name() == MEMORY => {}
            _ => panic!("peek_stream: got {got:?}, the model {want:?}"),
        }
        self.unchanged(&before, "peek_stream");
    }

    /// Readers that took a shared chunk wait again without a poll: each stream is marked waiting,
    /// and the ones a poll at `now` could send something to must be woken.
    fn rewait(&mut self, keys: &[ListenerKey], now: u64) {
        let raw: Vec<u32> = keys.iter().map(|k| k.0).collect();
        let got = self.real.rewait_streams(&raw, now);
        let mut want = false;
        for key in keys {
            let Some(at) = self.index(*key).filter(|at| self.ls[*at].stream.is_some()) else { continue };
            let l = &self.ls[at];
            let s = l.stream.as_ref().unwrap();
            let due = self.keep_alive_at(s).is_some_and(|t| now >= t);
            let ready = s.opening.is_some() || !l.queue.is_empty() || l.dropped > 0 || l.done() || due;
            self.ls[at].stream.as_mut().unwrap().waiting = true;
            if ready {
                self.ls[at].must_wake = true;
                want = true;
            }
        }
        assert_eq!(got, want, "rewait_streams: whether it woke any");
    }

    fn drop_stream(&mut self, key: ListenerKey) {
        self.real.drop_stream(key);
        if let Some(at) = self.index(key) {
            self.ls[at].stream = None;
            self.ls[at].replayed_through = None;
        }
    }

    fn close_stream(&mut self, key: ListenerKey) {
        self.real.close_stream(key);
        if let Some(at) = self.index(key) {
            self.ls.remove(at);
                self.membership = true;
        }
    }

    fn flush(&mut self, now: u64) {
        let mut f = Flush::default();
        self.real.flush(now, &mut f);
        let mut listed: Vec<ListenerKey> = f.shared_keys.iter().chain(&f.streams).copied().collect();
        listed.sort();
        assert!(listed.windows(2).all(|w| w[0] != w[1]), "a stream listed twice: {f:?}");
        let mut consumers = f.consumers.clone();
        consumers.sort();
        assert!(consumers.windows(2).all(|w| w[0] != w[1]), "a consumer listed twice: {f:?}");
        for at in 0..self.ls.len() {
            let key = self.ls[at].key;
            let l = &self.ls[at];
            let stream_waits = l.stream.as_ref().is_some_and(|s| s.waiting);
            if l.must_wake && stream_waits {
                assert!(listed.contains(&key), "lost wake-up: the waiting stream of {} is not in {f:?}", l.id);
            }
            if l.must_wake && l.consumer_waiting {
                assert!(consumers.contains(&key), "lost wake-up: the waiting consumer of {} is not in {f:?}", l.id);
            }
        }
        for key in &listed {
            let at = self.index(*key).unwrap_or_else(|| panic!("flush lists a removed listener {key:?}"));
            assert!(self.ls[at].stream.as_ref().is_some_and(|s| s.waiting), "flush lists a stream that does not wait");
        }
        for key in &consumers {
            let at = self.index(*key).unwrap_or_else(|| panic!("flush lists a removed consumer {key:?}"));
            assert!(self.ls[at].consumer_waiting, "flush lists a consumer that does not wait");
            self.ls[at].consumer_waiting = false;
        }
        for key in &f.shared_keys {
            let at = self.index(*key).unwrap();
            let l = &self.ls[at];
            assert!(
                l.running && !l.hooked && l.dropped == 0 && l.life == Life::Open && self.cfg.stream_delay_ms == 0,
                "a shared chunk went to a stream that must be polled: {l:?}"
            );
            let mut mine = Vec::new();
            let items: Vec<Item> = l.queue.iter().cloned().collect();
            for item in &items {
                self.stream_out(at, item, &mut mine);
            }
            assert_eq!(String::from_utf8_lossy(&f.shared), String::from_utf8_lossy(&mine), "the shared chunk is not this stream's queue");
            let l = &mut self.ls[at];
            l.queue.clear();
            l.queue_bytes = 0;
            let s = l.stream.as_mut().unwrap();
            s.last_sent_at = now;
            s.sent_since_open = true;
        }
        if f.shared_keys.is_empty() {
            assert!(f.shared.is_empty());
        }
        for key in &listed {
            let at = self.index(*key).unwrap();
            self.ls[at].stream.as_mut().unwrap().waiting = false;
        }
        for l in &mut self.ls {
            l.must_wake = false;
        }
    }

    fn handle_timeout(&mut self, now: u64) {
        self.real.handle_timeout(now);
        for at in 0..self.ls.len() {
            let l = &self.ls[at];
            if l.stream.as_ref().is_some_and(|s| s.waiting) && self.wake_at(l).is_some_and(|t| t <= now) {
                self.ls[at].must_wake = true;
            }
        }
    }

    fn notify_end(&mut self) {
        self.real.notify_end();
        self.model_end();
    }

    /// The model's side of `notify_end`.
    fn model_end(&mut self) {
        self.ended = true;
        for at in 0..self.ls.len() {
            if self.ls[at].life == Life::Open {
                self.ls[at].life = Life::Ended;
            }
            self.wake(at);
        }
    }

    /// What must agree after every operation.
    fn check(&mut self) {
        assert_eq!(self.real.listener_count(), self.ls.len());
        if std::mem::take(&mut self.membership) {
            let mut ids: Vec<&str> = self.real.listener_ids().collect();
            ids.sort_unstable();
            let mut want: Vec<&str> = self.ls.iter().map(|l| l.id.as_str()).collect();
            want.sort_unstable();
            assert_eq!(ids, want);
            for l in &self.ls {
                assert_eq!(self.real.listener_key(&l.id).ok(), Some(l.key), "key of {}", l.id);
            }
        }
        assert_eq!(self.real.last_id(), self.last_id);
        assert_eq!(self.real.is_ended(), self.ended);
        for l in &self.ls {
            assert_eq!(self.real.queued(l.key).unwrap(), l.queue.len(), "queue of {}", l.id);
            let (messages, bytes) = Self::counted(l);
            assert!(messages <= self.cfg.max_queue && bytes <= self.cfg.max_queue_bytes, "bounds of {}", l.id);
            assert_eq!(self.real.is_running(l.key).unwrap(), l.running);
            let life = match l.life {
                Life::Open => Lifecycle::Open,
                Life::Cut(_) => Lifecycle::Overflowed,
                Life::Ended => Lifecycle::Ended,
            };
            assert_eq!(self.real.lifecycle(l.key).unwrap(), life, "lifecycle of {}", l.id);
        }
        let next = self.ls.iter().filter(|l| l.stream.as_ref().is_some_and(|s| s.waiting)).filter_map(|l| self.wake_at(l)).min();
        assert_eq!(self.real.next_timeout(), next, "next_timeout");
    }

    /// Drains every queue through `deliver_next` and compares it with the model.
    fn drain(&mut self) {
        for at in 0..self.ls.len() {
            let key = self.ls[at].key;
            loop {
                let got = self.real.deliver_next(key);
                let want = self.model_peek(at, Take::Any);
                match (&got, &want) {
                    (Ok(e), Ok(Some(shown))) => {
                        self.check_envelope(e, &Self::shown_want(shown));
                        let shown = shown.clone();
                        self.model_take(at, &shown);
                    }
                    (Err(e), Err(w)) => {
                        assert_eq!(e.name(), *w, "drain");
                        break;
                    }
                    _ => panic!("drain: got {got:?}, the model {want:?}"),
                }
            }
        }
    }
}

/// Few listeners reach every edge case; more only slow the run down.
const MAX_LISTENERS: usize = 8;

/// Runs one operation sequence read from `data` against a local and an external channel.
pub fn run(data: &[u8]) {
    overhead();
    memory::set_budget(memory::DEFAULT_BUDGET);
    assert_eq!(memory::live_bytes(), 0, "memory was charged before the run");
    let mut input = Input::new(data);
    let local = config(&mut input, false);
    let external = config(&mut input, true);
    let mut sims = [Sim::new("local", local), Sim::new("backplane", external)];
    let mut now = u64::from(input.byte());
    let mut low = false;
    let mut ops = 0;
    while !input.is_empty() && ops < 400 {
        ops += 1;
        let op = input.byte();
        let sim = &mut sims[usize::from(op & 1)];
        now += input.pick(&[0, 0, 1, 2, 3, 5, 10, 50]);
        match (op >> 1) % 40 {
            0 | 1 if sim.ls.len() < MAX_LISTENERS => sim.add_listener(low),
            2 if sim.ls.len() < MAX_LISTENERS => {
                let id = id_text(input.pick(&IDS));
                sim.register(&id, low);
            }
            3 => {
                let key = sim.pick_key(&mut input);
                sim.remove(key);
            }
            4..=6 => {
                let key = sim.pick_key(&mut input);
                let (what, on) = (input.byte() % 4, input.flag());
                sim.toggle(key, what, on);
            }
            7..=10 => {
                let key = sim.pick_key(&mut input);
                let mode = input.pick(&[0, 0, 0, 1, 2]);
                let kind = input.pick(&KINDS);
                let payload = payload_text(input.pick(&PAYLOADS));
                let sender = input.pick(&SENDERS);
                sim.dispatch(key, mode, kind, &payload, sender, low);
            }
            11..=13 => {
                let kind = input.pick(&KINDS);
                let payload = payload_text(input.pick(&PAYLOADS));
                sim.broadcast(kind, &payload, low);
            }
            14 | 15 => {
                let key = sim.pick_key(&mut input);
                sim.deliver_next(key, low);
            }
            16 | 17 => {
                let key = sim.pick_key(&mut input);
                let take = if input.flag() { Take::Running } else { Take::Any };
                sim.peek_next(key, take, false, low);
            }
            18 => {
                let key = sim.pick_key(&mut input);
                sim.commit(key, &mut input);
            }
            19 => {
                let key = sim.pick_key(&mut input);
                let take = if input.flag() { Take::Running } else { Take::Any };
                sim.peek_next(key, take, true, low);
            }
            20 | 21 => {
                let key = sim.pick_key(&mut input);
                let last = sim.pick_last(&mut input);
                sim.open_stream(key, last, now);
            }
            22..=25 => {
                let key = sim.pick_key(&mut input);
                let max = input.pick(&[usize::MAX, usize::MAX, 0, 1, 2]);
                sim.poll_stream(key, now, max);
            }
            26 => {
                let key = sim.pick_key(&mut input);
                sim.peek_stream(key, now, low);
            }
            27 => {
                let key = sim.pick_key(&mut input);
                sim.drop_stream(key);
            }
            28 => {
                let key = sim.pick_key(&mut input);
                sim.close_stream(key);
            }
            29..=31 => sim.flush(now),
            32 => sim.handle_timeout(now),
            33 => match input.below(16) {
                0 => sim.notify_end(),
                1 | 2 => sim.announce(input.byte() & 1 == 1, low),
                3 | 4 => {
                    let kind = input.pick(&KINDS);
                    let payload = payload_text(input.pick(&PAYLOADS));
                    let sender = input.flag().then(|| input.pick(&SENDERS));
                    sim.check_outgoing(kind, &payload, sender);
                }
                5 | 6 => {
                    let last = sim.pick_last(&mut input).unwrap_or_default();
                    sim.can_resume(&last);
                }
                7..=10 if sim.external => {
                    let key = sim.pick_key(&mut input);
                    let last = sim.pick_last(&mut input).unwrap_or_default();
                    sim.open_stream_replay(key, &last, &mut input, now, low);
                }
                11 | 12 => {
                    let count = 1 + input.below(3);
                    let keys: Vec<ListenerKey> = (0..count).map(|_| sim.pick_key(&mut input)).collect();
                    sim.rewait(&keys, now);
                }
                _ => {}
            },
            34 | 35 => {
                if sim.external {
                    sim.accept(&mut input, low);
                }
            }
            36 => {
                if sim.external {
                    sim.set_last_id(&mut input);
                }
            }
            37 => {
                low = !low;
                let budget = if low { memory::live_bytes() + input.below(400) } else { memory::DEFAULT_BUDGET };
                memory::set_budget(budget);
            }
            _ => now += input.pick(&[20, 100, 1000, 20_000]),
        }
        sim.check();
    }
    memory::set_budget(memory::DEFAULT_BUDGET);
    for sim in &mut sims {
        sim.drain();
        sim.check();
    }
    drop(sims);
    assert_eq!(memory::live_bytes(), 0, "memory charged by the channels was not released");
}

/// The model's self-test: a model that silently lost a queued message must disagree with the
/// channel (so a run that agrees means something).
pub fn check_model_detects_mismatch() {
    let mut sim = Sim::new("self-test", ChannelConfig::default());
    sim.add_listener(false);
    sim.broadcast("t", "1", false);
    sim.check();
    sim.ls[0].queue.clear();
    sim.check();
}
