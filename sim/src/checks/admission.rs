//! Justified admissions and dead letters: every element that reached the
//! engine is checked, window by window (the reference window function's
//! windows), against the watermark at its arrival, read off the watermarks
//! its worker sent. A window expires when the watermark reaches
//! `end + allowed_lateness`; so
//! - a dead letter "window expired" is justified only if the watermark
//!   could have reached that by the element's arrival;
//! - an admission (no dead letter for the window) is justified only if
//!   the watermark had not reached it before the arrival;
//! - a dead letter names only windows the element belongs to.
//!
//! For sessions the window judged is the element's own `[t, t + gap)`,
//! before any merge, as Beam judges it.
//!
//! Within one processing time the order of a watermark and an element is
//! not recorded, so the watermark at arrival is bounded: at least the
//! last one sent strictly before, at most the last one sent at that time.
//! The admitted-truth oracle takes the engine's admission decisions as
//! given; this check is what makes a wrong but consistent lateness
//! boundary visible.

use super::reference::windows_of;
use super::{fail, Input};
use crate::invariants::{Counterexample, Outcome};
use std::collections::BTreeMap;
use tidemark_engine::{DeadLetterReason, EventTime, Window};

/// The justified-admission invariant.
#[must_use]
pub fn justified(input: &Input<'_>) -> Outcome {
    if !input.exact_clock() {
        return Outcome::NotApplicable("elements were not processed when appended");
    }
    match check(input) {
        Ok(()) => Outcome::Held,
        Err(c) => fail(*c),
    }
}

fn check(input: &Input<'_>) -> Result<(), Box<Counterexample>> {
    let run = input.run;
    let lateness = input.pipeline.allowed_lateness;
    // Dead letters by (record id, processing time).
    let refused = super::refusals(run);
    // Per worker, the watermarks sent (the final flush to +inf aside).
    let mut sent: BTreeMap<u32, Vec<(i64, EventTime)>> = BTreeMap::new();
    for &(at, w, wm) in &run.watermarks {
        if wm != EventTime::MAX {
            sent.entry(w).or_default().push((at.0, wm));
        }
    }
    // Not a map of every event: that was the run's memory peak.
    let by_id = crate::workers::EventIndex::new(input.workload);
    let mut cursors: BTreeMap<u32, Cursors> = BTreeMap::new();
    for r in super::read_records(input, &by_id) {
        let (at, worker, event, time) =
            (tidemark_engine::ProcTime(r.at), r.worker, r.event, r.time);
        // Sessions: lateness is judged on the element's own window
        // `[t, t + gap)`, before merging (Beam's LateDataDroppingDoFnRunner);
        // a refusal for another reason (closed, state limit) names the
        // merged window, which depends on the other elements.
        let (windows, merging) = match windows_of(input.pipeline.window, time) {
            Some(ws) => (ws, false),
            None => (vec![proto_window(input.pipeline.window, time)], true),
        };
        // Deliveries come in time order: one cursor per worker and bound.
        let worker_sent = sent.get(&worker).map_or(&[][..], Vec::as_slice);
        let cur = cursors.entry(worker).or_insert(Cursors {
            low: (0, EventTime::MIN),
            high: (0, EventTime::MIN),
        });
        while let Some(&(_, wm)) = worker_sent.get(cur.low.0).filter(|s| s.0 < at.0) {
            cur.low = (cur.low.0 + 1, cur.low.1.max(wm));
        }
        while let Some(&(_, wm)) = worker_sent.get(cur.high.0).filter(|s| s.0 <= at.0) {
            cur.high = (cur.high.0 + 1, cur.high.1.max(wm));
        }
        let (low, high) = (cur.low.1, cur.high.1);
        let dls = refused.get(&(event, at.0)).map_or(&[][..], Vec::as_slice);
        // The key's name only for a counterexample (not a string per record).
        let key = r.key;
        let problem = |what: String, window: Window, expected: String, actual: String| {
            Box::new(Counterexample {
                what,
                key: input.key_name(key),
                window: Some(window),
                expected: Some(expected),
                actual: Some(actual),
                events: vec![event],
            })
        };
        for (reason, ws) in dls {
            if merging && *reason != DeadLetterReason::WindowExpired {
                continue;
            }
            if let Some(w) = ws.iter().find(|w| !windows.contains(w)) {
                return Err(problem(
                    format!("event {event} (time {time}) dead-lettered for a window it does not belong to"),
                    *w,
                    format!("one of {}", list(&windows)),
                    w.to_string(),
                ));
            }
        }
        for w in windows {
            let expiry = w.expiry(lateness);
            let expired = dls
                .iter()
                .any(|(r, ws)| *r == DeadLetterReason::WindowExpired && ws.contains(&w));
            let any = dls.iter().any(|(_, ws)| merging || ws.contains(&w));
            if expired && high < expiry {
                return Err(problem(
                    format!(
                        "event {event} (time {time}) dead-lettered as expired at processing time {at}, before the watermark reached end + allowed lateness"
                    ),
                    w,
                    format!("admitted (watermark at most {high} < {expiry})"),
                    "window expired".into(),
                ));
            }
            if !any && low >= expiry {
                return Err(problem(
                    format!(
                        "event {event} (time {time}) admitted at processing time {at} after the watermark reached end + allowed lateness"
                    ),
                    w,
                    format!("dead letter `window expired` (watermark {low} >= {expiry})"),
                    "admitted".into(),
                ));
            }
        }
    }
    Ok(())
}

/// A session element's own window `[t, t + gap)`, in wide arithmetic.
fn proto_window(f: tidemark_engine::WindowFn, t: EventTime) -> Window {
    let gap = match f {
        tidemark_engine::WindowFn::Sessions { gap } => gap.0,
        _ => 0,
    };
    let end = (i128::from(t.0) + i128::from(gap)).min(i128::from(i64::MAX)) as i64;
    Window {
        start: t,
        end: EventTime(end),
    }
}

/// How far each bound has read a worker's watermarks, and the largest so far.
struct Cursors {
    low: (usize, EventTime),
    high: (usize, EventTime),
}

fn list(windows: &[Window]) -> String {
    windows
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
