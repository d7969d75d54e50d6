//! Lambda's master dataset and batch layer.
//!
//! The master dataset is an immutable store of every record appended to
//! the log, with its event time and append time. It is fed from the log but
//! kept beyond the log's retention (Marz's "immutable, append-only master
//! dataset"), so every batch recomputes from all of history, including the
//! records the speed layer dead-lettered: that is how the batch corrects
//! late data.
//!
//! The batch job is a separate implementation from both the engine and the
//! oracle: a plain fold that assigns windows with its own arithmetic and
//! groups with its own map. Only the aggregate's final form comes from
//! `oracle::fold`, so that its values compare directly with panes.

use crate::log::{Log, Payload};
use crate::model::{Trace, Workload};
use crate::oracle::fold;
use crate::scenario::Divergence;
use std::collections::{BTreeMap, BTreeSet};
use tidemark_engine::{AggValue, Aggregate, EventTime, Key, Window, WindowFn};

/// One record of the master dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    /// When the log appended it.
    pub appended_at: i64,
    /// The event's id.
    pub id: u64,
    /// Its key.
    pub key: Key,
    /// Its value.
    pub value: i64,
    /// Event time as the source stamped it.
    pub time: i64,
    /// Event time on the true clock.
    pub true_time: i64,
}

/// Every record the log ever received, by append time (then partition and
/// offset): never dropped.
#[must_use]
pub fn master_dataset(log: &Log, trace: &Trace, workload: &Workload) -> Vec<Fact> {
    let mut out = Vec::new();
    for p in 0..log.partitions() {
        for e in log.entries(p) {
            let Some(Payload::Record { event, .. }) =
                trace.deliveries.get(e.delivery()).map(Payload::of)
            else {
                continue;
            };
            let Some(ev) = usize::try_from(event)
                .ok()
                .and_then(|i| workload.events.get(i))
            else {
                continue;
            };
            out.push(Fact {
                appended_at: e.appended_at.0,
                id: ev.id,
                key: Key(ev.key),
                value: ev.value,
                time: ev.time.0,
                true_time: ev.true_time.0,
            });
        }
    }
    // Stable: ties keep partition then offset order.
    out.sort_by_key(|f| f.appended_at);
    out
}

/// How the batch codebase computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLogic {
    /// The window function, as data.
    pub window: WindowFn,
    /// The aggregation.
    pub aggregate: Aggregate,
    /// Count each id once (as the speed layer does when it dedups).
    pub dedup: bool,
    /// Window by the true time instead of the stamped time.
    pub true_time: bool,
    /// Deliberate bug (tests): leave out the records the speed layer
    /// dead-lettered.
    pub skip_ids: BTreeSet<u64>,
}

impl BatchLogic {
    /// The batch layer for a speed layer with `window`, `aggregate` and
    /// `dedup`, with the scenario's deliberate differences.
    #[must_use]
    pub fn new(
        window: WindowFn,
        aggregate: Aggregate,
        dedup: bool,
        divergences: &[Divergence],
    ) -> BatchLogic {
        BatchLogic {
            window,
            aggregate,
            dedup: dedup && !divergences.contains(&Divergence::BatchIgnoresDedup),
            true_time: divergences.contains(&Divergence::BatchUsesTrueTime),
            skip_ids: BTreeSet::new(),
        }
    }
}

/// The windows containing `t`, computed here from the definitions.
fn windows_of(t: i64, w: WindowFn) -> Vec<Window> {
    let at = |s: i64, e: i64| Window::new(EventTime(s), EventTime(e));
    match w {
        WindowFn::Fixed { size, offset } => {
            let (size, offset) = (size.0, offset.0.rem_euclid(size.0));
            let start = offset + (t - offset).div_euclid(size) * size;
            vec![at(start, start.saturating_add(size))]
        }
        WindowFn::Sliding {
            size,
            period,
            offset,
        } => {
            let (size, period) = (size.0, period.0);
            let offset = offset.0.rem_euclid(period);
            let mut start = offset + (t - offset).div_euclid(period) * period;
            let mut out = Vec::new();
            while start.saturating_add(size) > t {
                out.push(at(start, start.saturating_add(size)));
                start -= period;
            }
            out.reverse();
            out
        }
        // Refused at load with an architecture section; one window per
        // element keeps the fold total anyway.
        WindowFn::Sessions { gap } => vec![at(t, t.saturating_add(gap.0))],
        WindowFn::Global => vec![Window::GLOBAL],
    }
}

