//! Processing-time firing, part of firing conformance: each pane a
//! processing-time timer fires comes out at the first processing time
//! strictly after its timer, and panes fired in one step come out in timer
//! order.
//!
//! The reference, written from Beam's definitions rather than the engine's
//! state machines:
//! - `after_processing_time(d)` sets its timer when the first element of
//!   its pane arrives: that arrival plus `d`, rounded up to the next
//!   `offset + k·period` when aligned (a time on a boundary stays). The
//!   pane fires at the first processing time strictly after the timer (one
//!   tick later on the exact clock; the next grid instant on a coarse one,
//!   where the element also arrives at a grid instant).
//! - At the top level it fires once; under `repeatedly` the next element
//!   read at or after a firing starts the next timer (a timer fires before
//!   the entries of its instant).
//! - As `after_watermark`'s early or late trigger it repeats too (Beam's
//!   `AfterWatermarkEarlyAndLate` resets a finished sub-trigger): early
//!   timers run until the on-time pane, and the late trigger starts fresh
//!   with the first element after it (whether an element read at the
//!   on-time pane's own instant came before it depends on what moved the
//!   watermark, so either is accepted).
//! - The only other pane in a timer's phase is the one at expiry, when the
//!   watermark passes the window's end plus the allowed lateness before the
//!   timer is due.
//! - A timer due before the phase ends (the on-time pane for early timers,
//!   expiry otherwise) must have fired: a lost timer fails.
//! - Panes whose timers fire in one step, on one worker, come out ordered
//!   by the instant each timer waited for, then key, then window, as
//!   Beam's timer queue orders them.
//!
//! Processing-time triggers inside `after_any`, `after_all`, `after_each`
//! or `or_finally` get a weaker rule that needs no model of the composite:
//! a pane fired at an instant when its window read nothing and its worker
//! sent no watermark step was fired by a timer, so it must fire one tick
//! after the timer some element of the window could have set (for one of
//! the trigger's processing-time leaves), and such panes fired in one step
//! come out in key and window order (on the exact clock, where every timer
//! fired at an instant waited for the tick before it). A timer that never
//! fired is not caught there.

use super::{Input, WindowReads};
use crate::invariants::Counterexample;
use std::collections::BTreeMap;
use tidemark_engine::{Key, Pane, Timing, Trigger, Window};

/// A processing-time trigger this reference predicts.
#[derive(Debug, Clone, Copy)]
struct Timer {
    delay: i64,
    align: Option<(i64, i64)>,
    repeats: bool,
}

impl Timer {
    fn of(t: &Trigger, repeats: bool) -> Option<Timer> {
        match t {
            Trigger::AfterProcessingTime { delay, align } => Some(Timer {
                delay: delay.0,
                align: align.map(|(p, o)| (p.0, o.0)),
                repeats,
            }),
            Trigger::Repeatedly(inner) => match inner.as_ref() {
                Trigger::AfterProcessingTime { .. } => Timer::of(inner, true),
                _ => None,
            },
            _ => None,
        }
    }

    /// The instant the timer waits to be strictly after, for a first
    /// element arriving at `at`.
    fn set_at(self, at: i64) -> i64 {
        let t = i128::from(at) + i128::from(self.delay);
        let t = match self.align {
            Some((period, offset)) if period > 0 => {
                let since = (t - i128::from(offset)).rem_euclid(i128::from(period));
                if since == 0 {
                    t
                } else {
                    t + i128::from(period) - since
                }
            }
            _ => t,
        };
        i64::try_from(t).unwrap_or(i64::MAX)
    }
}

/// Which of a window's panes a timer may fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Every pane (a top-level processing-time trigger).
    Whole,
    /// `after_watermark`'s early panes.
    Early,
    /// `after_watermark`'s late panes.
    Late,
}

