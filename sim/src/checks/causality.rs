//! Causality in processing time, part of firing conformance: no pane counts
//! an element the worker read after the pane fired.
//!
//! Checked for the `count` aggregate (a count bounds how many elements a
//! pane holds) when entries are processed as appended, on the exact or the
//! coarse clock, so each element's read time is its (grid) arrival. For
//! each key and window the panes' counts, summed in discarding mode or
//! taken as they are when accumulating, must never exceed the admitted
//! elements read by the pane's firing time.
//!
//! Under the same conditions, a count trigger fires at its count: every
//! pane a count trigger fired (each pane of `repeatedly(after_count(n))`
//! but the one at expiry; the early panes of an `after_watermark` whose
//! early trigger counts; its late panes but the one at expiry when the late
//! trigger counts) holds exactly `n` elements more than the window's
//! previous pane. Each entry is handed to the engine alone, so a count
//! trigger cannot overshoot.

use super::reference::windows_of;
use super::Input;
use crate::invariants::Counterexample;
use crate::model::Delivery;
use std::collections::BTreeMap;
use tidemark_engine::{Accumulation, AggValue, Aggregate, Key, Pane, Timing, Trigger, Window};

/// The first pane that counts more elements than were read by its firing.
pub(super) fn check(input: &Input<'_>) -> Result<(), Box<Counterexample>> {
    if !input.immediate
        || input.pipeline.window.is_merging()
        || !matches!(input.pipeline.aggregate, Aggregate::Count)
    {
        return Ok(());
    }
    let run = input.run;
    let refused = super::refusals(run);
    let times = super::watermark::EventTimes::of(input.workload);
    let keys: BTreeMap<u64, u64> = input
        .workload
        .events
        .iter()
        .map(|e| (e.id, e.key))
        .collect();
    // Read times of the admitted elements per (key, window), in order.
    let mut read: BTreeMap<(Key, Window), Vec<i64>> = BTreeMap::new();
    for (i, d) in input.trace.deliveries.iter().enumerate() {
        let Delivery::Record {
            at,
            event,
            duplicate,
            ..
        } = *d
        else {
            continue;
        };
        if (duplicate && input.dedup) || !run.recovery.read.get(i).copied().unwrap_or(true) {
            continue;
        }
        let (Some(time), Some(&key)) = (
            usize::try_from(event).ok().and_then(|e| times.get(e)),
            keys.get(&event),
        ) else {
            continue;
        };
        let dls = refused.get(&(event, at.0)).map_or(&[][..], Vec::as_slice);
        for w in windows_of(input.pipeline.window, time).unwrap_or_default() {
            if !dls.iter().any(|(_, ws)| ws.contains(&w)) {
                read.entry((Key(key), w))
                    .or_default()
                    .push(input.on_grid(at.0));
            }
        }
    }
    for v in read.values_mut() {
        v.sort_unstable();
    }
    let discarding = input.pipeline.accumulation == Accumulation::Discarding;
    let count_fired = count_fired(&input.pipeline.trigger);
    let mut counted: BTreeMap<(Key, Window), u64> = BTreeMap::new();
    // The previous pane's value per window, for what each pane adds.
    let mut previous: BTreeMap<(Key, Window), u64> = BTreeMap::new();
    for p in run.panes.iter().filter(|p| !p.retraction) {
        let AggValue::Count(n) = p.value else {
            continue;
        };
        let before = previous.insert((p.key, p.window), n).unwrap_or(0);
        let added = if discarding {
            n
        } else {
            n.saturating_sub(before)
        };
        if let Some(at) = count_fired(p).filter(|&at| added != at) {
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
        let by_then = read
            .get(&(p.key, p.window))
            .map_or(0, |v| v.partition_point(|&t| t <= p.fired_at.0));
        if *total > by_then as u64 {
            return Err(Box::new(Counterexample {
                what: "a pane counts elements the worker read after the pane fired".into(),
                key: input.workload.keys.get(p.key.0 as usize).cloned(),
                window: Some(p.window),
                expected: Some(format!(
                    "at most {by_then} element(s) read by processing time {}{}",
                    p.fired_at.0,
                    if discarding {
                        ", over all its panes so far"
                    } else {
                        ""
                    }
                )),
                actual: Some(format!("{total} counted")),
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
