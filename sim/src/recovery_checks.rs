//! The recovery invariants: what crashes, restores and the sink may and
//! may not do to what downstream sees. Each compares the run with the
//! same strategy's crash-free run on the same log (the harness runs both),
//! or checks the run's reads against the log's retention.

use crate::invariants::{Counterexample, Outcome, Subject, EVENTS_SHOWN_MAX};
use crate::model::{Delivery, StrategyRun};
use std::collections::BTreeMap;
use tidemark_engine::{EventTime, Key, Pane, Timing, Window};

/// What identifies a pane downstream and what it says, without when it
/// was fired (a replay fires it later).
type PaneFacts = (Key, Window, u64, bool, Timing, String, EventTime);

fn facts(p: &Pane) -> PaneFacts {
    (
        p.key,
        p.window,
        p.info.index,
        p.retraction,
        p.info.timing,
        p.value.to_string(),
        p.timestamp,
    )
}

fn counts(run: &StrategyRun) -> BTreeMap<PaneFacts, u64> {
    let mut out = BTreeMap::new();
    for p in &run.panes {
        *out.entry(facts(p)).or_insert(0) += 1;
    }
    out
}

fn describe(f: &PaneFacts) -> String {
    format!(
        "{}pane {} ({:?}) value {} timestamp {}",
        if f.3 { "retraction of " } else { "" },
        f.2,
        f.4,
        f.5,
        f.6
    )
}

/// `run` as the engine's surviving history: without the panes fired by
/// a worker incarnation whose work after its last checkpoint was lost
/// (an at-least-once sink showed them, and the restored worker fired them
/// again, possibly different when they depend on processing time). `run`
/// itself when there are none.
#[must_use]
pub fn surviving(run: &StrategyRun) -> std::borrow::Cow<'_, StrategyRun> {
    if !run.recovery.replayed.iter().any(|&r| r) {
        return std::borrow::Cow::Borrowed(run);
    }
    let mut out = run.clone();
    let keep = &run.recovery.replayed;
    let mut k = keep.iter();
    out.panes.retain(|_| !k.next().copied().unwrap_or(false));
    let mut k = keep.iter();
    out.visible_at
        .retain(|_| !k.next().copied().unwrap_or(false));
    out.recovery.replayed = Vec::new();
    std::borrow::Cow::Owned(out)
}

/// The crash-free run to compare with, or why there is none.
fn counterpart<'a>(
    s: &Subject<'a>,
    sinks: &[&str],
    same_reads: bool,
) -> Result<&'a StrategyRun, Outcome> {
    if s.run.recovery.crashes == 0 {
        return Err(Outcome::NotApplicable("no crash in this run"));
    }
    if !sinks.contains(&s.run.recovery.sink) {
        return Err(Outcome::NotApplicable("another sink"));
    }
    if s.processing_time_dependent {
        return Err(Outcome::NotApplicable(
            "outputs depend on processing time, which a replay shifts",
        ));
    }
    let free = s
        .crash_free
        .ok_or(Outcome::NotApplicable("no crash-free run to compare with"))?;
    if same_reads && s.run.recovery.retention_missed != free.recovery.retention_missed {
        return Err(Outcome::NotApplicable(
            "retention dropped entries a restart needed (see nothing_lost_but_retention)",
        ));
    }
    Ok(free)
}

fn key_name(s: &Subject<'_>, key: Key) -> String {
    usize::try_from(key.0)
        .ok()
        .and_then(|i| s.workload.keys.get(i))
        .cloned()
        .unwrap_or_else(|| format!("#{}", key.0))
}

/// Exactly-once: the visible panes after crashes are the crash-free
/// run's, pane for pane (as a multiset: commit times reorder workers).
pub(crate) fn exactly_once(s: &Subject<'_>) -> Outcome {
    let free = match counterpart(s, &["exactly_once"], true) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let (got, want) = (counts(s.run), counts(free));
    let mut all: Vec<&PaneFacts> = got.keys().chain(want.keys()).collect();
    all.sort();
    all.dedup();
    for f in all {
        let (g, w) = (
            got.get(f).copied().unwrap_or(0),
            want.get(f).copied().unwrap_or(0),
        );
        if g != w {
            return Outcome::Failed(Box::new(Counterexample {
                what: format!(
                    "an exactly-once sink showed a pane {g} time(s) that the crash-free run shows {w} time(s)"
                ),
                key: Some(key_name(s, f.0)),
                window: Some(f.1),
                expected: Some(format!("{w} × {}", describe(f))),
                actual: Some(format!("{g} × {}", describe(f))),
                ..Counterexample::default()
            }));
        }
    }
    Outcome::Held
}

