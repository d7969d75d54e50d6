//! Event-level shrinking of a scenario that lists its events (`events:`):
//! delta debugging over the recorded decisions.
//!
//! Each round tries, in a fixed order, to cut whole sources, whole keys,
//! then chunks of events (halves, quarters, … single events, as in
//! Zeller's ddmin), to give every attempt the plain fate (arrives at once,
//! acknowledged at once), and to drop faults (partitions, holds, crashes,
//! checkpoints, consumer limits, retries, retention). A cut is kept when
//! the run still fails the same check of the same strategy
//! ([`Failure::signature`]); rounds repeat until none helps or the run
//! budget is spent. No randomness and no clock: the same input shrinks to
//! the same output.

use super::Search;
use crate::run::Failure;
use crate::scenario::script::ExplicitEvent;
use crate::scenario::{Dur, KeysSpec, Scenario};
use std::collections::BTreeSet;

/// Shrinks `s` (which fails as `failure`) as far as `search`'s budget allows.
pub(super) fn minimise(
    mut s: Scenario,
    mut failure: Failure,
    search: &mut Search,
) -> (Scenario, Failure) {
    loop {
        let before = search.kept();
        for pass in [cut_sources, cut_keys, cut_chunks, plain_fates, cut_faults] {
            if let Some(f) = pass(&mut s, search) {
                failure = f;
            }
        }
        if search.kept() == before || search.spent() {
            break;
        }
    }
    if let Some(f) = tidy(&mut s, search) {
        failure = f;
    }
    (s, failure)
}

fn events(s: &Scenario) -> &[ExplicitEvent] {
    s.events.as_deref().unwrap_or_default()
}

fn with_events(s: &Scenario, keep: impl Fn(usize, &ExplicitEvent) -> bool) -> Scenario {
    let mut c = s.clone();
    c.events = Some(
        events(s)
            .iter()
            .enumerate()
            .filter(|(i, e)| keep(*i, e))
            .map(|(_, e)| e.clone())
            .collect(),
    );
    c
}

/// Tries `candidate`; on a failure of the same kind, makes it current.
fn attempt(
    s: &mut Scenario,
    search: &mut Search,
    step: String,
    candidate: Scenario,
) -> Option<Failure> {
    let f = search.try_candidate(&candidate, step)?;
    *s = candidate;
    Some(f)
}

/// Every event of one source at a time.
fn cut_sources(s: &mut Scenario, search: &mut Search) -> Option<Failure> {
    let mut last = None;
    let sources: BTreeSet<String> = events(s).iter().map(|e| e.source.clone()).collect();
    for name in sources {
        if search.spent() || events(s).iter().all(|e| e.source == name) {
            continue;
        }
        let c = with_events(s, |_, e| e.source != name);
        last = attempt(s, search, format!("cut source {name}"), c).or(last);
    }
    last
}

/// Every event of one key at a time.
fn cut_keys(s: &mut Scenario, search: &mut Search) -> Option<Failure> {
    let mut last = None;
    let keys: BTreeSet<String> = events(s).iter().map(|e| e.key.clone()).collect();
    for key in keys {
        if search.spent() || events(s).iter().all(|e| e.key == key) {
            continue;
        }
        let c = with_events(s, |_, e| e.key != key);
        last = attempt(s, search, format!("cut key {key}"), c).or(last);
    }
    last
}

/// Chunks of consecutive events (in send order), halving the chunk size
/// down to one event.
fn cut_chunks(s: &mut Scenario, search: &mut Search) -> Option<Failure> {
    let mut last = None;
    let mut chunk = events(s).len() / 2;
    while chunk >= 1 && !search.spent() {
        let mut start = 0;
        while start < events(s).len() && !search.spent() {
            let end = (start + chunk).min(events(s).len());
            let ids: Vec<u64> = events(s)[start..end].iter().map(|e| e.id).collect();
            let c = with_events(s, |i, _| !(start..end).contains(&i));
            let what = match ids.as_slice() {
                [one] => format!("cut event {one}"),
                _ => format!(
                    "cut {} events ({}..={})",
                    ids.len(),
                    ids[0],
                    ids[ids.len() - 1]
                ),
            };
            match attempt(s, search, what, c) {
                // The next chunk now starts where this one did.
                Some(f) => last = Some(f),
                None => start = end,
            }
        }
        chunk /= 2;
    }
    last
}

