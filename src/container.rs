//! A container of channels by id (eric-sse's channel container; the hub's state).

use std::collections::HashMap;

use crate::channel::Channel;
use crate::error::Error;

#[derive(Debug, Default)]
pub struct ChannelContainer {
    channels: HashMap<String, Channel>,
}

impl ChannelContainer {
    pub fn new() -> Self {
        ChannelContainer::default()
    }

    /// Adds `channel`; fails with `InvalidChannel` when its id is already taken.
    pub fn add(&mut self, channel: Channel) -> Result<(), Error> {
        if self.channels.contains_key(channel.id()) {
            return Err(invalid(channel.id(), "this id is already taken"));
        }
        self.channels.insert(channel.id().to_owned(), channel);
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<&Channel, Error> {
        self.channels.get(id).ok_or_else(|| invalid(id, "no such channel"))
    }

    pub fn get_mut(&mut self, id: &str) -> Result<&mut Channel, Error> {
        self.channels.get_mut(id).ok_or_else(|| invalid(id, "no such channel"))
    }

    /// Removes the channel and returns it (end it first if its listeners should be told).
    pub fn remove(&mut self, id: &str) -> Result<Channel, Error> {
        self.channels.remove(id).ok_or_else(|| invalid(id, "no such channel"))
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.channels.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.channels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }
}

fn invalid(id: &str, reason: &'static str) -> Error {
    Error::InvalidChannel { channel: id.to_owned(), reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChannelConfig;

    #[test]
    fn channels_are_added_found_listed_and_removed_by_id() {
        let mut c = ChannelContainer::new();
        c.add(Channel::new("a", ChannelConfig::default())).unwrap();
        c.add(Channel::new("b", ChannelConfig::default())).unwrap();
        let mut ids: Vec<_> = c.ids().collect();
        ids.sort();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(c.get("a").unwrap().id(), "a");
        c.remove("a").unwrap();
        assert_eq!(c.get("a").unwrap_err().name(), "InvalidChannelError");
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn duplicate_channel_id_is_refused_and_keeps_the_first() {
        let mut c = ChannelContainer::new();
        c.add(Channel::new("a", ChannelConfig { retry_ms: 1, ..ChannelConfig::default() })).unwrap();
        let err = c.add(Channel::new("a", ChannelConfig::default())).unwrap_err();
        assert_eq!(err.name(), "InvalidChannelError");
        assert_eq!(c.get("a").unwrap().config().retry_ms, 1);
    }
}
