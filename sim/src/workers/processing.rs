//! The consuming side of one strategy's run, resolved from the scenario:
//! consumer limits, checkpoints, the crashes (decided once, here) and the
//! sink.
//!
//! Crashes at a rate are drawn per worker from the labelled stream
//! `proc/{scope}/crash/{worker}`, where `scope` is `scenario` for the
//! scenario's `processing` section, so every strategy meets the same
//! crashes at the same moments, and the strategy's name when it declares
//! its own `crashes`.

use crate::scenario::{CrashSpec, Scenario, SinkSpec, StrategySpec};
use rand_distr::{Distribution, Exp};

/// One crash of one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Crash {
    /// Processing time of the crash.
    pub at: i64,
    /// The worker.
    pub worker: u32,
    /// Time until it restarts.
    pub restart_ms: i64,
    /// The last completed checkpoint is lost too.
    pub lose_last_checkpoint: bool,
}

/// Deliberate bugs, for tests that show an invariant catching them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bugs {
    /// A restored worker forwards every watermark, even one behind what it
    /// already sent downstream.
    pub forward_rewound_watermark: bool,
    /// A restore re-reads from one entry after the checkpoint's offsets.
    pub restore_skips_an_entry: bool,
    /// A restore keeps the crashed engine's windows and adds the
    /// checkpoint's on top (state leak).
    pub restore_leaks_state: bool,
    /// The exactly-once sink shows panes when fired, not at commit.
    pub exactly_once_commits_early: bool,
    /// A late-joining consumer (`start_at`) starts at the latest offset
    /// instead of the earliest retained one, silently.
    pub start_at_latest: bool,
}

impl Bugs {
    /// The deliberate bugs of the active known-bug variant; none unless
    /// built with the `known-bugs` feature.
    #[must_use]
    pub fn known() -> Bugs {
        Bugs {
            forward_rewound_watermark: known_bug!(IdleReturnRegresses | WatermarkBackwards),
            restore_skips_an_entry: known_bug!(ReplaySkipsAnEntry),
            restore_leaks_state: known_bug!(CheckpointRestoreLeaksState),
            exactly_once_commits_early: false,
            start_at_latest: false,
        }
    }
}

/// How one strategy's workers consume the log.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Processing {
    /// Fetch latency in ms.
    pub fetch_latency_ms: i64,
    /// Service time per record in microseconds; 0 is unlimited.
    pub service_us: i64,
    /// Inbox bound in entries; `None` is unbounded.
    pub inbox: Option<usize>,
    /// Checkpoint interval and duration in ms.
    pub checkpoint: Option<(i64, i64)>,
    /// Crashes, by time then worker.
    pub crashes: Vec<Crash>,
    /// The sink's guarantee.
    pub sink: SinkSpec,
    /// Every worker starts at this processing time from the earliest
    /// retained offsets, instead of at 0 from offset 0: a consumer that
    /// joins late (a Kappa reprocessing job).
    pub start_at: Option<i64>,
    /// The coarse processing clock's step in ms: entries, timers and
    /// watermark ticks happen at the first multiple at or after their time.
    /// `None` is the exact clock.
    pub clock_step_ms: Option<i64>,
    /// Deliberate bugs (tests only; all off in real runs).
    pub bugs: Bugs,
}

impl Processing {
    /// The processing the scenario declares for `strategy`; crash rates are
    /// drawn over `[0, horizon_ms)` from `seed`.
    #[must_use]
    pub fn from_scenario(
        scenario: &Scenario,
        strategy: &StrategySpec,
        seed: u64,
        horizon_ms: i64,
    ) -> Processing {
        let p = &scenario.processing;
        let fixed = |c: &CrashSpec| Crash {
            at: c.at.ms(),
            worker: c.worker,
            restart_ms: c.restart.ms(),
            lose_last_checkpoint: c.lose_last_checkpoint,
        };
        let mut crashes: Vec<Crash> = match &strategy.crashes {
            Some(own) => own.iter().map(fixed).collect(),
            None => {
                let mut out: Vec<Crash> = p.crashes.iter().map(fixed).collect();
                if let Some(r) = p.crash_rate {
                    for w in 0..scenario.pipeline.workers {
                        out.extend(random_crashes(
                            seed,
                            &format!("proc/scenario/crash/{w}"),
                            w,
                            r.per_hour,
                            horizon_ms,
                            r.restart.ms(),
                            r.lose_last_checkpoint,
                        ));
                    }
                }
                out
            }
        };
        crashes.sort();
        Processing {
            fetch_latency_ms: p.fetch_latency.ms(),
            service_us: p
                .service_rate
                .map_or(0, |r| ((1e6 / r).round() as i64).max(1)),
            inbox: p.inbox.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            checkpoint: p.checkpoints.map(|c| (c.interval.ms(), c.duration.ms())),
            crashes,
            sink: strategy.sink.unwrap_or(p.sink),
            start_at: None,
            clock_step_ms: p.clock_step.map(|d| d.ms()),
            bugs: Bugs::known(),
        }
    }

    /// True when every entry is processed the instant it is appended (on
    /// the grid, with a coarse clock): no fetch latency, unlimited service,
    /// no crash and no late start (an inbox bound then never holds an
    /// entry back).
    #[must_use]
    pub fn immediate(&self) -> bool {
        self.fetch_latency_ms == 0
            && self.service_us == 0
            && self.crashes.is_empty()
            && self.start_at.is_none()
    }

    /// `immediate` on the exact clock: each entry's processing time is its
    /// append time, which the trace records.
    #[must_use]
    pub fn exact(&self) -> bool {
        self.immediate() && self.clock_step_ms.is_none()
    }

    /// `t` on the coarse clock: the first grid instant at or after it.
    #[must_use]
    pub fn on_grid(&self, t: i64) -> i64 {
        match self.clock_step_ms {
            Some(step) if step > 1 => on_grid(t, step),
            _ => t,
        }
    }

    /// The same processing without any crash: the run the recovery
    /// invariants compare against.
    #[must_use]
    pub fn crash_free(&self) -> Processing {
        Processing {
            crashes: Vec::new(),
            ..self.clone()
        }
    }
}

/// The first multiple of `step` (positive) at or after `t`.
#[must_use]
pub fn on_grid(t: i64, step: i64) -> i64 {
    let r = t.rem_euclid(step);
    if r == 0 {
        t
    } else {
        t.saturating_add(step - r)
    }
}

/// A Poisson process of crashes for worker `w` from stream `label`.
fn random_crashes(
    seed: u64,
    label: &str,
    w: u32,
    per_hour: f64,
    horizon_ms: i64,
    restart_ms: i64,
    lose_last_checkpoint: bool,
) -> Vec<Crash> {
    let mut out = Vec::new();
    let Ok(exp) = Exp::new(per_hour / 3_600_000.0) else {
        return out;
    };
    if per_hour <= 0.0 {
        return out;
    }
    let mut rng = crate::rng::stream(seed, label);
    let mut t = 0.0f64;
    loop {
        t += exp.sample(&mut rng);
        // A crash while down is no crash: the next one comes after the restart.
        let at = t.round() as i64;
        if at >= horizon_ms {
            return out;
        }
        out.push(Crash {
            at,
            worker: w,
            restart_ms,
            lose_last_checkpoint,
        });
        t += restart_ms as f64;
    }
}
