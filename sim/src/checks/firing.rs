//! Firing conformance: when panes must fire, recomputed from the trigger's
//! definition, the delivered trace and the watermarks the workers sent.
//! - A trigger that fires only on the watermark (`default`,
//!   `after_watermark` without early firings) never fires a pane before
//!   the watermark reached the window's end.
//! - The watermark trigger's on-time pane fires at the first watermark step at or past the
//!   window's end: not before, and not a step later.
//! - A one-shot `after_processing_time(d)` pane fires at the first
//!   processing time after (first element's arrival + d), unless the window
//!   expired first; and panes whose timers were due at the same instant come
//!   out in timer order (key, then window), as Beam's timer queue orders
//!   them.
//! - On a coarse processing clock (`processing.clock_step`) an element
//!   arrives at the first grid instant at or after its append, and its pane
//!   is due at the first grid instant strictly after (that arrival + d).
//!   Panes that come due in the same step come out in timer order: the
//!   instant each timer waited for, then key, then window.
//!
//! - No pane counts an element the worker read after the pane fired
//!   (`causality.rs`).
//!
//! The exact instants need every entry processed as it is appended (or at
//! the next grid instant) and windows that don't merge; otherwise only the
//! first rule is checked.

use super::reference::windows_of;
use super::{fail, Input};
use crate::invariants::{Counterexample, Outcome};
use std::collections::BTreeMap;
use tidemark_engine::{EventTime, Key, Pane, Timing, Trigger, Window};

/// The firing conformance invariant.
#[must_use]
pub fn conformance(input: &Input<'_>) -> Outcome {
    match check(input) {
        Ok(()) => Outcome::Held,
        Err(c) => fail(*c),
    }
}

fn pane_line(p: &Pane) -> String {
    format!(
        "{} pane index {} fired at processing time {} (watermark {})",
        p.info.timing, p.info.index, p.fired_at, p.watermark
    )
}

fn check(input: &Input<'_>) -> Result<(), Box<Counterexample>> {
    let run = input.run;
    let trigger = &input.pipeline.trigger;
    let key_name = |k: Key| input.workload.keys.get(k.0 as usize).cloned();
    let problem = |what: &str, p: &Pane, expected: String| {
        Box::new(Counterexample {
            what: what.into(),
            key: key_name(p.key),
            window: Some(p.window),
            expected: Some(expected),
            actual: Some(pane_line(p)),
            events: Vec::new(),
        })
    };
    let watermark_only = matches!(
        trigger,
        Trigger::Default | Trigger::AfterWatermark { early: None, .. }
    );
    let panes = run.panes.iter().filter(|p| !p.retraction);
    if watermark_only {
        if let Some(p) = panes.clone().find(|p| p.watermark < p.window.end) {
            return Err(problem(
                "a watermark trigger fired before the watermark reached the window's end",
                p,
                format!("watermark >= {}", p.window.end),
            ));
        }
    }
    super::causality::check(input)?;
    if !input.immediate || input.pipeline.window.is_merging() {
        return Ok(());
    }
    // The first watermark step at or past each end, per worker.
    let mut sent: BTreeMap<u32, Vec<(i64, EventTime)>> = BTreeMap::new();
    for &(at, w, wm) in &run.watermarks {
        sent.entry(w).or_default().push((at.0, wm));
    }
    let first_at_or_past = |worker: u32, end: EventTime| {
        sent.get(&worker)
            .and_then(|s| s.iter().find(|(_, wm)| *wm >= end))
            .map(|&(at, _)| at)
    };
    // Only the watermark trigger's own on-time pane: a processing-time or
    // count trigger's first pane after the end is also labelled on time.
    let on_time_by_watermark = matches!(trigger, Trigger::Default | Trigger::AfterWatermark { .. });
    for p in panes
        .clone()
        .filter(|p| on_time_by_watermark && p.info.timing == Timing::OnTime)
    {
        let worker = input.topology.worker_of(p.key.0);
        let Some(step) = first_at_or_past(worker, p.window.end) else {
            continue;
        };
        if p.fired_at.0 != step {
            return Err(problem(
                "an on-time pane did not fire at the first watermark step at or past the window's end",
                p,
                format!("fired at processing time {step}"),
            ));
        }
    }
    if let Trigger::AfterProcessingTime { delay, align: None } = trigger {
        one_shot(input, delay.0, &problem)?;
    }
    Ok(())
}