fn phases(trigger: &Trigger) -> Vec<(Phase, Timer)> {
    match trigger {
        Trigger::AfterWatermark { early, late } => {
            let sub = |t: &Option<Box<Trigger>>| t.as_deref().and_then(|t| Timer::of(t, true));
            let mut out = Vec::new();
            if let Some(t) = sub(early) {
                out.push((Phase::Early, t));
            }
            if let Some(t) = sub(late) {
                out.push((Phase::Late, t));
            }
            out
        }
        t => Timer::of(t, false)
            .map(|t| vec![(Phase::Whole, t)])
            .unwrap_or_default(),
    }
}

type Problem<'p> = dyn Fn(&str, &Pane, String) -> Box<Counterexample> + 'p;

/// What a window's walk needs besides its panes.
struct Walk<'w> {
    id: (Key, Window),
    reads: &'w [i64],
    timer: Timer,
    lateness: tidemark_engine::Duration,
    /// When the phase ends: a timer due before it must have fired.
    ends: Option<i64>,
}

/// The first processing-time pane off its instant or out of timer order,
/// or a timer that never fired.
pub(super) fn check(
    input: &Input<'_>,
    reads: &WindowReads<'_>,
    sent: &super::SentWatermarks,
    problem: &Problem<'_>,
) -> Result<(), Box<Counterexample>> {
    let plan = phases(&input.pipeline.trigger);
    if plan.is_empty() {
        return composite(input, reads, sent, problem);
    }
    let run = input.run;
    let mut panes: BTreeMap<(Key, Window), Vec<usize>> = BTreeMap::new();
    for (i, p) in run.panes.iter().enumerate().filter(|(_, p)| !p.retraction) {
        panes.entry((p.key, p.window)).or_default().push(i);
    }
    let lateness = input.pipeline.allowed_lateness;
    // The instant each timer-fired pane's timer waited for, by pane index.
    let mut timers: BTreeMap<usize, i64> = BTreeMap::new();
    // Windows with reads but no pane still owe their timers.
    let mut ids: Vec<(Key, Window)> = reads.windows.keys().chain(panes.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let window_reads: Vec<i64> = reads
            .windows
            .get(&id)
            .map(|v| v.iter().map(|&d| reads.at(d)).collect())
            .unwrap_or_default();
        let all: Vec<&Pane> = panes
            .get(&id)
            .map(|v| v.iter().map(|&i| &run.panes[i]).collect())
            .unwrap_or_default();
        let indices = panes.get(&id).map_or(&[][..], Vec::as_slice);
        let worker = input.topology.worker_of(id.0 .0);
        let expiry_at = sent.first_at_or_past(worker, id.1.expiry(lateness));
        let on_time = all.iter().position(|p| p.info.timing == Timing::OnTime);
        for &(phase, timer) in &plan {
            let (range, starts, ends): (std::ops::Range<usize>, Vec<i64>, Option<i64>) = match phase
            {
                Phase::Whole => (0..all.len(), vec![i64::MIN], expiry_at),
                Phase::Early => {
                    let end = on_time.unwrap_or(all.len());
                    let ends = on_time
                        .map(|i| all[i].fired_at.0)
                        .or_else(|| sent.first_at_or_past(worker, id.1.end));
                    (0..end, vec![i64::MIN], ends)
                }
                Phase::Late => {
                    let Some(i) = on_time else { continue };
                    let f = all[i].fired_at.0;
                    (i + 1..all.len(), vec![f, f.saturating_add(1)], expiry_at)
                }
            };
            let walk = Walk {
                id,
                reads: &window_reads,
                timer,
                lateness,
                ends,
            };
            let phase_panes: Vec<(usize, &Pane)> = range
                .filter(|&i| phase != Phase::Early || all[i].info.timing == Timing::Early)
                .map(|i| (indices[i], all[i]))
                .collect();
            walk_phase(input, &walk, starts, &phase_panes, &mut timers, problem)?;
        }
    }
    in_timer_order(input, &timers, problem)
}

