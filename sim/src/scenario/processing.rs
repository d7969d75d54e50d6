//! The `log:` and `processing:` sections: how long the durable log keeps
//! entries, and how the consuming side (engine workers reading the log)
//! behaves: fetch latency, service rate, inbox bound, checkpoints, worker
//! crashes and the sink's delivery guarantee. The `workers` module gives
//! them meaning; this file describes and checks them.

use super::duration::Dur;
use super::locate::{yaml_path, Seg};
use super::validate::{fail_at, Check};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The durable log's retention. Without it the log keeps everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSpec {
    /// An entry older than this (processing time since its append) can no
    /// longer be read (Kafka's `retention.ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Dur>,
    /// Only the newest this many entries of each partition can be read
    /// (a size bound, like `retention.bytes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_entries: Option<u64>,
}

/// The consuming side: engine workers reading the log.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessingSpec {
    /// Delay between an entry being fetchable and it being in the worker's
    /// inbox (default 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fetch_latency: Dur,
    /// Records per second of processing time one worker can process
    /// (default: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_rate: Option<f64>,
    /// Most entries fetched but not yet processed per worker; a full inbox
    /// stops fetching, so backpressure shows as consumer lag (default: unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<u64>,
    /// Periodic checkpoints (default: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoints: Option<CheckpointSpec>,
    /// Worker crashes at fixed times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crashes: Vec<CrashSpec>,
    /// Worker crashes at random times, at a rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash_rate: Option<CrashRateSpec>,
    /// The sink's delivery guarantee (default `at_least_once`); a strategy's
    /// own `sink` overrides it.
    #[serde(default)]
    pub sink: SinkSpec,
    /// A coarse processing clock: each worker sees processing time only on
    /// multiples of this step, like a consumer that polls every step. An
    /// entry is handed to the engine, and a timer or watermark tick fires,
    /// at the first multiple at or after its time, so several timers come
    /// due in one step (default: every millisecond, exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_step: Option<Dur>,
}

/// Longest `clock_step` a scenario may ask for (one hour).
pub const CLOCK_STEP_MAX_MS: i64 = 3_600_000;

fn is_zero(d: &Dur) -> bool {
    d.ms() == 0
}

/// Every `interval` of processing time each worker snapshots its engine,
/// its consumer offsets and its watermark state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSpec {
    /// Time between checkpoints, positive.
    pub interval: Dur,
    /// Time from taking the snapshot to the checkpoint being complete
    /// (durable, and the sink's transaction committed). Default 0.
    #[serde(default)]
    pub duration: Dur,
}

/// One worker crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrashSpec {
    /// Processing time of the crash.
    pub at: Dur,
    /// The worker that crashes (default 0).
    #[serde(default)]
    pub worker: u32,
    /// How long until it restarts (default 0).
    #[serde(default)]
    pub restart: Dur,
    /// The last completed checkpoint is lost too: restore the one before.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lose_last_checkpoint: bool,
}

/// Crashes at random, per worker, as a Poisson process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrashRateSpec {
    /// Mean crashes per worker per hour of processing time.
    pub per_hour: f64,
    /// How long until a crashed worker restarts (default 0).
    #[serde(default)]
    pub restart: Dur,
    /// Each crash also loses the last completed checkpoint.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lose_last_checkpoint: bool,
}

/// What a consumer of the sink sees when a worker replays after a restart.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SinkSpec {
    /// Outputs are visible when emitted; what was emitted after the last
    /// checkpoint is emitted again after a restart (duplicates downstream).
    #[default]
    AtLeastOnce,
    /// Transactional: outputs become visible when the checkpoint that
    /// covers them completes.
    ExactlyOnce,
    /// An upsert keyed by (key, window, pane index): a replayed pane
    /// overwrites its first copy.
    Idempotent,
}

impl SinkSpec {
    /// The YAML spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SinkSpec::AtLeastOnce => "at_least_once",
            SinkSpec::ExactlyOnce => "exactly_once",
            SinkSpec::Idempotent => "idempotent",
        }
    }
}

/// Longest crash rate a scenario may ask for (one crash a minute per worker).
pub const CRASHES_PER_HOUR_MAX: f64 = 60.0;

