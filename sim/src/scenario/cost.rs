//! What a scenario will cost, estimated from the file before anything runs,
//! and refused past a documented budget with the setting to lower.
//!
//! Every individual limit (events, workers, window density) can pass while
//! their product takes hours, so the estimate multiplies them out:
//!
//! | budget | estimate | lower |
//! |---|---|---|
//! | [`ENGINE_WORK_MAX`] | events × windows per event × strategies | rates, duration, sliding `size/period`, strategies |
//! | [`WIRE_MESSAGES_MAX`] | data attempts × 2 (acks) + punctuations | `retry.max_attempts`, loss, fault lengths, punctuation interval |
//! | [`NETWORK_STEPS_MAX`] | ticks × hosts × links | `duration` and fault spans, source groups |
//! | [`MEMORY_MAX`] | bytes held at once (below) | rates, duration, sliding `size/period`, strategies, `retry.max_attempts` |
//!
//! The memory term is per event, from what one seed holds at its peak
//! (measured with `docs/memory.md`'s command: 137–147 bytes per event on
//! a plain scenario, at its peak while the reference checks run beside
//! the workload, trace and log; the rest is margin): [`EVENT_BYTES`]
//! per event, [`WINDOW_BYTES`] per extra window an event lands in (the
//! oracle keeps every counted event's id per window), [`ATTEMPT_BYTES`]
//! per extra attempt (a delivery, a log entry, a fault decision's text)
//! and [`STRATEGY_BYTES`] per event and strategy (what each strategy's run
//! keeps: what it read, its outputs).
//!
//! The network term is the simulated network's per-tick cost: turmoil
//! visits every link from every host on every tick, whether or not
//! anything is in flight, so a long quiet span costs time even with few
//! events. The hosts are one per source group plus one receiver (the log,
//! or a single ingress host for every worker), so the worker count is not
//! part of it: workers cost per message and per punctuation, which the
//! wire budget counts. (With a turmoil host per worker, a tick cost
//! workers² × groups and 512 workers took minutes for 118 events.)
//!
//! An idle tick is still not free: turmoil steps every host's runtime on
//! every tick. With one source group (14,400 ticks a simulated hour at the
//! 250 ms tick), a quiet span measured 0.1–0.45 s of wall time per
//! simulated hour on the project's shared two-core machine, so the budget
//! (8 steps a tick) allows about 87 quiet hours, tens of seconds.
//!
//! These are estimates, deliberately simple and conservative; none of them
//! measures time, so they are the same on every machine.

use super::locate::{yaml_path, Seg};
use super::validate::Problem;
use super::*;

/// Element-window updates all strategies together may perform.
pub const ENGINE_WORK_MAX: f64 = 200_000_000.0;
/// Messages (data attempts, acks, punctuations) the network may carry.
pub const WIRE_MESSAGES_MAX: f64 = 50_000_000.0;
/// Host-link visits the network's tick loop may make.
pub const NETWORK_STEPS_MAX: f64 = 10_000_000.0;
/// Bytes one seed may hold at once: 4 GiB, so that two seeds (a sweep on
/// two cores) fit a machine with 8 GB.
pub const MEMORY_MAX: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;
/// Bytes per event at the peak of a plain run (one strategy, one window
/// per event, no retries), rounded up from the measured figure.
pub const EVENT_BYTES: f64 = 200.0;
/// Bytes per event for every window past its first.
pub const WINDOW_BYTES: f64 = 32.0;
/// Bytes per data attempt past an event's first.
pub const ATTEMPT_BYTES: f64 = 160.0;
/// Bytes per event for every strategy past the first.
pub const STRATEGY_BYTES: f64 = 16.0;
/// The most strategies a scenario may compare.
pub const STRATEGIES_MAX: usize = 100;

/// The estimate for one scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    /// Expected generated events.
    pub events: f64,
    /// Windows each event lands in.
    pub windows_per_event: f64,
    /// Element-window updates over all strategies.
    pub engine_work: f64,
    /// Data attempts per event (retries included).
    pub attempts_per_event: f64,
    /// Messages on the wire.
    pub wire_messages: f64,
    /// Simulated network ticks.
    pub ticks: f64,
    /// Turmoil hosts.
    pub hosts: f64,
    /// Host pairs that exchange messages.
    pub links: f64,
    /// Strategies compared.
    pub strategies: f64,
}

