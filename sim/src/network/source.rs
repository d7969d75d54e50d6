//! A source host: sends each event at its `sent_at`, waits for an ack,
//! retries after a timeout up to `attempts_max`, and (punctuated strategy)
//! periodically sends its own low watermark to every destination.

use super::ctx::{self, now_ms, Ctx, PORT};
use super::fate::FateDrawer;
use super::route::Topology;
use super::timers::Timers;
use super::wire::{Msg, LEN};
use crate::model::Event;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    /// Put an attempt on the wire (its latency has elapsed).
    Send { to: u32, bytes: [u8; LEN] },
    /// The ack for this attempt of event `slot` is overdue.
    Timeout { slot: u32, attempt: u32 },
    /// Send the low watermark.
    Punctuate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Waiting,
    InFlight { attempt: u32 },
    Settled,
}

struct Source {
    ctx: Rc<Ctx>,
    index: u32,
    events: Vec<Event>,
    /// `suffix_min[i]`: least event time among `events[i..]`.
    suffix_min: Vec<i64>,
    slots: Vec<Slot>,
    by_id: FxHashMap<u64, u32>,
    /// Events sent but not settled, for the low watermark.
    outstanding: BTreeSet<(i64, u64)>,
    next: usize,
    unsettled: usize,
    sends_pending: usize,
    punct_seq: u64,
    final_punctuation_sent: bool,
    timers: Timers<Action>,
    fates: FateDrawer,
    /// Destination addresses: workers by index, then the log.
    dests: Vec<SocketAddr>,
}

/// Runs source `index` until every event is acknowledged or given up.
pub async fn run(ctx: Rc<Ctx>, index: u32, events: Vec<Event>) -> turmoil::Result {
    let sock = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    let mut dests: Vec<SocketAddr> = (0..ctx.topo.workers)
        .map(|w| ctx::addr(&Topology::worker_name(w)))
        .collect();
    if ctx.topo.log_partitions.is_some() {
        dests.push(ctx::addr(Topology::LOG));
    }
    let mut suffix_min = vec![i64::MAX; events.len() + 1];
    for i in (0..events.len()).rev() {
        suffix_min[i] = suffix_min[i + 1].min(events[i].time.0);
    }
    let by_id = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id, i as u32))
        .collect();
    let mut src = Source {
        slots: vec![Slot::Waiting; events.len()],
        unsettled: events.len(),
        ctx,
        index,
        events,
        suffix_min,
        by_id,
        outstanding: BTreeSet::new(),
        next: 0,
        sends_pending: 0,
        punct_seq: 0,
        final_punctuation_sent: false,
        timers: Timers::default(),
        fates: FateDrawer::default(),
        dests,
    };
    if let Some(i) = src.ctx.punctuation_interval_ms {
        src.timers.at(i, Action::Punctuate);
    }
    let mut buf = [0u8; 64];
    loop {
        let now = now_ms();
        while let Ok((n, _)) = sock.try_recv_from(&mut buf) {
            if let Some(Msg::Ack { tag }) = Msg::decode(&buf[..n]) {
                src.on_ack(tag);
            }
        }
        src.advance(now, &sock)?;
        if src.unsettled == 0 && !src.final_punctuation_sent {
            src.final_punctuation_sent = true;
            if src.ctx.punctuation_interval_ms.is_some() {
                // Done: nothing earlier will ever come from this source.
                src.punctuate(now, i64::MAX, &sock)?;
            }
        }
        if src.finished() {
            break;
        }
        let wake = ctx::wake_in(now, src.next_wake());
        ctx::wait(&sock, wake).await?;
    }
    src.ctx.rec.borrow_mut().sources_running -= 1;
    Ok(())
}

impl Source {
    fn finished(&self) -> bool {
        self.unsettled == 0 && self.sends_pending == 0 && self.final_punctuation_sent
    }

