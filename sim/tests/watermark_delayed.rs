//! A delayed consumer with an idle timeout: the worker's idle timers run
//! from when it processed each entry, which the trace does not record, so
//! `watermark_conformance` must stand down rather than call a correct
//! engine's watermark "ahead" (seeds 1, 2 and 8 of this scenario did).

use std::path::Path;
use tidemark_sim::run::run_seed_with;
use tidemark_sim::scenario;

#[test]
fn a_delayed_consumer_with_an_idle_timeout_is_no_watermark_failure() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/idle_channels_return.yaml");
    let text = std::fs::read_to_string(&path).expect("shipped scenario");
    let text = text.replace(
        "strategies:\n",
        "processing:\n  fetch_latency: 700ms\nstrategies:\n",
    );
    let s = scenario::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    for seed in [1, 2, 8] {
        let (report, _) = run_seed_with(&s, seed, false).unwrap_or_else(|e| panic!("{e:#}"));
        let wrong: Vec<_> = report
            .failures
            .iter()
            .filter(|f| f.check == "watermark_conformance")
            .collect();
        assert!(wrong.is_empty(), "seed {seed}: {wrong:?}");
    }
}
