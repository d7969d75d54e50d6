//! The durable log host between sources and workers (Kafka-like): it
//! appends every copy it receives (a retried send appends a duplicate, as
//! a non-idempotent producer would), acknowledges the source, and forwards
//! each entry to the worker reading its partition, retrying until that
//! worker acknowledges: once appended, an entry is never lost.
//!
//! Punctuated strategy: a partition's watermark is the least of the latest
//! punctuations of all sources, forwarded on the same interval.

use super::ctx::{self, now_ms, Ctx, PORT};
use super::fate::FateDrawer;
use super::route::Topology;
use super::timers::Timers;
use super::wire::{Msg, LEN};
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Send { to: SocketAddr, bytes: [u8; LEN] },
    Timeout { entry: u32, attempt: u32 },
    Punctuate,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    event: u64,
    time: i64,
    partition: u32,
    copy: u32,
    attempt: u32,
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
}

/// Runs the log until every source has finished and every entry has
/// reached its worker.
pub async fn run(ctx: Rc<Ctx>) -> turmoil::Result {
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
    };
    if let Some(i) = log.ctx.punctuation_interval_ms {
        log.timers.at(i, Action::Punctuate);
    }
    let mut buf = [0u8; 64];
    loop {
        let now = now_ms();
        while let Ok((n, from)) = sock.try_recv_from(&mut buf) {
            if let Some(msg) = Msg::decode(&buf[..n]) {
                log.on_msg(now, msg, from, &sock)?;
            }
        }
        log.advance(now, &sock)?;
        let sources_done = log.ctx.rec.borrow().sources_running == 0;
        if sources_done && log.unacked == 0 && log.sends_pending == 0 {
            if log.ctx.punctuation_interval_ms.is_some() {
                log.punctuate(&sock)?;
            }
            return Ok(());
        }
        ctx::wait(&sock, ctx::wake_in(now, log.timers.next())).await?;
    }
}

impl Log {
    fn on_msg(
        &mut self,
        now: i64,
        msg: Msg,
        from: SocketAddr,
        sock: &turmoil::net::UdpSocket,
    ) -> std::io::Result<()> {
        match msg {
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
                let ack = Msg::Ack { tag };
                if ack_lost {
                    self.ctx.fault(
                        now,
                        format!("ack of event {event} attempt {attempt} to the log lost"),
                    );
                } else if ack_latency_ms == 0 {
                    ctx::send(sock, &ack, from)?;
                } else {
                    self.sends_pending += 1;
                    self.timers.at(
                        now + i64::from(ack_latency_ms),
                        Action::Send {
                            to: from,
                            bytes: ack.encode(),
                        },
                    );
                }
            }
            Msg::Ack { tag } => {
                if let Some(e) = self.entries.get_mut(tag as usize) {
                    if !e.acked {
                        e.acked = true;
                        self.unacked -= 1;
                        if let Some(p) = self.pending.get_mut(e.partition as usize) {
                            p.remove(&(e.time, tag as u32));
                        }
                    }
                }
            }
            Msg::Punctuation { channel, watermark } => {
                if let Some(m) = self.source_marks.get_mut(channel as usize) {
                    *m = (*m).max(watermark);
                }
            }
        }
        Ok(())
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
            acked: false,
        };
        *copy += 1;
        self.entries.push(entry);
        self.unacked += 1;
        self.forward(now, (self.entries.len() - 1) as u32);
    }

    /// Starts the current attempt of forwarding `entry` to its worker.
    fn forward(&mut self, now: i64, index: u32) {
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
            self.sends_pending += 1;
            self.timers.at(
                now + fate.latency_ms,
                Action::Send {
                    to: self.workers[worker as usize],
                    bytes: msg.encode(),
                },
            );
        }
        let timeout = self.ctx.cfg.retry.timeout_ms;
        self.timers.at(
            now + timeout,
            Action::Timeout {
                entry: index,
                attempt: e.attempt,
            },
        );
    }

    fn advance(&mut self, now: i64, sock: &turmoil::net::UdpSocket) -> std::io::Result<()> {
        while let Some(action) = self.timers.pop_due(now) {
            match action {
                Action::Send { to, bytes } => {
                    self.sends_pending -= 1;
                    ctx::send_bytes(sock, &bytes, to)?;
                }
                Action::Timeout { entry, attempt } => {
                    let e = &mut self.entries[entry as usize];
                    if !e.acked && e.attempt == attempt {
                        // A durable log never gives up on an appended entry.
                        e.attempt += 1;
                        self.forward(now, entry);
                    }
                }
                Action::Punctuate => {
                    self.punctuate(sock)?;
                    if let Some(i) = self.ctx.punctuation_interval_ms {
                        self.timers.at(now + i, Action::Punctuate);
                    }
                }
            }
        }
        Ok(())
    }

    /// Forwards each partition's watermark (least over sources' marks and
    /// its own undelivered entries) to its worker, fire and forget and
    /// without latency, so the final one goes out before the log stops.
    fn punctuate(&mut self, sock: &turmoil::net::UdpSocket) -> std::io::Result<()> {
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
            ctx::send(sock, &msg, self.workers[worker as usize])?;
        }
        Ok(())
    }
}
