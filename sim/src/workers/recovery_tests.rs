//! The processing phase end to end: crashes, restores, sinks, retention,
//! backpressure; and each recovery invariant failing on a deliberately
//! wrong worker.

use super::*;
use crate::invariants::{check_strategy, Invariant, Outcome, StrategyCheck, Subject};
use crate::oracle::{self, Windowing};
use crate::run::{simulate, Simulation};
use crate::scenario::{parse, WatermarkSpec};
use std::path::Path;
use tidemark_engine::EventTime;

/// Two workers, checkpoints every 10s, worker 0 down from 65s to 70s.
const CRASH: &str = "\
name: crash
description: test
seed: 3
duration: 2m
workload:
  keys: 6
  sources:
    - {name: s, count: 3, rate: 5, values: {uniform: {min: 1, max: 9}}}
network:
  latency: {uniform: {min: 5ms, max: 40ms}}
processing:
  checkpoints: {interval: 10s, duration: 1s}
  crashes: [{at: 65s, worker: 0, restart: 5s}]
pipeline:
  window: {fixed: 20s}
  watermark: {bounded_out_of_orderness: 1s}
  aggregate: sum
  workers: 2
strategies:
  - {name: alo, trigger: {after_watermark: {early: {after_count: 5}}}, accumulation: accumulating, sink: at_least_once}
  - {name: eo, trigger: {after_watermark: {early: {after_count: 5}}}, accumulation: accumulating, sink: exactly_once}
  - {name: idem, trigger: {after_watermark: {early: {after_count: 5}}}, accumulation: accumulating, sink: idempotent}
";

fn scenario(text: &str) -> Scenario {
    parse(text, Path::new("t.yaml")).expect("valid scenario")
}

/// Strategy `i` rerun with `proc`, and its crash-free counterpart.
fn rerun(
    s: &Scenario,
    sim: &Simulation,
    i: usize,
    proc: &Processing,
) -> (StrategyRun, StrategyRun) {
    let spec = &s.strategies[i];
    let run = run_strategy_with(s, &sim.workload, &sim.trace, &sim.log, spec, proc).expect("runs");
    let free = run_strategy_with(
        s,
        &sim.workload,
        &sim.trace,
        &sim.log,
        spec,
        &proc.crash_free(),
    )
    .expect("runs");
    (run, free)
}

fn check(
    s: &Scenario,
    sim: &Simulation,
    i: usize,
    run: &StrategyRun,
    free: &StrategyRun,
) -> StrategyCheck {
    let r = &s.strategies_resolved()[i];
    let windowing = Windowing {
        window: r.pipeline.window,
        aggregate: r.pipeline.aggregate,
    };
    let subject = Subject {
        workload: &sim.workload,
        trace: &sim.trace,
        run,
        windowing,
        accumulation: r.pipeline.accumulation,
        dedup: r.dedup,
        watermark_perfect: r.watermark == WatermarkSpec::Perfect,
        siblings: &[],
        log: &sim.log,
        crash_free: Some(free),
        processing_time_dependent: false,
    };
    check_strategy(&subject)
}

/// The share of windows whose consumer's final answer equals the truth
/// ([`crate::metrics::accuracy`], the one definition).
fn accuracy(s: &Scenario, sim: &Simulation, i: usize, run: &StrategyRun) -> f64 {
    let r = &s.strategies_resolved()[i];
    let windowing = Windowing {
        window: r.pipeline.window,
        aggregate: r.pipeline.aggregate,
    };
    let truth: crate::metrics::Values = oracle::truth(&sim.workload, windowing)
        .into_iter()
        .map(|(kw, cell)| (kw, cell.value))
        .collect();
    let answers = crate::consumer::answers(
        &run.panes,
        r.pipeline.accumulation,
        r.pipeline.window.is_merging(),
    );
    crate::metrics::accuracy(&truth, &answers)
}

fn outcome(c: &StrategyCheck, inv: Invariant) -> &Outcome {
    &c.verdicts
        .iter()
        .find(|v| v.invariant == inv)
        .expect("every invariant has a verdict")
        .outcome
}

fn proc_of(s: &Scenario, sim: &Simulation, i: usize) -> Processing {
    processing_of(s, &s.strategies[i], &sim.trace, sim.fault_seed)
}

