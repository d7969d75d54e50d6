//! Event-level shrinking: a seeded run recorded as a scenario with
//! `events:` replays exactly, under any seed; shrinking is deterministic;
//! and the regression it writes keeps failing the same check.

use std::path::{Path, PathBuf};
use tidemark_sim::run::{run_seed_with, Failure};
use tidemark_sim::scenario::{self, Scenario};
use tidemark_sim::{shrink, trace_hash};

fn shipped(rel: &str) -> (PathBuf, Scenario) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    let s = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    (path, s)
}

/// The run hash (workload, trace, every strategy's outputs) and failures.
/// Fault decisions count by time only: their text names the loss rate a
/// lost attempt was drawn with, which a listed fate does not have.
fn outcome(s: &Scenario, seed: u64) -> (String, Vec<Failure>) {
    let (report, mut sim) = run_seed_with(s, seed, false).unwrap_or_else(|e| panic!("{e:#}"));
    for f in &mut sim.trace.faults {
        f.what.clear();
    }
    (
        trace_hash::run_hash(&sim.workload, &sim.trace, &sim.runs),
        report.failures,
    )
}

fn signatures(f: &[Failure]) -> Vec<(Option<String>, String)> {
    f.iter().map(Failure::signature).collect()
}

#[test]
fn a_recorded_run_replays_exactly_under_any_seed() {
    // A lossy network with retries (lost attempts, lost acks, duplicates),
    // a durable log and random crashes: every kind of recorded decision.
    for (rel, seed) in [
        ("scenarios/lambda_two_codebases.yaml", 3),
        ("scenarios/dense_boundaries.yaml", 1),
        ("scenarios/crash_restore.yaml", 2),
    ] {
        let (_, s) = shipped(rel);
        let recorded = shrink::record::explicit(&s, seed).expect("records");
        let events = recorded.events.as_ref().expect("lists its events");
        assert!(
            events.iter().any(|e| !e.attempts.is_empty()),
            "{rel}: no fate recorded"
        );
        let original = outcome(&s, seed);
        for replay_seed in [seed, seed + 1, 1000] {
            assert_eq!(
                outcome(&recorded, replay_seed),
                original,
                "{rel} recorded at seed {seed}, replayed at seed {replay_seed}"
            );
        }
    }
}

#[test]
fn lossy_retries_are_recorded_as_lost_attempts_and_acks() {
    let (_, s) = shipped("scenarios/lambda_two_codebases.yaml");
    let recorded = shrink::record::explicit(&s, 3).expect("records");
    let attempts: Vec<_> = recorded
        .events
        .iter()
        .flatten()
        .flat_map(|e| &e.attempts)
        .collect();
    assert!(attempts.iter().any(|a| a.lost), "no lost attempt recorded");
    assert!(attempts.iter().any(|a| a.ack_lost), "no lost ack recorded");
    let (report, _) = run_seed_with(&recorded, 0, false).expect("runs");
    assert!(
        report.duplicates_delivered > 0,
        "lost acks must still cause duplicates"
    );
}

/// A scenario written by hand with `events:`: the fates written decide
/// everything, whatever the seed.
const LISTED: &str = r"
name: listed
description: Three events with explicit fates.
duration: 10s
workload:
  keys: [a, b]
  sources: [{name: s, count: 2, rate: 0}]
network:
  retry: {timeout: 100ms, max_attempts: 3}
pipeline:
  window: {fixed: 1s}
  watermark: {bounded_out_of_orderness: 0ms}
  aggregate: count
strategies: [{name: default}]
expect: {invariants: all}
events:
  - {id: 7, source: s-0, key: a, value: 1, time: 100ms, sent_at: 100ms}
  - {id: 2, source: s-1, key: b, value: 1, time: 200ms, sent_at: 150ms, attempts: [{lost: true}, {delay: 30ms, ack_lost: true}]}
  - {id: 3, source: s-0, key: a, value: 1, time: 1500ms, sent_at: 1500ms, attempts: [{delay: 5ms, ack_delay: 500ms}]}
";