/// Plain fates: all at once, then event by event, then attempt by attempt.
fn plain_fates(s: &mut Scenario, search: &mut Search) -> Option<Failure> {
    let with_fates = |s: &Scenario| -> Vec<usize> {
        events(s)
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.attempts.is_empty())
            .map(|(i, _)| i)
            .collect()
    };
    let mut last = None;
    let all = with_fates(s);
    if all.is_empty() {
        return None;
    }
    let mut c = s.clone();
    c.events
        .iter_mut()
        .flatten()
        .for_each(|e| e.attempts.clear());
    if let Some(f) = attempt(s, search, "every message arrives at once".into(), c) {
        return Some(f);
    }
    for i in all {
        if search.spent() {
            break;
        }
        let mut c = s.clone();
        let Some(e) = c.events.as_mut().and_then(|v| v.get_mut(i)) else {
            continue;
        };
        e.attempts.clear();
        let id = e.id;
        if let Some(f) = attempt(s, search, format!("event {id} arrives at once"), c) {
            last = Some(f);
            continue;
        }
        for j in 0..events(s)[i].attempts.len() {
            if search.spent() || events(s)[i].attempts[j].is_default() {
                continue;
            }
            let mut c = s.clone();
            if let Some(a) = c
                .events
                .as_mut()
                .and_then(|v| v.get_mut(i))
                .and_then(|e| e.attempts.get_mut(j))
            {
                *a = Default::default();
            }
            last = attempt(
                s,
                search,
                format!("event {id} attempt {j} arrives at once"),
                c,
            )
            .or(last);
        }
    }
    last
}

/// Faults and consumer limits, one at a time.
fn cut_faults(s: &mut Scenario, search: &mut Search) -> Option<Failure> {
    let mut last = None;
    let mut one =
        |s: &mut Scenario, search: &mut Search, what: String, f: &dyn Fn(&mut Scenario)| {
            if search.spent() {
                return;
            }
            let mut c = s.clone();
            f(&mut c);
            if c != *s {
                last = attempt(s, search, what, c).or(last.take());
            }
        };
    for i in (0..s.network.partitions.len()).rev() {
        one(s, search, format!("removed partition {i}"), &|c| {
            c.network.partitions.remove(i);
        });
    }
    for i in (0..s.network.holds.len()).rev() {
        one(s, search, format!("removed hold {i}"), &|c| {
            c.network.holds.remove(i);
        });
    }
    for i in (0..s.processing.crashes.len()).rev() {
        one(s, search, format!("removed crash {i}"), &|c| {
            c.processing.crashes.remove(i);
        });
    }
    for k in 0..s.strategies.len() {
        let n = s.strategies[k].crashes.as_ref().map_or(0, Vec::len);
        for i in (0..n).rev() {
            one(
                s,
                search,
                format!("removed crash {i} of strategy {k}"),
                &|c| {
                    if let Some(v) = c.strategies[k].crashes.as_mut() {
                        v.remove(i);
                    }
                },
            );
        }
    }
    one(s, search, "no checkpoints".into(), &|c| {
        c.processing.checkpoints = None
    });
    one(s, search, "unlimited service rate".into(), &|c| {
        c.processing.service_rate = None
    });
    one(s, search, "unbounded inbox".into(), &|c| {
        c.processing.inbox = None
    });
    one(s, search, "no fetch latency".into(), &|c| {
        c.processing.fetch_latency = Dur::ZERO
    });
    one(s, search, "log keeps everything".into(), &|c| {
        c.log = Default::default()
    });
    one(s, search, "no retries".into(), &|c| c.network.retry = None);
    last
}

/// Cosmetic cuts that leave every index in place: keys past the last one
/// used (keys route by index), and sources past the last one used in the
/// last group (sources are channels by index, so no other group's may
/// move). Checked like any other cut.
fn tidy(s: &mut Scenario, search: &mut Search) -> Option<Failure> {
    let mut c = s.clone();
    let names = s.workload.keys.names();
    let used: BTreeSet<&String> = events(s).iter().map(|e| &e.key).collect();
    let keep = names
        .iter()
        .rposition(|k| used.contains(k))
        .map_or(1, |i| i + 1);
    c.workload.keys = match &s.workload.keys {
        KeysSpec::Count(n) => KeysSpec::Count((keep as u32).min(*n)),
        KeysSpec::Names(n) => KeysSpec::Names(n[..keep.min(n.len())].to_vec()),
    };
    let sources: BTreeSet<&String> = events(s).iter().map(|e| &e.source).collect();
    if let Some(g) = c.workload.sources.last_mut() {
        let keep = g
            .source_names()
            .iter()
            .rposition(|n| sources.contains(n))
            .map_or(1, |i| i + 1);
        // A group of one source is named without a suffix: keep two or more.
        if keep > 1 && (keep as u32) < g.count {
            g.count = keep as u32;
        }
    }
    if c == *s {
        return None;
    }
    attempt(s, search, "dropped unused keys and sources".into(), c)
}