/// One batch run's output.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchView {
    /// Per (key, window): the folded value.
    pub values: BTreeMap<(Key, Window), AggValue>,
    /// Records read (the whole master dataset up to the cutoff: a batch
    /// recomputes everything).
    pub records: u64,
    /// Records counted (after deduplication).
    pub counted: u64,
}

/// Folds the master dataset's facts appended at or before `cutoff`.
#[must_use]
pub fn run(master: &[Fact], cutoff: i64, logic: &BatchLogic) -> BatchView {
    let mut groups: BTreeMap<(Key, Window), Vec<i64>> = BTreeMap::new();
    let mut seen: BTreeSet<u64> = BTreeSet::new();
    let mut view = BatchView::default();
    for f in master.iter().take_while(|f| f.appended_at <= cutoff) {
        view.records += 1;
        if logic.skip_ids.contains(&f.id) || (logic.dedup && !seen.insert(f.id)) {
            continue;
        }
        view.counted += 1;
        let t = if logic.true_time { f.true_time } else { f.time };
        for w in windows_of(t, logic.window) {
            groups.entry((f.key, w)).or_default().push(f.value);
        }
    }
    view.values = groups
        .into_iter()
        .map(|(k, vs)| (k, fold(&vs, logic.aggregate)))
        .collect();
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidemark_engine::Duration;

    #[test]
    fn windows_are_assigned_from_their_definitions() {
        let fixed = WindowFn::Fixed {
            size: Duration(10),
            offset: Duration(3),
        };
        assert_eq!(
            windows_of(2, fixed),
            vec![Window::new(EventTime(-7), EventTime(3))]
        );
        assert_eq!(
            windows_of(3, fixed),
            vec![Window::new(EventTime(3), EventTime(13))]
        );
        let sliding = WindowFn::Sliding {
            size: Duration(10),
            period: Duration(5),
            offset: Duration(0),
        };
        assert_eq!(
            windows_of(7, sliding),
            vec![
                Window::new(EventTime(0), EventTime(10)),
                Window::new(EventTime(5), EventTime(15))
            ]
        );
    }

    #[test]
    fn the_fold_dedups_and_cuts_at_the_cutoff() {
        let f = |at, id, value| Fact {
            appended_at: at,
            id,
            key: Key(0),
            value,
            time: 1,
            true_time: 11,
        };
        let master = vec![f(0, 0, 5), f(1, 0, 5), f(2, 1, 7), f(9, 2, 100)];
        let fixed = WindowFn::Fixed {
            size: Duration(10),
            offset: Duration(0),
        };
        let logic = BatchLogic::new(fixed, Aggregate::Sum, true, &[]);
        let v = run(&master, 5, &logic);
        assert_eq!(v.records, 3);
        assert_eq!(v.counted, 2);
        let w = (Key(0), Window::new(EventTime(0), EventTime(10)));
        assert_eq!(v.values.get(&w), Some(&AggValue::Sum(12)));
        let sloppy = BatchLogic::new(
            fixed,
            Aggregate::Sum,
            true,
            &[Divergence::BatchIgnoresDedup, Divergence::BatchUsesTrueTime],
        );
        let v = run(&master, 5, &sloppy);
        let w = (Key(0), Window::new(EventTime(10), EventTime(20)));
        assert_eq!(v.values.get(&w), Some(&AggValue::Sum(17)));
    }
}
