//! Pipeline versions: v1 is the serving strategy as the scenario declares
//! it; v2 is the same strategy with the deployment's overrides. Both are
//! ordinary pipeline definitions, so every engine semantic applies.

use crate::oracle::Windowing;
use crate::scenario::{ArchitectureSpec, DeploySpec, Scenario, StrategySpec};

/// The index of the strategy that is served (v1, and Lambda's speed layer).
#[must_use]
pub fn serving_index(scenario: &Scenario, a: &ArchitectureSpec) -> usize {
    a.serving
        .as_ref()
        .and_then(|n| scenario.strategies.iter().position(|s| &s.name == n))
        .unwrap_or(0)
}

/// The scenario and strategy that run v2: the window and aggregate live in
/// `pipeline`, the rest in the strategy.
#[must_use]
pub fn v2(scenario: &Scenario, v1: &StrategySpec, d: &DeploySpec) -> (Scenario, StrategySpec) {
    let mut s = scenario.clone();
    if let Some(w) = d.window {
        s.pipeline.window = w;
    }
    if let Some(a) = d.aggregate {
        s.pipeline.aggregate = a;
    }
    let strategy = StrategySpec {
        name: d.name.clone(),
        trigger: d.trigger.clone().unwrap_or_else(|| v1.trigger.clone()),
        accumulation: d.accumulation.unwrap_or(v1.accumulation),
        watermark: d.watermark.or(v1.watermark),
        idle_timeout: d.idle_timeout.or(v1.idle_timeout),
        allowed_lateness: d.allowed_lateness.or(v1.allowed_lateness),
        dedup: d.dedup.or(v1.dedup),
        on_time: d.on_time.or(v1.on_time),
        ..v1.clone()
    };
    (s, strategy)
}

/// What the batch truth of `scenario`'s pipeline needs.
#[must_use]
pub fn windowing(scenario: &Scenario) -> Windowing {
    Windowing {
        window: scenario.pipeline.window.to_engine(),
        aggregate: scenario.pipeline.aggregate.into(),
    }
}