#[test]
fn listed_fates_decide_losses_retries_and_duplicates() {
    let s = scenario::parse(LISTED, Path::new("listed.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let (report, sim) = run_seed_with(&s, 0, false).expect("runs");
    // Ids are send order: 7 (100ms) → 0, 2 (150ms) → 1, 3 → 2.
    let arrivals: Vec<(u64, i64, bool)> = sim
        .trace
        .deliveries
        .iter()
        .filter_map(|d| match *d {
            tidemark_sim::model::Delivery::Record {
                at,
                event,
                duplicate,
                ..
            } => Some((event, at.0, duplicate)),
            _ => None,
        })
        .collect();
    assert_eq!(
        arrivals,
        vec![
            (0, 100, false),
            // Attempt 0 lost; attempt 1 starts at the timeout (250ms) and
            // takes 30ms; its ack is lost, so attempt 2 (at 350ms, plain
            // fate) arrives at once: a duplicate.
            (1, 280, false),
            (1, 350, true),
            // Its ack takes 500ms, past the 100ms timeout: retried at 1600ms.
            (2, 1505, false),
            (2, 1600, true),
        ]
    );
    assert_eq!(report.duplicates_delivered, 2);
    for seed in [1, 2, 99] {
        assert_eq!(outcome(&s, seed), outcome(&s, 0), "seed {seed}");
    }
}

#[test]
fn listed_events_refuse_what_would_come_from_the_seed() {
    let cases = [
        ("rate: 0}]", "rate: 2}]", "7:", "rate must be 0"),
        ("  retry:", "  loss: 0.1\n  retry:", "9:", "network loss"),
        ("source: s-1", "source: s-9", "18:", "unknown source `s-9`"),
        ("key: b", "key: c", "18:", "unknown key `c`"),
        (
            "value: 1, time: 100ms",
            "value: 1, tiem: 100ms",
            "17:",
            "unknown field `tiem`",
        ),
        (
            "{delay: 5ms,",
            "{delay: -5ms,",
            "19:",
            "delay must be between",
        ),
        ("id: 3,", "id: 7,", "19:", "event id 7 is used twice"),
    ];
    for (from, to, line, message) in cases {
        let text = LISTED.replacen(from, to, 1);
        let e = scenario::parse(&text, Path::new("listed.yaml"))
            .expect_err(to)
            .to_string();
        assert!(
            e.starts_with(&format!("listed.yaml:{line}")) && e.contains(message),
            "{to}: {e}"
        );
    }
}

#[test]
fn shrinking_is_deterministic_and_reaches_single_events() {
    let (path, s) = shipped("scenarios/regressions/aggressive_watermark.yaml");
    let a = shrink::shrink(&s, 15)
        .expect("runs")
        .expect("seed 15 fails");
    let b = shrink::shrink(&s, 15)
        .expect("runs")
        .expect("seed 15 fails");
    assert_eq!(a.scenario, b.scenario);
    assert_eq!(a.steps, b.steps);
    assert_eq!(a.failure, b.failure);
    assert_eq!(a.failure.signature(), a.original_failure.signature());
    let n = a.events(15);
    assert!(n <= 5, "shrunk to {n} events");
    // Written twice, byte for byte the same file.
    let dir = std::env::temp_dir().join(format!("tidemark-shrink-{}", std::process::id()));
    let first = shrink::write_regression(&dir, &path, 15, &a).expect("writes");
    let text = std::fs::read_to_string(&first).expect("reads");
    let again = shrink::write_regression(&dir, &path, 15, &b).expect("writes");
    assert_eq!(std::fs::read_to_string(&again).expect("reads"), text);
    assert!(text.starts_with("# must: fail\n"), "{text}");
    assert!(text.contains("# From: "), "{text}");
    // The file needs no seed and fails the same check at any.
    let written = scenario::load(&first).unwrap_or_else(|e| panic!("{e}"));
    for seed in [0, 15, 4242] {
        let (_, failures) = outcome(&written, seed);
        assert_eq!(
            signatures(&failures).first(),
            Some(&a.original_failure.signature()),
            "seed {seed}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