impl Cost {
    /// Host-link visits of the network's tick loop.
    #[must_use]
    pub fn network_steps(&self) -> f64 {
        self.ticks * self.hosts * self.links
    }

    /// Bytes one seed holds at its peak, as (total, the windows' share,
    /// the retries' share, the strategies' share).
    #[must_use]
    pub fn memory(&self) -> (f64, f64, f64, f64) {
        let windows = self.events * WINDOW_BYTES * (self.windows_per_event - 1.0).max(0.0);
        let retries = self.events * ATTEMPT_BYTES * (self.attempts_per_event - 1.0).max(0.0);
        let strategies = self.events * STRATEGY_BYTES * (self.strategies - 1.0).max(0.0);
        let total = self.events * EVENT_BYTES + windows + retries + strategies;
        (total, windows, retries, strategies)
    }
}

/// Estimates `s`'s cost (after validation: values are in range).
#[must_use]
pub fn estimate(s: &Scenario) -> Cost {
    let events: f64 = s
        .workload
        .sources
        .iter()
        .map(|g| validate::expected_events_of(g, s.duration))
        .sum::<f64>()
        + s.events.as_ref().map_or(0, Vec::len) as f64;
    let windows_per_event = match s.pipeline.window {
        WindowSpec::Sliding(w) if w.period.ms() > 0 => {
            (w.size.ms() as f64 / w.period.ms() as f64).ceil().max(1.0)
        }
        _ => 1.0,
    };
    let strategies = s.strategies.len().max(1) as f64;
    let engine_work = events * windows_per_event * strategies;

    let span_ms = span_ms(s) as f64;
    let longest_fault = s
        .network
        .partitions
        .iter()
        .chain(&s.network.holds)
        .map(|f| f.for_.ms())
        .max()
        .unwrap_or(0) as f64;
    let attempts_per_event = match s.network.retry {
        None => 1.0,
        Some(r) => {
            let timeout = r.timeout.ms().max(1) as f64;
            let loss = s
                .network
                .links
                .iter()
                .filter_map(|l| l.loss)
                .fold(s.network.loss, f64::max);
            // Expected attempts under loss (geometric), plus one per
            // timeout while a fault blocks the path; never more than allowed.
            let lossy = if loss >= 1.0 {
                f64::INFINITY
            } else {
                1.0 / (1.0 - loss)
            };
            (lossy + longest_fault / timeout).min(f64::from(r.max_attempts))
        }
    };
    let sources: f64 = s.workload.sources.iter().map(|g| f64::from(g.count)).sum();
    let readers = f64::from(match s.network.log {
        Some(l) => l.partitions,
        None => s.pipeline.workers,
    });
    let punctuations = s
        .punctuation_interval()
        .map_or(0.0, |i| sources * readers * span_ms / i.ms().max(1) as f64);
    let wire_messages = events * attempts_per_event * 2.0 + punctuations;

    // A host per source group and one receiver (the log, or the workers'
    // ingress), with a link from each group to it.
    let groups = s.workload.sources.len() as f64;
    let (hosts, links) = (groups + 1.0, groups);
    let tick = crate::network::NetConfig::from_scenario(s).tick().max(1) as f64;
    Cost {
        events,
        windows_per_event,
        engine_work,
        attempts_per_event,
        wire_messages,
        ticks: span_ms / tick,
        hosts,
        // Each host's own runtime costs about as much per tick as visiting
        // a few links, which is what a quiet hour with one worker costs.
        links: links.max(4.0),
        strategies,
    }
}

/// How long the simulated network runs: the duration, or the end of the
/// last fault, offline period or burst if later, plus the slowest latency.
fn span_ms(s: &Scenario) -> i64 {
    let faults = s
        .network
        .partitions
        .iter()
        .chain(&s.network.holds)
        .map(|f| f.at.ms() + f.for_.ms());
    let groups = s.workload.sources.iter().flat_map(|g| {
        g.offline
            .iter()
            .map(|o| o.at.ms() + o.for_.ms())
            .chain(g.bursts.iter().map(|b| b.at.ms() + b.for_.ms()))
    });
    let end = faults.chain(groups).fold(s.duration.ms(), i64::max);
    // The network settles soon after the last send on a healthy network;
    // a second of slack keeps short scenarios from counting as free.
    end.saturating_add(1_000)
}

