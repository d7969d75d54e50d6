//! What a downstream consumer of a strategy's panes holds, modelled as the
//! sink each accumulation mode is written for, without hindsight:
//!
//! - `discarding`: a summing sink. Every pane is added to the row of its
//!   (key, window).
//! - `accumulating`: an upsert sink keyed by (key, window). A pane replaces
//!   its window's row. When sessions merge, the merged-away windows' rows
//!   *stay*: nothing tells the sink to delete them.
//! - `accumulating_and_retracting`: the upsert sink also applies
//!   retractions, so a merged-away window's row is withdrawn.
//!
//! The consumer's answer for a window of the truth is every row inside it
//! combined (a downstream "total per session" query). For fixed and sliding
//! windows that is the window's own row. For sessions it is where the modes
//! part: an accumulating sink still holds the merged-away rows and counts
//! their elements twice, which is the lesson of `sessions_late_merge`.
//!
//! With sessions, rows of a key that overlap form one answer under their
//! span (as a batch job over the same events would see one session there).
//! Sliding windows overlap by definition and are never combined: each is
//! its own answer. A row inside no window of the truth is an answer the
//! truth lacks, and counts as wrong.
//!
//! [`crate::final_panes`] is a different reading, for the engine's
//! invariants: what the panes say with hindsight (an accumulating merged
//! window supersedes the windows inside it). Metrics use this module.

use crate::oracle::combine;
use std::collections::BTreeMap;
use tidemark_engine::{Accumulation, AggValue, EventTime, Key, Pane, ProcTime, Timing, Window};

/// Values per key and window.
pub type Rows = BTreeMap<(Key, Window), AggValue>;

/// A consumer's sink: one row per (key, window).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sink {
    mode: Option<Accumulation>,
    rows: Rows,
}

impl Sink {
    /// An empty sink for `mode`.
    #[must_use]
    pub fn new(mode: Accumulation) -> Sink {
        Sink {
            mode: Some(mode),
            rows: Rows::new(),
        }
    }

    /// Applies one output (pane or retraction) as the mode's sink would.
    pub fn apply(&mut self, pane: &Pane) {
        let kw = (pane.key, pane.window);
        match (self.mode, pane.retraction) {
            (Some(Accumulation::Discarding), false) => {
                let v = match self.rows.remove(&kw) {
                    Some(old) => combine(&old, &pane.value).unwrap_or(old),
                    None => pane.value.clone(),
                };
                self.rows.insert(kw, v);
            }
            (Some(Accumulation::AccumulatingAndRetracting), true) => {
                self.rows.remove(&kw);
            }
            // An accumulating sink has no use for a retraction (the engine
            // emits none in that mode); an upsert replaces the row.
            (_, true) => {}
            (_, false) => {
                self.rows.insert(kw, pane.value.clone());
            }
        }
    }

    /// The rows held now.
    #[must_use]
    pub fn rows(&self) -> &Rows {
        &self.rows
    }

    /// Every row of `key` inside `window`, combined; `None` when there is
    /// none.
    #[must_use]
    pub fn value_in(&self, key: Key, window: Window) -> Option<AggValue> {
        let from = (
            key,
            Window {
                start: window.start,
                end: EventTime::MIN,
            },
        );
        let mut out: Option<AggValue> = None;
        for ((k, w), v) in self.rows.range(from..) {
            if *k != key || w.start >= window.end {
                break;
            }
            if w.end <= window.end {
                out = Some(match out {
                    Some(acc) => combine(&acc, v).unwrap_or(acc),
                    None => v.clone(),
                });
            }
        }
        out
    }

    /// The consumer's answers: with merging windows (`merging`), per key,
    /// each group of overlapping rows combined under its span; otherwise
    /// the rows themselves.
    #[must_use]
    pub fn answers(self, merging: bool) -> Rows {
        if !merging {
            return self.rows;
        }
        let mut out = Rows::new();
        let mut current: Option<(Key, Window, AggValue)> = None;
        for ((key, window), value) in self.rows {
            current = match current.take() {
                Some((k, span, acc)) if k == key && window.start < span.end => {
                    let acc = combine(&acc, &value).unwrap_or(acc);
                    Some((k, span.span(&window), acc))
                }
                other => {
                    if let Some((k, span, acc)) = other {
                        out.insert((k, span), acc);
                    }
                    Some((key, window, value))
                }
            };
        }
        if let Some((k, span, acc)) = current {
            out.insert((k, span), acc);
        }
        out
    }
}

/// What the consumer of `panes` (emission order) holds at the end;
/// `merging` when the window function merges (sessions).
#[must_use]
pub fn answers(panes: &[Pane], mode: Accumulation, merging: bool) -> Rows {
    let mut sink = Sink::new(mode);
    for p in panes {
        sink.apply(p);
    }
    sink.answers(merging)
}

/// One change of the consumer's value for a window of the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Processing time of the output that caused it (ms).
    pub at: i64,
    /// The value after it (`None`: the consumer holds nothing).
    pub value: Option<AggValue>,
    /// Whether the output was a retraction.
    pub retraction: bool,
    /// The output's timing (early, on time, late).
    pub timing: Timing,
    /// Whether the output was marked as the window's last.
    pub is_last: bool,
}

