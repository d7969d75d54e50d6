//! Timers fired in the wrong order within one step show only when several
//! come due together: on the shipped coarse_clock scenario (a consumer
//! polling every second) firing conformance catches the
//! `proc_timers_wrong_order` variant, and the real engine passes.
//!
//! Only with `--features known-bugs`; one test, because the active
//! variant is process-wide.
#![cfg(feature = "known-bugs")]

use std::path::Path;
use tidemark_engine::known_bugs::{self, KnownBug};
use tidemark_sim::run::run_seed_with;
use tidemark_sim::scenario;

#[test]
fn timers_out_of_order_in_one_coarse_step_fail_firing_conformance() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/coarse_clock.yaml");
    let s = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    known_bugs::set(Some(KnownBug::ProcTimersWrongOrder));
    for seed in [1, 2, 3] {
        let (report, _) = run_seed_with(&s, seed, false).expect("runs");
        assert!(
            report
                .failures
                .iter()
                .any(|f| f.check == "firing_conformance"),
            "seed {seed}: {:?}",
            report.failures
        );
    }
    known_bugs::set(None);
    let (report, _) = run_seed_with(&s, 1, false).expect("runs");
    assert!(report.ok(), "the real engine fails: {:?}", report.failures);
}
