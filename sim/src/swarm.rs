//! Swarm testing (as FoundationDB's and TigerBeetle's simulators do):
//! each seed of `sweep --swarm` turns on a random subset of the fault kinds
//! the scenario declares, and one seed in eight runs fault-free. Fewer
//! faults at once let a bug that one fault hides show up under another,
//! and the failing seeds' kinds point at the fault that matters.
//!
//! The subset is drawn from the labelled stream `swarm`, so it depends on
//! the seed alone: `replay --swarm` rebuilds the same variant.

use crate::scenario::{NetworkSpec, Scenario};
use rand::Rng;

/// The fault kinds `scenario` declares, by name.
#[must_use]
pub fn kinds(s: &Scenario) -> Vec<&'static str> {
    let n = &s.network;
    let d = NetworkSpec::default();
    let sources = &s.workload.sources;
    let p = &s.processing;
    [
        ("latency", n.latency != d.latency),
        ("loss", n.loss > 0.0),
        ("retries", n.retry.is_some()),
        ("links", !n.links.is_empty()),
        ("partitions", !n.partitions.is_empty()),
        ("holds", !n.holds.is_empty()),
        ("offline", sources.iter().any(|g| !g.offline.is_empty())),
        ("bursts", sources.iter().any(|g| !g.bursts.is_empty())),
        ("clock_skew", sources.iter().any(|g| g.clock_skew.ms() != 0)),
        ("crashes", !p.crashes.is_empty() || p.crash_rate.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, on)| on.then_some(k))
    .collect()
}

/// `scenario` with only the fault kinds seed `seed` keeps, and their names.
#[must_use]
pub fn variant(scenario: &Scenario, seed: u64) -> (Scenario, Vec<&'static str>) {
    let mut rng = crate::rng::stream(seed, "swarm");
    let fault_free = rng.gen_bool(0.125);
    let mut kept = Vec::new();
    let mut s = scenario.clone();
    for kind in kinds(scenario) {
        // Draw for every kind, so one kind's fate doesn't shift the others'.
        let keep = rng.gen_bool(0.5) && !fault_free;
        if keep {
            kept.push(kind);
            continue;
        }
        let n = &mut s.network;
        match kind {
            "latency" => n.latency = NetworkSpec::default().latency,
            "loss" => n.loss = 0.0,
            "retries" => n.retry = None,
            "links" => n.links.clear(),
            "partitions" => n.partitions.clear(),
            "holds" => n.holds.clear(),
            "offline" => s
                .workload
                .sources
                .iter_mut()
                .for_each(|g| g.offline.clear()),
            "bursts" => s.workload.sources.iter_mut().for_each(|g| g.bursts.clear()),
            "clock_skew" => s
                .workload
                .sources
                .iter_mut()
                .for_each(|g| g.clock_skew = crate::scenario::Dur(0)),
            "crashes" => {
                s.processing.crashes.clear();
                s.processing.crash_rate = None;
            }
            _ => {}
        }
    }
    (s, kept)
}

/// The swarm part of a sweep's summary: per failing seed, the kinds that
/// were on; per kind, in how many failing seeds of how many it was on.
#[must_use]
pub fn summary(scenario: &Scenario, results: &[(u64, bool)]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let all = kinds(scenario);
    let on: Vec<(u64, bool, Vec<&str>)> = results
        .iter()
        .map(|&(seed, ok)| (seed, ok, variant(scenario, seed).1))
        .collect();
    let failed: Vec<&(u64, bool, Vec<&str>)> = on.iter().filter(|r| !r.1).collect();
    let _ = writeln!(out, "swarm: fault kinds per seed drawn from {all:?}");
    for (seed, _, kinds) in &failed {
        let shown = if kinds.is_empty() {
            "none (fault-free)".to_string()
        } else {
            kinds.join(", ")
        };
        let _ = writeln!(out, "  seed {seed} failed with: {shown}");
    }
    for k in &all {
        let in_failed = failed.iter().filter(|r| r.2.contains(k)).count();
        let in_all = on.iter().filter(|r| r.2.contains(k)).count();
        let _ = writeln!(
            out,
            "  {k}: on in {in_failed} of {} failing seeds, {in_all} of {} seeds",
            failed.len(),
            on.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/crash_restore.yaml");
        crate::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn each_seed_keeps_a_subset_deterministically_and_some_seeds_none() {
        let s = scenario();
        assert_eq!(kinds(&s), vec!["latency", "crashes"]);
        let mut fault_free = 0;
        for seed in 0..64 {
            let (v, kept) = variant(&s, seed);
            assert_eq!(
                variant(&s, seed).1,
                kept,
                "seed {seed} is not deterministic"
            );
            // What was dropped is gone from the variant; what was kept stays.
            assert_eq!(kinds(&v), kept, "seed {seed}");
            fault_free += usize::from(kept.is_empty());
        }
        // One in eight forced fault-free, plus the ones whose draws kept nothing.
        assert!(
            (8..40).contains(&fault_free),
            "{fault_free} fault-free seeds of 64"
        );
    }
}
