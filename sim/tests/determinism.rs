//! Same seed, same run; different seed, different run.
//!
//! Checked three ways: twice in one process (the run hash), twice through
//! the binary in separate processes (`run --format json`), and across
//! seeds (the trace hash must change). A regression scenario whose
//! watermark is too aggressive must fail some seed of a sweep, and the
//! replay command the sweep prints must reproduce exactly that failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use tidemark_sim::{run, scenario, trace_hash};

/// A small scenario: a few phones, some loss and retries, one offline phone.
const SMALL: &str = r"
name: determinism_small
description: A few sources over a lossy network with retries.
seed: 5
duration: 20s
workload:
  keys: 3
  sources:
    - name: phones
      count: 4
      rate: 2
      values: {uniform: {min: 1, max: 9}}
      offline:
        - {at: 5s, for: 5s, sources: 0.25}
network:
  latency: {uniform: {min: 5ms, max: 80ms}}
  loss: 0.1
  retry: {timeout: 200ms, max_attempts: 3}
pipeline:
  window: {fixed: 2s}
  watermark: {bounded_out_of_orderness: 200ms}
  allowed_lateness: 1s
  aggregate: count
strategies:
  - name: default
  - name: early
    trigger: {after_watermark: {early: {after_count: 3}, late: always}}
    accumulation: accumulating_and_retracting
";

fn small_scenario_file() -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("determinism_small.yaml");
    std::fs::write(&path, SMALL).expect("write the scenario");
    path
}

fn tidemark(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tidemark"))
        .args(args)
        .env_remove("TIDEMARK_SEED")
        .output()
        .expect("run tidemark");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), stdout)
}

#[test]
fn same_seed_same_hash_in_one_process() {
    let s = scenario::parse(SMALL, Path::new("small.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let (a, _) = run::run_seed(&s, 11).expect("first run");
    let (b, _) = run::run_seed(&s, 11).expect("second run");
    assert_eq!(a.hash, b.hash);
    assert_eq!(a, b);
}

#[test]
fn same_seed_same_hash_across_processes() {
    let path = small_scenario_file();
    let path = path.to_string_lossy();
    let hash = |seed: &str| {
        let (code, out) = tidemark(&["run", &path, "--seed", seed, "--format", "json"]);
        assert!(code == 0 || code == 1, "exit {code}: {out}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON summary");
        v["trace_hash"].as_str().expect("trace_hash").to_string()
    };
    assert_eq!(hash("3"), hash("3"));
}

#[test]
fn different_seeds_give_different_traces() {
    let s = scenario::parse(SMALL, Path::new("small.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let hashes: std::collections::BTreeSet<String> = (0..4)
        .map(|seed| {
            let sim = run::simulate(&s, seed).expect("simulate");
            trace_hash::trace_hash(&sim.workload, &sim.trace)
        })
        .collect();
    assert_eq!(hashes.len(), 4);
}

/// The first failing seed's line in a sweep, and the command under it.
fn first_failure(sweep_output: &str) -> Option<(String, String)> {
    let mut lines = sweep_output.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("seed ") {
            let (_, failure) = rest.split_once(": ")?;
            let failure = failure.split(" (+").next()?.to_string();
            let command = lines.next()?.trim().to_string();
            return Some((failure, command));
        }
    }
    None
}

#[test]
fn aggressive_watermark_fails_a_sweep_and_replay_reproduces_it() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios/regressions/aggressive_watermark.yaml");
    let path = path.to_string_lossy();
    let (code, out) = tidemark(&["sweep", &path, "--seeds", "0..8", "--jobs", "2"]);
    assert_eq!(code, 1, "the sweep should fail:\n{out}");
    let (failure, command) =
        first_failure(&out).unwrap_or_else(|| panic!("no failing seed in:\n{out}"));
    let args: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(args.first(), Some(&"tidemark"), "{command}");
    let (code, replay) = tidemark(&args[1..]);
    assert_eq!(code, 1, "{replay}");
    assert!(
        replay.contains(&format!("first failure: {failure}")),
        "replay did not reproduce `{failure}`:\n{replay}"
    );
}
