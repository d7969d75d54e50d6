//! An idle channel that holds the watermark for ever, under a consumer
//! that is behind and polls on a coarse clock: on the shipped
//! idle_slow_consumer scenario watermark conformance (its reference driven
//! by the instants the worker read each entry) catches the
//! `idle_holds_forever` variant, and the real engine passes.
//!
//! Only with `--features known-bugs`; one test, because the active
//! variant is process-wide.
#![cfg(feature = "known-bugs")]

use std::path::Path;
use tidemark_engine::known_bugs::{self, KnownBug};
use tidemark_sim::run::run_seed_with;
use tidemark_sim::scenario;

#[test]
fn an_idle_channel_held_for_ever_behind_a_slow_consumer_fails_watermark_conformance() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/idle_slow_consumer.yaml");
    let s = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    known_bugs::set(Some(KnownBug::IdleHoldsForever));
    for seed in [1, 2, 3] {
        let (report, _) = run_seed_with(&s, seed, false).expect("runs");
        let f = report
            .failures
            .iter()
            .find(|f| f.check == "watermark_conformance");
        assert!(f.is_some(), "seed {seed}: {:?}", report.failures);
    }
    known_bugs::set(None);
    let (report, _) = run_seed_with(&s, 1, false).expect("runs");
    assert!(report.ok(), "the real engine fails: {:?}", report.failures);
}