type Problem<'p> = dyn Fn(&str, &Pane, String) -> Box<Counterexample> + 'p;

/// A one-shot processing-time trigger: each window's pane is due one tick
/// after its first admitted element's arrival plus the delay.
fn one_shot(
    input: &Input<'_>,
    delay: i64,
    problem: &Problem<'_>,
) -> Result<(), Box<Counterexample>> {
    let run = input.run;
    let lateness = input.pipeline.allowed_lateness;
    let refused = super::refusals(run);
    let times = super::watermark::EventTimes::of(input.workload);
    let mut keys: BTreeMap<u64, u64> = BTreeMap::new();
    for e in &input.workload.events {
        keys.insert(e.id, e.key);
    }
    // First admitted arrival per (key, window).
    let mut first: BTreeMap<(Key, Window), i64> = BTreeMap::new();
    for r in super::read_records(input, &times) {
        let Some(&key) = keys.get(&r.event) else {
            continue;
        };
        let dls = refused.get(&(r.event, r.at)).map_or(&[][..], Vec::as_slice);
        for w in windows_of(input.pipeline.window, r.time).unwrap_or_default() {
            if !dls.iter().any(|(_, ws)| ws.contains(&w)) {
                first.entry((Key(key), w)).or_insert(input.on_grid(r.at));
            }
        }
    }
    let mut seen: BTreeMap<(Key, Window), ()> = BTreeMap::new();
    // The previous pane of each worker that fired on its timer:
    // (fired at, timer's own instant, key, window).
    type Fired = (i64, (i64, Key, Window));
    let mut last_timer: BTreeMap<u32, Fired> = BTreeMap::new();
    for p in run.panes.iter().filter(|p| !p.retraction) {
        if seen.insert((p.key, p.window), ()).is_some() {
            continue;
        }
        let Some(&f) = first.get(&(p.key, p.window)) else {
            continue;
        };
        let timer = f.saturating_add(delay).saturating_add(1);
        let due = input.on_grid(timer);
        let expired = p.watermark >= p.window.expiry(lateness);
        if p.fired_at.0 != due && !(p.fired_at.0 < due && expired) {
            return Err(problem(
                "a processing-time pane did not fire one tick after its first element's arrival plus the delay",
                p,
                format!("fired at processing time {due} (first element at {f}, delay {delay}{})", grid_note(input)),
            ));
        }
        if p.fired_at.0 != due {
            continue;
        }
        let worker = input.topology.worker_of(p.key.0);
        let order = (timer, p.key, p.window);
        if let Some(&(at, (t, k, w))) = last_timer.get(&worker) {
            if at == due && (t, k, w) > order {
                return Err(problem(
                    "panes whose timers were due at the same instant came out of timer order (timer instant, key, then window)",
                    p,
                    format!(
                        "after key {} window {w} (timer instants {t} then {timer})",
                        key_name_of(input, k)
                    ),
                ));
            }
        }
        last_timer.insert(worker, (due, order));
    }
    Ok(())
}

/// Says which clock the expected instant is on.
fn grid_note(input: &Input<'_>) -> String {
    match input.clock_step {
        Some(step) => format!(", on a {step} ms clock step"),
        None => String::new(),
    }
}

fn key_name_of(input: &Input<'_>, k: Key) -> String {
    input
        .workload
        .keys
        .get(k.0 as usize)
        .cloned()
        .unwrap_or_else(|| format!("#{}", k.0))
}
