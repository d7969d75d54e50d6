//! The network's own configuration, resolved once from a scenario into
//! plain tables so that the hot path never matches names or parses anything.

use super::fate::{FateLog, ListedFates};
use crate::scenario::{FaultWindow, LatencySpec, Scenario};
use anyhow::{bail, Result};

/// A one-way latency distribution (the scenario's own type; validated by
/// `scenario::load`).
pub type Latency = LatencySpec;

/// Default cap on one sampled latency: a heavy tail beyond a minute
/// only makes the simulation idle longer.
pub const LATENCY_MS_MAX: i64 = 60_000;

/// Default time allowed to settle after the last send and the last fault.
pub const SETTLE_MS_MAX: i64 = 3_600_000;

/// What one directed link does to each message attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkParams {
    /// One-way latency (the ack draws from the same distribution).
    pub latency: Latency,
    /// Probability that an attempt (or its ack) is lost, in `[0, 1]`.
    pub loss: f64,
}

/// A per-link override between two host names (a source, a source group,
/// `engine` for every worker, or `log`). `None` fields keep the default.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOverride {
    /// Sending endpoint's name.
    pub from: String,
    /// Receiving endpoint's name.
    pub to: String,
    /// Replacement latency.
    pub latency: Option<Latency>,
    /// Replacement loss probability.
    pub loss: Option<f64>,
}

/// What a scheduled fault does to the links it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// Messages are dropped while it lasts (turmoil `partition`/`repair`).
    Partition,
    /// Messages are held and all delivered at the end (turmoil `hold`/`release`).
    Hold,
}

/// A partition or hold from `at_ms` for `for_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledFault {
    /// Partition or hold.
    pub kind: FaultKind,
    /// Start, in processing time.
    pub at_ms: i64,
    /// How long it lasts.
    pub for_ms: i64,
    /// One side: a source, a source group, `engine` or `log`.
    pub from: String,
    /// The other side.
    pub to: String,
}

/// Acknowledgement timeout and attempts per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// How long a sender waits for an ack before the next attempt.
    pub timeout_ms: i64,
    /// Attempts per message from a source, including the first (≥ 1).
    pub attempts_max: u32,
}

/// Everything [`super::deliver_with`] needs besides the workload and seed.
#[derive(Debug, Clone, PartialEq)]
pub struct NetConfig {
    /// Link behaviour where no override applies.
    pub default_link: LinkParams,
    /// Per-link overrides; the first matching one wins.
    pub links: Vec<LinkOverride>,
    /// Sender retries.
    pub retry: Retry,
    /// Partitions and holds.
    pub faults: Vec<ScheduledFault>,
    /// Source groups by name with their source indices, so links and
    /// faults can name a whole group.
    pub groups: Vec<(String, Vec<u32>)>,
    /// Engine workers (≥ 1).
    pub workers: u32,
    /// Partitions of a durable log between sources and workers, if any.
    pub log_partitions: Option<u32>,
    /// Sources send their low watermark this often (punctuated strategy).
    pub punctuation_interval_ms: Option<i64>,
    /// Simulated time per turmoil step; `None` picks one (see
    /// [`NetConfig::tick`]). Arrival times are exact whatever the tick: it
    /// only sets how often hosts exchange datagrams and when scheduled
    /// faults can take effect.
    pub tick_ms: Option<i64>,
    /// Sampled latencies are capped here so a heavy tail can't stall a run.
    pub latency_ms_max: i64,
    /// Extra simulated time allowed after the last event is sent and the
    /// last fault ends before the run is declared unable to settle.
    pub settle_ms_max: i64,
    /// The fates the scenario lists (`events:`); `None` draws every fate
    /// from the seed.
    pub listed_fates: Option<std::sync::Arc<ListedFates>>,
    /// When set, every event attempt's fate is recorded here (`shrink`).
    pub fate_log: Option<FateLog>,
}

impl NetConfig {
    /// A lossless, constant-latency network with one worker: the base that
    /// tests and scenario conversion start from.
    pub fn lossless(latency_ms: i64) -> NetConfig {
        NetConfig {
            default_link: LinkParams {
                latency: Latency::Constant(crate::scenario::Dur(latency_ms)),
                loss: 0.0,
            },
            links: Vec::new(),
            retry: Retry {
                timeout_ms: 1_000,
                attempts_max: 5,
            },
            faults: Vec::new(),
            groups: Vec::new(),
            workers: 1,
            log_partitions: None,
            punctuation_interval_ms: None,
            tick_ms: None,
            latency_ms_max: LATENCY_MS_MAX,
            settle_ms_max: SETTLE_MS_MAX,
            listed_fates: None,
            fate_log: None,
        }
    }

    /// The turmoil tick in ms: `tick_ms` when set, else the longest tick up
    /// to [`TICK_MS_MAX`] and a [`TIMEOUT_TICKS`]th of the retry timeout
    /// that divides every fault's start and length, so that partitions and
    /// holds begin and end exactly on a tick (1ms at worst).
    pub fn tick(&self) -> i64 {
        if let Some(t) = self.tick_ms {
            return t.max(1);
        }
        let cap = TICK_MS_MAX
            .min(self.retry.timeout_ms / TIMEOUT_TICKS)
            .max(1);
        (1..=cap)
            .rev()
            .find(|&t| {
                self.faults
                    .iter()
                    .all(|f| f.at_ms % t == 0 && f.for_ms % t == 0)
            })
            .unwrap_or(1)
    }

