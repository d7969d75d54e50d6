//! The durable log host between sources and workers (Kafka-like): it
//! appends every copy it receives (a retried send appends a duplicate, as
//! a non-idempotent producer would), acknowledges the source, and forwards
//! each entry to the worker reading its partition, retrying until that
//! worker acknowledges: once appended, an entry is never lost.
//!
//! Punctuated strategy: a partition's watermark is the least of the latest
//! punctuations of all sources, forwarded on the same interval.
//!
//! Times are exact as at the sources (see `source`): an entry is appended
//! when its datagram was meant to arrive, forwarded from then, and a
//! forward's timeout is decided a couple of ticks late so that every ack
//! due by it has been read.

use super::ctx::{self, now_ms, Ctx, PORT};
use super::fate::FateDrawer;
use super::local_fault::{self, LocalFault};
use super::route::Topology;
use super::timers::Timers;
use super::wire::{Msg, Stamped, LEN};
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    /// Put a datagram on the wire (it is due to arrive within this step).
    Send { to: SocketAddr, bytes: [u8; LEN] },
    /// Decide whether attempt `attempt` of forwarding `entry`, whose ack
    /// was due by `due`, was answered.
    Timeout { entry: u32, attempt: u32, due: i64 },
    /// Send the partitions' watermarks at `at`.
    Punctuate { at: i64 },
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    event: u64,
    time: i64,
    partition: u32,
    copy: u32,
    attempt: u32,
    /// When the current attempt started.
    started_at: i64,
    /// The earliest exact time its worker's ack arrived, `i64::MAX` before.
    acked_at: i64,
    acked: bool,
}

struct Log {
    ctx: Rc<Ctx>,
    entries: Vec<Entry>,
    copies: FxHashMap<u64, u32>,
    unacked: usize,
    sends_pending: usize,
    /// Unacknowledged entries per partition, by (event time, index): a
    /// partition's watermark must not pass what it has yet to deliver.
    pending: Vec<BTreeSet<(i64, u32)>>,
    /// Latest punctuation per source; `i64::MIN` before the first.
    source_marks: Vec<i64>,
    punct_seq: u64,
    timers: Timers<Action>,
    fates: FateDrawer,
    workers: Vec<SocketAddr>,
    /// Partitions and holds between the log and the workers, by exact time.
    faults: Vec<LocalFault>,
}

/// Runs the log until every source has finished and every entry has
/// reached its worker.
pub async fn run(ctx: Rc<Ctx>, faults: Vec<LocalFault>) -> turmoil::Result {
    let sock = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    let workers = (0..ctx.topo.workers)
        .map(|w| ctx::addr(&Topology::worker_name(w)))
        .collect();
    let mut log = Log {
        source_marks: vec![i64::MIN; ctx.topo.sources as usize],
        pending: vec![BTreeSet::new(); ctx.topo.channels() as usize],
        ctx,
        entries: Vec::new(),
        copies: FxHashMap::default(),
        unacked: 0,
        sends_pending: 0,
        punct_seq: 0,
        timers: Timers::default(),
        fates: FateDrawer::default(),
        workers,
        faults,
    };
    if let Some(i) = log.ctx.punctuation_interval_ms {
        log.timers
            .at(log.ctx.step_of(i), Action::Punctuate { at: i });
    }
    let mut buf = [0u8; 64];
    loop {
        let now = now_ms();
        let step = log.ctx.step_of(now);
        while let Ok((n, from)) = sock.try_recv_from(&mut buf) {
            if let Some(d) = Msg::decode(&buf[..n]) {
                log.on_msg(&d, now, from);
            }
        }
        log.advance(step, &sock)?;
        let sources_done = log.ctx.rec.borrow().sources_running == 0;
        if sources_done && log.unacked == 0 && log.sends_pending == 0 && !log.deciding() {
            if log.ctx.punctuation_interval_ms.is_some() {
                // The final watermarks go out now, without latency, so
                // they leave before the log stops.
                log.punctuate(step, step, &sock)?;
            }
            return Ok(());
        }
        // Sources that finish without sending anything (no events) wake
        // nobody: with nothing queued, look again next tick until they are
        // all done, instead of waiting on the socket until the horizon
        // (found by the fuzz: a log with zero events never settled).
        let next = log
            .timers
            .next()
            .or_else(|| (!sources_done).then_some(now + 1));
        ctx::wait(&sock, ctx::wake_in(now, next)).await?;
    }
}

