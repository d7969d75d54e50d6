//! When a window fires, as written, and the engine's [`Trigger`] for it.
//!
//! This file and the engine's trigger are all a new trigger kind needs on
//! the spelling side: the variant below (serde and the JSON Schema derive
//! from it), its arm in [`TriggerSpec::to_engine`], and its sub-triggers in
//! [`TriggerSpec::children`] so that validation can point into them.

use crate::duration::Spelling;
use crate::short_form::{short_or_full, ShortOrFull};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use tidemark_engine::Trigger;

/// When a window fires. Durations are written as the format spells them:
/// with units in scenarios (`10s`), as bare ticks in transcripts (`10`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    bound = "D: Spelling",
    expecting = "a trigger: default, never, always, or a one-key mapping like {after_count: 2}, {after_watermark: {early: T, late: T}}, {after_processing_time: DELAY}, {repeatedly: T}, {after_any: [T]}, {after_all: [T]}, {after_each: [T]}, {or_finally: {trigger: T, until: T}}"
)]
#[schemars(bound = "D: Spelling", rename = "TriggerSpec")]
pub enum TriggerSpec<D> {
    /// `repeatedly(after_watermark)`: on time, then once per late bundle.
    #[default]
    Default,
    /// Never fires; windows emit only when they expire.
    Never,
    /// Fires on every bundle that adds an element.
    Always,
    /// Fires once the pane holds at least this many elements (≥ 1).
    AfterCount(u64),
    /// Fires when the watermark passes the end of the window, with optional
    /// repeated early and late firings: `{after_watermark: {early: T, late: T}}`.
    AfterWatermark(AfterWatermarkTrigger<D>),
    /// Fires once, a processing-time delay after the pane's first element
    /// (`{after_processing_time: 10s}`), or at the next aligned boundary
    /// (`{after_processing_time: {period: 1m, offset: 0s}}`).
    AfterProcessingTime(
        #[serde(deserialize_with = "processing_short_or_full")]
        #[schemars(with = "ShortOrFull<D, ProcessingTimeTrigger<D>>")]
        ProcessingTimeTrigger<D>,
    ),
    /// Runs the inner trigger forever.
    Repeatedly(Box<TriggerSpec<D>>),
    /// Fires when any child fires; finishes when any finishes.
    AfterAny(Vec<TriggerSpec<D>>),
    /// Fires when every unfinished child is ready.
    AfterAll(Vec<TriggerSpec<D>>),
    /// Runs the children one after another.
    AfterEach(Vec<TriggerSpec<D>>),
    /// Fires like `trigger` until `until` fires, then closes the window.
    OrFinally(OrFinallyTrigger<D>),
}

/// `after_watermark`'s optional early and late firings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, bound = "D: Spelling")]
#[schemars(bound = "D: Spelling", rename = "AfterWatermarkTrigger")]
pub struct AfterWatermarkTrigger<D> {
    /// Speculative firings before the watermark passes the window's end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early: Option<Box<TriggerSpec<D>>>,
    /// Firings for late data after the on-time pane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<Box<TriggerSpec<D>>>,
}

/// `after_processing_time`'s parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, bound = "D: Spelling")]
#[schemars(bound = "D: Spelling", rename = "ProcessingTimeTrigger")]
pub struct ProcessingTimeTrigger<D> {
    /// Processing time after the pane's first element (default 0).
    #[serde(default)]
    pub delay: D,
    /// Round the firing time up to the next `offset + k·period`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<D>,
    /// Phase of the alignment (needs `period`; default 0).
    #[serde(default)]
    pub offset: D,
}

/// `or_finally`'s two triggers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, bound = "D: Spelling")]
#[schemars(bound = "D: Spelling", rename = "OrFinallyTrigger")]
pub struct OrFinallyTrigger<D> {
    /// The trigger that produces panes.
    pub trigger: Box<TriggerSpec<D>>,
    /// When it fires, a last pane is emitted and the window closes.
    pub until: Box<TriggerSpec<D>>,
}

fn processing_short_or_full<'de, De: Deserializer<'de>, D: Spelling>(
    d: De,
) -> Result<ProcessingTimeTrigger<D>, De::Error> {
    short_or_full(d, "a delay, or {delay, period, offset}", |delay| {
        ProcessingTimeTrigger {
            delay,
            period: None,
            offset: D::ZERO,
        }
    })
}

/// Where a sub-trigger is written inside its parent's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildAt {
    /// Under a field (`early`, `until`).
    Field(&'static str),
    /// At a list index (`after_any: [..]`).
    Index(usize),
    /// The parameter itself (`repeatedly: T`).
    Itself,
}

impl<D: Spelling> TriggerSpec<D> {
    /// The engine's trigger.
    #[must_use]
    pub fn to_engine(&self) -> Trigger {
        let boxed = |t: &TriggerSpec<D>| Box::new(t.to_engine());
        let all = |ts: &[TriggerSpec<D>]| ts.iter().map(TriggerSpec::to_engine).collect();
        match self {
            TriggerSpec::Default => Trigger::Default,
            TriggerSpec::Never => Trigger::Never,
            TriggerSpec::Always => Trigger::Always,
            TriggerSpec::AfterCount(n) => Trigger::AfterCount(*n),
            TriggerSpec::AfterWatermark(w) => Trigger::AfterWatermark {
                early: w.early.as_deref().map(boxed),
                late: w.late.as_deref().map(boxed),
            },
            TriggerSpec::AfterProcessingTime(p) => Trigger::AfterProcessingTime {
                delay: p.delay.duration(),
                align: p
                    .period
                    .map(|period| (period.duration(), p.offset.duration())),
            },
            TriggerSpec::Repeatedly(t) => Trigger::Repeatedly(boxed(t)),
            TriggerSpec::AfterAny(ts) => Trigger::AfterAny(all(ts)),
            TriggerSpec::AfterAll(ts) => Trigger::AfterAll(all(ts)),
            TriggerSpec::AfterEach(ts) => Trigger::AfterEach(all(ts)),
            TriggerSpec::OrFinally(o) => Trigger::OrFinally {
                trigger: boxed(&o.trigger),
                until: boxed(&o.until),
            },
        }
    }

    /// The sub-triggers, in file order, with where each is written.
    #[must_use]
    pub fn children(&self) -> Vec<(ChildAt, &TriggerSpec<D>)> {
        match self {
            TriggerSpec::Default
            | TriggerSpec::Never
            | TriggerSpec::Always
            | TriggerSpec::AfterCount(_)
            | TriggerSpec::AfterProcessingTime(_) => Vec::new(),
            TriggerSpec::AfterWatermark(w) => {
                let early = w.early.as_deref().map(|t| (ChildAt::Field("early"), t));
                let late = w.late.as_deref().map(|t| (ChildAt::Field("late"), t));
                early.into_iter().chain(late).collect()
            }
            TriggerSpec::Repeatedly(t) => vec![(ChildAt::Itself, &**t)],
            TriggerSpec::AfterAny(ts) | TriggerSpec::AfterAll(ts) | TriggerSpec::AfterEach(ts) => {
                ts.iter()
                    .enumerate()
                    .map(|(i, t)| (ChildAt::Index(i), t))
                    .collect()
            }
            TriggerSpec::OrFinally(o) => vec![
                (ChildAt::Field("trigger"), &*o.trigger),
                (ChildAt::Field("until"), &*o.until),
            ],
        }
    }
}