/// Walks one phase of one window: each pane closes the timer the first
/// element after the previous firing set.
fn walk_phase(
    input: &Input<'_>,
    walk: &Walk<'_>,
    mut starts: Vec<i64>,
    panes: &[(usize, &Pane)],
    timers: &mut BTreeMap<usize, i64>,
    problem: &Problem<'_>,
) -> Result<(), Box<Counterexample>> {
    // The timers the reads after `starts` set: (timer, due, first read).
    let pending = |starts: &[i64]| -> Vec<(i64, i64, i64)> {
        let mut out: Vec<(i64, i64, i64)> = starts
            .iter()
            .filter_map(|&s| {
                let first = *walk.reads.get(walk.reads.partition_point(|&r| r < s))?;
                let timer = walk.timer.set_at(first);
                Some((timer, input.on_grid(timer.saturating_add(1)), first))
            })
            .collect();
        out.dedup();
        out
    };
    for &(index, p) in panes {
        let expected = pending(&starts);
        let expired = p.watermark >= p.window.expiry(walk.lateness);
        if let Some(&(timer, _, _)) = expected.iter().find(|(_, due, _)| *due == p.fired_at.0) {
            // At expiry too, the pane may be the expiry's (a watermark step
            // at the same instant), ordered by key and window instead: only
            // a pane before expiry was surely fired by its timer.
            if !expired {
                timers.insert(index, timer);
            }
        } else if expired
            && (expected.is_empty() || expected.iter().any(|(_, due, _)| p.fired_at.0 < *due))
        {
            // The pane at expiry, before the timer was due.
        } else {
            let expected = match expected.first() {
                Some(&(_, due, first)) => format!(
                    "fired at processing time {due} (its first element read at {first}, delay {}{}{})",
                    walk.timer.delay,
                    align_note(walk.timer),
                    grid_note(input)
                ),
                None => "no pane: no element was read to set its timer".to_string(),
            };
            return Err(problem(
                "a processing-time pane did not fire one tick after its first element's arrival plus the delay",
                p,
                expected,
            ));
        }
        if !walk.timer.repeats {
            return Ok(());
        }
        starts = vec![p.fired_at.0];
    }
    // A timer due before the phase ended must have fired; when the phase
    // began at an instant some element was also read at, that element may
    // have come before the firing that began it, and then set no timer.
    let all_set = starts.iter().all(|&s| walk.reads.iter().any(|&r| r >= s));
    let owed = pending(&starts).into_iter().max().filter(|_| all_set);
    if let (Some((_, due, first)), Some(ends)) = (owed, walk.ends) {
        if due < ends {
            let p = panes.last().map(|&(_, p)| p);
            return Err(Box::new(Counterexample {
                what: "a processing-time timer never fired".into(),
                key: input.key_name(walk.id.0),
                window: Some(walk.id.1),
                expected: Some(format!(
                    "a pane at processing time {due} (its first element read at {first}, delay {}{}{}), before the phase ended at {ends}",
                    walk.timer.delay,
                    align_note(walk.timer),
                    grid_note(input)
                )),
                actual: Some(match p {
                    Some(p) => format!(
                        "no pane after the one fired at processing time {}",
                        p.fired_at.0
                    ),
                    None => "no pane".into(),
                }),
                events: Vec::new(),
            }));
        }
    }
    Ok(())
}

