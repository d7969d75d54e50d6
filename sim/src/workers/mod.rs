//! The engine workers: every strategy replays the SAME delivered trace
//! (that is what makes strategies comparable) into one sans-IO
//! [`Engine`] per worker, with a [`WatermarkTracker`] over the worker's
//! input channels.
//!
//! Replay order: before each delivery at processing time `t`, every
//! engine timer and watermark tick due at or before `t` fires, earliest
//! first (ties: lower worker first); then the delivery is handed to its
//! worker. At the end every worker's watermark goes to +∞ so each window
//! emits its final pane. Nothing here reads a clock or iterates a hash map,
//! so outputs come out in one deterministic order.

mod index;
mod perfect;
mod replay;

#[cfg(test)]
mod tests;

use crate::model::{StrategyRun, Trace, Workload};
use crate::network::{NetConfig, Topology};
use crate::scenario::{ResolvedStrategy, Scenario, StrategySpec};
use anyhow::{Context, Result};
#[cfg(test)]
use tidemark_engine::EventTime;

/// Runs `strategy` of `scenario` over `trace`.
pub fn run_strategy(
    scenario: &Scenario,
    workload: &Workload,
    trace: &Trace,
    strategy: &StrategySpec,
) -> Result<StrategyRun> {
    let resolved = strategy.resolve(&scenario.pipeline, scenario.expect.thresholds());
    let net = NetConfig::from_scenario(scenario);
    run_resolved(&resolved, &net, workload, trace)
        .with_context(|| format!("strategy `{}`", strategy.name))
}

/// Runs an already resolved strategy; `net` is the network that produced
/// `trace` (for routing and the senders' give-up time).
pub fn run_resolved(
    strategy: &ResolvedStrategy,
    net: &NetConfig,
    workload: &Workload,
    trace: &Trace,
) -> Result<StrategyRun> {
    let sources = u32::try_from(workload.sources.len()).context("too many sources")?;
    let topo = Topology::new(net, sources);
    anyhow::ensure!(
        topo.workers == trace.workers && topo.channels() == trace.channels,
        "the trace has {} workers and {} channels, the network {} and {}",
        trace.workers,
        trace.channels,
        topo.workers,
        topo.channels()
    );
    // A sender abandons an event after its last attempt's ack timeout.
    let give_up_ms = net
        .retry
        .timeout_ms
        .saturating_mul(i64::from(net.retry.attempts_max));
    replay::Replay::new(strategy, &topo, workload, trace, give_up_ms)?.run()
}