impl Log {
    /// Whether a pending timeout can still start a retry.
    fn deciding(&self) -> bool {
        self.timers.iter().any(|a| match *a {
            Action::Timeout {
                entry,
                attempt,
                due,
            } => {
                let e = &self.entries[entry as usize];
                e.attempt == attempt && e.acked_at > due
            }
            _ => false,
        })
    }

    /// Queues `msg` to arrive at `deliver_at`: it goes on the wire in the
    /// step containing that time (now, if that step has passed).
    fn send_at(&mut self, deliver_at: i64, to: SocketAddr, msg: Msg) {
        self.sends_pending += 1;
        self.timers.at(
            self.ctx.step_of(deliver_at),
            Action::Send {
                to,
                bytes: msg.encode(deliver_at),
            },
        );
    }

    /// Handles datagram `d` from `from`, read at `now`.
    fn on_msg(&mut self, d: &Stamped, now: i64, from: SocketAddr) {
        // Sources apply their links' faults themselves; acks from a worker
        // meet the log's, by the time they were meant to arrive.
        let worker = self.workers.iter().position(|&w| w == from);
        let exact = match worker {
            Some(w) if !self.faults.is_empty() => {
                match local_fault::pass(&self.faults, w as u32, d.deliver_at) {
                    Some(t) => t,
                    None => return,
                }
            }
            _ => d.deliver_at,
        };
        let now = self.ctx.arrival(d, exact, now);
        match d.msg {
            Msg::Data {
                tag,
                event,
                attempt,
                channel,
                ack_lost,
                ack_latency_ms,
                time,
            } => {
                self.append(now, event, time, channel);
                if ack_lost {
                    self.ctx.fault(
                        now,
                        format!("ack of event {event} attempt {attempt} to the log lost"),
                    );
                } else {
                    self.send_at(now + i64::from(ack_latency_ms), from, Msg::Ack { tag });
                }
            }
            Msg::Ack { tag } => {
                if let Some(e) = self.entries.get_mut(tag as usize) {
                    if e.attempt > 0 && now <= e.started_at {
                        // See `source::on_ack`: impossible with a fitting tick.
                        self.ctx.rec.borrow_mut().late_acks += 1;
                    }
                    e.acked_at = e.acked_at.min(now);
                    if !e.acked {
                        e.acked = true;
                        self.unacked -= 1;
                        if let Some(p) = self.pending.get_mut(e.partition as usize) {
                            p.remove(&(e.time, tag as u32));
                        }
                        self.ctx.settled(now);
                    }
                }
            }
            Msg::Punctuation { channel, watermark } => {
                if let Some(m) = self.source_marks.get_mut(channel as usize) {
                    *m = (*m).max(watermark);
                }
            }
        }
    }

    fn append(&mut self, now: i64, event: u64, time: i64, partition: u32) {
        let Some(pending) = self.pending.get_mut(partition as usize) else {
            // Not a partition of this log: nothing sends these.
            return;
        };
        pending.insert((time, self.entries.len() as u32));
        let copy = self.copies.entry(event).or_insert(0);
        let entry = Entry {
            event,
            time,
            partition,
            copy: *copy,
            attempt: 0,
            started_at: now,
            acked_at: i64::MAX,
            acked: false,
        };
        *copy += 1;
        self.entries.push(entry);
        self.unacked += 1;
        self.forward(now, (self.entries.len() - 1) as u32);
    }

