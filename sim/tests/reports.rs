//! The committed `reports/` are checked, not trusted: this regenerates
//! them from `scenarios/*.yaml` on the default seeds into a temp dir and
//! fails when any file differs, and parses every SVG as XML.
//!
//! To refresh after a change: `cargo run --release` (writes `reports/`).

use std::path::{Path, PathBuf};
use tidemark_sim::report::{self, shipped::shipped_scenarios, DEFAULT_SEEDS};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn well_formed(name: &str, text: &str) {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("{name}: not well-formed XML: {e}"),
        }
    }
    assert_eq!(depth, 0, "{name}: unbalanced elements");
}

#[test]
fn committed_svgs_are_well_formed() {
    let dir = repo().join("reports");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("reports/ exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|x| x == "svg") {
            let text = std::fs::read_to_string(&path).expect("readable svg");
            well_formed(&path.display().to_string(), &text);
            count += 1;
        }
    }
    assert!(count > 0, "no SVG in reports/");
}

#[test]
fn committed_reports_are_fresh() {
    let paths = shipped_scenarios(&repo().join("scenarios")).expect("shipped scenarios");
    let scenarios: Vec<_> = paths
        .iter()
        .map(|p| tidemark_sim::scenario::load(p).expect("shipped scenario loads"))
        .collect();
    let reports = report::collect_all(&scenarios, DEFAULT_SEEDS, &indicatif::ProgressBar::hidden())
        .expect("reports collect");
    let files = report::render(&reports);
    let tmp = std::env::temp_dir().join(format!("tidemark-reports-{}", std::process::id()));
    report::write(&tmp, &files).expect("write to temp dir");
    let mut stale = Vec::new();
    for name in files.keys() {
        let fresh = std::fs::read_to_string(tmp.join(name)).expect("just written");
        let committed =
            std::fs::read_to_string(repo().join("reports").join(name)).unwrap_or_default();
        if fresh != committed {
            stale.push(name.clone());
        }
        if name.ends_with(".svg") {
            well_formed(name, &fresh);
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        stale.is_empty(),
        "reports/ is stale ({stale:?}); regenerate with `cargo run --release` and commit"
    );
}
