//! A source-group host: one turmoil host for all the sources of a group (a
//! phone fleet), so an idle phone costs nothing per tick. For each source
//! it sends each event at its `sent_at`, waits for an ack, retries after a
//! timeout up to `attempts_max`, and (punctuated strategy) periodically
//! sends that source's own low watermark to every destination.
//!
//! Times are exact, not ticks: an attempt starts at its intended time
//! (`sent_at`, or the previous attempt's timeout), its datagram is stamped
//! to arrive at that time plus its drawn latency, and an ack counts for a
//! timeout when it was meant to arrive by then. The host itself only runs
//! at step starts and handles everything due within the step; it decides
//! a timeout a couple of ticks after it passed (`Ctx::decide_at`), once
//! every ack due by then has surely been read, so retry decisions are a
//! function of the fates alone, whatever the tick.

use super::ctx::{self, now_ms, Ctx, Outbox, PORT};
use super::fate::{self, MsgId};
use super::local_fault::{self, LocalFault};
use super::route::Topology;
use super::text::Text;
use super::timers::Timers;
use super::wire::{Msg, Stamped, LEN};
use crate::lazy_chacha::LazyChaCha8;
use crate::model::Event;
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    /// Put a datagram on the wire (it is due to arrive within this step).
    Send { to: u32, bytes: [u8; LEN] },
    /// Decide whether attempt `attempt` of event `slot`, whose ack was due
    /// by `due`, was answered.
    Timeout { slot: u32, attempt: u32, due: i64 },
    /// Source `member` of the group sends its low watermark at `at`.
    Punctuate { member: u32, at: i64 },
}

/// One event's sending state, 16 bytes: the group holds one per event for
/// the whole network phase. Its member is looked up from its source
/// ([`Group::member`]), and when its current attempt started is computed
/// ([`Group::started_at`]), rather than kept per event.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// The earliest exact time an ack arrived, `i64::MAX` before any.
    acked_at: i64,
    /// The current attempt.
    attempt: u32,
    /// Acknowledged or given up.
    settled: bool,
}

/// One source of the group.
struct Member {
    /// Global source index (the channel into a worker).
    index: u32,
    /// Its events' times in send order, then `i64::MAX`, as suffix minima:
    /// `suffix_min[i]` is the least time among its events `i..`. Kept only
    /// when the group punctuates (the low watermark is all it is for).
    suffix_min: Vec<i64>,
    /// How many of its events have started.
    started: usize,
    /// Started, unsettled events, for the low watermark; kept only when
    /// the group punctuates (an ordered insert and remove per event).
    outstanding: BTreeSet<(i64, u64)>,
    unsettled: usize,
    punct_seq: u64,
    final_punctuation_sent: bool,
    /// Faults naming this source but not its whole group.
    faults: Vec<LocalFault>,
}

struct Group {
    ctx: Rc<Ctx>,
    members: Vec<Member>,
    /// The group's events in send order, `(sent_at, id)`, as positions in
    /// the workload the context lends ([`Ctx::events`]): 4 bytes per event
    /// instead of a copy of what sending needs.
    events: Vec<u32>,
    slots: Vec<Slot>,
    /// Global source index → index into `members` (0 for sources of other
    /// groups, which never come up): a plain index, looked up for every
    /// attempt, ack and settle.
    member_of: Vec<u32>,
    next: usize,
    unsettled: usize,
    sends_pending: usize,
    timers: Timers<Action>,
    /// Destination addresses: workers by index, then the log.
    dests: Vec<SocketAddr>,
    /// Room for a step's first attempts' streams and their sub-seeds,
    /// kept between steps.
    streams: Vec<LazyChaCha8>,
    stream_seeds: Vec<u64>,
}

