//! The picture's data for one seed: one key and a few of its windows, with
//! everything the static diagram and the interactive page draw (arrivals,
//! watermarks, panes, dead letters, which elements were late and by how
//! much, and what each strategy's consumer held after every output).
//!
//! Built once per seed by [`crate::stage`] from the run it already has, so
//! the report draws without simulating anything again.

pub mod view;

use crate::consumer::{self, Change, Sink};
use crate::metrics::Values;
use crate::model::{StrategyRun, Trace, Workload};
use crate::scenario::ResolvedStrategy;
use tidemark_engine::{Accumulation, AggValue, DeadLetter, EventTime, Pane, Window};
pub use view::{Arrival, View};

/// One strategy's part of the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneStrategy {
    /// The strategy's name.
    pub name: String,
    /// Its trigger and accumulation, one line.
    pub subtitle: String,
    /// Its accumulation mode.
    pub accumulation: Accumulation,
    /// Its allowed lateness, ms.
    pub allowed_lateness_ms: i64,
    /// Its watermark on the drawn key's worker, (processing time, watermark).
    pub watermark: Vec<(i64, EventTime)>,
    /// The drawn key's outputs whose window lies in view, emission order.
    pub panes: Vec<Pane>,
    /// Per pane: the consumer's value for the truth window holding the
    /// pane's window, right after the pane (None: no such window, or the
    /// consumer holds nothing there).
    pub held_after: Vec<Option<AggValue>>,
    /// The drawn key's dead letters with event time in view.
    pub dead_letters: Vec<DeadLetter>,
    /// Per arrival (same order as [`Scene::arrivals`]): how far the
    /// watermark was past its event time when it arrived, ms, if it was
    /// late for this strategy.
    pub late_by: Vec<Option<i64>>,
    /// Per window in view: the consumer's value after each output.
    pub consumer: Vec<(Window, Vec<Change>)>,
}

/// Everything one seed's picture shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Scene {
    /// The seed drawn.
    pub seed: u64,
    /// The key and windows drawn.
    pub view: View,
    /// The key's name.
    pub key_name: String,
    /// How many keys the workload has.
    pub keys: usize,
    /// True when the key was chosen for its dead letters (else: busiest).
    pub chosen_for_dead_letters: bool,
    /// The key's elements in view, as delivered (retried copies included).
    pub arrivals: Vec<Arrival>,
    /// The perfect watermark of the key's worker.
    pub perfect: Vec<(i64, EventTime)>,
    /// The truth of each window in view.
    pub truth: Vec<(Window, AggValue)>,
    /// One part per strategy, in scenario order.
    pub strategies: Vec<SceneStrategy>,
}

/// Builds the scene, or `None` when the seed produced nothing to draw.
pub fn build(
    seed: u64,
    (workload, trace, runs): (&Workload, &Trace, &[StrategyRun]),
    strategies: &[ResolvedStrategy],
    truth: &Values,
    perfect: &dyn Fn(u32) -> anyhow::Result<Vec<(i64, EventTime)>>,
) -> anyhow::Result<Option<Scene>> {
    let Some(view) = view::choose(workload, trace, runs, truth) else {
        return Ok(None);
    };
    let key_name = usize::try_from(view.key.0)
        .ok()
        .and_then(|i| workload.keys.get(i))
        .cloned()
        .unwrap_or_else(|| view.key.0.to_string());
    let chosen_for_dead_letters = runs
        .iter()
        .any(|r| r.dead_letters.iter().any(|d| d.record.key == view.key));
    let arrivals = view::arrivals(workload, trace, &view);
    let truth_in_view: Vec<(Window, AggValue)> = view
        .windows
        .iter()
        .filter_map(|w| truth.get(&(view.key, *w)).map(|v| (*w, v.clone())))
        .collect();
    let key_windows: Vec<_> = truth
        .keys()
        .filter(|(k, _)| *k == view.key)
        .copied()
        .collect();
    let parts = runs
        .iter()
        .zip(strategies)
        .map(|(run, s)| part(run, s, &view, &arrivals, &key_windows))
        .collect();
    Ok(Some(Scene {
        seed,
        perfect: perfect(view.worker)?,
        key_name,
        keys: workload.keys.len(),
        chosen_for_dead_letters,
        arrivals,
        truth: truth_in_view,
        strategies: parts,
        view,
    }))
}

fn part(
    run: &StrategyRun,
    s: &ResolvedStrategy,
    view: &View,
    arrivals: &[Arrival],
    key_windows: &[(tidemark_engine::Key, Window)],
) -> SceneStrategy {
    let mode = s.pipeline.accumulation;
    let (x0, x1) = view.x_range;
    let key_panes: Vec<Pane> = run
        .panes
        .iter()
        .filter(|p| p.key == view.key)
        .cloned()
        .collect();
    let mut sink = Sink::new(mode);
    let mut panes = Vec::new();
    let mut held_after = Vec::new();
    for p in &key_panes {
        sink.apply(p);
        if p.window.start.0 < x1 && p.window.end.0 > x0 {
            let held = consumer::containing(key_windows, p.key, p.window)
                .and_then(|(k, w)| sink.value_in(k, w));
            panes.push(p.clone());
            held_after.push(held);
        }
    }
    let watermark = view::watermark_steps(run, view.worker);
    let late_by = arrivals
        .iter()
        .map(|a| {
            // The watermark in force just before the element arrived.
            let i = watermark.partition_point(|(at, _)| *at < a.at);
            let wm = i.checked_sub(1).map(|i| watermark[i].1)?;
            (wm != EventTime::MIN && a.time < wm.0).then(|| wm.0.saturating_sub(a.time))
        })
        .collect();
    let in_view: Vec<(tidemark_engine::Key, Window)> =
        view.windows.iter().map(|w| (view.key, *w)).collect();
    let mut timelines = consumer::timelines(&key_panes, mode, &in_view);
    let consumer_view = view
        .windows
        .iter()
        .map(|w| (*w, timelines.remove(&(view.key, *w)).unwrap_or_default()))
        .collect();
    SceneStrategy {
        name: s.name.clone(),
        subtitle: format!(
            "{} · {}",
            crate::scenario::trigger_label(&s.pipeline.trigger),
            mode
        ),
        accumulation: mode,
        allowed_lateness_ms: s.pipeline.allowed_lateness.0,
        watermark,
        panes,
        held_after,
        dead_letters: run
            .dead_letters
            .iter()
            .filter(|d| d.record.key == view.key && d.record.time.0 >= x0 && d.record.time.0 < x1)
            .cloned()
            .collect(),
        late_by,
        consumer: consumer_view,
    }
}
