//! Liveness expectations: results come out, and soon enough.
//!
//! Every other check bounds how wrong a run may be, and a watermark that
//! never moves only makes results more complete: a worker whose idle
//! channel holds its watermark until the input ends passes them all. These
//! expectations say when on-time panes must come out:
//!
//! - `on_time_latency_max`: each window's first on-time pane fires at most
//!   this long (processing time) after the window's end (event time; both
//!   are read on the simulation's one true clock, as the reports' latency
//!   figures are); a window the input never passes (below) is exempt
//!   when it fires at the end of input, as it must;
//! - `on_time_before_input_ends`: `all` the on-time panes of windows the
//!   input passes fire before the input ends, or `none` do. "Before the
//!   input ends" is told by the pane's own input watermark: a pane fired by
//!   the +∞ watermark every worker receives at the end of its input was
//!   held until then.
//!
//! Both read the panes and the delivered trace only, not the engine's code.

use super::Input;
use crate::invariants::Counterexample;
use crate::scenario::{BeforeInputEnds, Dur, Thresholds};
use std::collections::BTreeMap;
use tidemark_engine::{EventTime, Key, Timing, WatermarkStrategy, Window};

/// One liveness expectation, measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// `on_time_latency_max` or `on_time_before_input_ends`.
    pub name: &'static str,
    /// The limit (milliseconds, or 0 windows breaking the rule).
    pub limit: f64,
    /// The worst latency in milliseconds, or the windows breaking the rule.
    pub actual: f64,
    /// The first window that broke it, when one did.
    pub counterexample: Option<Counterexample>,
}

impl Measured {
    /// True when within the limit.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.counterexample.is_none()
    }
}

/// The first on-time pane of each (key, window): when it fired and whether
/// the input had ended then.
#[derive(Debug, Clone, Copy)]
struct OnTime {
    fired_at: i64,
    at_input_end: bool,
}

fn first_on_time(input: &Input<'_>) -> BTreeMap<(Key, Window), OnTime> {
    let mut out: BTreeMap<(Key, Window), OnTime> = BTreeMap::new();
    for p in &input.run.panes {
        if p.retraction || p.info.timing != Timing::OnTime {
            continue;
        }
        let this = OnTime {
            fired_at: p.fired_at.0,
            at_input_end: p.watermark == EventTime::MAX,
        };
        out.entry((p.key, p.window))
            .and_modify(|o| {
                if this.fired_at < o.fired_at {
                    *o = this;
                }
            })
            .or_insert(this);
    }
    out
}

/// Every liveness expectation `thresholds` sets, measured on `input`.
#[must_use]
pub fn check(input: &Input<'_>, thresholds: &Thresholds) -> Vec<Measured> {
    let mut out = Vec::new();
    if thresholds.on_time_latency_max.is_none() && thresholds.on_time_before_input_ends.is_none() {
        return out;
    }
    let panes = first_on_time(input);
    if let Some(max) = thresholds.on_time_latency_max {
        out.push(latency(input, &panes, max));
    }
    if let Some(rule) = thresholds.on_time_before_input_ends {
        out.push(before_input_ends(input, &panes, rule));
    }
    out
}

fn key_name(input: &Input<'_>, key: Key) -> String {
    usize::try_from(key.0)
        .ok()
        .and_then(|i| input.workload.keys.get(i))
        .cloned()
        .unwrap_or_else(|| format!("#{}", key.0))
}

fn latency(input: &Input<'_>, panes: &BTreeMap<(Key, Window), OnTime>, max: Dur) -> Measured {
    let limit = max.ms();
    let mut worst: Option<i64> = None;
    let mut first_broken: Option<(i64, Key, Window, i64)> = None;
    let passes = Passes::of(input);
    for (&(key, window), o) in panes {
        // A window the input never passes (the global window, the last
        // windows of the input) can only fire when the input ends,
        // however long after its end that is.
        if o.at_input_end && !passes.passed(key, window) {
            continue;
        }
        let late = o.fired_at.saturating_sub(window.end.0);
        worst = Some(worst.map_or(late, |w| w.max(late)));
        // The first broken window in firing order, the order a reader follows.
        if late > limit && first_broken.is_none_or(|(at, ..)| o.fired_at < at) {
            first_broken = Some((o.fired_at, key, window, late));
        }
    }
    let counterexample = first_broken.map(|(at, key, window, late)| Counterexample {
        what: format!(
            "an on-time pane came {late}ms after its window's end{}",
            if panes.get(&(key, window)).is_some_and(|o| o.at_input_end) {
                ", held until the input ended"
            } else {
                ""
            }
        ),
        key: Some(key_name(input, key)),
        window: Some(window),
        expected: Some(format!("fired by {}ms (end + {max})", window.end.0 + limit)),
        actual: Some(format!("fired at {at}ms")),
        events: Vec::new(),
    });
    Measured {
        name: "on_time_latency_max",
        limit: limit as f64,
        actual: worst.unwrap_or(0) as f64,
        counterexample,
    }
}