/// What one group host runs: its sources (global indices, ascending),
/// their events in send order, and the faults it applies itself.
pub struct GroupSpec {
    /// Global source indices.
    pub sources: Vec<u32>,
    /// Every event of these sources, ordered by (`sent_at`, `id`), as
    /// positions in [`Ctx::events`].
    pub events: Vec<u32>,
    /// `faults[i]`: the local faults of `sources[i]`.
    pub faults: Vec<Vec<LocalFault>>,
}

/// Runs one group until every event of its sources is acknowledged or
/// given up and every retry decision is taken.
pub async fn run(ctx: Rc<Ctx>, spec: GroupSpec) -> turmoil::Result {
    let sock = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    // Without a log, every worker is reached through the one ingress host
    // (the datagram names its worker); with one, sources talk to the log
    // only and no worker host exists.
    let mut dests: Vec<SocketAddr> = match ctx.topo.log_partitions {
        None => vec![ctx::addr(Topology::WORKERS); ctx.topo.workers as usize],
        Some(_) => vec![SocketAddr::from((Ipv4Addr::UNSPECIFIED, PORT)); ctx.topo.workers as usize],
    };
    if ctx.topo.log_partitions.is_some() {
        dests.push(ctx::addr(Topology::LOG));
    }
    let mut g = Group::new(ctx, spec, dests);
    if let Some(i) = g.ctx.punctuation_interval_ms {
        for m in 0..g.members.len() as u32 {
            g.timers
                .at(g.ctx.step_of(i), Action::Punctuate { member: m, at: i });
        }
    }
    // A source without events is done from the start.
    for m in 0..g.members.len() {
        if g.members[m].unsettled == 0 {
            g.final_punctuation(m as u32, 0);
        }
    }
    let mut buf = vec![0u8; ctx::RECV_BUF];
    let mut out = Outbox::default();
    loop {
        let now = now_ms();
        let step = g.ctx.step_of(now);
        while let Ok((n, _)) = sock.try_recv_from(&mut buf) {
            for d in ctx::messages(&buf[..n]) {
                if let Msg::Ack { tag, dest } = d.msg {
                    g.on_ack(tag, dest, &d, now);
                }
            }
        }
        g.advance(step, &mut out);
        out.flush(&sock)?;
        if g.finished() {
            break;
        }
        let wake = ctx::wake_in(now, g.next_wake());
        ctx::wait(&sock, wake).await?;
    }
    g.ctx.rec.borrow_mut().sources_running -= 1;
    Ok(())
}

impl Group {
    /// The event in `slot`.
    fn event(&self, slot: u32) -> &Event {
        &self.ctx.events[self.events[slot as usize] as usize]
    }

    /// Event `slot`'s source, as an index into `members`.
    fn member(&self, slot: u32) -> u32 {
        self.member_of_source(self.event(slot).source)
    }

    /// `source`, one of the group's, as an index into `members`: `run` only
    /// hands a group its own sources' events, so it always has an entry.
    fn member_of_source(&self, source: u32) -> u32 {
        self.member_of[source as usize]
    }

    /// When attempt `attempt` of event `slot` started: attempts follow each
    /// other back to back from `sent_at`, each at the previous one's
    /// timeout (see [`Group::on_timeout`]).
    fn started_at(&self, slot: u32, attempt: u32) -> i64 {
        let timeout = self.ctx.cfg.retry.timeout_ms;
        self.event(slot)
            .sent_at
            .0
            .saturating_add(timeout.saturating_mul(i64::from(attempt)))
    }

