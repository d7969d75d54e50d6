//! A strategy's final answer per key and window, read off its panes the way
//! a downstream consumer would, so that it can be compared with the oracle.
//!
//! Per accumulation mode:
//! - `discarding`: each pane holds only what is new, so the final value is
//!   the combination of all the window's panes.
//! - `accumulating`: each pane holds everything so far, so the final value
//!   is the window's last pane.
//! - `accumulating_and_retracting`: a consumer keeps one live pane per
//!   window; a retraction must withdraw exactly that pane (else a
//!   [`RetractionProblem`]) and a new pane must not arrive while the old one
//!   is still live. The final value is the live pane at the end. This is the
//!   "fold with retractions subtracted" for every aggregation, not only sum
//!   and count, and it checks that retractions cancel on the way.
//!
//! Session windows merge, so a key's final windows are not the windows its
//! early panes named. Per key, windows whose panes overlap are grouped
//! (connected by overlap) and each group reports one value under its span:
//! - discarding: all panes of the group combined (a merged-away window's
//!   panes hold data the merged window's panes don't repeat);
//! - accumulating: the last panes of the group's windows combined, except
//!   those of merged-away windows: a merged-away window is inside the window
//!   it merged into, so its panes are superseded. A window inside another
//!   whose last pane is `is_last` closed before that other window formed
//!   (closed sessions take no part in merging), so it still counts;
//! - retracting: the live panes of the group combined; merged-away windows
//!   were retracted at the merge, so they have none.
//!
//! Grouping by overlap also covers a session that expired and a later
//! session that overlaps it (an element late by less than the gap): a batch
//! job would see one session there, and so does this reading.

use crate::oracle::combine;
use std::collections::{BTreeMap, BTreeSet};
use tidemark_engine::{Accumulation, AggValue, Key, Pane, Window};

/// Final values per key and window.
pub type Finals = BTreeMap<(Key, Window), AggValue>;

/// A retraction that did not cancel what it should have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetractionProblem {
    /// The key.
    pub key: Key,
    /// The window.
    pub window: Window,
    /// What the consumer held as live (None: nothing).
    pub live: Option<AggValue>,
    /// The offending output's value.
    pub output: AggValue,
    /// True when the offending output is a retraction; false when it is a
    /// new pane that arrived while an earlier one was still live.
    pub retraction: bool,
    /// Index of the offending output in the run's pane list.
    pub position: usize,
}

/// Final values, and the retraction problems met while reading them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinalPanes {
    /// Per key and window (for sessions: per group of overlapping windows).
    pub values: Finals,
    /// In retracting mode, every retraction that did not cancel.
    pub problems: Vec<RetractionProblem>,
}

/// Reads the final values off `panes` (emission order) for `mode`.
/// `merging` is true for session windows.
#[must_use]
pub fn final_panes(panes: &[Pane], mode: Accumulation, merging: bool) -> FinalPanes {
    let mut per_window: BTreeMap<(Key, Window), Option<AggValue>> = BTreeMap::new();
    // Windows whose last pane was their last (closed or expired): never merged away.
    let mut finished: BTreeSet<(Key, Window)> = BTreeSet::new();
    let mut problems = Vec::new();
    for (position, pane) in panes.iter().enumerate() {
        if !pane.retraction && pane.info.is_last {
            finished.insert((pane.key, pane.window));
        }
        let slot = per_window.entry((pane.key, pane.window)).or_default();
        match mode {
            Accumulation::Discarding => {
                let value = match slot.take() {
                    Some(old) => combine(&old, &pane.value).unwrap_or(old),
                    None => pane.value.clone(),
                };
                *slot = Some(value);
            }
            Accumulation::Accumulating => *slot = Some(pane.value.clone()),
            Accumulation::AccumulatingAndRetracting => {
                let cancels = pane.retraction && slot.as_ref() == Some(&pane.value);
                let fresh = !pane.retraction && slot.is_none();
                if !cancels && !fresh {
                    problems.push(RetractionProblem {
                        key: pane.key,
                        window: pane.window,
                        live: slot.clone(),
                        output: pane.value.clone(),
                        retraction: pane.retraction,
                        position,
                    });
                }
                *slot = if pane.retraction {
                    None
                } else {
                    Some(pane.value.clone())
                };
            }
        }
    }
    let values = if merging {
        group_sessions(&per_window, &finished, mode)
    } else {
        per_window
            .into_iter()
            .filter_map(|(kw, v)| v.map(|v| (kw, v)))
            .collect()
    };
    FinalPanes { values, problems }
}

/// One value per group of overlapping windows of each key (see the module doc).
fn group_sessions(
    per_window: &BTreeMap<(Key, Window), Option<AggValue>>,
    finished: &BTreeSet<(Key, Window)>,
    mode: Accumulation,
) -> Finals {
    let mut out = Finals::new();
    // BTreeMap order is (key, start, end): a sweep finds overlap groups.
    let mut group: Vec<(Window, Option<&AggValue>)> = Vec::new();
    let mut group_key: Option<Key> = None;
    let mut group_end = tidemark_engine::EventTime::MIN;
    for (&(key, window), value) in per_window {
        if group_key != Some(key) || window.start >= group_end {
            flush(group_key, &group, finished, mode, &mut out);
            group.clear();
            group_key = Some(key);
            group_end = window.end;
        }
        group_end = group_end.max(window.end);
        group.push((window, value.as_ref()));
    }
    flush(group_key, &group, finished, mode, &mut out);
    out
}

