//! The `events:` section: a scenario that lists its events, and each
//! message's fate, instead of generating them from the seed.
//!
//! `tidemark shrink` writes these (a failing run's decisions, recorded and
//! then cut down), and they replay identically under any seed: the events
//! are the ones listed, every attempt to send one has the fate written on
//! it (or, when none is written, arrives at once with its ack), crashes
//! are listed in `processing.crashes`, and partitions and holds are
//! already fixed schedules. So a scenario with `events:` may not also ask
//! for anything drawn from the seed: a source rate, bursts, offline
//! periods, a network latency or loss, or a crash rate.

use super::duration::Dur;
use super::locate::{yaml_path, Seg};
use super::validate::{fail_at, Check, VALUE_MAX};
use super::{LatencySpec, Scenario, LATENCY_MS_MAX};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One event, as its source produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplicitEvent {
    /// A unique number naming the event (reports and fault decisions call
    /// it `event N`; gaps are fine).
    pub id: u64,
    /// The source that sends it: a source's name (`sensors-2`).
    pub source: String,
    /// Its key, one of `workload.keys`.
    pub key: String,
    /// The value aggregated.
    pub value: i64,
    /// Its event time, as stamped by the source.
    pub time: Dur,
    /// When it really happened (default: its event time); differs from
    /// `time` when the source's clock is skewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub true_time: Option<Dur>,
    /// Processing time at which the source hands it to the network.
    pub sent_at: Dur,
    /// The fate of each attempt to send it, first attempt first; attempts
    /// not listed (and every attempt of an event without `attempts`) arrive
    /// at once and are acknowledged at once. A duplicate is an attempt
    /// whose ack is lost or slower than `network.retry.timeout`: the
    /// sender tries again and both copies arrive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<AttemptFate>,
}

/// What happens to one attempt to send an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptFate {
    /// The message is lost on the way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lost: bool,
    /// Its one-way delay (default 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay: Dur,
    /// The receiver's acknowledgement is lost on the way back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ack_lost: bool,
    /// The acknowledgement's one-way delay (default 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ack_delay: Dur,
}

fn is_zero(d: &Dur) -> bool {
    d.ms() == 0
}

impl AttemptFate {
    /// True for the fate of an attempt not listed.
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == AttemptFate::default()
    }
}

/// The positions of `events` in the order their sources send them, by
/// (`sent_at`, `id`): the order of `Workload::events`, whose ids are
/// these positions.
#[must_use]
pub fn send_order(events: &[ExplicitEvent]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| (events[i].sent_at, events[i].id));
    order
}

fn at(i: usize, field: &str) -> Vec<Seg> {
    yaml_path!["events", i, field]
}

/// Checks the `events:` section and that nothing else in the scenario
/// would be drawn from the seed.
pub(crate) fn check(s: &Scenario) -> Check {
    let Some(events) = &s.events else {
        return Ok(());
    };
    seedless(s)?;
    let sources: BTreeSet<String> = s.sources().into_iter().map(|r| r.name).collect();
    let keys: BTreeSet<String> = s.workload.keys.names().into_iter().collect();
    let attempts_max = s.network.retry.map_or(1, |r| r.max_attempts);
    let mut ids = BTreeMap::new();
    if events.len() as f64 > super::validate::EVENTS_EXPECTED_MAX {
        return fail_at(
            yaml_path!["events"],
            format!(
                "{} events is too many: at most {:.0}",
                events.len(),
                super::validate::EVENTS_EXPECTED_MAX
            ),
        );
    }
    for (i, e) in events.iter().enumerate() {
        if let Some(first) = ids.insert(e.id, i) {
            return fail_at(
                at(i, "id"),
                format!(
                    "event id {} is used twice (first by event {first} of the list)",
                    e.id
                ),
            );
        }
        if !sources.contains(&e.source) {
            let known: Vec<&String> = sources.iter().take(4).collect();
            return fail_at(
                at(i, "source"),
                format!(
                    "unknown source `{}`; expected one of the sources workload.sources \
                     names (like {known:?})",
                    e.source
                ),
            );
        }
        if !keys.contains(&e.key) {
            return fail_at(
                at(i, "key"),
                format!("unknown key `{}`; it must be one of workload.keys", e.key),
            );
        }
        if e.value.unsigned_abs() > VALUE_MAX.unsigned_abs() {
            return fail_at(
                at(i, "value"),
                format!(
                    "value {} is too large: values must be within ±{VALUE_MAX}",
                    e.value
                ),
            );
        }
        if e.sent_at.ms() < 0 {
            return fail_at(
                at(i, "sent_at"),
                format!("sent_at must not be negative, got {}", e.sent_at),
            );
        }
        if e.attempts.len() > attempts_max as usize {
            return fail_at(
                at(i, "attempts"),
                format!(
                    "{} attempts listed, but a source makes at most {attempts_max} \
                     (network.retry.max_attempts)",
                    e.attempts.len()
                ),
            );
        }
        for (j, a) in e.attempts.iter().enumerate() {
            for (field, d) in [("delay", a.delay), ("ack_delay", a.ack_delay)] {
                if !(0..=LATENCY_MS_MAX).contains(&d.ms()) {
                    return fail_at(
                        yaml_path!["events", i, "attempts", j, field],
                        format!(
                            "{field} must be between 0ms and {}, got {d}",
                            Dur(LATENCY_MS_MAX)
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}

/// With `events:`, settings that would draw from the seed are refused
/// where they are written, rather than silently ignored.
fn seedless(s: &Scenario) -> Check {
    const WHY: &str = "a scenario with `events:` takes nothing from the seed";
    for (i, g) in s.workload.sources.iter().enumerate() {
        if g.rate != 0.0 {
            return fail_at(
                yaml_path!["workload", "sources", i, "rate"],
                format!("{WHY}: the sources send only the listed events, so rate must be 0"),
            );
        }
        if !g.bursts.is_empty() {
            return fail_at(
                yaml_path!["workload", "sources", i, "bursts"],
                format!("{WHY}: bursts are not used; list the events instead"),
            );
        }
        if !g.offline.is_empty() {
            return fail_at(
                yaml_path!["workload", "sources", i, "offline"],
                format!("{WHY}: offline periods are not used; give the events' sent_at instead"),
            );
        }
    }
    let n = &s.network;
    if n.latency != LatencySpec::default() {
        return fail_at(
            yaml_path!["network", "latency"],
            format!("{WHY}: give each event's attempts a delay instead of a network latency"),
        );
    }
    if n.loss != 0.0 {
        return fail_at(
            yaml_path!["network", "loss"],
            format!("{WHY}: mark lost attempts (`lost: true`) instead of a network loss"),
        );
    }
    for (i, l) in n.links.iter().enumerate() {
        if l.latency.is_some() || l.loss.is_some() {
            let field = if l.latency.is_some() {
                "latency"
            } else {
                "loss"
            };
            return fail_at(
                yaml_path!["network", "links", i, field],
                format!("{WHY}: give each event's attempts their fate instead of a link {field}"),
            );
        }
    }
    if s.processing.crash_rate.is_some() {
        return fail_at(
            yaml_path!["processing", "crash_rate"],
            format!("{WHY}: list the crashes in processing.crashes instead of a crash rate"),
        );
    }
    Ok(())
}
