//! eric-sse: SSE pub/sub channels with a sans-IO core.
//!
//! The core knows nothing of JavaScript, clocks or sockets: messages and `now` go in; queued
//! deliveries, SSE bytes, woken listeners and deadlines come out. The same code is tested
//! natively (`cargo test`) and compiled once to WebAssembly, where `wasm` (wasm32 only) exposes
//! it to the JS driver in `js/`, converting and nothing else.
//!
//! ```
//! use eric_sse::{Channel, ChannelConfig, Message};
//! let mut channel = Channel::new("news", ChannelConfig::default());
//! let alice = channel.add_listener().unwrap();
//! let id = channel.broadcast(Message::new("greeting", "\"hi\"")).unwrap();
//! let got = channel.deliver_next(alice).unwrap();
//! assert_eq!((got.id(), got.kind(), got.payload()), (Some(id), "greeting", "\"hi\""));
//! ```
#![warn(missing_docs)]

pub mod channel;
pub mod error;
mod history;
pub mod hub;
pub mod id;
mod listener;
pub mod memory;
pub mod message;
pub mod pack;
pub mod sse;
pub mod stream;
mod text;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use channel::{Accepted, Channel, ChannelConfig, External, Flush, ListenerKey, Next, Numbering, Take};
pub use error::{Error, Limit};
pub use id::MessageId;
pub use listener::{Lifecycle, Overflow};
pub use message::{Envelope, Message, SignedMessage};
pub use stream::StreamPoll;