    /// Starts the current attempt of forwarding `entry` to its worker at
    /// exact time `now`.
    fn forward(&mut self, now: i64, index: u32) {
        self.entries[index as usize].started_at = now;
        let e = self.entries[index as usize];
        let worker = self.ctx.topo.worker_of_partition(e.partition);
        let link = &self.ctx.links_from_log[worker as usize];
        let fate = self.fates.draw(
            self.ctx.seed,
            format_args!("net/log/{}/{}/{}", e.event, e.copy, e.attempt),
            link,
            self.ctx.cfg.latency_ms_max,
        );
        if fate.lost {
            self.ctx.fault(
                now,
                format!(
                    "log entry of event {} (copy {}) attempt {} lost (loss {})",
                    e.event, e.copy, e.attempt, link.loss
                ),
            );
        } else {
            let msg = Msg::Data {
                tag: u64::from(index),
                event: e.event,
                attempt: e.attempt,
                channel: e.partition,
                ack_lost: fate.ack_lost,
                ack_latency_ms: u32::try_from(fate.ack_latency_ms).unwrap_or(u32::MAX),
                time: e.time,
            };
            if let Some(at) = local_fault::pass(&self.faults, worker, now + fate.latency_ms) {
                self.send_at(at, self.workers[worker as usize], msg);
            }
        }
        let due = now + self.ctx.cfg.retry.timeout_ms;
        self.timers.at(
            self.ctx.decide_at(due),
            Action::Timeout {
                entry: index,
                attempt: e.attempt,
                due,
            },
        );
    }

    /// Handles everything due within the step starting at `step`.
    fn advance(&mut self, step: i64, sock: &turmoil::net::UdpSocket) -> std::io::Result<()> {
        while let Some(action) = self.timers.pop_due(step) {
            match action {
                Action::Send { to, bytes } => {
                    self.sends_pending -= 1;
                    ctx::send_bytes(sock, bytes, step, to)?;
                }
                Action::Timeout {
                    entry,
                    attempt,
                    due,
                } => {
                    let e = &mut self.entries[entry as usize];
                    if e.acked_at > due && e.attempt == attempt {
                        // A durable log never gives up on an appended entry.
                        e.attempt += 1;
                        self.forward(due, entry);
                    }
                }
                Action::Punctuate { at } => {
                    self.punctuate(at, step, sock)?;
                    if let Some(i) = self.ctx.punctuation_interval_ms {
                        let next = at + i;
                        self.timers
                            .at(self.ctx.step_of(next), Action::Punctuate { at: next });
                    }
                }
            }
        }
        Ok(())
    }

    /// Forwards each partition's watermark (least over sources' marks and
    /// its own undelivered entries) to its worker, fire and forget and
    /// without latency: meant to arrive at `at`, put on the wire in the
    /// current step, `step`.
    fn punctuate(
        &mut self,
        at: i64,
        step: i64,
        sock: &turmoil::net::UdpSocket,
    ) -> std::io::Result<()> {
        let sources = self.source_marks.iter().copied().min().unwrap_or(i64::MIN);
        let seq = self.punct_seq;
        self.punct_seq += 1;
        for partition in 0..self.ctx.topo.channels() {
            let worker = self.ctx.topo.worker_of_partition(partition);
            let link = &self.ctx.links_from_log[worker as usize];
            let fate = self.fates.draw(
                self.ctx.seed,
                format_args!("net/logpunct/{partition}/{seq}"),
                link,
                self.ctx.cfg.latency_ms_max,
            );
            if fate.lost {
                continue;
            }
            let held = self.pending[partition as usize].first().map(|&(t, _)| t);
            let msg = Msg::Punctuation {
                channel: partition,
                watermark: held.map_or(sources, |t| t.min(sources)),
            };
            // Sent now even when held, stamped with the hold's end: the
            // final one must leave before the log stops.
            if let Some(t) = local_fault::pass(&self.faults, worker, at) {
                ctx::send_bytes(sock, msg.encode(t), step, self.workers[worker as usize])?;
            }
        }
        Ok(())
    }
}
