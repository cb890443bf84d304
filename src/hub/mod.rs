//! The hub's protocol, sans-IO: every way into a hub — a REST route, eric-sse's controller
//! protocol on `POST /command`, a message on a port — decodes into one [`Command`], which the
//! driver authorizes and executes in one place. Decoding checks everything that can be checked
//! without state (verbs, ids, message types, payload size), so a refused request changes
//! nothing.

mod command;
mod route;

pub use command::{decode, Command, Field, Fields, Verb, MAX_PAYLOAD_DEPTH};
pub use route::{route, Route};