    fn new(ctx: Rc<Ctx>, spec: GroupSpec, dests: Vec<SocketAddr>) -> Group {
        let GroupSpec {
            sources,
            events,
            faults,
        } = spec;
        let mut member_of = vec![0u32; sources.iter().map(|&s| s as usize + 1).max().unwrap_or(0)];
        for (m, &s) in sources.iter().enumerate() {
            member_of[s as usize] = m as u32;
        }
        let punctuating = ctx.punctuation_interval_ms.is_some();
        let mut counts = vec![0usize; sources.len()];
        let mut times: Vec<Vec<i64>> = vec![Vec::new(); sources.len()];
        for &i in &events {
            let e = &ctx.events[i as usize];
            // `run` only hands a group its own sources' events.
            let m = member_of[e.source as usize] as usize;
            counts[m] += 1;
            if punctuating {
                times[m].push(e.time.0);
            }
        }
        let slots = vec![
            Slot {
                attempt: 0,
                acked_at: i64::MAX,
                settled: false,
            };
            events.len()
        ];
        let members = sources
            .iter()
            .zip(counts.into_iter().zip(times))
            .zip(faults)
            .map(|((&index, (count, times)), faults)| {
                let mut suffix_min = Vec::new();
                if punctuating {
                    suffix_min = vec![i64::MAX; times.len() + 1];
                    for i in (0..times.len()).rev() {
                        suffix_min[i] = suffix_min[i + 1].min(times[i]);
                    }
                }
                Member {
                    index,
                    unsettled: count,
                    suffix_min,
                    started: 0,
                    outstanding: BTreeSet::new(),
                    punct_seq: 0,
                    final_punctuation_sent: false,
                    faults,
                }
            })
            .collect();
        Group {
            unsettled: events.len(),
            ctx,
            members,
            slots,
            member_of,
            events,
            next: 0,
            sends_pending: 0,
            timers: Timers::default(),
            dests,
            streams: Vec::new(),
            stream_seeds: Vec::new(),
        }
    }

    /// Done: everything settled and sent, and no pending timeout can still
    /// start a retry (an ack that came after its timeout settles the event
    /// but doesn't undo the retry the timeout started).
    fn finished(&self) -> bool {
        self.unsettled == 0
            && self.sends_pending == 0
            && self.members.iter().all(|m| m.final_punctuation_sent)
            && !self.timers.iter().any(|a| match *a {
                Action::Timeout { slot, attempt, due } => self.live(slot, attempt, due),
                _ => false,
            })
    }

    /// Whether a timeout still decides something.
    fn live(&self, slot: u32, attempt: u32, due: i64) -> bool {
        let s = &self.slots[slot as usize];
        s.attempt == attempt && s.acked_at > due
    }

