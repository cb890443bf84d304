//! Fuzzes `Channel` against a reference model: a random sequence of operations on a locally
//! numbered channel and on one numbered by an engine (`accept`), each checked against the model in
//! `tests/channel_model/mod.rs` (shared with `tests/model.rs`, which runs it under `cargo test`).
//! See that file for what is checked. `ERIC_SSE_FUZZ_STRICT=1` also fails on the known deviations.
#![no_main]

#[path = "../../tests/channel_model/mod.rs"]
mod channel_model;

libfuzzer_sys::fuzz_target!(|data: &[u8]| channel_model::run(data));