    /// Rejects configurations the simulation can't run.
    pub fn validate(&self) -> Result<()> {
        let check_loss = |loss: f64, what: &str| {
            if !(0.0..=1.0).contains(&loss) {
                bail!("{what} loss must be within [0, 1], got {loss}");
            }
            Ok(())
        };
        check_loss(self.default_link.loss, "network")?;
        for o in &self.links {
            if let Some(loss) = o.loss {
                check_loss(loss, &format!("link {} -> {}", o.from, o.to))?;
            }
        }
        if self.retry.timeout_ms <= 0 {
            bail!(
                "retry timeout must be positive, got {}ms",
                self.retry.timeout_ms
            );
        }
        if self.retry.attempts_max == 0 {
            bail!("retry max_attempts must be at least 1");
        }
        if self.workers == 0 {
            bail!("pipeline needs at least one worker");
        }
        if self.log_partitions == Some(0) {
            bail!("a log needs at least one partition");
        }
        if let Some(i) = self.punctuation_interval_ms {
            if i <= 0 {
                bail!("punctuation interval must be positive, got {i}ms");
            }
        }
        if let Some(t) = self.tick_ms {
            if t <= 0 {
                bail!("tick must be positive, got {t}ms");
            }
            // See `tick`: a longer tick could let a sender decide a retry
            // before the ack that should have prevented it arrives.
            if t > (self.retry.timeout_ms / TIMEOUT_TICKS).max(1) {
                bail!(
                    "tick {t}ms is longer than a {}th of the retry timeout ({}ms)",
                    TIMEOUT_TICKS,
                    self.retry.timeout_ms
                );
            }
        }
        for f in &self.faults {
            if f.at_ms < 0 || f.for_ms < 0 {
                bail!(
                    "{:?} at {}ms for {}ms: times must not be negative",
                    f.kind,
                    f.at_ms,
                    f.for_ms
                );
            }
        }
        Ok(())
    }
}

/// The longest tick [`NetConfig::tick`] picks by itself. Arrival times
/// don't depend on it, but a datagram put on the wire late (a retry decided
/// a few ticks after its timeout, see `source`) meets a partition or hold
/// as of when it is on the wire, so a shorter tick keeps such edge cases
/// close to the fault's exact start and end.
pub const TICK_MS_MAX: i64 = 250;

/// The tick is at most this fraction of the retry timeout. A sender
/// decides a timeout `2` ticks after it passed (an ack on time has surely
/// arrived by then) and a log forward may start up to `4` ticks after the
/// entry's exact append time; both must stay within one timeout for every
/// retry decision to be exactly "was an ack due by the timeout".
pub const TIMEOUT_TICKS: i64 = 4;

/// Without `network.retry`, a sender still waits this long for its one
/// attempt's ack before it gives up (and the run can settle).
pub const ACK_TIMEOUT_MS_DEFAULT: i64 = 1_000;

impl NetConfig {
    /// The network a scenario describes (already validated by `scenario::load`).
    pub fn from_scenario(scenario: &Scenario) -> NetConfig {
        let n = &scenario.network;
        let retry = n.retry.map_or(
            Retry {
                timeout_ms: ACK_TIMEOUT_MS_DEFAULT,
                attempts_max: 1,
            },
            |r| Retry {
                timeout_ms: r.timeout.ms(),
                attempts_max: r.max_attempts,
            },
        );
        let mut groups: Vec<(String, Vec<u32>)> = scenario
            .workload
            .sources
            .iter()
            .map(|g| (g.name.clone(), Vec::new()))
            .collect();
        for (i, s) in scenario.sources().iter().enumerate() {
            if let Some((_, members)) = groups.get_mut(s.group) {
                members.push(i as u32);
            }
        }
        let fault = |kind: FaultKind, f: &FaultWindow| ScheduledFault {
            kind,
            at_ms: f.at.ms(),
            for_ms: f.for_.ms(),
            from: f.from.clone(),
            to: f.to.clone(),
        };
        let faults = n
            .partitions
            .iter()
            .map(|f| fault(FaultKind::Partition, f))
            .chain(n.holds.iter().map(|f| fault(FaultKind::Hold, f)))
            .collect();
        NetConfig {
            default_link: LinkParams {
                latency: n.latency,
                loss: n.loss,
            },
            links: n
                .links
                .iter()
                .map(|l| LinkOverride {
                    from: l.from.clone(),
                    to: l.to.clone(),
                    latency: l.latency,
                    loss: l.loss,
                })
                .collect(),
            retry,
            faults,
            groups,
            workers: scenario.pipeline.workers,
            log_partitions: n.log.map(|l| l.partitions),
            punctuation_interval_ms: scenario.punctuation_interval().map(|d| d.ms()),
            tick_ms: None,
            latency_ms_max: LATENCY_MS_MAX,
            settle_ms_max: SETTLE_MS_MAX,
            listed_fates: ListedFates::of(scenario).map(std::sync::Arc::new),
            fate_log: None,
        }
    }
}