/// At-least-once (and idempotent): every crash-free pane is seen at least
/// once downstream. Duplicates are counted in the run's recovery figures.
pub(crate) fn at_least_once(s: &Subject<'_>) -> Outcome {
    let free = match counterpart(s, &["at_least_once", "idempotent"], true) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let got = counts(s.run);
    for f in counts(free).keys() {
        if !got.contains_key(f) {
            return Outcome::Failed(Box::new(Counterexample {
                what: "a pane of the crash-free run never reached downstream".into(),
                key: Some(key_name(s, f.0)),
                window: Some(f.1),
                expected: Some(describe(f)),
                actual: Some("not seen".into()),
                ..Counterexample::default()
            }));
        }
    }
    Outcome::Held
}

/// Every appended entry was read in the surviving history, or missed
/// because retention had really dropped it by the time of the read.
pub(crate) fn nothing_lost(s: &Subject<'_>) -> Outcome {
    let r = &s.run.recovery;
    if r.read.is_empty() {
        return Outcome::NotApplicable("the run did not go through the log");
    }
    let mut missed = vec![false; r.read.len()];
    for &(d, at) in &r.retention_missed {
        let Some(place) = s.log_place(d) else {
            continue;
        };
        if s.log.is_retained(place.0, place.1, at) {
            return Outcome::Failed(Box::new(Counterexample {
                what: format!(
                    "log entry (partition {}, offset {}) was reported dropped by retention at {at}, but was still retained",
                    place.0, place.1
                ),
                events: event_of(s, d).into_iter().collect(),
                ..Counterexample::default()
            }));
        }
        if let Some(m) = missed.get_mut(d) {
            *m = true;
        }
    }
    let lost: Vec<usize> = (0..r.read.len())
        .filter(|&d| !r.read[d] && !missed[d])
        .collect();
    let Some(&first) = lost.first() else {
        return Outcome::Held;
    };
    let place = s.log_place(first).unwrap_or((0, 0));
    Outcome::Failed(Box::new(Counterexample {
        what: format!(
            "{} appended log entries were never read and not dropped by retention; the first is partition {} offset {}",
            lost.len(),
            place.0,
            place.1
        ),
        events: lost
            .iter()
            .filter_map(|&d| event_of(s, d))
            .take(EVENTS_SHOWN_MAX)
            .collect(),
        ..Counterexample::default()
    }))
}

fn event_of(s: &Subject<'_>, d: usize) -> Option<u64> {
    match s.trace.deliveries.get(d)? {
        Delivery::Record { event, .. } => Some(*event),
        Delivery::Punctuation { .. } => None,
    }
}

/// At the end of input, each restored worker holds no more windows,
/// values or timers than the same worker in the crash-free run.
pub(crate) fn state_bounded(s: &Subject<'_>) -> Outcome {
    let free = match counterpart(s, &["at_least_once", "exactly_once", "idempotent"], false) {
        Ok(r) => r,
        Err(o) => return o,
    };
    let pairs = s
        .run
        .recovery
        .state_at_end
        .iter()
        .zip(&free.recovery.state_at_end);
    let mut compared = 0;
    for (w, (got, want)) in pairs.enumerate() {
        // State is comparable only once the restored engine's watermark has
        // reached the crash-free one's: a worker still down, or restored and
        // behind, at the end of input legitimately holds windows that have
        // not expired yet (not a leak).
        let at = |r: &crate::model::StrategyRun| r.recovery.watermark_at_end.get(w).copied();
        if let (Some(mine), Some(theirs)) = (at(s.run), at(free)) {
            if mine < theirs {
                continue;
            }
        }
        compared += 1;
        let windows = |x: &tidemark_engine::StateSize| x.windows_open + x.windows_closed;
        if windows(got) > windows(want)
            || got.values_held > want.values_held
            || got.timers > want.timers
        {
            return Outcome::Failed(Box::new(Counterexample {
                what: format!("worker {w} holds more state after its restore than without crashes"),
                expected: Some(format!(
                    "at most {} windows, {} values, {} timers",
                    windows(want),
                    want.values_held,
                    want.timers
                )),
                actual: Some(format!(
                    "{} windows, {} values, {} timers",
                    windows(got),
                    got.values_held,
                    got.timers
                )),
                ..Counterexample::default()
            }));
        }
    }
    if compared == 0 {
        return Outcome::NotApplicable(
            "every restored worker ended behind the crash-free run's watermark",
        );
    }
    Outcome::Held
}
