//! Causality in processing time, part of firing conformance: no pane counts
//! an element the worker read after the pane fired.
//!
//! Checked where a pane's value bounds what it holds: the `count`
//! aggregate and `mean`'s count (elements), and `sum` when no value is
//! negative (the values' total); when entries are processed as appended, on
//! the exact or the coarse clock, so each element's read time is its
//! (grid) arrival. For each key and window the panes' measures, summed in
//! discarding mode or taken as they are when accumulating, must never
//! exceed what the admitted elements read by the pane's firing time add up
//! to.
//!
//! Under the same conditions, a count trigger fires at its count: every
//! pane a count trigger fired (each pane of `repeatedly(after_count(n))`
//! but the one at expiry; the early panes of an `after_watermark` whose
//! early trigger counts; its late panes but the one at expiry when the late
//! trigger counts) holds exactly `n` elements more than the window's
//! previous pane (`count` and `mean`). Each entry is handed to the engine alone, so a count
//! trigger cannot overshoot.

use super::reference::windows_of;
use super::Input;
use crate::invariants::Counterexample;
use std::collections::BTreeMap;
use tidemark_engine::{Accumulation, AggValue, Aggregate, Key, Pane, Timing, Trigger, Window};

/// The first pane that counts more elements than were read by its firing.
pub(super) fn check(input: &Input<'_>) -> Result<(), Box<Counterexample>> {
    // What each element weighs in a pane's measure, and whether the
    // measure counts elements (for the count trigger's rule).
    let (by_value, elements) = match input.pipeline.aggregate {
        Aggregate::Count | Aggregate::Mean => (false, true),
        Aggregate::Sum if input.workload.events.iter().all(|e| e.value >= 0) => (true, false),
        _ => return Ok(()),
    };
    if !input.immediate || input.pipeline.window.is_merging() {
        return Ok(());
    }
    let run = input.run;
    let refused = super::refusals(run);
    let times = super::watermark::EventTimes::of(input.workload);
    // Not a map of every event: that was the run's memory peak.
    let by_id = crate::workers::EventIndex::new(input.workload);
    // Read times and weights of the admitted elements per (key, window).
    let mut read: BTreeMap<(Key, Window), Vec<(i64, u64)>> = BTreeMap::new();
    for r in super::read_records(input, &times) {
        let Some(e) = by_id.get(input.workload, r.event) else {
            continue;
        };
        let (key, weight) = (e.key, if by_value { e.value.unsigned_abs() } else { 1 });
        let (at, time) = (r.at, r.time);
        let dls = refused.get(&(r.event, at)).map_or(&[][..], Vec::as_slice);
        for w in windows_of(input.pipeline.window, time).unwrap_or_default() {
            if !dls.iter().any(|(_, ws)| ws.contains(&w)) {
                read.entry((Key(key), w))
                    .or_default()
                    .push((input.on_grid(at), weight));
            }
        }
    }
    // In read order, each weight becomes the running total up to it.
    for v in read.values_mut() {
        v.sort_unstable();
        let mut total = 0u64;
        for (_, w) in v.iter_mut() {
            total = total.saturating_add(*w);
            *w = total;
        }
    }
    let discarding = input.pipeline.accumulation == Accumulation::Discarding;
    let count_fired = count_fired(&input.pipeline.trigger);
    let mut counted: BTreeMap<(Key, Window), u64> = BTreeMap::new();
    // The previous pane's value per window, for what each pane adds.
    let mut previous: BTreeMap<(Key, Window), u64> = BTreeMap::new();
    for p in run.panes.iter().filter(|p| !p.retraction) {
        let n = match p.value {
            AggValue::Count(n) | AggValue::Mean { count: n, .. } => n,
            AggValue::Sum(s) => s.unsigned_abs(),
            _ => continue,
        };
        let before = previous.insert((p.key, p.window), n).unwrap_or(0);
        let added = if discarding {
            n
        } else {
            n.saturating_sub(before)
        };
        if let Some(at) = count_fired(p).filter(|&at| elements && added != at) {
            return Err(Box::new(Counterexample {
                what: "a count trigger did not fire at its count".into(),
                key: input.workload.keys.get(p.key.0 as usize).cloned(),
                window: Some(p.window),
                expected: Some(format!("{at} element(s) since the window's previous pane")),
                actual: Some(format!(
                    "{added} in the {} pane index {} fired at processing time {}",
                    p.info.timing, p.info.index, p.fired_at.0
                )),
                events: Vec::new(),
            }));
        }
        let total = counted.entry((p.key, p.window)).or_insert(0);
        *total = if discarding {
            total.saturating_add(n)
        } else {
            n
        };
        let by_then = read.get(&(p.key, p.window)).map_or(0, |v| {
            match v.partition_point(|&(t, _)| t <= p.fired_at.0) {
                0 => 0,
                k => v[k - 1].1,
            }
        });
        if *total > by_then {
            let (what, unit) = if elements {
                (
                    "a pane counts elements the worker read after the pane fired",
                    " element(s)",
                )
            } else {
                (
                    "a pane sums values the worker read after the pane fired",
                    ", the sum of the values",
                )
            };
            return Err(Box::new(Counterexample {
                what: what.into(),
                key: input.workload.keys.get(p.key.0 as usize).cloned(),
                window: Some(p.window),
                expected: Some(format!(
                    "at most {by_then}{unit} read by processing time {}{}",
                    p.fired_at.0,
                    if discarding {
                        ", over all its panes so far"
                    } else {
                        ""
                    }
                )),
                actual: Some(format!(
                    "{total} {}",
                    if elements { "counted" } else { "summed" }
                )),
                events: Vec::new(),
            }));
        }
    }
    Ok(())
}

/// For a pane, the count its trigger fired at, when a count trigger fired
/// it (see the module doc); `None` for every other pane.
fn count_fired(trigger: &Trigger) -> impl Fn(&Pane) -> Option<u64> + '_ {
    fn count(t: &Trigger) -> Option<u64> {
        match t {
            Trigger::AfterCount(n) => Some(*n),
            Trigger::Repeatedly(inner) => match inner.as_ref() {
                Trigger::AfterCount(n) => Some(*n),
                _ => None,
            },
            _ => None,
        }
    }
    move |p: &Pane| match trigger {
        Trigger::Repeatedly(_) if !p.info.is_last => count(trigger),
        Trigger::AfterWatermark { early, .. } if p.info.timing == Timing::Early => {
            early.as_deref().and_then(count)
        }
        Trigger::AfterWatermark { late, .. }
            if p.info.timing == Timing::Late && !p.info.is_last =>
        {
            late.as_deref().and_then(count)
        }
        _ => None,
    }
}
