//! The SSE wire format: [`encode`] writes frames, [`Parser`] reads them back incrementally.

mod encode;
mod parse;
mod parse16;
mod transcode;

pub(crate) use encode::{encode_fields, has_line_break};
#[cfg(target_arch = "wasm32")]
pub(crate) use transcode::{widen, Units};
pub use encode::{encode, encode_into, Frame};
pub use parse::{Item, Parser, RawItem};
pub use parse16::{tag, Reader, Utf16Parser};
