//! A delayed consumer with an idle timeout: the worker's idle timers run
//! from when it processed each entry, not from when the entry was appended.
//! `watermark_conformance` drives its reference from the read times the run
//! records, so it checks such a run (it is applicable) and a correct
//! engine's watermark holds (seeds 1, 2 and 8 of this scenario were called
//! "ahead" by a reference built on append times).

use std::path::Path;
use tidemark_sim::invariants::{Invariant, Outcome};
use tidemark_sim::run::run_seed_with;
use tidemark_sim::scenario;

#[test]
fn a_delayed_consumer_with_an_idle_timeout_is_checked_and_holds() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/idle_channels_return.yaml");
    let text = std::fs::read_to_string(&path).expect("shipped scenario");
    let text = text.replace(
        "strategies:\n",
        "processing:\n  fetch_latency: 700ms\nstrategies:\n",
    );
    let s = scenario::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    for seed in [1, 2, 8] {
        let (report, _) = run_seed_with(&s, seed, false).unwrap_or_else(|e| panic!("{e:#}"));
        for st in &report.strategies {
            let outcome = st
                .verdicts
                .iter()
                .find(|(v, _)| v.invariant == Invariant::WatermarkConformance)
                .map(|(v, _)| &v.outcome);
            assert_eq!(outcome, Some(&Outcome::Held), "seed {seed}, {}", st.name);
        }
    }
}
