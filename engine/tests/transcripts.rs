//! The engine's conformance, tested where the engine lives: every
//! transcript under `tests/transcripts/`, at any depth (the hand-written
//! ones, Beam's Python suite in `beam/`, Beam Java's in `beam_java/`), must
//! pass, negative ones by failing with exactly the error they declare.
//! Also: the checker's own verdicts, so a passing suite means something.
//!
//! The format, runner and checker are `tidemark_spec::transcript` (a
//! dev-dependency; the engine itself depends on nothing of Tidemark's).

use std::path::{Path, PathBuf};
use tidemark_spec::transcript::{load_file, parse_str, run, FailureKind, Outcome, Transcript};

fn transcripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts")
}

fn beam_file() -> PathBuf {
    transcripts_dir().join("beam/trigger_transcripts.yaml")
}

/// Every `*.yaml` below `dir`, sorted so failures are reported stably.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn load(path: &Path) -> Vec<Transcript> {
    load_file(path).unwrap_or_else(|e| panic!("{e}"))
}

fn run_one(text: &str) -> Outcome {
    let ts = parse_str(Path::new("inline.yaml"), text).unwrap_or_else(|e| panic!("{e}"));
    run(&ts[0]).expect("valid pipeline")
}

#[test]
fn every_transcript_passes() {
    let files = yaml_files(&transcripts_dir());
    assert!(
        !files.is_empty(),
        "no transcripts found under {}",
        transcripts_dir().display()
    );
    let mut failures = Vec::new();
    let mut count = 0;
    for file in &files {
        for t in &load(file) {
            count += 1;
            let outcome = run(t).unwrap_or_else(|e| panic!("{}::{}: {e}", file.display(), t.name));
            if let Some(why) = outcome.explanation() {
                failures.push(format!("FAIL {}::{}\n{why}", file.display(), t.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} transcripts failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn beam_suite_is_all_there() {
    let ts = load(&beam_file());
    let names: Vec<&str> = ts.iter().map(|t| t.name.as_str()).collect();
    // Beam's 18 cases minus the one with no equivalent (see beam/README.md).
    assert_eq!(names.len(), 17, "{names:?}");
    for name in [
        "fixed_default",
        "fixed_default_late_data",
        "fixed_drop_late_data_after_allowed_lateness",
        "timestamp_combiner_earliest",
        "timestamp_combiner_latest",
        "timestamp_combiner_custom_timestamping_eow",
        "timestamp_combiner_custom_timestamping_earliest",
        "early_late_sessions",
        "discarding_early_fixed",
        "garbage_collection",
        "known_late_data_watermark",
        "known_late_data_no_watermark_hold_possible",
    ] {
        assert!(names.contains(&name), "missing {name}");
    }
}

/// Beam's five negative cases are rejected, each with exactly its error.
#[test]
fn beam_java_suite_is_all_there() {
    let ts = load(&transcripts_dir().join("beam_java/reduce_fn_runner_test.yaml"));
    let names: Vec<&str> = ts.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names.len(), 42, "{names:?}");
    for name in [
        "testProcessingTimeTimerDoesNotGc",
        "testFixedWindowsEowAndGcTogether",
        "testWatermarkHoldAndLateData",
        "testPaneInfoAllStates",
        "testMergingWithClosedDoesNotPoison",
        "testProcessingTime",
        "fireEmptyOnDrainInGlobalWindowIfRequested",
        "setGarbageCollectionHoldOnLateElements",
    ] {
        assert!(names.contains(&name), "missing {name}");
    }
}

#[test]
fn beam_negative_cases_fail_with_the_right_error() {
    let ts = load(&beam_file());
    let expected = [
        ("bad_output", FailureKind::UnmatchedExpectation, Some(2)),
        (
            "bad_expected_values",
            FailureKind::UnmatchedExpectation,
            Some(3),
        ),
        (
            "bad_expected_window",
            FailureKind::UnmatchedExpectation,
            Some(3),
        ),
        ("missing_output", FailureKind::UnexpectedOutput, Some(3)),
        // Detected after the last step.
        ("missing_output_at_end", FailureKind::UnexpectedOutput, None),
    ];
    for (name, kind, step) in expected {
        let t = ts
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("missing {name}"));
        assert_eq!(t.error, Some(kind), "{name} declares its error");
        let outcome = run(t).expect("valid pipeline");
        let failure = outcome
            .failure
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: the checker accepted it"));
        assert_eq!(failure.kind, kind, "{name}: {failure}");
        assert_eq!(failure.step, step, "{name}: {failure}");
        assert!(outcome.passed(), "{name}");
    }
}

#[test]
fn a_negative_transcript_needs_exactly_its_error() {
    // Declares an error, but every check holds: fails.
    let o = run_one(
        "name: t\nerror: unexpected output\npipeline:\n  window: {fixed: 10}\nsteps:\n  - input: [1]\n",
    );
    assert!(o.failure.is_none());
    assert!(!o.passed());
    // Declares one error, gets another: fails.
    let o = run_one(
        "name: t\nerror: unexpected output\npipeline:\n  window: {fixed: 10}\nsteps:\n  \
         - expect: [{values: [1]}]\n",
    );
    assert_eq!(
        o.failure.as_ref().map(|f| f.kind),
        Some(FailureKind::UnmatchedExpectation)
    );
    assert!(!o.passed());
}

/// A vague item listed first must not take the only output a specific item
/// can match: the checker finds a full matching when one exists.
#[test]
fn matching_is_not_greedy() {
    // One bundle, two panes, key a's first. A first-fit checker would give
    // a's pane to the vague item and then find nothing for `{key: a}`.
    let o = run_one(
        "name: t\npipeline:\n  window: {fixed: 10}\n  trigger: always\n\
         steps:\n  - input: [{key: a, time: 1}, {key: b, time: 2}]\n  - expect:\n    \
         - {window: [0, 10]}\n    - {key: a, values: [1]}\n",
    );
    assert!(o.passed(), "{:?}", o.explanation());
    let first = &o.steps[0].outputs[0];
    assert!(
        matches!(first, tidemark_engine::Output::Pane(p) if o.keys.name(p.key) == "a"),
        "the vague item must see key a's pane first for this test to mean anything"
    );
}

#[test]
fn diff_names_the_step_the_expectation_and_the_actual_outputs() {
    let o = run_one(
        "name: t\npipeline:\n  window: {fixed: 10}\nsteps:\n  - input: [1, 2, 3]\n  \
         - watermark: 100\n  - expect:\n    - {window: [0, 10], values: [1, 2]}\n",
    );
    let why = o.explanation().expect("fails");
    assert!(
        why.starts_with("step 3 (expect): unmatched expectation"),
        "{why}"
    );
    assert!(
        why.contains("expected: {window: [0, 10], values: [1, 2]}"),
        "{why}"
    );
    assert!(
        why.contains("{key: k, window: [0, 10], values: [1, 2, 3], timestamp: 9, timing: on_time"),
        "{why}"
    );
}

#[test]
fn state_steps_check_window_status() {
    let o = run_one(
        "name: t\npipeline:\n  window: {fixed: 10}\n  trigger: {after_count: 1}\nsteps:\n  \
         - input: [1]\n  - expect: [{values: [1]}]\n  - state: {open: [[0, 10]]}\n",
    );
    let why = o.explanation().expect("fails");
    assert_eq!(
        o.failure.map(|f| f.kind),
        Some(FailureKind::StateMismatch),
        "{why}"
    );
    assert!(
        why.contains("window [0, 10] of key k: expected open, found closed"),
        "{why}"
    );
}
