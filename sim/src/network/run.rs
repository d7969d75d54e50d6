//! Builds the turmoil simulation, drives it step by step (applying
//! partitions and holds at their scheduled times), and turns what the hosts
//! recorded into a [`Trace`].

use super::config::{FaultKind, LinkParams, NetConfig};
use super::ctx::{Ctx, Recorder};
use super::names::{Endpoint, Names};
use super::route::Topology;
use super::{log, source, worker};
use crate::model::{Event, FaultDecision, Trace, Workload};
use crate::rng;
use anyhow::{anyhow, Context, Result};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};
use tidemark_engine::ProcTime;

/// Turmoil's epoch, fixed so nothing depends on when a run happens.
const EPOCH_SECS: u64 = 1_700_000_000;

/// One start or end of a scheduled fault.
#[derive(Debug, Clone)]
struct Change {
    at_ms: i64,
    kind: FaultKind,
    start: bool,
    pairs: Vec<(String, String)>,
    what: String,
}

/// Runs the network for `workload` under `cfg` and `seed`.
pub fn run(cfg: &NetConfig, workload: &Workload, seed: u64) -> Result<Trace> {
    cfg.validate()?;
    let sources = u32::try_from(workload.sources.len()).context("too many sources")?;
    let topo = Topology::new(cfg, sources);
    let names = Names::new(&workload.sources, &cfg.groups, topo);
    let ctx = Rc::new(build_ctx(cfg, workload, seed, topo, &names)?);
    let changes = schedule(cfg, &names, topo)?;

    // The run must settle within `settle_ms_max` of the last send and of
    // the last fault to end within that window; a fault ending later than
    // that counts as permanent, and the run errors instead of idling on.
    let last_sent = workload
        .events
        .iter()
        .map(|e| e.sent_at.0)
        .max()
        .unwrap_or(0)
        .max(0);
    let window_end = last_sent.saturating_add(cfg.settle_ms_max);
    let last_change = changes
        .iter()
        .map(|c| c.at_ms)
        .filter(|&t| t <= window_end)
        .max()
        .unwrap_or(0);
    let horizon_ms = last_sent.max(last_change).saturating_add(cfg.settle_ms_max);
    let tick = Duration::from_millis(cfg.tick_ms as u64);
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_millis(horizon_ms as u64))
        .tick_duration(tick)
        .epoch(UNIX_EPOCH + Duration::from_secs(EPOCH_SECS))
        // Latency and loss are decided per message by the hosts; turmoil's
        // own links stay instant and lossless.
        .min_message_latency(Duration::ZERO)
        .max_message_latency(Duration::ZERO)
        // Bursts (a phone uploading an hour of events) must not overflow
        // the receive queue, which would drop datagrams outside any fate.
        .udp_capacity(1 << 22)
        .rng_seed(rng::sub_seed(seed, "turmoil"))
        .build();

    // Receivers first: turmoil ticks hosts in registration order, so they
    // bind their sockets before any source sends.
    for w in 0..topo.workers {
        let c = ctx.clone();
        sim.host(Endpoint::Worker(w).host(), move || {
            worker::run(c.clone(), w)
        });
    }
    if topo.log_partitions.is_some() {
        let c = ctx.clone();
        sim.client(Endpoint::Log.host(), log::run(c));
    }
    for (s, events) in split_by_source(workload, sources).into_iter().enumerate() {
        let s = s as u32;
        sim.client(
            Endpoint::Source(s).host(),
            source::run(ctx.clone(), s, events),
        );
    }
    drive(&mut sim, &ctx, &changes, horizon_ms)?;
    let end = sim.elapsed().as_millis() as i64;
    drop(sim);
    finish(ctx, workload, topo, end)
}

fn drive(sim: &mut turmoil::Sim<'_>, ctx: &Ctx, changes: &[Change], horizon_ms: i64) -> Result<()> {
    let mut next = 0;
    let mut apply_due = |sim: &mut turmoil::Sim<'_>, now: i64| {
        while let Some(c) = changes.get(next).filter(|c| c.at_ms <= now) {
            next += 1;
            for (a, b) in &c.pairs {
                match (c.kind, c.start) {
                    (FaultKind::Partition, true) => sim.partition(a.as_str(), b.as_str()),
                    (FaultKind::Partition, false) => sim.repair(a.as_str(), b.as_str()),
                    (FaultKind::Hold, true) => sim.hold(a.as_str(), b.as_str()),
                    (FaultKind::Hold, false) => sim.release(a.as_str(), b.as_str()),
                }
            }
            ctx.fault(c.at_ms, c.what.clone());
        }
    };
    loop {
        let now = sim.elapsed().as_millis() as i64;
        apply_due(sim, now);
        let finished = sim.step().map_err(|e| {
            anyhow!(
                "the network did not settle within {horizon_ms}ms of simulated time \
                 ({} events still unacknowledged or in flight): {e}",
                unsettled(ctx)
            )
        })?;
        if finished {
            break;
        }
    }
    // Every sender is done; duplicates may still sit on a link. Step until
    // the links are empty, then once more so the last ones are received.
    loop {
        let now = sim.elapsed().as_millis() as i64;
        apply_due(sim, now);
        let mut in_flight = 0usize;
        sim.links(|links| {
            for link in links {
                in_flight += link.count();
            }
        });
        sim.step()
            .map_err(|e| anyhow!("draining the network: {e}"))?;
        if in_flight == 0 || now > horizon_ms {
            return Ok(());
        }
    }
}

