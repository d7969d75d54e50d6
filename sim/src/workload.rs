//! The workload generator: a scenario and a seed in, every event its
//! sources produce out ([`Workload`]).
//!
//! Each source draws from its own labelled stream (`workload/{source}`), so
//! adding or removing another source, or another group, leaves its events
//! alone. Which sources of a group go offline is drawn from the group's
//! stream for that period (`workload/{group}/offline/{k}`). This module
//! knows nothing of the network: `sent_at` is when a source hands an event
//! over, not when anything receives it.

use crate::model::{Event, Workload};
use crate::rng;
use crate::scenario::script::{self, ExplicitEvent};
use crate::scenario::{Dur, Scenario, SourceGroup, ValueDist};
use rand::seq::index;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use tidemark_engine::{EventTime, ProcTime};

/// The most events one run generates. `scenario::load` refuses scenarios
/// that expect more than 20 million, so this cap is a safety net, not a
/// behaviour: a run that hits it stops generating rather than growing
/// without bound.
pub const EVENTS_MAX: usize = 25_000_000;

/// Every event of `scenario` under master seed `seed`, ordered by
/// (`sent_at`, source, sequence) and numbered densely from 0 in that order.
///
/// Precondition: `scenario` passed validation (as `scenario::load` ensures).
#[must_use]
pub fn generate(scenario: &Scenario, seed: u64) -> Workload {
    if let Some(events) = &scenario.events {
        return listed(scenario, events);
    }
    let keys = scenario.workload.keys.names();
    let key_count = u64::try_from(keys.len()).unwrap_or(u64::MAX).max(1);
    let mut sources = Vec::new();
    // Until sorted, an event's `id` holds its sequence within its source:
    // sorting the events themselves (not tuples around them) keeps one
    // copy of the workload in memory.
    let mut events: Vec<Event> = Vec::new();
    for group in &scenario.workload.sources {
        let offline = offline_periods(group, seed);
        for (i, name) in group.source_names().into_iter().enumerate() {
            let source = u32::try_from(sources.len()).unwrap_or(u32::MAX);
            let mut rng = rng::stream(seed, &format!("workload/{name}"));
            let periods: Vec<(i64, i64)> = offline
                .iter()
                .filter(|(_, chosen)| chosen.contains(&i))
                .map(|(p, _)| *p)
                .collect();
            let spec = SourceSpec {
                group,
                source,
                key_count,
                offline: &periods,
            };
            for (seq, event) in source_events(&spec, scenario.duration, &mut rng).enumerate() {
                if events.len() >= EVENTS_MAX {
                    break;
                }
                events.push(Event {
                    id: seq as u64,
                    ..event
                });
            }
            sources.push(name);
        }
    }
    events.sort_unstable_by_key(|e| (e.sent_at, e.source, e.id));
    for (id, e) in events.iter_mut().enumerate() {
        e.id = id as u64;
    }
    events.shrink_to_fit();
    Workload {
        events,
        sources,
        keys,
    }
}

/// The workload of a scenario that lists its events (`events:`): no seed.
/// Ids are positions in send order ([`script::send_order`]), so they stay
/// dense whatever ids the file gives. Names were checked at load; an
/// unknown one (impossible after `load`) falls back to index 0.
fn listed(scenario: &Scenario, events: &[ExplicitEvent]) -> Workload {
    let keys = scenario.workload.keys.names();
    let sources: Vec<String> = scenario.sources().into_iter().map(|s| s.name).collect();
    let by_name = |names: &[String]| -> std::collections::BTreeMap<String, usize> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect()
    };
    let (key_of, source_of) = (by_name(&keys), by_name(&sources));
    let index = |m: &std::collections::BTreeMap<String, usize>, name: &str| {
        m.get(name).copied().unwrap_or(0)
    };
    let events = script::send_order(events)
        .into_iter()
        .enumerate()
        .map(|(id, i)| {
            let e = &events[i];
            Event {
                id: id as u64,
                source: index(&source_of, &e.source) as u32,
                key: index(&key_of, &e.key) as u64,
                value: e.value,
                time: EventTime(e.time.ms()),
                true_time: EventTime(e.true_time.unwrap_or(e.time).ms()),
                sent_at: ProcTime(e.sent_at.ms()),
            }
        })
        .collect();
    Workload {
        events,
        sources,
        keys,
    }
}