    fn next_wake(&self) -> Option<i64> {
        let next_event = self.events.get(self.next).map(|e| e.sent_at.0);
        match (self.timers.next(), next_event) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The least event time this source may still send.
    fn low_watermark(&self) -> i64 {
        let unsent = self.suffix_min[self.next];
        self.outstanding
            .first()
            .map_or(unsent, |&(t, _)| t.min(unsent))
    }

    fn advance(&mut self, now: i64, sock: &turmoil::net::UdpSocket) -> std::io::Result<()> {
        while self.next < self.events.len() && self.events[self.next].sent_at.0 <= now {
            let slot = self.next as u32;
            self.next += 1;
            let e = self.events[slot as usize];
            self.outstanding.insert((e.time.0, e.id));
            self.attempt(now, slot, 0);
        }
        while let Some(action) = self.timers.pop_due(now) {
            match action {
                Action::Send { to, bytes } => {
                    self.sends_pending -= 1;
                    ctx::send_bytes(sock, &bytes, self.dests[to as usize])?;
                }
                Action::Timeout { slot, attempt } => self.on_timeout(now, slot, attempt),
                Action::Punctuate if self.final_punctuation_sent => {}
                Action::Punctuate => {
                    if let Some(i) = self.ctx.punctuation_interval_ms {
                        self.punctuate(now, self.low_watermark(), sock)?;
                        self.timers.at(now + i, Action::Punctuate);
                    }
                }
            }
        }
        Ok(())
    }

    /// Starts attempt `attempt` of event `slot`: draw its fate, schedule
    /// the send after its latency (unless lost) and the ack timeout.
    fn attempt(&mut self, now: i64, slot: u32, attempt: u32) {
        let e = self.events[slot as usize];
        let topo = &self.ctx.topo;
        let (dest, channel) = match topo.log_partitions {
            None => (topo.worker_of(e.key), self.index),
            Some(_) => (topo.workers, topo.partition_of(e.key)),
        };
        let link = &self.ctx.links_from_source[self.index as usize][dest as usize];
        let fate = self.fates.draw(
            self.ctx.seed,
            format_args!("net/msg/{}/{}", e.id, attempt),
            link,
            self.ctx.cfg.latency_ms_max,
        );
        self.slots[slot as usize] = Slot::InFlight { attempt };
        if fate.lost {
            self.ctx.fault(
                now,
                format!(
                    "event {} attempt {} lost (loss {})",
                    e.id, attempt, link.loss
                ),
            );
        } else {
            let msg = Msg::Data {
                tag: e.id,
                event: e.id,
                attempt,
                channel,
                ack_lost: fate.ack_lost,
                ack_latency_ms: u32::try_from(fate.ack_latency_ms).unwrap_or(u32::MAX),
                time: e.time.0,
            };
            self.sends_pending += 1;
            self.timers.at(
                now + fate.latency_ms,
                Action::Send {
                    to: dest,
                    bytes: msg.encode(),
                },
            );
        }
        let timeout = self.ctx.cfg.retry.timeout_ms;
        self.timers
            .at(now + timeout, Action::Timeout { slot, attempt });
    }

    fn on_timeout(&mut self, now: i64, slot: u32, attempt: u32) {
        if self.slots[slot as usize] != (Slot::InFlight { attempt }) {
            return;
        }
        if attempt + 1 < self.ctx.cfg.retry.attempts_max {
            self.attempt(now, slot, attempt + 1);
        } else {
            let e = self.events[slot as usize];
            self.ctx.fault(
                now,
                format!("event {} given up after {} attempts", e.id, attempt + 1),
            );
            self.settle(slot);
        }
    }

    fn on_ack(&mut self, tag: u64) {
        if let Some(&slot) = self.by_id.get(&tag) {
            if matches!(self.slots[slot as usize], Slot::InFlight { .. }) {
                self.settle(slot);
            }
        }
    }

    fn settle(&mut self, slot: u32) {
        let e = self.events[slot as usize];
        self.slots[slot as usize] = Slot::Settled;
        self.outstanding.remove(&(e.time.0, e.id));
        self.unsettled -= 1;
    }

    /// Sends `watermark` to every destination, fire and forget: the next
    /// punctuation supersedes a lost one.
    fn punctuate(
        &mut self,
        now: i64,
        watermark: i64,
        sock: &turmoil::net::UdpSocket,
    ) -> std::io::Result<()> {
        let seq = self.punct_seq;
        self.punct_seq += 1;
        // With a log, sources talk only to the log; it forwards per partition.
        let first = match self.ctx.topo.log_partitions {
            Some(_) => self.dests.len() - 1,
            None => 0,
        };
        for dest in first..self.dests.len() {
            let link = &self.ctx.links_from_source[self.index as usize][dest];
            let fate = self.fates.draw(
                self.ctx.seed,
                format_args!("net/punct/{}/{}/{}", self.index, seq, dest),
                link,
                self.ctx.cfg.latency_ms_max,
            );
            if fate.lost {
                continue;
            }
            let msg = Msg::Punctuation {
                channel: self.index,
                watermark,
            };
            if fate.latency_ms == 0 {
                ctx::send(sock, &msg, self.dests[dest])?;
            } else {
                self.sends_pending += 1;
                self.timers.at(
                    now + fate.latency_ms,
                    Action::Send {
                        to: dest as u32,
                        bytes: msg.encode(),
                    },
                );
            }
        }
        Ok(())
    }
}