fn flush(
    key: Option<Key>,
    group: &[(Window, Option<&AggValue>)],
    finished: &BTreeSet<(Key, Window)>,
    mode: Accumulation,
    out: &mut Finals,
) {
    let Some(key) = key else { return };
    let Some(span) = group.iter().map(|g| g.0).reduce(|a, b| a.span(&b)) else {
        return;
    };
    let inside_another = |w: &Window| {
        group
            .iter()
            .any(|(o, _)| o != w && o.start <= w.start && w.end <= o.end)
    };
    let mut value: Option<AggValue> = None;
    for (w, v) in group {
        let Some(v) = v else { continue };
        if mode == Accumulation::Accumulating && inside_another(w) && !finished.contains(&(key, *w))
        {
            continue;
        }
        value = Some(match value {
            Some(acc) => combine(&acc, v).unwrap_or(acc),
            None => (*v).clone(),
        });
    }
    if let Some(value) = value {
        out.insert((key, span), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidemark_engine::{EventTime, PaneInfo, ProcTime, Timing};

    fn w(s: i64, e: i64) -> Window {
        Window {
            start: EventTime(s),
            end: EventTime(e),
        }
    }

    fn pane(window: Window, value: i64, retraction: bool) -> Pane {
        Pane {
            key: Key(0),
            window,
            value: AggValue::Sum(value),
            timestamp: window.max_timestamp(),
            info: PaneInfo {
                timing: Timing::OnTime,
                index: 0,
                nonspeculative_index: 0,
                is_first: true,
                is_last: false,
            },
            retraction,
            fired_at: ProcTime(0),
            watermark: EventTime(0),
        }
    }

    #[test]
    fn discarding_sums_accumulating_takes_last() {
        let panes = [pane(w(0, 10), 3, false), pane(w(0, 10), 4, false)];
        let d = final_panes(&panes, Accumulation::Discarding, false);
        assert_eq!(d.values[&(Key(0), w(0, 10))], AggValue::Sum(7));
        let a = final_panes(&panes, Accumulation::Accumulating, false);
        assert_eq!(a.values[&(Key(0), w(0, 10))], AggValue::Sum(4));
    }

    #[test]
    fn retractions_must_cancel_the_live_pane() {
        let good = [
            pane(w(0, 10), 3, false),
            pane(w(0, 10), 3, true),
            pane(w(0, 10), 7, false),
        ];
        let r = final_panes(&good, Accumulation::AccumulatingAndRetracting, false);
        assert!(r.problems.is_empty());
        assert_eq!(r.values[&(Key(0), w(0, 10))], AggValue::Sum(7));
        let bad = [pane(w(0, 10), 3, false), pane(w(0, 10), 2, true)];
        let r = final_panes(&bad, Accumulation::AccumulatingAndRetracting, false);
        assert_eq!(r.problems.len(), 1);
        assert!(!r.values.contains_key(&(Key(0), w(0, 10))));
    }

    #[test]
    fn merged_sessions_report_one_group_per_mode() {
        // [0,5) fired 2, [3,8) fired 1, then they merged into [0,8).
        let discarding = [
            pane(w(0, 5), 2, false),
            pane(w(3, 8), 1, false),
            pane(w(0, 8), 4, false),
        ];
        let d = final_panes(&discarding, Accumulation::Discarding, true);
        assert_eq!(
            d.values.into_iter().collect::<Vec<_>>(),
            vec![((Key(0), w(0, 8)), AggValue::Sum(7))]
        );
        let accumulating = [
            pane(w(0, 5), 2, false),
            pane(w(3, 8), 1, false),
            pane(w(0, 8), 7, false),
        ];
        let a = final_panes(&accumulating, Accumulation::Accumulating, true);
        assert_eq!(
            a.values.into_iter().collect::<Vec<_>>(),
            vec![((Key(0), w(0, 8)), AggValue::Sum(7))]
        );
        let retracting = [
            pane(w(0, 5), 2, false),
            pane(w(3, 8), 1, false),
            pane(w(0, 5), 2, true),
            pane(w(3, 8), 1, true),
            pane(w(0, 8), 7, false),
        ];
        let r = final_panes(&retracting, Accumulation::AccumulatingAndRetracting, true);
        assert!(r.problems.is_empty());
        assert_eq!(
            r.values.into_iter().collect::<Vec<_>>(),
            vec![((Key(0), w(0, 8)), AggValue::Sum(7))]
        );
    }

    #[test]
    fn a_closed_session_inside_a_later_one_still_counts_when_accumulating() {
        // [2,7) closed (its last pane is_last); closed windows take no part
        // in merging, so the later [1,8) does not hold its data.
        let mut closed = pane(w(2, 7), 2, false);
        closed.info.is_last = true;
        let panes = [closed, pane(w(1, 8), 5, false)];
        let a = final_panes(&panes, Accumulation::Accumulating, true);
        assert_eq!(
            a.values.into_iter().collect::<Vec<_>>(),
            vec![((Key(0), w(1, 8)), AggValue::Sum(7))]
        );
    }

    #[test]
    fn touching_sessions_stay_apart() {
        let panes = [pane(w(0, 5), 2, false), pane(w(5, 10), 1, false)];
        let d = final_panes(&panes, Accumulation::Discarding, true);
        assert_eq!(d.values.len(), 2);
    }
}
