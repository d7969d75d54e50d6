//! Firing conformance: when panes must fire, recomputed from the trigger's
//! definition, the delivered trace and the watermarks the workers sent.
//! - A trigger that fires only on the watermark (`default`,
//!   `after_watermark` without early firings) never fires a pane before
//!   the watermark reached the window's end.
//! - The watermark trigger's on-time pane fires at the first watermark step at or past the
//!   window's end: not before, and not a step later.
//! - Processing-time panes fire one tick after their timers, in timer
//!   order (`timers.rs`): one-shot, `repeatedly`, aligned, and
//!   `after_watermark`'s early and late triggers; on a coarse clock, at
//!   the next grid instant.
//! - Each pane holds exactly the admitted elements its worker read before
//!   it fired, and a count trigger fires at its count (`contents.rs`).
//!
//! The exact rules need the instant each entry was read: every entry
//! processed as it is appended (or at the next grid instant), or a slow
//! consumer's recorded read instants when no worker crashed; and windows
//! that don't merge. Otherwise only the first rule is checked.

use super::{fail, Input};
use crate::invariants::{Counterexample, Outcome};
use tidemark_engine::{Pane, Timing, Trigger};

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
    let problem = |what: &str, p: &Pane, expected: String| {
        Box::new(Counterexample {
            what: what.into(),
            key: input.key_name(p.key),
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
    if !input.reads_known() || input.pipeline.window.is_merging() {
        return Ok(());
    }
    // Built once for the contents and the timer rules.
    let reads = super::WindowReads::of(input);
    if let Some(reads) = &reads {
        super::contents::check(input, reads)?;
    }
    let sent = super::SentWatermarks::of(run);
    // Only the watermark trigger's own on-time pane: a processing-time or
    // count trigger's first pane after the end is also labelled on time.
    let on_time_by_watermark = matches!(trigger, Trigger::Default | Trigger::AfterWatermark { .. });
    for p in panes
        .clone()
        .filter(|p| on_time_by_watermark && p.info.timing == Timing::OnTime)
    {
        let worker = input.topology.worker_of(p.key.0);
        let Some(step) = sent.first_at_or_past(worker, p.window.end) else {
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
    match &reads {
        Some(reads) => super::timers::check(input, reads, &sent, &problem),
        None => Ok(()),
    }
}
