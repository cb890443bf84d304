//! eric-sse: SSE pub/sub channels with a sans-IO core.
//!
//! The core knows nothing of JavaScript, clocks or sockets: messages go in, queued deliveries and
//! SSE bytes come out. The same code is tested natively (`cargo test`) and compiled once to
//! WebAssembly, where `bindings` (wasm32 only) exposes it to the JS wrapper in `js/`.
//!
//! ```
//! use eric_sse::{Channel, ChannelConfig, Message};
//! let mut channel = Channel::new("news", ChannelConfig::default());
//! let alice = channel.add_listener();
//! let id = channel.broadcast(Message::new("greeting", "\"hi\"")).unwrap();
//! let got = channel.deliver_next(alice).unwrap();
//! assert_eq!((got.id(), got.kind(), got.payload()), (id, "greeting", "\"hi\""));
//! ```

pub mod channel;
pub mod container;
pub mod error;
mod history;
mod listener;
pub mod message;
pub mod sse;
mod text;

#[cfg(target_arch = "wasm32")]
mod bindings;

pub use channel::{Channel, ChannelConfig, ListenerKey, Overflow, StreamState};
pub use listener::Lifecycle;
pub use container::ChannelContainer;
pub use error::Error;
pub use message::{Envelope, Message, SignedMessage};
