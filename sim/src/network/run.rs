//! Builds the turmoil simulation (a host per source group, and either the
//! log or one ingress host for every worker), drives it step by step (applying partitions and holds between
//! hosts at their scheduled times), and turns what the hosts recorded into
//! a [`Trace`] in exact time order.

use super::config::{FaultKind, LinkParams, NetConfig, TIMEOUT_TICKS};
use super::ctx::{Ctx, Recorder};
use super::local_fault::LocalFault;
use super::names::{Endpoint, Hosts, Names};
use super::route::Topology;
use super::text::Text;
use super::{log, order, source, worker};
use crate::model::{Delivery, Event, FaultDecision, Trace, Workload};
use crate::rng;
use anyhow::{anyhow, Context, Result};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};
use tidemark_engine::ProcTime;

/// Turmoil's epoch, fixed so nothing depends on when a run happens.
const EPOCH_SECS: u64 = 1_700_000_000;

/// One start or end of a scheduled fault between turmoil hosts.
#[derive(Debug, Clone)]
struct Change {
    /// When turmoil applies it (see `schedule`).
    apply_at: i64,
    kind: FaultKind,
    start: bool,
    pairs: Vec<(String, String)>,
}

/// A fault's start or end, for `replay`'s story: recorded at its exact
/// time once the simulation reaches it.
#[derive(Debug, Clone)]
struct Record {
    at_ms: i64,
    what: String,
}

/// Turmoil applies a fault between hosts this many ticks after it starts.
/// Senders apply every fault themselves by exact arrival time, but some
/// datagrams go on the wire after the step of their arrival time: up to 5
/// ticks after it (an ack to data forwarded by the log, which was itself
/// sent by a retry decided late; see `Ctx::decide_at`). Starting late,
/// turmoil never catches one of those that was meant to arrive before the
/// fault, and what it does catch, the senders had dropped or deferred
/// anyway: it enforces the fault physically without making it inexact.
const TURMOIL_FAULT_LAG_TICKS: i64 = 6;

/// Runs the network for `workload` under `cfg` and `seed`.
///
/// The workload's events are lent to the simulation for the run (the
/// sending hosts read them off [`Ctx::events`] instead of each keeping a
/// copy of what sending needs, which was most of the network's memory) and
/// put back, unchanged, before this returns, error or not.
pub fn run(cfg: &NetConfig, workload: &mut Workload, seed: u64) -> Result<Trace> {
    let events = Rc::new(std::mem::take(&mut workload.events));
    let trace = run_lent(cfg, &workload.sources, &events, seed);
    // The simulation, its hosts and the context are gone by now, so this
    // is the last reference (the clone is only a fallback, never taken).
    workload.events = Rc::try_unwrap(events).unwrap_or_else(|shared| shared.as_ref().clone());
    trace
}

/// [`run`], with the workload's source names and its events, shared.
fn run_lent(
    cfg: &NetConfig,
    source_names: &[String],
    events: &Rc<Vec<Event>>,
    seed: u64,
) -> Result<Trace> {
    cfg.validate()?;
    let sources = u32::try_from(source_names.len()).context("too many sources")?;
    let topo = Topology::new(cfg, sources);
    let names = Names::new(source_names, &cfg.groups, topo);
    let hosts = Hosts::new(sources, &cfg.groups);
    let tick_ms = cfg.tick();
    let ctx = Rc::new(build_ctx(cfg, events, seed, topo, &names, &hosts, tick_ms)?);
    let Faults {
        changes,
        records,
        sources: mut local,
    } = schedule(cfg, &names, &hosts, topo, tick_ms)?;

    // The run must settle within `settle_ms_max` of the last send and of
    // the last fault to end within that window; a fault ending later than
    // that counts as permanent, and the run errors instead of idling on.
    let last_sent = events.iter().map(|e| e.sent_at.0).max().unwrap_or(0).max(0);
    let window_end = last_sent.saturating_add(cfg.settle_ms_max);
    let last_change = records
        .iter()
        .map(|c| c.at_ms)
        .filter(|&t| t <= window_end)
        .max()
        .unwrap_or(0);
    let horizon_ms = last_sent.max(last_change).saturating_add(cfg.settle_ms_max);
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_millis(horizon_ms as u64))
        .tick_duration(Duration::from_millis(tick_ms as u64))
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
    // bind their sockets before any source sends. Without a log, one
    // ingress host receives for every worker; with one, the network ends
    // at the log and no worker host exists.
    if topo.log_partitions.is_none() {
        let c = ctx.clone();
        sim.host(Topology::WORKERS, move || worker::run(c.clone()));
    } else {
        let c = ctx.clone();
        sim.client(Endpoint::Log.host(&hosts), log::run(c));
    }
    let mut by_host = split_by_host(events, &hosts)?;
    for (h, members) in hosts.members.iter().enumerate() {
        let spec = source::GroupSpec {
            sources: members.clone(),
            events: std::mem::take(&mut by_host[h]),
            faults: members
                .iter()
                .map(|&s| std::mem::take(&mut local[s as usize]))
                .collect(),
        };
        sim.client(Hosts::name(h as u32), source::run(ctx.clone(), spec));
    }
    drive(&mut sim, &ctx, &changes, &records, horizon_ms)?;
    drop(sim);
    finish(ctx, topo)
}