#[test]
fn a_crash_duplicates_at_least_once_and_delays_exactly_once() {
    let s = scenario(CRASH);
    let sim = simulate(&s, 3).expect("runs");
    let [alo, eo, idem] = [0, 1, 2].map(|i| &sim.runs[i]);
    for r in [alo, eo, idem] {
        assert_eq!(
            (r.recovery.crashes, r.recovery.restarts, r.recovery.restores),
            (1, 1, 1)
        );
        assert!(r.recovery.checkpoints > 10);
        assert!(r.recovery.checkpoint_bytes_max > 0);
    }
    assert!(
        alo.recovery.downstream_duplicates > 0,
        "the replay re-fires panes"
    );
    assert_eq!(eo.recovery.downstream_duplicates, 0);
    assert_eq!(idem.recovery.downstream_duplicates, 0);
    assert!(idem.recovery.overwrites > 0);
    // Exactly-once panes become visible at a commit, after their firing.
    let delay: i64 = eo
        .panes
        .iter()
        .zip(&eo.visible_at)
        .map(|(p, v)| v.0 - p.fired_at.0)
        .sum();
    assert!(delay > 0);
    assert!(eo
        .panes
        .iter()
        .zip(&eo.visible_at)
        .all(|(p, v)| v.0 >= p.fired_at.0));
    for i in 0..3 {
        let (run, free) = rerun(&s, &sim, i, &proc_of(&s, &sim, i));
        let c = check(&s, &sim, i, &run, &free);
        for v in &c.verdicts {
            assert!(v.outcome.ok(), "strategy {i}: {:?}", v);
        }
    }
}

#[test]
fn exactly_once_fails_when_the_sink_shows_panes_before_the_commit() {
    let s = scenario(CRASH);
    let sim = simulate(&s, 3).expect("runs");
    let mut proc = proc_of(&s, &sim, 1);
    proc.bugs.exactly_once_commits_early = true;
    let (run, free) = rerun(&s, &sim, 1, &proc);
    let c = check(&s, &sim, 1, &run, &free);
    let Outcome::Failed(ce) = outcome(&c, Invariant::ExactlyOnceEqualsCrashFree) else {
        panic!(
            "expected a failure, got {:?}",
            outcome(&c, Invariant::ExactlyOnceEqualsCrashFree)
        );
    };
    assert!(
        ce.what
            .contains("exactly-once sink showed a pane 2 time(s)"),
        "{ce}"
    );
}

#[test]
fn a_restore_that_skips_an_entry_loses_it_and_a_pane() {
    let s = scenario(CRASH);
    let sim = simulate(&s, 3).expect("runs");
    let mut proc = proc_of(&s, &sim, 0);
    proc.bugs.restore_skips_an_entry = true;
    let (run, free) = rerun(&s, &sim, 0, &proc);
    let c = check(&s, &sim, 0, &run, &free);
    assert!(matches!(
        outcome(&c, Invariant::NothingLostButRetention),
        Outcome::Failed(_)
    ));
    assert!(matches!(
        outcome(&c, Invariant::AtLeastOnceCoversCrashFree),
        Outcome::Failed(_)
    ));
    assert!(matches!(
        outcome(&c, Invariant::FinalEqualsAdmittedTruth),
        Outcome::Failed(_)
    ));
}

#[test]
fn a_restored_worker_holds_its_watermark_and_forwarding_the_rewound_one_is_caught() {
    let text = CRASH.replace(
        "crashes: [{at: 65s, worker: 0, restart: 5s}]",
        "crashes: [{at: 65s, worker: 0, restart: 5s, lose_last_checkpoint: true}]\n  service_rate: 30",
    );
    let s = scenario(&text);
    let sim = simulate(&s, 3).expect("runs");
    let r = &sim.runs[0];
    assert_eq!(r.recovery.watermark_rewinds, 1);
    // The replay is slow enough for the tracker to emit watermarks while
    // it is still behind what was sent: those are held.
    assert!(r.recovery.watermarks_held > 0);
    let mut proc = proc_of(&s, &sim, 0);
    let (run, free) = rerun(&s, &sim, 0, &proc);
    assert!(check(&s, &sim, 0, &run, &free)
        .verdicts
        .iter()
        .all(|v| v.outcome.ok()));
    proc.bugs.forward_rewound_watermark = true;
    let (run, free) = rerun(&s, &sim, 0, &proc);
    let c = check(&s, &sim, 0, &run, &free);
    let Outcome::Failed(ce) = outcome(&c, Invariant::WatermarkMonotone) else {
        panic!("expected a failure");
    };
    assert!(ce.what.contains("worker 0's watermark went back"), "{ce}");
}

#[test]
fn state_bounded_fails_when_a_restored_engine_holds_more() {
    let s = scenario(CRASH);
    let sim = simulate(&s, 3).expect("runs");
    let (mut run, free) = rerun(&s, &sim, 0, &proc_of(&s, &sim, 0));
    assert!(outcome(
        &check(&s, &sim, 0, &run, &free),
        Invariant::StateBoundedAfterRestore
    )
    .ok());
    // A deliberately wrong trace of the run: worker 0 kept one window more.
    run.recovery.state_at_end[0].windows_open += 1;
    let c = check(&s, &sim, 0, &run, &free);
    assert!(matches!(
        outcome(&c, Invariant::StateBoundedAfterRestore),
        Outcome::Failed(_)
    ));
}