fn unsettled(ctx: &Ctx) -> usize {
    ctx.rec.borrow().arrived.iter().filter(|a| !**a).count()
}

fn build_ctx(
    cfg: &NetConfig,
    workload: &Workload,
    seed: u64,
    topo: Topology,
    names: &Names,
) -> Result<Ctx> {
    let mut dests: Vec<Endpoint> = (0..topo.workers).map(Endpoint::Worker).collect();
    if topo.log_partitions.is_some() {
        dests.push(Endpoint::Log);
    }
    let resolved: Vec<(Vec<Endpoint>, Vec<Endpoint>, usize)> = cfg
        .links
        .iter()
        .enumerate()
        .map(|(i, o)| Ok((names.resolve(&o.from)?, names.resolve(&o.to)?, i)))
        .collect::<Result<_>>()
        .context("network links")?;
    let link = |from: Endpoint, to: Endpoint| -> LinkParams {
        let hit = resolved
            .iter()
            .find(|(f, t, _)| f.contains(&from) && t.contains(&to));
        let mut p = cfg.default_link;
        if let Some(&(_, _, i)) = hit {
            p.latency = cfg.links[i].latency.unwrap_or(p.latency);
            p.loss = cfg.links[i].loss.unwrap_or(p.loss);
        }
        p
    };
    let links_from_source = (0..topo.sources)
        .map(|s| {
            dests
                .iter()
                .map(|&d| link(Endpoint::Source(s), d))
                .collect()
        })
        .collect();
    let links_from_log = (0..topo.workers)
        .map(|w| link(Endpoint::Log, Endpoint::Worker(w)))
        .collect();
    Ok(Ctx {
        seed,
        cfg: cfg.clone(),
        topo,
        links_from_source,
        links_from_log,
        punctuation_interval_ms: cfg.punctuation_interval_ms,
        rec: RefCell::new(Recorder {
            // Indexed by event id; ids are dense in a generated workload,
            // but a shrunk one may have gaps.
            arrived: vec![false; id_end(workload)],
            sources_running: topo.sources,
            ..Recorder::default()
        }),
    })
}

/// Partitions and holds as a time-ordered list of starts and ends.
fn schedule(cfg: &NetConfig, names: &Names, topo: Topology) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    for f in &cfg.faults {
        let from = names.resolve(&f.from).context("network fault")?;
        let to = names.resolve(&f.to).context("network fault")?;
        let mut pairs = Vec::new();
        for &a in &from {
            for &b in &to {
                if a != b && exists(a, topo) && exists(b, topo) {
                    pairs.push((a.host(), b.host()));
                }
            }
        }
        let (verb, end_verb) = match f.kind {
            FaultKind::Partition => ("partition", "repaired"),
            FaultKind::Hold => ("hold", "released"),
        };
        let end = f.at_ms.saturating_add(f.for_ms);
        out.push(Change {
            at_ms: f.at_ms,
            kind: f.kind,
            start: true,
            pairs: pairs.clone(),
            what: format!("{verb} {} -> {} until {end}", f.from, f.to),
        });
        out.push(Change {
            at_ms: end,
            kind: f.kind,
            start: false,
            pairs,
            what: format!("{verb} {} -> {} {end_verb}", f.from, f.to),
        });
    }
    // Stable: at the same time, faults keep the scenario's order.
    out.sort_by_key(|c| c.at_ms);
    Ok(out)
}

fn exists(e: Endpoint, topo: Topology) -> bool {
    match e {
        Endpoint::Log => topo.log_partitions.is_some(),
        _ => true,
    }
}

fn split_by_source(workload: &Workload, sources: u32) -> Vec<Vec<Event>> {
    let mut out = vec![Vec::new(); sources as usize];
    for e in &workload.events {
        if let Some(v) = out.get_mut(e.source as usize) {
            v.push(*e);
        }
    }
    out
}

fn id_end(workload: &Workload) -> usize {
    workload
        .events
        .iter()
        .map(|e| e.id as usize + 1)
        .max()
        .unwrap_or(0)
}

fn finish(ctx: Rc<Ctx>, workload: &Workload, topo: Topology, end: i64) -> Result<Trace> {
    let ctx =
        Rc::try_unwrap(ctx).map_err(|_| anyhow!("a simulated host outlived the simulation"))?;
    let rec = ctx.rec.into_inner();
    let mut faults: Vec<FaultDecision> = rec.faults;
    faults.sort_by_key(|f| f.at);
    let mut undelivered: Vec<u64> = workload
        .events
        .iter()
        .map(|e| e.id)
        .filter(|&id| !rec.arrived[id as usize])
        .collect();
    undelivered.sort_unstable();
    Ok(Trace {
        deliveries: rec.deliveries,
        faults,
        undelivered,
        workers: topo.workers,
        channels: topo.channels(),
        end: ProcTime(end),
    })
}
