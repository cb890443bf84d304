//! The replay buffer behind `Last-Event-ID`: the last `capacity` messages of a channel, oldest
//! first, shared with the queues (one `Rc` each, no copies).

use std::collections::VecDeque;
use std::rc::Rc;

use crate::message::Envelope;

#[derive(Debug)]
pub(crate) struct History {
    capacity: usize,
    kept: VecDeque<Rc<Envelope>>,
}

impl History {
    pub(crate) fn new(capacity: usize) -> Self {
        History { capacity, kept: VecDeque::new() }
    }

    pub(crate) fn push(&mut self, envelope: &Rc<Envelope>) {
        if self.capacity == 0 {
            return;
        }
        if self.kept.len() == self.capacity {
            self.kept.pop_front();
        }
        self.kept.push_back(Rc::clone(envelope));
    }

    /// Id of the oldest message kept, if any.
    pub(crate) fn oldest_id(&self) -> Option<u64> {
        self.kept.front().map(|e| e.id())
    }

    /// Messages kept with an id above `after`, oldest first.
    pub(crate) fn after(&self, after: u64) -> impl Iterator<Item = &Rc<Envelope>> {
        self.kept.iter().filter(move |e| e.id() > after)
    }
}
