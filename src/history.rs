//! The replay log behind `Last-Event-ID`: the channel's most recent messages, oldest first,
//! bounded by count and by bytes, shared with the queues (one `Rc` each, no copies).
//!
//! Continuity is proven by links, not arithmetic: every envelope names its predecessor, so a
//! resume from id `X` is continuous exactly when `X` is the channel's last id, or when
//! - the first kept message after `X` names `X` as its predecessor,
//! - no message the channel logged between `X` and that one has been forgotten (only possible
//!   when it is the oldest kept: an engine's message may name an id older than the channel's
//!   last), and
//! - no kept message after that one followed a gap in an engine's log (`Accepted::AfterGap`):
//!   its link names an id the channel never had, so what the engine lost there is missing.
//!
//! That holds for ids the channel assigns and for ids an engine assigns, and it turns every
//! unprovable resume into a reported gap.

use std::collections::VecDeque;
use std::rc::Rc;

use crate::id::MessageId;
use crate::message::Envelope;

/// Where a resume from a client's last id starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resume {
    /// The client has everything: nothing to replay from the history.
    UpToDate,
    /// Replay the kept messages from this index on.
    From(usize),
    /// Continuity cannot be proven: say so, then replay everything kept.
    Gap,
}

#[derive(Debug)]
pub(crate) struct History {
    max_count: usize,
    max_bytes: usize,
    bytes: usize,
    kept: VecDeque<Rc<Envelope>>,
    /// How many envelopes were ever kept: `kept[i]` was the `pushed - kept.len() + i`-th.
    pushed: u64,
    /// Where (counted as `pushed`) the newest envelope that followed a gap in an engine's log
    /// was kept.
    newest_gap: Option<u64>,
    /// The id of the newest message forgotten (pushed out by the bounds).
    forgotten: Option<MessageId>,
}

impl History {
    pub(crate) fn new(max_count: usize, max_bytes: usize) -> Self {
        History { max_count, max_bytes, bytes: 0, kept: VecDeque::new(), pushed: 0, newest_gap: None, forgotten: None }
    }

    /// Keeps `envelope`, forgetting the oldest while over either bound. A message larger than
    /// the byte bound is not kept at all (a resume from before it then reports a gap).
    /// `after_gap`: it does not follow the channel's last message (an engine lost or trimmed
    /// what was between), so no resume from before it is continuous.
    pub(crate) fn push(&mut self, envelope: &Rc<Envelope>, after_gap: bool) {
        if self.max_count == 0 {
            return;
        }
        if after_gap {
            self.newest_gap = Some(self.pushed);
        }
        self.pushed = self.pushed.saturating_add(1);
        self.kept.push_back(Rc::clone(envelope));
        self.bytes = self.bytes.saturating_add(envelope.size());
        while self.kept.len() > self.max_count || self.bytes > self.max_bytes {
            let Some(old) = self.kept.pop_front() else { break };
            self.bytes = self.bytes.saturating_sub(old.size());
            if old.id().is_some() {
                self.forgotten = old.id();
            }
        }
    }

    /// Id of the oldest message kept, if any.
    pub(crate) fn oldest_id(&self) -> Option<MessageId> {
        self.kept.front().and_then(|e| e.id())
    }

    /// Where a resume after `last` starts, given the channel's own last id (see the module
    /// documentation for when it is continuous).
    pub(crate) fn resume(&self, last: MessageId, channel_last: Option<MessageId>) -> Resume {
        if channel_last == Some(last) {
            return Resume::UpToDate;
        }
        let next = self.kept.partition_point(|e| e.id().is_some_and(|id| id <= last));
        let Some(first) = self.kept.get(next) else { return Resume::Gap };
        // Only the oldest kept can have a forgotten message between it and `last`: the kept
        // messages are the channel's latest, in its order.
        let nothing_forgotten = next > 0 || self.forgotten.is_none_or(|f| f <= last);
        let position = self.pushed.saturating_sub(self.kept.len() as u64).saturating_add(next as u64);
        let no_gap_after = self.newest_gap.is_none_or(|gap| gap <= position);
        if first.prev() == Some(last) && nothing_forgotten && no_gap_after {
            Resume::From(next)
        } else {
            Resume::Gap
        }
    }

    /// The kept messages from index `from` on, oldest first.
    pub(crate) fn from(&self, from: usize) -> impl Iterator<Item = &Rc<Envelope>> {
        self.kept.range(from.min(self.kept.len())..)
    }
}