    fn next_wake(&self) -> Option<i64> {
        let next_event = self
            .events
            .get(self.next)
            .map(|&i| self.ctx.step_of(self.ctx.events[i as usize].sent_at.0));
        match (self.timers.next(), next_event) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Handles everything due within the step starting at `step`.
    fn advance(&mut self, step: i64, out: &mut Outbox) {
        // Due within this step: before the next step starts (`step` is a
        // step start), without a division per event.
        let step_end = step.saturating_add(self.ctx.tick_ms);
        let first = self.next;
        while let Some(&i) = self.events.get(self.next) {
            let e = &self.ctx.events[i as usize];
            if e.sent_at.0 >= step_end {
                break;
            }
            let (time, id, source) = (e.time.0, e.id, e.source);
            self.next += 1;
            let m = self.member_of_source(source) as usize;
            let m = &mut self.members[m];
            m.started += 1;
            if self.ctx.punctuation_interval_ms.is_some() {
                m.outstanding.insert((time, id));
            }
        }
        // The step's first attempts draw their fates from streams computed
        // together; nothing above depends on a fate.
        let mut streams = std::mem::take(&mut self.streams);
        let (ctx, events) = (&self.ctx, &self.events[first..self.next]);
        fate::first_attempt_streams(
            ctx.seed,
            events.iter().map(|&i| ctx.events[i as usize].id),
            &ctx.cfg,
            &mut self.stream_seeds,
            &mut streams,
        );
        let mut drawn = streams.iter_mut();
        for slot in first..self.next {
            let slot = slot as u32;
            let sent_at = self.event(slot).sent_at.0;
            self.attempt(slot, 0, sent_at, drawn.next());
        }
        self.streams = streams;
        while let Some(action) = self.timers.pop_due(step) {
            match action {
                Action::Send { to, bytes } => {
                    self.sends_pending -= 1;
                    out.push(self.dests[to as usize], bytes, step);
                }
                Action::Timeout { slot, attempt, due } => self.on_timeout(slot, attempt, due),
                Action::Punctuate { member, at } => {
                    if !self.members[member as usize].final_punctuation_sent {
                        if let Some(i) = self.ctx.punctuation_interval_ms {
                            let mark = self.low_watermark(member);
                            self.punctuate(member, at, mark);
                            let next = at + i;
                            self.timers.at(
                                self.ctx.step_of(next),
                                Action::Punctuate { member, at: next },
                            );
                        }
                    }
                }
            }
        }
    }

    /// The least event time source `member` may still send.
    fn low_watermark(&self, member: u32) -> i64 {
        let m = &self.members[member as usize];
        let unsent = m.suffix_min[m.started];
        m.outstanding
            .first()
            .map_or(unsent, |&(t, _)| t.min(unsent))
    }

    /// Queues `msg` to arrive at `deliver_at`: it goes on the wire in the
    /// step containing that time (now, if that step has passed).
    fn send_at(&mut self, deliver_at: i64, to: u32, msg: Msg) {
        self.sends_pending += 1;
        self.timers.at(
            self.ctx.step_of(deliver_at),
            Action::Send {
                to,
                bytes: msg.encode(deliver_at),
            },
        );
    }

    /// Starts attempt `attempt` of event `slot` at exact time `start`: draw
    /// its fate, queue its datagram (unless lost) and its timeout.
    /// `stream` is the attempt's own stream when it was computed ahead.
    fn attempt(&mut self, slot: u32, attempt: u32, start: i64, stream: Option<&mut LazyChaCha8>) {
        let e = *self.event(slot);
        let source = e.source;
        let member = self.member_of_source(source);
        // Without a log, the worker owning the key on the source's channel;
        // with one, the log, on the key's partition (routing depends on
        // nothing but the key and the topology).
        let topo = &self.ctx.topo;
        let (dest, channel) = match topo.log_partitions {
            None => (topo.worker_of(e.key), source),
            Some(_) => (topo.workers, topo.partition_of(e.key)),
        };
        let link = &self.ctx.links_from_source[source as usize][dest as usize];
        let fate = fate::fate_from(
            stream,
            self.ctx.seed,
            MsgId::Event { id: e.id, attempt },
            link,
            &self.ctx.cfg,
        );
        self.slots[slot as usize].attempt = attempt;
        if fate.lost {
            // "event {id} attempt {attempt} lost (loss {loss})"
            let what = Text::new()
                .attempt(e.id, attempt)
                .s(" lost (loss ")
                .s(&self.ctx.loss_text[source as usize][dest as usize])
                .s(")");
            self.ctx.fault(start, what.done());
        } else {
            let faults = &self.members[member as usize].faults;
            if let Some(at) = local_fault::pass(faults, dest, start + fate.latency_ms) {
                let msg = Msg::Data {
                    // The ack echoes the slot: no lookup by event id.
                    tag: u64::from(slot),
                    event: e.id,
                    attempt,
                    channel,
                    ack_lost: fate.ack_lost,
                    ack_latency_ms: u32::try_from(fate.ack_latency_ms).unwrap_or(u32::MAX),
                    time: e.time.0,
                    dest,
                };
                self.send_at(at, dest, msg);
            }
        }
        let due = start + self.ctx.cfg.retry.timeout_ms;
        self.timers.at(
            self.ctx.decide_at(due),
            Action::Timeout { slot, attempt, due },
        );
    }

    fn on_timeout(&mut self, slot: u32, attempt: u32, due: i64) {
        if !self.live(slot, attempt, due) {
            return;
        }
        if attempt + 1 < self.ctx.cfg.retry.attempts_max {
            self.attempt(slot, attempt + 1, due, None);
        } else {
            let id = self.event(slot).id;
            self.ctx.fault(
                due,
                format!("event {} given up after {} attempts", id, attempt + 1),
            );
            self.settle(slot, due);
        }
    }

    /// An ack `d` for the event in slot `tag` from destination `dest` was
    /// read at `now`.
    fn on_ack(&mut self, tag: u64, dest: u32, d: &Stamped, now: i64) {
        let Some(slot) = u32::try_from(tag)
            .ok()
            .filter(|&s| (s as usize) < self.slots.len())
        else {
            return;
        };
        let member = self.member(slot) as usize;
        let faults = &self.members[member].faults;
        // The faults on the way back, by the time the ack was meant to
        // arrive (not when it was read).
        let exact = if faults.is_empty() {
            Some(d.deliver_at)
        } else {
            local_fault::pass(faults, dest, d.deliver_at)
        };
        let Some(exact) = exact else {
            return;
        };
        let at = self.ctx.arrival(d, exact, now);
        // Attempts follow each other back to back, so the sender gives up
        // exactly `attempts_max` timeouts after `sent_at` (when attempt
        // `attempts_max` would start); an ack meant to arrive later finds
        // nobody waiting (the give-up is the timeout's).
        let give_up = self.started_at(slot, self.ctx.cfg.retry.attempts_max);
        if at > give_up {
            return;
        }
        let started_at = self.started_at(slot, self.slots[slot as usize].attempt);
        let s = &mut self.slots[slot as usize];
        if s.attempt > 0 && at < started_at {
            // The current attempt was started as if no ack were due by its
            // start; `decide_at`'s margin should make this impossible.
            self.ctx.rec.borrow_mut().late_acks += 1;
        }
        s.acked_at = s.acked_at.min(at);
        self.settle(slot, at);
    }

    fn settle(&mut self, slot: u32, at: i64) {
        let s = &mut self.slots[slot as usize];
        if s.settled {
            return;
        }
        s.settled = true;
        let member = self.member(slot);
        let e = self.event(slot);
        let (time, id) = (e.time.0, e.id);
        let m = &mut self.members[member as usize];
        if self.ctx.punctuation_interval_ms.is_some() {
            m.outstanding.remove(&(time, id));
        }
        m.unsettled -= 1;
        self.unsettled -= 1;
        self.ctx.settled(at);
        if m.unsettled == 0 {
            self.final_punctuation(member, at);
        }
    }

    /// Source `member` has settled everything at `at`: nothing earlier will
    /// ever come from it.
    fn final_punctuation(&mut self, member: u32, at: i64) {
        let m = &mut self.members[member as usize];
        if m.final_punctuation_sent {
            return;
        }
        m.final_punctuation_sent = true;
        if self.ctx.punctuation_interval_ms.is_some() {
            self.punctuate(member, at, i64::MAX);
        }
    }

    /// Sends `watermark` from source `member` at exact time `at` to every
    /// destination, fire and forget: the next punctuation supersedes a
    /// lost one.
    fn punctuate(&mut self, member: u32, at: i64, watermark: i64) {
        let m = &mut self.members[member as usize];
        let (index, seq) = (m.index, m.punct_seq);
        m.punct_seq += 1;
        // With a log, sources talk only to the log; it forwards per partition.
        let first = match self.ctx.topo.log_partitions {
            Some(_) => self.dests.len() - 1,
            None => 0,
        };
        for dest in first..self.dests.len() {
            let link = &self.ctx.links_from_source[index as usize][dest];
            let fate = fate::fate(
                self.ctx.seed,
                MsgId::Punct {
                    source: index,
                    seq,
                    dest: dest as u32,
                },
                link,
                &self.ctx.cfg,
            );
            if fate.lost {
                continue;
            }
            let faults = &self.members[member as usize].faults;
            if let Some(arrive) = local_fault::pass(faults, dest as u32, at + fate.latency_ms) {
                let msg = Msg::Punctuation {
                    channel: index,
                    watermark,
                    dest: dest as u32,
                };
                self.send_at(arrive, dest as u32, msg);
            }
        }
    }
}