/// The largest event time each worker saw (records, and punctuations'
/// asserted watermarks), over the whole input.
fn seen_max(input: &Input<'_>) -> Vec<Option<i64>> {
    let mut out = vec![None; input.topology.workers as usize];
    let by_id = crate::workers::EventIndex::new(input.workload);
    for d in &input.trace.deliveries {
        let (worker, t) = match *d {
            crate::model::Delivery::Record { worker, event, .. } => {
                let Some(e) = by_id.get(input.workload, event) else {
                    continue;
                };
                (worker, e.time.0)
            }
            crate::model::Delivery::Punctuation {
                worker, watermark, ..
            } => (worker, watermark.0),
        };
        if let Some(slot) = out.get_mut(worker as usize) {
            *slot = Some(slot.map_or(t, |m: i64| m.max(t)));
        }
    }
    out
}

/// Which windows the input passes: those whose worker later saw an event
/// time at least their end plus the strategy's out-of-orderness bound plus
/// its watermark interval. A live watermark passes them before the input
/// ends; the others only the end of input's +∞ watermark can fire.
struct Passes<'a> {
    input: &'a Input<'a>,
    seen: Vec<Option<i64>>,
    slack: i64,
}

impl<'a> Passes<'a> {
    fn of(input: &'a Input<'a>) -> Passes<'a> {
        let bound = match input.watermark.strategy {
            WatermarkStrategy::BoundedOutOfOrderness { delay } => delay.0,
            _ => 0,
        };
        Passes {
            input,
            seen: seen_max(input),
            slack: bound.saturating_add(input.watermark.emit_interval.0),
        }
    }

    fn seen(&self, key: Key) -> Option<i64> {
        let worker = self.input.topology.worker_of(key.0) as usize;
        self.seen.get(worker).copied().flatten()
    }

    fn passed(&self, key: Key, window: Window) -> bool {
        window.end != EventTime::MAX
            && self
                .seen(key)
                .is_some_and(|t| window.end.0.saturating_add(self.slack) <= t)
    }
}

fn before_input_ends(
    input: &Input<'_>,
    panes: &BTreeMap<(Key, Window), OnTime>,
    rule: BeforeInputEnds,
) -> Measured {
    let passes = Passes::of(input);
    let slack = passes.slack;
    let mut broken = 0u64;
    let mut first: Option<(i64, Key, Window, bool, Option<i64>)> = None;
    for (&(key, window), o) in panes {
        let seen_t = passes.seen(key);
        let wrong = match rule {
            BeforeInputEnds::None => !o.at_input_end,
            BeforeInputEnds::All => passes.passed(key, window) && o.at_input_end,
        };
        if wrong {
            broken += 1;
            if first.is_none_or(|(at, ..)| o.fired_at < at) {
                first = Some((o.fired_at, key, window, o.at_input_end, seen_t));
            }
        }
    }
    let counterexample = first.map(|(at, key, window, at_end, seen_t)| Counterexample {
        what: match rule {
            BeforeInputEnds::None => format!(
                "{broken} on-time pane(s) came before the input ended, though the scenario says none does; the first"
            ),
            BeforeInputEnds::All => format!(
                "{broken} on-time pane(s) were held until the input ended, though the input passed their window's end; the first"
            ),
        },
        key: Some(key_name(input, key)),
        window: Some(window),
        expected: Some(match rule {
            BeforeInputEnds::None => "fired by the end-of-input watermark".into(),
            BeforeInputEnds::All => format!(
                "fired before the input ended (the worker saw event time {} ≥ end + {slack}ms)",
                seen_t.unwrap_or_default()
            ),
        }),
        actual: Some(if at_end {
            format!("fired at {at}ms by the end-of-input watermark")
        } else {
            format!("fired at {at}ms, before the input ended")
        }),
        events: Vec::new(),
    });
    Measured {
        name: "on_time_before_input_ends",
        limit: 0.0,
        actual: broken as f64,
        counterexample,
    }
}
