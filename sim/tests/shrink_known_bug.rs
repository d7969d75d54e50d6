//! A known bug in the processing phase (a restore that re-reads from one
//! entry past the checkpoint) shrinks to a regression of a few events
//! that needs no seed: it fails the same check under any seed while the
//! bug is in, and passes once it is gone. Crash times, checkpoints and
//! the log must all survive in the listed form for that to hold.
//!
//! Only with `--features known-bugs`; one test, because the active
//! variant is process-wide.
#![cfg(feature = "known-bugs")]

use std::path::Path;
use tidemark_engine::known_bugs::{self, KnownBug};
use tidemark_sim::run::run_seed_with;
use tidemark_sim::{scenario, shrink};

#[test]
fn a_shrunk_known_bug_regression_keeps_failing_the_same_check() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/crash_backlog_slow_consumer.yaml");
    let s = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    known_bugs::set(Some(KnownBug::ReplaySkipsAnEntry));
    let shrunk = shrink::shrink(&s, 0)
        .expect("runs")
        .expect("the variant fails seed 0");
    let target = shrunk.original_failure.signature();
    assert_eq!(shrunk.failure.signature(), target);
    let events = shrunk.events(0);
    assert!(events <= 30, "shrunk to {events} events");
    let dir = std::env::temp_dir().join(format!("tidemark-known-bug-{}", std::process::id()));
    let written = shrink::write_regression(&dir, &path, 0, &shrunk).expect("writes");
    let regression = scenario::load(&written).unwrap_or_else(|e| panic!("{e}"));
    assert!(regression.events.is_some(), "not a listed scenario");
    for seed in [0, 5, 999] {
        let (report, _) = run_seed_with(&regression, seed, false).expect("runs");
        assert_eq!(
            report.failures.first().map(|f| f.signature()),
            Some(target.clone()),
            "seed {seed}"
        );
    }
    known_bugs::set(None);
    let (report, _) = run_seed_with(&regression, 0, false).expect("runs");
    assert!(
        report.ok(),
        "the real engine fails it too: {:?}",
        report.failures
    );
    let _ = std::fs::remove_dir_all(&dir);
}
