//! The channel reference model of the `channel` fuzz target (`tests/channel_model/mod.rs`), run
//! natively over seeded random operation sequences, so `cargo test` (and `npm test`) exercise it
//! without nightly. A failure prints the seed; `fuzz/README.md` says how to rerun the fuzzer.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod channel_model;
mod common;

use common::Rng;

fn sequence(seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let len = 32 + rng.below(1500);
    (0..len).map(|_| (rng.next() >> 32) as u8).collect()
}

#[test]
fn seeded_operation_sequences_agree_with_the_model() {
    for seed in 0..3000 {
        let data = sequence(seed);
        let outcome = std::panic::catch_unwind(|| channel_model::run(&data));
        assert!(outcome.is_ok(), "the channel and its model disagree for seed {seed}");
    }
}

#[test]
fn the_fuzzers_regression_inputs_agree_with_the_model() {
    // The inputs that found the channel's deviations from its documentation (fuzz/README.md):
    // each failed before its fix.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/channel");
    let mut ran = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| channel_model::run(&data));
        assert!(outcome.is_ok(), "the channel and its model disagree on {}", path.display());
        ran += 1;
    }
    assert!(ran >= 6, "the regression inputs are missing");
}

#[test]
fn the_model_disagrees_when_a_message_goes_missing() {
    let outcome = std::panic::catch_unwind(channel_model::check_model_detects_mismatch);
    assert!(outcome.is_err(), "a model that lost a queued message still agreed with the channel");
}