/// Panes fired in one step on one worker must come out in timer order.
fn in_timer_order(
    input: &Input<'_>,
    timers: &BTreeMap<usize, i64>,
    problem: &Problem<'_>,
) -> Result<(), Box<Counterexample>> {
    // Per worker, the previous timer-fired pane: (fired at, its order).
    let mut last: BTreeMap<u32, (i64, (i64, Key, Window))> = BTreeMap::new();
    for (&index, &timer) in timers {
        let p = &input.run.panes[index];
        let worker = input.topology.worker_of(p.key.0);
        let order = (timer, p.key, p.window);
        if let Some(&(at, (t, k, w))) = last.get(&worker) {
            if at == p.fired_at.0 && (t, k, w) > order {
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
        last.insert(worker, (p.fired_at.0, order));
    }
    Ok(())
}

fn align_note(timer: Timer) -> String {
    match timer.align {
        Some((period, offset)) => format!(", aligned up to {offset} + k·{period}"),
        None => String::new(),
    }
}

/// Says which clock the expected instant is on.
fn grid_note(input: &Input<'_>) -> String {
    match input.clock_step {
        Some(step) => format!(", on a {step} ms clock step"),
        None => String::new(),
    }
}

fn key_name_of(input: &Input<'_>, k: Key) -> String {
    input.key_name(k).unwrap_or_else(|| format!("#{}", k.0))
}

/// The processing-time leaves of a trigger tree.
fn leaves(t: &Trigger, out: &mut Vec<Timer>) {
    match t {
        Trigger::AfterProcessingTime { .. } => out.extend(Timer::of(t, false)),
        Trigger::AfterWatermark { early, late } => {
            for c in early.iter().chain(late) {
                leaves(c, out);
            }
        }
        Trigger::Repeatedly(c) => leaves(c, out),
        Trigger::AfterAny(cs) | Trigger::AfterAll(cs) | Trigger::AfterEach(cs) => {
            for c in cs {
                leaves(c, out);
            }
        }
        Trigger::OrFinally { trigger, until } => {
            leaves(trigger, out);
            leaves(until, out);
        }
        Trigger::Default | Trigger::Never | Trigger::Always | Trigger::AfterCount(_) => {}
    }
}

/// The weaker rule for processing-time leaves inside composites (module
/// doc).
fn composite(
    input: &Input<'_>,
    reads: &WindowReads<'_>,
    steps: &super::SentWatermarks,
    problem: &Problem<'_>,
) -> Result<(), Box<Counterexample>> {
    let mut timers = Vec::new();
    leaves(&input.pipeline.trigger, &mut timers);
    if timers.is_empty() {
        return Ok(());
    }
    let mut due: BTreeMap<(Key, Window), std::collections::BTreeSet<i64>> = BTreeMap::new();
    let mut fired: BTreeMap<usize, i64> = BTreeMap::new();
    for (index, p) in input.run.panes.iter().enumerate() {
        if p.retraction {
            continue;
        }
        let id = (p.key, p.window);
        let at = p.fired_at.0;
        let window_reads = reads.windows.get(&id).map_or(&[][..], Vec::as_slice);
        let worker = input.topology.worker_of(p.key.0);
        let read_then = window_reads
            .binary_search_by_key(&at, |&d| reads.at(d))
            .is_ok();
        let step_then = steps.stepped_at(worker, at);
        if read_then || step_then {
            continue;
        }
        let dues = due.entry(id).or_insert_with(|| {
            window_reads
                .iter()
                .flat_map(|&d| {
                    let read = reads.at(d);
                    timers
                        .iter()
                        .map(move |t| input.on_grid(t.set_at(read).saturating_add(1)))
                })
                .collect()
        });
        if !dues.contains(&at) {
            let next = dues
                .range(at..)
                .next()
                .or_else(|| dues.range(..at).next_back());
            return Err(problem(
                "a pane fired when nothing could fire it: its window read no element, its worker sent no watermark step, and no processing-time timer an element set was due",
                p,
                match next {
                    Some(d) => format!(
                        "a timer fires one tick after an element's arrival plus the delay{}; the nearest such instant is {d}",
                        grid_note(input)
                    ),
                    None => "no timer: no element of the window was read".into(),
                },
            ));
        }
        if input.exact_clock() {
            fired.insert(index, at.saturating_sub(1));
        }
    }
    in_timer_order(input, &fired, problem)
}