/// Per window of the truth (`windows`, ascending), the consumer's value
/// after each output, in processing-time order. An output whose window lies
/// inside no window of `windows` changes nothing here.
#[must_use]
pub fn timelines(
    panes: &[Pane],
    mode: Accumulation,
    windows: &[(Key, Window)],
) -> BTreeMap<(Key, Window), Vec<Change>> {
    timelines_seen(panes, &[], mode, windows)
}

/// [`timelines`], timed by when each output became visible downstream
/// (`visible_at[i]` for `panes[i]`: an exactly-once sink shows a pane at its
/// checkpoint's commit); an output without one is timed by its firing.
#[must_use]
pub fn timelines_seen(
    panes: &[Pane],
    visible_at: &[ProcTime],
    mode: Accumulation,
    windows: &[(Key, Window)],
) -> BTreeMap<(Key, Window), Vec<Change>> {
    let mut sink = Sink::new(mode);
    let mut out: BTreeMap<(Key, Window), Vec<Change>> = BTreeMap::new();
    for (i, p) in panes.iter().enumerate() {
        sink.apply(p);
        let Some(kw) = containing(windows, p.key, p.window) else {
            continue;
        };
        let value = sink.value_in(kw.0, kw.1);
        out.entry(kw).or_default().push(Change {
            at: visible_at.get(i).map_or(p.fired_at.0, |v| v.0),
            value,
            retraction: p.retraction,
            timing: p.info.timing,
            is_last: p.info.is_last && p.window == kw.1,
        });
    }
    out
}

/// The window of `windows` (sorted) of `key` that contains `window`.
#[must_use]
pub fn containing(windows: &[(Key, Window)], key: Key, window: Window) -> Option<(Key, Window)> {
    // Windows of the key starting at or before `window.start`; the
    // containing one is among the last few (sliding windows overlap).
    let upto = windows.partition_point(|(k, w)| (*k, w.start) <= (key, window.start));
    windows[..upto]
        .iter()
        .rev()
        .take_while(|(k, _)| *k == key)
        .find(|(_, w)| w.start <= window.start && window.end <= w.end)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidemark_engine::{PaneInfo, ProcTime};

    fn w(s: i64, e: i64) -> Window {
        Window {
            start: EventTime(s),
            end: EventTime(e),
        }
    }

    fn pane(window: Window, value: i64, retraction: bool, at: i64) -> Pane {
        Pane {
            key: Key(0),
            window,
            value: AggValue::Count(value as u64),
            timestamp: window.max_timestamp(),
            info: PaneInfo {
                timing: Timing::OnTime,
                index: 0,
                nonspeculative_index: 0,
                is_first: true,
                is_last: false,
            },
            retraction,
            fired_at: ProcTime(at),
            watermark: EventTime(0),
        }
    }

    /// Two sessions fired, then a straggler merged them: accumulating
    /// keeps both old rows and double-counts; retracting does not.
    #[test]
    fn accumulating_sink_keeps_merged_away_rows() {
        let accumulating = [
            pane(w(0, 5), 2, false, 1),
            pane(w(6, 9), 1, false, 2),
            pane(w(0, 9), 4, false, 3),
        ];
        let a = answers(&accumulating, Accumulation::Accumulating, true);
        assert_eq!(
            a.into_iter().collect::<Vec<_>>(),
            vec![((Key(0), w(0, 9)), AggValue::Count(7))]
        );
        let retracting = [
            pane(w(0, 5), 2, false, 1),
            pane(w(6, 9), 1, false, 2),
            pane(w(0, 5), 2, true, 3),
            pane(w(6, 9), 1, true, 3),
            pane(w(0, 9), 4, false, 3),
        ];
        let r = answers(&retracting, Accumulation::AccumulatingAndRetracting, true);
        assert_eq!(
            r.into_iter().collect::<Vec<_>>(),
            vec![((Key(0), w(0, 9)), AggValue::Count(4))]
        );
        let t = timelines(
            &retracting,
            Accumulation::AccumulatingAndRetracting,
            &[(Key(0), w(0, 9))],
        );
        let values: Vec<Option<AggValue>> = t[&(Key(0), w(0, 9))]
            .iter()
            .map(|c| c.value.clone())
            .collect();
        assert_eq!(
            values,
            vec![
                Some(AggValue::Count(2)),
                Some(AggValue::Count(3)),
                Some(AggValue::Count(1)),
                None,
                Some(AggValue::Count(4)),
            ]
        );
    }

    #[test]
    fn discarding_sink_sums_and_accumulating_replaces() {
        let panes = [pane(w(0, 10), 3, false, 1), pane(w(0, 10), 4, false, 2)];
        let d = answers(&panes, Accumulation::Discarding, false);
        assert_eq!(d[&(Key(0), w(0, 10))], AggValue::Count(7));
        let a = answers(&panes, Accumulation::Accumulating, false);
        assert_eq!(a[&(Key(0), w(0, 10))], AggValue::Count(4));
    }

    #[test]
    fn containing_finds_the_sliding_window_and_nothing_else() {
        let ws = [(Key(0), w(0, 10)), (Key(0), w(5, 15)), (Key(1), w(0, 10))];
        assert_eq!(containing(&ws, Key(0), w(5, 15)), Some(ws[1]));
        assert_eq!(containing(&ws, Key(0), w(6, 8)), Some(ws[1]));
        assert_eq!(containing(&ws, Key(0), w(12, 20)), None);
        assert_eq!(containing(&ws, Key(1), w(0, 10)), Some(ws[2]));
    }
}
