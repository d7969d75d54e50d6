//! A seeded run's decisions, written down as a scenario that lists them
//! (`events:`): every event the sources generated, the fate of every
//! attempt the network made to send each, and every crash the processing
//! phase drew. Replayed, it gives the same trace and the same runs under
//! any seed, and each decision can then be cut on its own.

use crate::model::Workload;
use crate::network::{self, Fate, FateLog, NetConfig};
use crate::scenario::script::{AttemptFate, ExplicitEvent};
use crate::scenario::{CrashSpec, Dur, LatencySpec, Scenario, ValueDist};
use crate::workers::Processing;
use anyhow::Context;

/// `s` at `seed`, with its events, fates and crashes written out.
pub fn explicit(s: &Scenario, seed: u64) -> anyhow::Result<Scenario> {
    let mut workload = crate::workload::generate(s, seed);
    let mut cfg = NetConfig::from_scenario(s);
    let log = FateLog::default();
    cfg.fate_log = Some(log.clone());
    let trace = network::deliver_with(&cfg, &mut workload, seed)
        .with_context(|| format!("recording the network of seed {seed}"))?;
    let fates = log.take();
    let mut out = s.clone();
    out.events = Some(events(&workload, &fates));
    for g in &mut out.workload.sources {
        // Generation settings: the listed events already carry their effect.
        g.rate = 0.0;
        g.bursts.clear();
        g.offline.clear();
        g.values = ValueDist::default();
        g.clock_skew = Dur::ZERO;
        g.time_grid = Dur::ZERO;
    }
    out.network.latency = LatencySpec::default();
    out.network.loss = 0.0;
    for l in &mut out.network.links {
        l.latency = None;
        l.loss = None;
    }
    // A link override with nothing left overrides nothing.
    out.network.links.clear();
    if s.processing.crash_rate.is_some() {
        // The crashes a strategy without its own meets: the fixed ones and
        // those drawn from the rate, over the same horizon the run used.
        let mut shared = s.strategies.first().cloned().context("no strategy")?;
        shared.crashes = None;
        let p = Processing::from_scenario(s, &shared, seed, trace.end.0.max(1));
        out.processing.crashes = p
            .crashes
            .iter()
            .map(|c| CrashSpec {
                at: Dur(c.at),
                worker: c.worker,
                restart: Dur(c.restart_ms),
                lose_last_checkpoint: c.lose_last_checkpoint,
            })
            .collect();
        out.processing.crash_rate = None;
    }
    Ok(out)
}

/// The workload's events with the fates recorded for them.
fn events(workload: &Workload, fates: &[(u64, u32, Fate)]) -> Vec<ExplicitEvent> {
    let mut attempts: Vec<Vec<AttemptFate>> = vec![Vec::new(); workload.events.len()];
    for &(id, attempt, f) in fates {
        let Some(list) = usize::try_from(id).ok().and_then(|i| attempts.get_mut(i)) else {
            continue;
        };
        let a = attempt as usize;
        if list.len() <= a {
            list.resize(a + 1, AttemptFate::default());
        }
        list[a] = AttemptFate {
            lost: f.lost,
            // A lost message's delay and a lost ack's delay mean nothing.
            delay: Dur(if f.lost { 0 } else { f.latency_ms }),
            ack_lost: !f.lost && f.ack_lost,
            ack_delay: Dur(if f.lost || f.ack_lost {
                0
            } else {
                f.ack_latency_ms
            }),
        };
    }
    workload
        .events
        .iter()
        .map(|e| {
            let mut a = std::mem::take(&mut attempts[e.id as usize]);
            while a.last().is_some_and(AttemptFate::is_default) {
                a.pop();
            }
            ExplicitEvent {
                id: e.id,
                source: workload.sources[e.source as usize].clone(),
                key: workload.keys[e.key as usize].clone(),
                value: e.value,
                time: Dur(e.time.0),
                true_time: (e.true_time != e.time).then_some(Dur(e.true_time.0)),
                sent_at: Dur(e.sent_at.0),
                attempts: a,
            }
        })
        .collect()
}