#[test]
fn state_bounded_compares_only_workers_whose_watermark_caught_up() {
    let s = scenario(CRASH);
    let sim = simulate(&s, 3).expect("runs");
    let (mut run, free) = rerun(&s, &sim, 0, &proc_of(&s, &sim, 0));
    // Worker 0 ends behind the crash-free run (still down, or restored and
    // not yet caught up): its unexpired windows are not a leak.
    run.recovery.state_at_end[0].windows_open += 1;
    run.recovery.watermark_at_end[0] = EventTime::MIN;
    let c = check(&s, &sim, 0, &run, &free);
    assert!(!matches!(
        outcome(&c, Invariant::StateBoundedAfterRestore),
        Outcome::Failed(_)
    ));
}

#[test]
fn an_outage_longer_than_retention_loses_what_it_needed_and_counts_it() {
    let text = CRASH
        .replace("processing:", "log: {retention: 20s}\nprocessing:")
        .replace("restart: 5s", "restart: 40s");
    let s = scenario(&text);
    let sim = simulate(&s, 3).expect("runs");
    for (i, r) in sim.runs.iter().enumerate() {
        assert!(!r.recovery.retention_missed.is_empty(), "strategy {i}");
        let (run, free) = rerun(&s, &sim, i, &proc_of(&s, &sim, i));
        let c = check(&s, &sim, i, &run, &free);
        assert!(outcome(&c, Invariant::NothingLostButRetention) == &Outcome::Held);
        assert!(
            outcome(&c, Invariant::FinalEqualsAdmittedTruth) == &Outcome::Held,
            "{:?}",
            outcome(&c, Invariant::FinalEqualsAdmittedTruth)
        );
        assert!(
            accuracy(&s, &sim, i, &run) < 1.0,
            "the lost events are counted against the truth"
        );
    }
}

#[test]
fn a_slow_consumer_lags_and_acknowledges_only_after_processing() {
    let text = CRASH.replace("processing:", "processing:\n  service_rate: 9\n  inbox: 20");
    let s = scenario(&text);
    let sim = simulate(&s, 3).expect("runs");
    let fast = scenario(CRASH);
    let fast = simulate(&fast, 3).expect("runs");
    let (slow, quick) = (&sim.runs[0], &fast.runs[0]);
    assert!(slow.recovery.lag_max > quick.recovery.lag_max);
    // Panes come later in processing time when the consumer is behind.
    let last = |r: &StrategyRun| r.panes.iter().map(|p| p.fired_at.0).max();
    assert!(last(slow) > last(quick));
    // Offsets are committed with checkpoints, after processing: the replay
    // after the crash re-reads entries that had been fetched, so the
    // restored run still sees every entry once in its surviving history.
    assert!(slow.recovery.read.iter().all(|&r| r));
}

#[test]
fn a_consumer_that_starts_late_reads_from_the_earliest_retained_offset() {
    let text = CRASH
        .replace("processing:", "log: {retention: 30s}\nprocessing:")
        .replace("  crashes: [{at: 65s, worker: 0, restart: 5s}]\n", "");
    let s = scenario(&text);
    let sim = simulate(&s, 3).expect("runs");
    let mut proc = proc_of(&s, &sim, 0);
    proc.start_at = Some(60_000);
    let run = run_strategy_with(
        &s,
        &sim.workload,
        &sim.trace,
        &sim.log,
        &s.strategies[0],
        &proc,
    )
    .expect("runs");
    // Everything appended before 30s was gone by 60s; nothing after was missed.
    for &(d, at) in &run.recovery.retention_missed {
        assert_eq!(at.0, 60_000);
        assert!(sim.trace.deliveries[d].at().0 <= 30_000);
    }
    assert!(!run.recovery.retention_missed.is_empty());
    for p in 0..sim.log.partitions() {
        let first = sim
            .log
            .earliest_retained(p, tidemark_engine::ProcTime(60_000));
        for e in &sim.log.entries(p)[first as usize..] {
            assert!(run.recovery.read[e.delivery()]);
        }
    }
}

#[test]
fn crash_rates_hit_every_strategy_at_the_same_moments() {
    let text = CRASH.replace(
        "  crashes: [{at: 65s, worker: 0, restart: 5s}]",
        "  crash_rate: {per_hour: 60, restart: 2s}",
    );
    let s = scenario(&text);
    let sim = simulate(&s, 5).expect("runs");
    let a = proc_of(&s, &sim, 0).crashes;
    assert!(!a.is_empty());
    assert_eq!(a, proc_of(&s, &sim, 1).crashes);
    let other = processing_of(&s, &s.strategies[0], &sim.trace, 6).crashes;
    assert_ne!(a, other, "another seed, other crashes");
}