/// Checks one crash at `base`.
pub(crate) fn check_crash(base: Vec<Seg>, c: &CrashSpec, workers: u32) -> Check {
    let at = |f: &str| -> Vec<Seg> {
        let mut v = base.clone();
        v.push(Seg::from(f));
        v
    };
    if c.at.ms() < 0 {
        return fail_at(at("at"), format!("at must not be negative, got {}", c.at));
    }
    if c.worker >= workers {
        return fail_at(
            at("worker"),
            format!(
                "the pipeline has {workers} worker(s), numbered from 0; got worker {}",
                c.worker
            ),
        );
    }
    if c.restart.ms() < 0 {
        return fail_at(
            at("restart"),
            format!("restart must not be negative, got {}", c.restart),
        );
    }
    Ok(())
}

/// Checks the `log:` and `processing:` sections; `workers` is the
/// pipeline's worker count. `sink_overrides` are the strategies' own sinks.
pub(crate) fn check(
    log: &RetentionSpec,
    p: &ProcessingSpec,
    workers: u32,
    sink_overrides: &[(usize, SinkSpec)],
) -> Check {
    if let Some(r) = log.retention {
        if r.ms() <= 0 {
            return fail_at(
                yaml_path!["log", "retention"],
                format!("retention must be positive, got {r}"),
            );
        }
    }
    if log.retention_entries == Some(0) {
        return fail_at(
            yaml_path!["log", "retention_entries"],
            "retention_entries must be at least 1",
        );
    }
    if p.fetch_latency.ms() < 0 {
        return fail_at(
            yaml_path!["processing", "fetch_latency"],
            format!(
                "fetch_latency must not be negative, got {}",
                p.fetch_latency
            ),
        );
    }
    if let Some(r) = p.service_rate {
        if !r.is_finite() || r <= 0.0 {
            return fail_at(
                yaml_path!["processing", "service_rate"],
                format!("service_rate must be a positive number of records per second, got {r}"),
            );
        }
    }
    if p.inbox == Some(0) {
        return fail_at(
            yaml_path!["processing", "inbox"],
            "inbox must hold at least 1 entry",
        );
    }
    if let Some(c) = p.checkpoints {
        if c.interval.ms() <= 0 {
            return fail_at(
                yaml_path!["processing", "checkpoints", "interval"],
                format!("checkpoint interval must be positive, got {}", c.interval),
            );
        }
        if c.duration.ms() < 0 || c.duration.ms() >= c.interval.ms() {
            return fail_at(
                yaml_path!["processing", "checkpoints", "duration"],
                format!(
                    "checkpoint duration must be at least 0 and shorter than the interval ({}), got {}",
                    c.interval, c.duration
                ),
            );
        }
    }
    for (i, c) in p.crashes.iter().enumerate() {
        check_crash(yaml_path!["processing", "crashes", i], c, workers)?;
    }
    if let Some(r) = p.crash_rate {
        if !r.per_hour.is_finite() || r.per_hour < 0.0 || r.per_hour > CRASHES_PER_HOUR_MAX {
            return fail_at(
                yaml_path!["processing", "crash_rate", "per_hour"],
                format!(
                    "per_hour must be between 0 and {CRASHES_PER_HOUR_MAX}, got {}",
                    r.per_hour
                ),
            );
        }
        if r.restart.ms() < 0 {
            return fail_at(
                yaml_path!["processing", "crash_rate", "restart"],
                format!("restart must not be negative, got {}", r.restart),
            );
        }
    }
    if let Some(step) = p.clock_step {
        if step.ms() <= 0 || step.ms() > CLOCK_STEP_MAX_MS {
            return fail_at(
                yaml_path!["processing", "clock_step"],
                format!("clock_step must be positive and at most 1h, got {step}"),
            );
        }
    }
    let exactly_once = std::iter::once(p.sink)
        .chain(sink_overrides.iter().map(|&(_, s)| s))
        .any(|s| s == SinkSpec::ExactlyOnce);
    if exactly_once && p.checkpoints.is_none() {
        let path = match sink_overrides
            .iter()
            .find(|&&(_, s)| s == SinkSpec::ExactlyOnce)
        {
            Some(&(i, _)) if p.sink != SinkSpec::ExactlyOnce => {
                yaml_path!["strategies", i, "sink"]
            }
            _ => yaml_path!["processing", "sink"],
        };
        return fail_at(
            path,
            "an exactly_once sink commits at checkpoints: set processing.checkpoints",
        );
    }
    Ok(())
}
