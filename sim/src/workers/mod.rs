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
pub use index::EventIndex;
mod perfect;
mod processing;
mod replay;
mod sink;

#[cfg(test)]
mod recovery_tests;
#[cfg(test)]
mod tests;

pub use processing::{on_grid, Bugs, Crash, Processing};

use crate::log::Log;
use crate::model::{StrategyRun, Trace, Workload};
use crate::network::{NetConfig, Topology};
use crate::scenario::{ResolvedStrategy, RetentionSpec, Scenario, StrategySpec};
use anyhow::{Context, Result};
use tidemark_engine::EventTime;

/// The processing `scenario` declares for `strategy`, its crashes drawn
/// from `seed` over the trace's span.
pub fn processing_of(
    scenario: &Scenario,
    strategy: &StrategySpec,
    trace: &Trace,
    seed: u64,
) -> Processing {
    Processing::from_scenario(scenario, strategy, seed, trace.end.0.max(1))
}

/// Runs `strategy` of `scenario` over `log` (appended in `trace`), with
/// the faults of `seed`.
pub fn run_strategy(
    scenario: &Scenario,
    workload: &Workload,
    trace: &Trace,
    log: &Log,
    strategy: &StrategySpec,
    seed: u64,
) -> Result<StrategyRun> {
    let proc = processing_of(scenario, strategy, trace, seed);
    run_strategy_with(scenario, workload, trace, log, strategy, &proc)
}

/// [`run_strategy`] with the processing given: the harness's crash-free
/// counterpart, tests' deliberate bugs, a consumer that starts late.
pub fn run_strategy_with(
    scenario: &Scenario,
    workload: &Workload,
    trace: &Trace,
    log: &Log,
    strategy: &StrategySpec,
    proc: &Processing,
) -> Result<StrategyRun> {
    let resolved = strategy.resolve(&scenario.pipeline, scenario.expect.thresholds());
    let net = NetConfig::from_scenario(scenario);
    run_with(&resolved, &net, workload, trace, log, proc)
        .with_context(|| format!("strategy `{}`", strategy.name))
}

/// Runs an already resolved strategy with instant, unlimited consumers,
/// no checkpoints or crashes and a log that keeps everything; `net` is the
/// network that produced `trace` (for routing and the senders' give-up time).
pub fn run_resolved(
    strategy: &ResolvedStrategy,
    net: &NetConfig,
    workload: &Workload,
    trace: &Trace,
) -> Result<StrategyRun> {
    let log = Log::from_trace(trace, RetentionSpec::default());
    run_with(strategy, net, workload, trace, &log, &Processing::default())
}

/// Runs an already resolved strategy reading `log` as `proc` says.
pub fn run_with(
    strategy: &ResolvedStrategy,
    net: &NetConfig,
    workload: &Workload,
    trace: &Trace,
    log: &Log,
    proc: &Processing,
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
    replay::Replay::new(strategy, &topo, workload, trace, log, proc, give_up_ms(net))?.run()
}

/// How long after `sent_at` a sender abandons an event: its last attempt's
/// ack timeout.
fn give_up_ms(net: &NetConfig) -> i64 {
    net.retry
        .timeout_ms
        .saturating_mul(i64::from(net.retry.attempts_max))
}

/// The harness's perfect watermark at `worker` along `trace`, as
/// (processing time, watermark) at each change: exactly what a `perfect`
/// strategy replays with, for charts. Ends at +∞ once nothing is awaited.
pub fn perfect_curve(
    net: &NetConfig,
    workload: &Workload,
    trace: &Trace,
    worker: u32,
) -> Result<Vec<(i64, EventTime)>> {
    let sources = u32::try_from(workload.sources.len()).context("too many sources")?;
    let topo = Topology::new(net, sources);
    let index = index::EventIndex::new(workload);
    let mut all = perfect::per_worker(workload, &index, trace, &topo, give_up_ms(net))?;
    let Some(p) = all.get_mut(worker as usize) else {
        anyhow::bail!("worker {worker} of {}", trace.workers);
    };
    let mut out: Vec<(i64, EventTime)> = Vec::new();
    for (i, d) in trace.deliveries.iter().enumerate() {
        let at = d.at().0;
        let wm = EventTime(p.at(i + 1, at));
        match out.last_mut() {
            Some(last) if last.0 == at => last.1 = wm,
            Some(last) if last.1 == wm => {}
            _ => out.push((at, wm)),
        }
    }
    Ok(out)
}