/// For each offline spec of the group: its `[start, end)` in ms and the
/// indices (within the group) of the sources it takes offline.
fn offline_periods(group: &SourceGroup, seed: u64) -> Vec<((i64, i64), Vec<usize>)> {
    group
        .offline
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let mut rng = rng::stream(seed, &format!("workload/{}/offline/{k}", group.name));
            let size = group.count as usize;
            let amount = (o.sources.count_of(group.count) as usize).min(size);
            let mut chosen = index::sample(&mut rng, size, amount).into_vec();
            chosen.sort_unstable();
            let start = o.at.ms();
            ((start, start.saturating_add(o.for_.ms())), chosen)
        })
        .collect()
}

/// What one source needs to generate its events.
struct SourceSpec<'a> {
    group: &'a SourceGroup,
    source: u32,
    key_count: u64,
    /// Its offline periods `[start, end)`, in ms of true time.
    offline: &'a [(i64, i64)],
}

/// One source's events in true-time order (ids all 0; assigned later).
fn source_events<'a>(
    spec: &'a SourceSpec<'a>,
    duration: Dur,
    rng: &'a mut ChaCha8Rng,
) -> impl Iterator<Item = Event> + 'a {
    let segments = rate_segments(spec.group, duration);
    let mut segment = 0;
    // Arrival time in fractional ms; restarting the clock at each segment
    // boundary is exact for a Poisson process (it is memoryless).
    let mut t = segments.first().map_or(0.0, |s| s.0 as f64);
    std::iter::from_fn(move || loop {
        let &(start, end, rate_per_s) = segments.get(segment)?;
        let gap = match Exp::new(rate_per_s / 1000.0) {
            Ok(exp) if rate_per_s > 0.0 => exp.sample(rng),
            _ => f64::INFINITY,
        };
        t = t.max(start as f64) + gap;
        if t >= end as f64 {
            segment += 1;
            t = segments.get(segment).map_or(t, |s| s.0 as f64);
            continue;
        }
        return Some(event_at(spec, t.floor() as i64, rng));
    })
}

/// The event a source produces at true time `true_ms`: draws its key, then
/// its value.
fn event_at(spec: &SourceSpec<'_>, true_ms: i64, rng: &mut ChaCha8Rng) -> Event {
    let key = rng.gen_range(0..spec.key_count);
    let value = match spec.group.values {
        ValueDist::Constant(v) => v,
        ValueDist::Uniform(r) => rng.gen_range(r.min..=r.max),
    };
    Event {
        id: 0,
        source: spec.source,
        key,
        value,
        time: EventTime(on_grid(
            true_ms.saturating_add(spec.group.clock_skew.ms()),
            spec.group.time_grid.ms(),
        )),
        true_time: EventTime(true_ms),
        sent_at: ProcTime(upload_time(spec.offline, true_ms)),
    }
}

/// `t` rounded down to a multiple of `grid` (unchanged when `grid` is 0).
fn on_grid(t: i64, grid: i64) -> i64 {
    if grid <= 0 {
        t
    } else {
        t - t.rem_euclid(grid)
    }
}

/// When an event made at `true_ms` leaves the source: at once, or when the
/// source comes back from the offline period it fell in (following
/// back-to-back or overlapping periods to the last one's end).
fn upload_time(offline: &[(i64, i64)], true_ms: i64) -> i64 {
    let mut sent = true_ms;
    // Periods are few; repeat until no period covers `sent` any more. Each
    // pass moves `sent` strictly forward, so this ends within len+1 passes.
    for _ in 0..=offline.len() {
        match offline.iter().find(|(s, e)| *s <= sent && sent < *e) {
            Some((_, end)) => sent = *end,
            None => break,
        }
    }
    sent
}

