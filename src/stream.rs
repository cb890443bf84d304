//! The per-listener SSE stream state machine, driven by time passed in (sans-IO, in the manner
//! of quinn-proto's `Connection`): the driver asks [`crate::Channel::poll_stream`] for bytes
//! when its reader waits and gets bytes, the end of the stream, or "nothing now; poll again when
//! woken or at `wake_at`". The machine owns everything about timing: the opening bytes (`retry:`
//! and the replay), pausing (`stop`/`start`), the stream delay between deliveries, keep-alive
//! comments after silence (the first one early, so a client that left before any message is
//! found as soon as a write can fail), and the closing frame.

use crate::error::{Error, Limit};
use crate::listener::ListenerState;
use crate::message::{CHANNEL_CLOSED, DROPPED, OVERFLOW};
use crate::sse::{encode_into, Frame};
use crate::text::push_display;

/// The comment sent after silence.
pub const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// What a poll of a stream produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamPoll {
    /// Bytes were appended to the output. Poll again when the reader wants more.
    Sent,
    /// The closing frame was appended and the listener removed from its channel: close the
    /// stream after writing the bytes.
    Finished,
    /// Nothing to send now. Poll again when [`crate::Channel::flush`] lists the stream as woken,
    /// or at `wake_at` (milliseconds on the driver's clock) for a keep-alive or a delayed
    /// delivery.
    Pending {
        /// When the machine next has something to do on its own, if ever.
        wake_at: Option<u64>,
    },
}

/// The timing settings a stream follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timing {
    pub(crate) stream_delay_ms: u64,
    pub(crate) keep_alive_ms: u64,
    pub(crate) first_keep_alive_ms: u64,
}

#[derive(Debug)]
pub(crate) struct Stream {
    /// `retry:` and the replay, sent by the first poll.
    pub(crate) opening: Option<Vec<u8>>,
    pub(crate) last_sent_at: u64,
    /// With a stream delay: when the next delivery may go out.
    pub(crate) next_delivery_at: u64,
    /// Something went out after the opening (so keep-alives use the full interval).
    pub(crate) sent_since_open: bool,
    /// The reader waits for bytes.
    pub(crate) waiting: bool,
}

impl Stream {
    pub(crate) fn new(opening: Vec<u8>, now: u64) -> Stream {
        Stream {
            opening: Some(opening),
            last_sent_at: now,
            next_delivery_at: now,
            sent_since_open: false,
            waiting: false,
        }
    }

    /// When the next keep-alive is due, if keep-alives are on.
    fn keep_alive_at(&self, timing: Timing) -> Option<u64> {
        if timing.keep_alive_ms == 0 {
            return None;
        }
        let interval = match (self.sent_since_open, timing.first_keep_alive_ms) {
            (false, first) if first > 0 => first.min(timing.keep_alive_ms),
            _ => timing.keep_alive_ms,
        };
        Some(self.last_sent_at.saturating_add(interval))
    }

    fn sent(&mut self, now: u64) {
        self.last_sent_at = now;
        self.sent_since_open = true;
    }
}

impl ListenerState {
    /// One poll of this listener's stream; see [`StreamPoll`]. `max_frames` caps the messages
    /// taken (the stream delay caps it at one).
    pub(crate) fn poll_stream(
        &mut self,
        timing: Timing,
        now: u64,
        max_frames: usize,
        out: &mut Vec<u8>,
    ) -> Result<StreamPoll, Error> {
        let stream = self.stream_mut()?;
        // The reader gets bytes or is marked waiting again below: a poll that sends leaves it
        // not waiting, so a later flush never hands a chunk to a reader that has one to read.
        stream.waiting = false;
        let opening = stream.opening.take();
        if let Some(opening) = &opening {
            out.extend_from_slice(opening);
        }
        let mut taken = 0;
        if self.running && (timing.stream_delay_ms == 0 || now >= self.stream_mut()?.next_delivery_at) {
            let max = if timing.stream_delay_ms > 0 { max_frames.min(1) } else { max_frames };
            taken = self.drain_into(max, out)?;
            if self.is_done() {
                self.write_closing(out)?;
                return Ok(StreamPoll::Finished);
            }
            if taken > 0 && timing.stream_delay_ms > 0 {
                self.stream_mut()?.next_delivery_at = now.saturating_add(timing.stream_delay_ms);
            }
        }
        if !self.running && self.is_done() {
            // Stopped with nothing left and nothing to come: the stream ends as a running one
            // would (notifyEnd ends every stream).
            self.write_closing(out)?;
            return Ok(StreamPoll::Finished);
        }
        let stream = self.stream_mut()?;
        if taken > 0 {
            stream.sent(now);
            return Ok(StreamPoll::Sent);
        }
        if opening.is_some() {
            // The opening starts the silence that keep-alives measure.
            stream.last_sent_at = now;
            return Ok(StreamPoll::Sent);
        }
        if stream.keep_alive_at(timing).is_some_and(|at| now >= at) {
            out.extend_from_slice(KEEP_ALIVE);
            stream.sent(now);
            return Ok(StreamPoll::Sent);
        }
        stream.waiting = true;
        Ok(StreamPoll::Pending { wake_at: self.wake_at(timing) })
    }

