//! Each architecture invariant holds on the shipped scenarios' seeds and
//! fails, with a counterexample, on a deliberately wrong implementation.

use super::*;
use crate::run::simulate;
use std::path::Path;

fn load(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(name);
    crate::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The verdicts of `scenario`'s architecture section under `bugs`.
fn verdicts(scenario: &Scenario, bugs: ArchBugs) -> Verdicts {
    let sim = simulate(scenario, scenario.seed).expect("simulates");
    evaluate(scenario, &sim, &bugs)
        .expect("evaluates")
        .expect("has an architecture section")
        .verdicts
}

fn failed(v: &Verdicts, inv: ArchInvariant, arch: &str) -> Option<String> {
    v.iter()
        .find(|(i, a, _)| *i == inv && *a == arch)
        .and_then(|(_, _, c)| c.as_ref().map(ToString::to_string))
}

#[test]
fn every_invariant_holds_on_the_side_by_side_scenario() {
    let s = load("lambda_vs_kappa.yaml");
    let v = verdicts(&s, ArchBugs::default());
    assert_eq!(v.len(), 4);
    assert!(v.iter().all(|(_, _, c)| c.is_none()), "{v:?}");
}

#[test]
fn a_replay_that_starts_at_the_latest_offset_breaks_kappa_replay_matches_truth() {
    let s = load("kappa_bug_fix.yaml");
    let bugs = ArchBugs {
        kappa_starts_at_latest: true,
        ..ArchBugs::default()
    };
    let v = verdicts(&s, bugs);
    let c = failed(&v, ArchInvariant::KappaReplayMatchesTruth, "kappa")
        .expect("the skipped history is caught");
    assert!(c.contains("differs from its truth on retained data"), "{c}");
    assert!(c.contains("window [0, 60000)"), "{c}");
}

#[test]
fn a_batch_that_skips_dead_letters_breaks_lambda_batch_matches_batch_logic() {
    let s = load("lambda_late_phones.yaml");
    let bugs = ArchBugs {
        batch_skips_dead_letters: true,
        ..ArchBugs::default()
    };
    let v = verdicts(&s, bugs);
    let c = failed(&v, ArchInvariant::LambdaBatchMatchesBatchLogic, "lambda")
        .expect("the batch's missing late data is caught");
    assert!(c.contains("served unlike the batch logic's truth"), "{c}");
    // The served view still answers only from layers that saw the window.
    assert!(failed(&v, ArchInvariant::ServedFromSeenLayer, "lambda").is_none());
}

#[test]
fn serving_a_batch_before_it_completes_breaks_served_from_seen_layer() {
    let s = load("lambda_late_phones.yaml");
    let bugs = ArchBugs {
        serve_batch_when_started: true,
        ..ArchBugs::default()
    };
    let v = verdicts(&s, bugs);
    let c = failed(&v, ArchInvariant::ServedFromSeenLayer, "lambda")
        .expect("an answer from a running batch is caught");
    assert!(c.contains("answered from batch run 1"), "{c}");
}

#[test]
fn retention_loss_is_counted_and_the_replay_still_matches_retained_truth() {
    let s = load("kappa_short_retention.yaml");
    let sim = simulate(&s, s.seed).expect("simulates");
    let r = evaluate(&s, &sim, &ArchBugs::default())
        .expect("evaluates")
        .expect("section");
    let k = r.kappa.expect("kappa");
    assert!(k.retention_lost > 0);
    assert!(k.windows_hit_by_retention > 0);
    assert!(k.wrong_at_end >= k.windows_hit_by_retention.min(1));
    assert!(r.verdicts.iter().all(|(_, _, c)| c.is_none()));
}

#[test]
fn event_time_replays_agree_and_processing_time_ones_do_not() {
    let s = load("replay_trap.yaml");
    let sim = simulate(&s, s.seed).expect("simulates");
    let r = evaluate(&s, &sim, &ArchBugs::default())
        .expect("evaluates")
        .expect("section");
    let by = |n: &str| r.trap.iter().find(|t| t.strategy == n).expect(n).clone();
    let perfect = by("perfect_event_time");
    assert_eq!((perfect.finals_differ, perfect.panes_differ), (0, 0));
    assert!(by("heuristic_idle_timeout").finals_differ > 0);
    let pt = by("processing_time_10s");
    assert!(pt.panes_differ > 0 && pt.panes.0 != pt.panes.1);
}

#[test]
fn a_bad_architecture_section_is_refused_at_its_line() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/kappa_bug_fix.yaml");
    let text = std::fs::read_to_string(&path).expect("reads");
    let bad = text.replace("kappa: {catch_up_rate: 60}", "kappa: {catch_up_rate: -5}");
    let e = crate::scenario::parse(&bad, &path).expect_err("refused");
    let line = bad
        .lines()
        .position(|l| l.contains("catch_up_rate"))
        .expect("line")
        + 1;
    let msg = e.to_string();
    assert!(msg.contains(&format!(":{line}:")), "{msg}");
    assert!(
        msg.contains("catch_up_rate must be a positive number"),
        "{msg}"
    );
    let no_deploy = text.replace("  deploy: {name: v2_sum, at: 4m, aggregate: sum}\n", "");
    let e = crate::scenario::parse(&no_deploy, &path).expect_err("refused");
    assert!(e.to_string().contains("set architecture.deploy"), "{e}");
}