/// The group's rate over `[0, duration)` as consecutive segments
/// `(start_ms, end_ms, events per second)`. Where bursts overlap, the one
/// listed last wins.
fn rate_segments(group: &SourceGroup, duration: Dur) -> Vec<(i64, i64, f64)> {
    let end = duration.ms().max(0);
    let mut cuts = vec![0, end];
    for b in &group.bursts {
        let s = b.at.ms().clamp(0, end);
        cuts.push(s);
        cuts.push(s.saturating_add(b.for_.ms()).clamp(0, end));
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|w| {
            let (s, e) = (w[0], w[1]);
            let rate = group
                .bursts
                .iter()
                .rev()
                .find(|b| b.at.ms() <= s && s < b.at.ms().saturating_add(b.for_.ms()))
                .map_or(group.rate, |b| b.rate);
            (s, e, rate)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use std::path::Path;

    const PHONES: &str = "
name: t
description: test
duration: 2m
workload:
  keys: 4
  sources:
    - name: phones
      count: 5
      rate: 2
      values: {uniform: {min: 1, max: 100}}
      clock_skew: -30s
      offline:
        - {at: 30s, for: 1h, sources: 2}
    - name: sensors
      count: 3
      rate: 1
      bursts: [{at: 1m, for: 10s, rate: 40}]
pipeline:
  window: {fixed: 1m}
  watermark: perfect
strategies: [{name: default}]
";

    fn scenario(text: &str) -> Scenario {
        parse(text, Path::new("t.yaml")).unwrap()
    }

    /// Events of one source, by name, without ids or source indices.
    fn of_source(w: &Workload, name: &str) -> Vec<(i64, i64, String, i64, i64)> {
        let Some(src) = w.sources.iter().position(|s| s == name) else {
            return Vec::new();
        };
        let mut v: Vec<_> = w
            .events
            .iter()
            .filter(|e| e.source as usize == src)
            .map(|e| {
                let key = w.keys[e.key as usize].clone();
                (e.true_time.0, e.time.0, key, e.value, e.sent_at.0)
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn same_seed_same_workload_and_different_seeds_differ() {
        let s = scenario(PHONES);
        assert_eq!(generate(&s, 7), generate(&s, 7));
        assert_ne!(generate(&s, 7).events, generate(&s, 8).events);
    }

    #[test]
    fn ids_are_dense_and_events_sorted_by_sent_at() {
        let w = generate(&scenario(PHONES), 3);
        assert!(!w.events.is_empty());
        for (i, e) in w.events.iter().enumerate() {
            assert_eq!(e.id, i as u64);
        }
        assert!(w.events.windows(2).all(|p| p[0].sent_at <= p[1].sent_at));
        assert_eq!(w.sources.len(), 8);
        assert_eq!(w.keys, ["k0", "k1", "k2", "k3"]);
    }

    #[test]
    fn events_respect_duration_skew_and_value_range() {
        let w = generate(&scenario(PHONES), 5);
        for e in &w.events {
            assert!((0..120_000).contains(&e.true_time.0), "{e:?}");
            assert!(
                (1..=100).contains(&e.value) || w.sources[e.source as usize].starts_with("sensors")
            );
            if w.sources[e.source as usize].starts_with("phones") {
                assert_eq!(e.time.0, e.true_time.0 - 30_000);
            } else {
                assert_eq!(e.time, e.true_time);
                assert_eq!(e.value, 1);
            }
        }
    }

    #[test]
    fn offline_sources_upload_when_they_return() {
        let w = generate(&scenario(PHONES), 11);
        let mut offline_sources = std::collections::BTreeSet::new();
        for e in &w.events {
            let name = &w.sources[e.source as usize];
            if e.sent_at != ProcTime(e.true_time.0) {
                assert!(name.starts_with("phones"));
                assert!(e.true_time.0 >= 30_000);
                assert_eq!(e.sent_at, ProcTime(30_000 + 3_600_000));
                offline_sources.insert(e.source);
            }
        }
        // Exactly two of the five phones went offline.
        assert_eq!(offline_sources.len(), 2);
        // The backlog comes last.
        assert_eq!(
            w.events.last().map(|e| e.sent_at),
            Some(ProcTime(3_630_000))
        );
    }

    #[test]
    fn bursts_raise_the_rate() {
        let w = generate(&scenario(PHONES), 2);
        let sensors = |from: i64, to: i64| {
            w.events
                .iter()
                .filter(|e| w.sources[e.source as usize].starts_with("sensors"))
                .filter(|e| (from..to).contains(&e.true_time.0))
                .count()
        };
        // 3 sensors × 40/s × 10s ≈ 1200 in the burst; ≈ 30 in 10s before it.
        assert!(sensors(60_000, 70_000) > 800, "{}", sensors(60_000, 70_000));
        assert!(sensors(40_000, 50_000) < 100);
    }

    #[test]
    fn removing_a_group_leaves_the_other_unchanged() {
        let both = scenario(PHONES);
        let mut only_sensors = both.clone();
        only_sensors.workload.sources.remove(0);
        let (a, b) = (generate(&both, 9), generate(&only_sensors, 9));
        for i in 0..3 {
            let name = format!("sensors-{i}");
            assert!(!of_source(&a, &name).is_empty());
            assert_eq!(of_source(&a, &name), of_source(&b, &name));
        }
    }

    #[test]
    fn upload_follows_chained_periods() {
        assert_eq!(upload_time(&[(10, 20), (15, 30)], 12), 30);
        assert_eq!(upload_time(&[(10, 20), (20, 30)], 12), 30);
        assert_eq!(upload_time(&[(10, 20)], 5), 5);
        assert_eq!(upload_time(&[(10, 20)], 20), 20);
    }
}
