//! The replay log behind `Last-Event-ID`: the channel's most recent messages, oldest first,
//! bounded by count and by bytes, shared with the queues (one `Rc` each, no copies).
//!
//! Continuity is proven by links, not arithmetic: every envelope names its predecessor, so a
//! resume from id `X` is continuous exactly when `X` is the channel's last id, or the first kept
//! message after `X` names `X` as its predecessor. That holds for ids the channel assigns and
//! for ids an engine assigns, and it turns every unprovable resume into a reported gap.

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
}

impl History {
    pub(crate) fn new(max_count: usize, max_bytes: usize) -> Self {
        History { max_count, max_bytes, bytes: 0, kept: VecDeque::new() }
    }

    /// Keeps `envelope`, forgetting the oldest while over either bound. A message larger than
    /// the byte bound is not kept at all (a resume from before it then reports a gap).
    pub(crate) fn push(&mut self, envelope: &Rc<Envelope>) {
        if self.max_count == 0 {
            return;
        }
        self.kept.push_back(Rc::clone(envelope));
        self.bytes = self.bytes.saturating_add(envelope.size());
        while self.kept.len() > self.max_count || self.bytes > self.max_bytes {
            let Some(old) = self.kept.pop_front() else { break };
            self.bytes = self.bytes.saturating_sub(old.size());
        }
    }

    /// Id of the oldest message kept, if any.
    pub(crate) fn oldest_id(&self) -> Option<MessageId> {
        self.kept.front().and_then(|e| e.id())
    }

    /// Where a resume after `last` starts, given the channel's own last id.
    pub(crate) fn resume(&self, last: MessageId, channel_last: Option<MessageId>) -> Resume {
        if channel_last == Some(last) {
            return Resume::UpToDate;
        }
        let next = self.kept.partition_point(|e| e.id().is_some_and(|id| id <= last));
        match self.kept.get(next) {
            Some(first) if first.prev() == Some(last) => Resume::From(next),
            _ => Resume::Gap,
        }
    }

    /// The kept messages from index `from` on, oldest first.
    pub(crate) fn from(&self, from: usize) -> impl Iterator<Item = &Rc<Envelope>> {
        self.kept.range(from.min(self.kept.len())..)
    }
}
