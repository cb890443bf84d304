//! The SSE wire format: [`encode`] writes frames. (The incremental parser joins this module
//! with the parser issue.)

mod encode;

pub use encode::{encode, encode_into, Frame};
pub(crate) use encode::has_line_break;
