//! Retraction conformance, from the pane stream alone.
//!
//! In accumulating-and-retracting mode a downstream consumer applies each
//! retraction to the pane it withdraws, so the stream must say exactly
//! what it replaces: every pane that a later pane of the same window
//! supersedes is retracted exactly once, before that later pane; a
//! retraction withdraws a pane that was emitted and is still standing (same
//! value and pane metadata); and when sessions merge, the last pane of each
//! window merged away is retracted before the merged window's first pane.
//! In the other modes there are no retractions at all.
//!
//! A naive bookkeeping of the standing pane per (key, window), in the
//! order panes became visible; it reads no engine code.

use super::{fail, Input};
use crate::invariants::{Counterexample, Outcome};
use std::collections::BTreeMap;
use tidemark_engine::{Accumulation, Key, Pane, Window, WindowFn};

/// The first pane or retraction that breaks retraction conformance.
#[must_use]
pub fn conformance(input: &Input<'_>) -> Outcome {
    // The engine's surviving history: panes an at-least-once sink showed
    // from work a crash threw away were fired again by the restored worker.
    let run = crate::recovery_checks::surviving(input.run);
    let merging = matches!(input.pipeline.window, WindowFn::Sessions { .. });
    let retracting = input.pipeline.accumulation == Accumulation::AccumulatingAndRetracting;
    let name = |key: Key| {
        usize::try_from(key.0)
            .ok()
            .and_then(|i| input.workload.keys.get(i))
            .cloned()
            .unwrap_or_else(|| format!("#{}", key.0))
    };
    let broken = |p: &Pane, what: String, expected: String| {
        fail(Counterexample {
            what,
            key: Some(name(p.key)),
            window: Some(p.window),
            expected: Some(expected),
            actual: Some(shown(p)),
            events: Vec::new(),
        })
    };
    if !retracting {
        return match run.panes.iter().find(|p| p.retraction) {
            Some(p) => broken(
                p,
                format!(
                    "a retraction in {} mode, which never retracts",
                    input.pipeline.accumulation
                ),
                "no retraction".into(),
            ),
            None => Outcome::Held,
        };
    }
    // The pane standing (emitted, not retracted) per key and window.
    let mut standing: BTreeMap<Key, BTreeMap<Window, &Pane>> = BTreeMap::new();
    for p in &run.panes {
        let mine = standing.entry(p.key).or_default();
        if p.retraction {
            match mine.get(&p.window) {
                Some(s) if s.value == p.value && s.info == p.info => {
                    mine.remove(&p.window);
                }
                Some(s) => {
                    return broken(
                        p,
                        "a retraction that does not match the pane it withdraws".into(),
                        format!("withdraw {}", shown(s)),
                    )
                }
                None => {
                    return broken(
                        p,
                        "a retraction of a pane that is not standing (never emitted, or already retracted)"
                            .into(),
                        "no retraction".into(),
                    )
                }
            }
            continue;
        }
        if let Some(s) = mine.get(&p.window) {
            return broken(
                p,
                "a pane superseded without a retraction before its replacement".into(),
                format!("a retraction of {} first", shown(s)),
            );
        }
        if merging {
            // A merged session contains every window it merged: their
            // standing panes must be gone. (Containment, not overlap: a
            // late element's new session may overlap an expired one whose
            // state is gone, which it did not merge. And not a window whose
            // last pane said so: a closed session takes no part in merging,
            // so a new session may contain it and leave its pane standing.)
            if let Some((_, s)) = mine
                .iter()
                .find(|(w, s)| !s.info.is_last && contains(p.window, **w))
            {
                return broken(
                    p,
                    format!(
                        "a merged session's pane while window {}'s last pane still stands",
                        s.window
                    ),
                    format!("a retraction of {} first", shown(s)),
                );
            }
        }
        mine.insert(p.window, p);
    }
    Outcome::Held
}

fn contains(outer: Window, inner: Window) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

fn shown(p: &Pane) -> String {
    format!(
        "{}{} pane #{} value {} at {}",
        if p.retraction { "retraction of " } else { "" },
        p.info.timing,
        p.info.index,
        p.value,
        p.fired_at.0
    )
}
