//! The `network:` section: latency, loss, retries and faults between the
//! sources and the engine. The network module gives it meaning; this file
//! only describes and samples it.

use super::duration::Dur;
use rand::Rng;
use rand_distr::{Distribution, Exp, Pareto};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The host name of the engine (all its workers).
pub const ENGINE_HOST: &str = "engine";
/// The host name of the durable log, when `network.log` is set.
pub const LOG_HOST: &str = "log";

/// How messages travel from sources to the engine.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way delay of every message (default `{constant: 0ms}`).
    #[serde(default)]
    pub latency: LatencySpec,
    /// Probability in [0, 1] that one attempt to send a message is lost,
    /// decided per message id and attempt.
    #[serde(default)]
    pub loss: f64,
    /// Sender retries: without them a lost message is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetrySpec>,
    /// Per-link overrides of latency and loss; the first matching link wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkSpec>,
    /// Periods when a link delivers nothing (messages sent then are lost).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partitions: Vec<FaultWindow>,
    /// Periods when a link holds messages back, releasing them in a burst.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holds: Vec<FaultWindow>,
    /// A partitioned durable log between sources and engine workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogSpec>,
}

/// A delay distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a latency: {constant: 10ms}, {uniform: {min, max}}, {exponential: {mean}} or {pareto: {scale, shape}}"
)]
pub enum LatencySpec {
    /// Always this delay.
    Constant(Dur),
    /// Uniform in `[min, max]`.
    Uniform(LatencyRange),
    /// Exponential with this mean.
    Exponential(ExponentialLatency),
    /// Pareto (heavy tail): at least `scale`, tail index `shape`.
    Pareto(ParetoLatency),
}

impl Default for LatencySpec {
    fn default() -> LatencySpec {
        LatencySpec::Constant(Dur::ZERO)
    }
}

/// Bounds of a uniform delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LatencyRange {
    /// Shortest delay, not negative.
    pub min: Dur,
    /// Longest delay, at least `min`.
    pub max: Dur,
}

/// An exponential delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExponentialLatency {
    /// Mean delay, not negative.
    pub mean: Dur,
}

/// A Pareto delay: `scale · U^(-1/shape)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParetoLatency {
    /// Minimum delay, positive.
    pub scale: Dur,
    /// Tail index, positive; below 2 the variance is infinite.
    pub shape: f64,
}

/// The longest delay a sample may take, so a heavy tail cannot push a
/// message past the end of any simulation (one day).
pub const LATENCY_MS_MAX: i64 = 86_400_000;

impl LatencySpec {
    /// One delay in milliseconds, in `[0, LATENCY_MS_MAX]`. Precondition:
    /// the spec passed validation (`load` guarantees it); parameters that
    /// did not fall back to the smallest delay rather than panicking.
    pub fn sample_ms<R: Rng + ?Sized>(&self, rng: &mut R) -> i64 {
        let ms = match *self {
            LatencySpec::Constant(d) => d.ms(),
            LatencySpec::Uniform(r) if r.min.ms() < r.max.ms() => {
                rng.gen_range(r.min.ms()..=r.max.ms())
            }
            LatencySpec::Uniform(r) => r.min.ms(),
            LatencySpec::Exponential(e) if e.mean.ms() > 0 => {
                let exp = Exp::new(1.0 / e.mean.ms() as f64);
                exp.map_or(0, |d| d.sample(rng).round() as i64)
            }
            LatencySpec::Exponential(_) => 0,
            LatencySpec::Pareto(p) => Pareto::new(p.scale.ms() as f64, p.shape)
                .map_or(p.scale.ms(), |d| d.sample(rng).round() as i64),
        };
        ms.clamp(0, LATENCY_MS_MAX)
    }
}

/// Sender retries with acknowledgements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// Resend when no ack arrived within this long, positive.
    pub timeout: Dur,
    /// Attempts in all, including the first, at least 1.
    pub max_attempts: u32,
}

/// Overrides for messages from one host (a source group or a source) to
/// another (default `engine`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Sending host: a source group or one source's name (`phones-3`).
    pub from: String,
    /// Receiving host (default `engine`).
    #[serde(default = "engine_host")]
    pub to: String,
    /// Latency on this link instead of the network's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySpec>,
    /// Loss on this link instead of the network's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
}

fn engine_host() -> String {
    ENGINE_HOST.into()
}

/// A period when the link `from → to` misbehaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultWindow {
    /// When it starts (processing time since the start of the run).
    pub at: Dur,
    /// How long it lasts, positive.
    #[serde(rename = "for")]
    pub for_: Dur,
    /// Sending host: a source group or one source's name (`phones-3`).
    pub from: String,
    /// Receiving host (default `engine`).
    #[serde(default = "engine_host")]
    pub to: String,
}

/// A partitioned durable log (like Kafka) between sources and workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogSpec {
    /// Number of partitions, at least 1; each is one input channel.
    pub partitions: u32,
}