/// Refuses `s` when an estimate is past its budget, at the setting to lower.
pub(crate) fn check(s: &Scenario) -> Result<(), Problem> {
    let c = estimate(s);
    let fail = |path: Vec<Seg>, message: String| Err(Problem { path, message });
    if c.engine_work > ENGINE_WORK_MAX {
        let path = if c.windows_per_event > 1.0 {
            yaml_path!["pipeline", "window"]
        } else {
            yaml_path!["strategies"]
        };
        return fail(
            path,
            format!(
                "this scenario would cost about {:.0} window updates ({:.0} events × {:.0} \
                 windows each × {} strategies); the budget is {ENGINE_WORK_MAX:.0}: lower \
                 the sliding window's size/period, the number of strategies, or the \
                 sources' rates or the duration",
                c.engine_work,
                c.events,
                c.windows_per_event,
                s.strategies.len()
            ),
        );
    }
    if c.wire_messages > WIRE_MESSAGES_MAX {
        let path = if c.attempts_per_event > 4.0 {
            yaml_path!["network", "retry", "max_attempts"]
        } else if s.punctuation_interval().is_some() {
            yaml_path!["pipeline", "watermark"]
        } else {
            yaml_path!["workload", "sources"]
        };
        return fail(
            path,
            format!(
                "this scenario would put about {:.0} messages on the wire ({:.0} events × \
                 {:.1} attempts × 2 with acks, plus punctuations); the budget is \
                 {WIRE_MESSAGES_MAX:.0}: lower network.retry.max_attempts, the loss or \
                 fault lengths, or raise the punctuation interval",
                c.wire_messages, c.events, c.attempts_per_event
            ),
        );
    }
    let (memory, windows, retries, strategies) = c.memory();
    if memory > MEMORY_MAX {
        // The setting whose share is largest is the one to lower.
        let path = if windows >= retries.max(strategies) && windows > 0.0 {
            yaml_path!["pipeline", "window"]
        } else if retries >= strategies && retries > 0.0 {
            yaml_path!["network", "retry", "max_attempts"]
        } else if strategies > 0.0 {
            yaml_path!["strategies"]
        } else {
            yaml_path!["workload", "sources"]
        };
        let gib = |b: f64| b / 1024.0 / 1024.0 / 1024.0;
        let mut parts = format!("{:.0} events × {EVENT_BYTES:.0} bytes", c.events);
        for (bytes, what) in [
            (
                windows,
                format!("{:.0} windows per event", c.windows_per_event),
            ),
            (
                retries,
                format!("{:.1} attempts per event", c.attempts_per_event),
            ),
            (strategies, format!("{} strategies", s.strategies.len())),
        ] {
            if bytes > 0.0 {
                parts.push_str(&format!(", {:.1} GiB for {what}", gib(bytes)));
            }
        }
        return fail(
            path,
            format!(
                "this scenario would hold about {:.1} GiB at once ({parts}); the budget is \
                 {:.0} GiB: lower the sliding window's size/period, \
                 network.retry.max_attempts or the loss, the number of strategies, or the \
                 sources' rates or the duration",
                gib(memory),
                gib(MEMORY_MAX)
            ),
        );
    }
    if c.network_steps() > NETWORK_STEPS_MAX {
        // The duration when even one source group would be too slow, else
        // the number of groups.
        let one_group = c.ticks * 2.0 * 4.0;
        let path = if one_group <= NETWORK_STEPS_MAX {
            yaml_path!["workload", "sources"]
        } else {
            yaml_path!["duration"]
        };
        return fail(
            path,
            format!(
                "the simulated network would make about {:.0} host-link steps ({:.0} ticks × \
                 {:.0} hosts × {:.0} links); the budget is {NETWORK_STEPS_MAX:.0}: shorten \
                 the duration, faults, offline periods and bursts (every simulated tick \
                 costs time, even a quiet one), or use fewer source groups (each is a host)",
                c.network_steps(),
                c.ticks,
                c.hosts,
                c.links
            ),
        );
    }
    Ok(())
}
