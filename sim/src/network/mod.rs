//! The simulated network: sources (a turmoil host per source group) and one
//! receiver, the durable log or an ingress host for every engine worker
//! (so the per-tick cost doesn't grow with the worker count), exchanging
//! UDP datagrams with application-level
//! acknowledgements, timeouts and retries. It ends where entries are
//! appended to the log (the log host, or without one the workers' ingress
//! host, where sources append to one partition each); consumers read the log in the
//! processing phase (`crate::workers`).
//!
//! What it never does: read the wall clock, draw from an unseeded RNG, or
//! let hash-map order reach the trace. Every message attempt's fate (lost
//! or not, its latency, its ack's loss and latency) comes from its own
//! labelled stream, `net/msg/{event}/{attempt}` (`net/punct/...` for
//! punctuations), so
//! removing one message never changes another's fate. Latency is simulated
//! by the sender holding the datagram back; turmoil's links themselves are
//! instant and lossless, except for scheduled partitions (datagrams
//! dropped) and holds (datagrams kept until release). Turmoil's TCP is not
//! used: it stalls for good after a lost segment.
//!
//! Times are exact to the millisecond whatever turmoil's tick: every
//! datagram carries the time it is meant to arrive (its intended send time
//! plus its drawn latency) and the receiver records that, not the step it
//! read it in; a datagram kept on a link by a hold arrives when the hold
//! ends. The tick ([`NetConfig::tick`], up to 250ms, chosen from the retry
//! timeout and the fault times) only sets how often hosts exchange
//! datagrams, so a run costs steps in proportion to simulated time over the
//! tick, plus work in proportion to messages. Sources share one turmoil
//! host per source group; faults naming part of a group are applied by
//! that host itself (`local_fault`).

mod config;
mod ctx;
mod fate;
mod local_fault;
mod log;
mod names;
mod order;
mod route;
mod run;
mod source;
mod text;
mod timers;
mod wire;
mod worker;

#[cfg(test)]
pub(crate) mod tests;

pub use config::{
    FaultKind, Latency, LinkOverride, LinkParams, NetConfig, Retry, ScheduledFault, LATENCY_MS_MAX,
    SETTLE_MS_MAX, TICK_MS_MAX, TIMEOUT_TICKS,
};
pub use fate::{Fate, FateLog};
pub use route::{key_hash, Topology};

use crate::model::{Trace, Workload};
use crate::scenario::Scenario;
use anyhow::Result;

/// Delivers `workload` over the network `scenario` describes, seeded by
/// `seed`. Errors when the configuration is impossible or the network can't
/// settle within its bound (e.g. a link partitioned for good).
///
/// The workload is borrowed mutably only to lend its events to the
/// simulation for the run; it is handed back unchanged.
pub fn deliver(scenario: &Scenario, workload: &mut Workload, seed: u64) -> Result<Trace> {
    deliver_with(&NetConfig::from_scenario(scenario), workload, seed)
}

/// Like [`deliver`], with the network configuration given directly.
pub fn deliver_with(config: &NetConfig, workload: &mut Workload, seed: u64) -> Result<Trace> {
    run::run(config, workload, seed)
}