fn drive(
    sim: &mut turmoil::Sim<'_>,
    ctx: &Ctx,
    changes: &[Change],
    records: &[Record],
    horizon_ms: i64,
) -> Result<()> {
    let mut next = 0;
    let mut next_record = 0;
    let mut apply_due = |sim: &mut turmoil::Sim<'_>, now: i64| {
        while let Some(r) = records.get(next_record).filter(|r| r.at_ms <= now) {
            next_record += 1;
            ctx.fault(r.at_ms, r.what.clone());
        }
        while let Some(c) = changes.get(next).filter(|c| c.apply_at <= now) {
            next += 1;
            for (a, b) in &c.pairs {
                match (c.kind, c.start) {
                    (FaultKind::Partition, true) => sim.partition(a.as_str(), b.as_str()),
                    (FaultKind::Partition, false) => sim.repair(a.as_str(), b.as_str()),
                    (FaultKind::Hold, true) => sim.hold(a.as_str(), b.as_str()),
                    (FaultKind::Hold, false) => sim.release(a.as_str(), b.as_str()),
                }
            }
        }
    };
    loop {
        let now = sim.elapsed().as_millis() as i64;
        apply_due(sim, now);
        let finished = sim.step().map_err(|e| {
            anyhow!(
                "the network did not settle within {horizon_ms}ms of simulated time \
                 ({} events still unacknowledged or in flight): {e}; the settings \
                 responsible: network.partitions or network.holds (a fault that lasts past \
                 the end) or network.loss with network.retry.max_attempts (messages that \
                 never get through)",
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
    events: &Rc<Vec<Event>>,
    seed: u64,
    topo: Topology,
    names: &Names,
    hosts: &Hosts,
    tick_ms: i64,
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
    let links_from_source: Vec<Vec<LinkParams>> = (0..topo.sources)
        .map(|s| {
            dests
                .iter()
                .map(|&d| link(Endpoint::Source(s), d))
                .collect()
        })
        .collect();
    let loss_text = links_from_source
        .iter()
        .map(|links| links.iter().map(|l| l.loss.to_string()).collect())
        .collect();
    Ok(Ctx {
        events: events.clone(),
        seed,
        cfg: cfg.clone(),
        topo,
        links_from_source,
        loss_text,
        punctuation_interval_ms: cfg.punctuation_interval_ms,
        tick_ms,
        rec: RefCell::new(Recorder {
            // Indexed by event id; ids are dense in a generated workload,
            // but a shrunk one may have gaps.
            arrived: vec![false; id_end(events)],
            // Every event arrives about once: reserving that up front
            // spares the trace a doubling past it.
            deliveries: Vec::with_capacity(events.len()),
            sources_running: hosts.members.len() as u32,
            ..Recorder::default()
        }),
    })
}

/// One side of a fault, as the hosts see it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Side {
    /// Every source of group host `h`.
    Group(u32),
    /// Some but not all sources of a group host.
    Sources(Vec<u32>),
    /// A worker or the log.
    Peer(Endpoint),
}

fn sides(endpoints: &[Endpoint], hosts: &Hosts, topo: Topology) -> Vec<Side> {
    let mut out = Vec::new();
    for (h, members) in hosts.members.iter().enumerate() {
        let named: Vec<u32> = members
            .iter()
            .copied()
            .filter(|&s| endpoints.contains(&Endpoint::Source(s)))
            .collect();
        if named.len() == members.len() {
            out.push(Side::Group(h as u32));
        } else if !named.is_empty() {
            out.push(Side::Sources(named));
        }
    }
    for &e in endpoints {
        if !matches!(e, Endpoint::Source(_)) && exists(e, topo) {
            out.push(Side::Peer(e));
        }
    }
    out
}

/// Partitions and holds, both as each sender's own exact [`LocalFault`]s
/// and as turmoil's starts and ends between hosts.
///
/// Senders (sources, the log) apply every fault on their links by exact
/// arrival time: a datagram meant to arrive within a partition is dropped,
/// one meant to arrive within a hold is sent to arrive when it ends, and
/// acks coming back are treated alike. That is what makes faults exact
/// whatever the tick, including for datagrams put on the wire after the
/// step of their arrival time, and what applies faults naming some but not
/// all sources of a group (their host serves the others too). Faults
/// between whole hosts also go to turmoil, a few ticks late (see
/// [`TURMOIL_FAULT_LAG_TICKS`]), which enforces them on the links.
fn schedule(
    cfg: &NetConfig,
    names: &Names,
    hosts: &Hosts,
    topo: Topology,
    tick_ms: i64,
) -> Result<Faults> {
    let mut out = Vec::new();
    let mut records = Vec::new();
    let mut local: Vec<Vec<LocalFault>> = vec![Vec::new(); topo.sources as usize];
    let dest_index = |e: Endpoint| match e {
        Endpoint::Worker(w) => Some(w),
        Endpoint::Log => Some(topo.workers),
        Endpoint::Source(_) => None,
    };
    for f in &cfg.faults {
        let from = names.resolve(&f.from).context("network fault")?;
        let to = names.resolve(&f.to).context("network fault")?;
        let end = f.at_ms.saturating_add(f.for_ms);
        let mut pairs = Vec::new();
        let from = sides(&from, hosts, topo);
        let to = sides(&to, hosts, topo);
        for a in &from {
            for b in &to {
                let mut exact = |s: u32, p: &Endpoint| {
                    if let Some(dest) = dest_index(*p) {
                        local[s as usize].push(LocalFault {
                            dest,
                            kind: f.kind,
                            from: f.at_ms,
                            until: end,
                        });
                    }
                };
                match (a, b) {
                    (Side::Group(h), Side::Peer(p)) | (Side::Peer(p), Side::Group(h)) => {
                        // Only `engine` names workers, so a fault on the
                        // ingress host's link always covers every worker.
                        let pair = (Hosts::name(*h), p.host(hosts));
                        if has_host(*p, topo) && !pairs.contains(&pair) {
                            pairs.push(pair);
                        }
                        for &s in &hosts.members[*h as usize] {
                            exact(s, p);
                        }
                    }
                    (Side::Sources(s), Side::Peer(p)) | (Side::Peer(p), Side::Sources(s)) => {
                        for &s in s {
                            exact(s, p);
                        }
                    }
                    // Nothing travels between the log and the workers
                    // (consumers read the log in the processing phase), and
                    // with a log there is no worker host to cut off.
                    (Side::Peer(_), Side::Peer(_)) => {}
                    // Sources never talk to each other, nor workers.
                    _ => {}
                }
            }
        }
        let (verb, end_verb) = match f.kind {
            FaultKind::Partition => ("partition", "repaired"),
            FaultKind::Hold => ("hold", "released"),
        };
        records.push(Record {
            at_ms: f.at_ms,
            what: format!("{verb} {} -> {} until {end}", f.from, f.to),
        });
        records.push(Record {
            at_ms: end,
            what: format!("{verb} {} -> {} {end_verb}", f.from, f.to),
        });
        let apply_at = f
            .at_ms
            .saturating_add(TURMOIL_FAULT_LAG_TICKS.saturating_mul(tick_ms));
        if apply_at < end && !pairs.is_empty() {
            out.push(Change {
                apply_at,
                kind: f.kind,
                start: true,
                pairs: pairs.clone(),
            });
            out.push(Change {
                apply_at: end,
                kind: f.kind,
                start: false,
                pairs,
            });
        }
    }
    // Stable: at the same time, faults keep the scenario's order.
    out.sort_by_key(|c| c.apply_at);
    records.sort_by_key(|r| r.at_ms);
    Ok(Faults {
        changes: out,
        records,
        sources: local,
    })
}

/// Every scheduled fault, as turmoil and the hosts apply them.
struct Faults {
    /// Starts and ends between turmoil hosts, in time order.
    changes: Vec<Change>,
    /// Every start and end, in time order.
    records: Vec<Record>,
    /// Each source's faults towards its destinations.
    sources: Vec<Vec<LocalFault>>,
}

/// Whether `e` has a turmoil host of its own to partition or hold: the log,
/// and the workers' ingress when there is no log.
fn has_host(e: Endpoint, topo: Topology) -> bool {
    match e {
        Endpoint::Log => topo.log_partitions.is_some(),
        Endpoint::Worker(_) => topo.log_partitions.is_none(),
        Endpoint::Source(_) => false,
    }
}

fn exists(e: Endpoint, topo: Topology) -> bool {
    match e {
        Endpoint::Log => topo.log_partitions.is_some(),
        _ => true,
    }
}

/// Each host's events, as positions in `events` (in their order, which is
/// send order).
fn split_by_host(events: &[Event], hosts: &Hosts) -> Result<Vec<Vec<u32>>> {
    // Positions are 4 bytes; the loader's event cap is far below that.
    u32::try_from(events.len()).context("too many events for the network (more than 2^32)")?;
    // Sized exactly (held for the whole run).
    let mut sizes = vec![0usize; hosts.members.len()];
    for e in events.iter().filter(|e| e.source < hosts.sources()) {
        sizes[hosts.host_of(e.source) as usize] += 1;
    }
    let mut out: Vec<Vec<u32>> = sizes.into_iter().map(Vec::with_capacity).collect();
    for (i, e) in events.iter().enumerate() {
        // Events of sources the workload doesn't list have no host: nothing
        // would send them, and they count as undelivered.
        if e.source < hosts.sources() {
            out[hosts.host_of(e.source) as usize].push(i as u32);
        }
    }
    Ok(out)
}

fn id_end(events: &[Event]) -> usize {
    events.iter().map(|e| e.id as usize + 1).max().unwrap_or(0)
}

fn finish(ctx: Rc<Ctx>, topo: Topology) -> Result<Trace> {
    let ctx =
        Rc::try_unwrap(ctx).map_err(|_| anyhow!("a simulated host outlived the simulation"))?;
    let rec = ctx.rec.into_inner();
    debug_assert!(
        rec.late_acks == 0 || ctx.tick_ms * TIMEOUT_TICKS > ctx.cfg.retry.timeout_ms,
        "{} acks came after a retry they should have prevented (tick {}ms)",
        rec.late_acks,
        ctx.tick_ms
    );
    let mut deliveries = rec.deliveries;
    let mut faults: Vec<FaultDecision> = rec.faults;
    // No copy is marked duplicate yet, so deliveries with equal keys are
    // equal, as `order::sort` needs.
    order::sort(&mut deliveries);
    // Hosts read datagrams a step at a time, not in exact arrival order,
    // so which copy of an event came first is only known now.
    let mut seen = vec![false; rec.arrived.len()];
    for d in &mut deliveries {
        if let Delivery::Record {
            at,
            worker,
            event,
            duplicate,
            ..
        } = d
        {
            *duplicate = std::mem::replace(&mut seen[*event as usize], true);
            if *duplicate {
                faults.push(FaultDecision {
                    at: *at,
                    // "event {event} arrived again at worker-{worker} (duplicate)"
                    what: Text::new()
                        .s("event ")
                        .n(*event)
                        .s(" arrived again at worker-")
                        .n(u64::from(*worker))
                        .s(" (duplicate)")
                        .done(),
                });
            }
        }
    }
    // By time, then text: decisions taken in the same millisecond come out
    // in an order that doesn't depend on the order hosts ran in.
    faults.sort_by(|a, b| (a.at, &a.what).cmp(&(b.at, &b.what)));
    let mut undelivered: Vec<u64> = ctx
        .events
        .iter()
        .map(|e| e.id)
        .filter(|&id| !rec.arrived[id as usize])
        .collect();
    undelivered.sort_unstable();
    let last = deliveries.last().map_or(0, |d| d.at().0);
    Ok(Trace {
        deliveries,
        faults,
        undelivered,
        workers: topo.workers,
        channels: topo.channels(),
        end: ProcTime(last.max(rec.settled_max)),
    })
}
