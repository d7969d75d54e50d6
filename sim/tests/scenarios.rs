//! Every shipped scenario (`scenarios/*.yaml`, top level) runs at its
//! default seed; its JSON summary is snapshotted into the top-level
//! `snapshots/` directory and its expectations must hold.
//!
//! How it works: the scenarios run first, in parallel (rayon), because the
//! simulated network dominates the test's time; then `insta::glob!` walks
//! the same files and snapshots each summary. The summary is the JSON
//! `tidemark run --format json` prints; it holds nothing that depends on
//! the wall clock or the machine. The same-seed-twice determinism re-run is
//! left to `tests/determinism.rs` to halve the cost here. Review changes
//! with `cargo insta review`; a changed `trace_hash` means the simulation
//! itself changed, not only its checks.

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tidemark_sim::run::{run_seed_with, SeedReport};
use tidemark_sim::{scenario, summary};

fn shipped() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    paths
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

#[test]
fn shipped_scenarios_hold_their_expectations() {
    let reports: BTreeMap<String, SeedReport> = shipped()
        .par_iter()
        .map(|path| {
            let scenario = scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
            let (report, _) = run_seed_with(&scenario, scenario.seed, false)
                .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            (file_name(path), report)
        })
        .collect();
    insta::glob!("../..", "scenarios/*.yaml", |path| {
        let name = file_name(path);
        let report = &reports[&name];
        let seed = report.seed;
        insta::with_settings!({
            snapshot_path => "../../snapshots",
            input_file => Path::new("scenarios").join(&name),
            info => &serde_json::json!({"scenario": report.scenario, "seed": seed}),
            description => format!("tidemark run scenarios/{name} --seed {seed} --format json"),
            omit_expression => true,
        }, {
            insta::assert_json_snapshot!("summary", summary::report_json(report));
        });
    });
    // Every scenario that broke its expectations, not only the first.
    let broken: Vec<String> = reports
        .iter()
        .filter(|(_, r)| !r.ok())
        .map(|(name, r)| {
            format!(
                "{name} at seed {} broke its expectations:\n{}",
                r.seed,
                summary::report_table(r)
            )
        })
        .collect();
    assert!(
        broken.is_empty(),
        "{} shipped scenario(s) failed:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

/// What a regression file must do at its seed, from its `# must: fail` or
/// `# must: pass` header line: a bad configuration keeps failing, a fixed
/// bug stays fixed.
fn must_fail(path: &Path) -> bool {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let line = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix("# must:"))
        .unwrap_or_else(|| panic!("{}: no `# must: fail|pass` header line", path.display()));
    match line.trim() {
        "fail" => true,
        "pass" => false,
        other => panic!(
            "{}: `# must: {other}`, expected fail or pass",
            path.display()
        ),
    }
}

#[test]
fn the_regression_corpus_keeps_its_verdicts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/regressions");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    let reports: BTreeMap<String, (bool, SeedReport)> = paths
        .par_iter()
        .map(|path| {
            let scenario = scenario::load(path).unwrap_or_else(|e| panic!("{e}"));
            let (report, _) = run_seed_with(&scenario, scenario.seed, false)
                .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
            (file_name(path), (must_fail(path), report))
        })
        .collect();
    insta::glob!("../..", "scenarios/regressions/*.yaml", |path| {
        let name = file_name(path);
        let (_, report) = &reports[&name];
        insta::with_settings!({
            snapshot_path => "../../snapshots/regressions",
            input_file => Path::new("scenarios/regressions").join(&name),
            omit_expression => true,
        }, {
            insta::assert_json_snapshot!("regression", summary::report_json(report));
        });
    });
    let wrong: Vec<String> = reports
        .iter()
        .filter(|(_, (fail, r))| *fail == r.ok())
        .map(|(name, (fail, r))| {
            let must = if *fail { "fail" } else { "pass" };
            format!(
                "{name} must {must} at seed {}:\n{}",
                r.seed,
                summary::report_table(r)
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