    /// Whether a poll at `now` could send something (or end the stream): what a reader that
    /// waits again without polling ([`crate::Channel::rewait_streams`]) must be woken for. Errs
    /// towards true (a stopped listener with a queue, a delivery held by the stream delay): a
    /// needless wake costs one poll that finds nothing, a missed one strands the reader.
    pub(crate) fn stream_ready(&self, timing: Timing, now: u64) -> bool {
        let Some(stream) = self.stream.as_ref() else { return false };
        stream.opening.is_some()
            || !self.queue.is_empty()
            || self.dropped > 0
            || self.is_done()
            || stream.keep_alive_at(timing).is_some_and(|at| now >= at)
    }

    /// When this stream next has something to do on its own: a keep-alive, or a delivery held
    /// back by the stream delay.
    pub(crate) fn wake_at(&self, timing: Timing) -> Option<u64> {
        let stream = self.stream.as_ref()?;
        let keep_alive = stream.keep_alive_at(timing);
        let pending = !self.queue.is_empty() || self.dropped > 0 || self.is_done();
        let delayed = (self.running && timing.stream_delay_ms > 0 && pending).then_some(stream.next_delivery_at);
        match (keep_alive, delayed) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Appends up to `max` deliveries (a pending `_eric_dropped` notice first); returns how many.
    pub(crate) fn drain_into(&mut self, max: usize, out: &mut Vec<u8>) -> Result<usize, Error> {
        let mut taken = 0;
        if self.dropped > 0 && max > 0 {
            write_notice(out, DROPPED, &dropped_data(self.dropped))?;
            self.dropped = 0;
            taken += 1;
        }
        while taken < max {
            let Some(envelope) = self.pop() else { break };
            out.extend_from_slice(envelope.frame());
            taken += 1;
        }
        Ok(taken)
    }

    /// The frame that ends this listener's stream: `_eric_channel_closed` or `_eric_overflow`.
    fn write_closing(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self.cut_limit() {
            Some(limit) => write_notice(out, OVERFLOW, &overflow_data(limit)),
            None => write_notice(out, CHANNEL_CLOSED, "null"),
        }
    }

    pub(crate) fn stream_mut(&mut self) -> Result<&mut Stream, Error> {
        let id = &self.id;
        self.stream.as_mut().ok_or_else(|| Error::InvalidListener {
            listener: String::from(&**id),
            reason: "has no open stream",
        })
    }
}

/// Appends one of the library's notices (no id).
pub(crate) fn write_notice(out: &mut Vec<u8>, kind: &str, data: &str) -> Result<(), Error> {
    encode_into(out, &Frame { event: Some(kind), data: Some(data), ..Frame::default() })
}

/// `{"dropped":n}`
pub(crate) fn dropped_data(count: u64) -> String {
    let mut data = String::from("{\"dropped\":");
    push_display(&mut data, count);
    data.push('}');
    data
}

/// `{"maxQueue":n}` or `{"maxQueueBytes":n}`
pub(crate) fn overflow_data(limit: Limit) -> String {
    let (key, n) = match limit {
        Limit::Messages(n) => ("{\"maxQueue\":", n),
        Limit::Bytes(n) => ("{\"maxQueueBytes\":", n),
    };
    let mut data = String::from(key);
    push_display(&mut data, n as u64);
    data.push('}');
    data
}
