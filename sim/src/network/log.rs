//! The durable log host (Kafka-like), where the network phase ends: it
//! appends every copy it receives (a retried send appends a duplicate, as a
//! non-idempotent producer would) and acknowledges the source. The append
//! is recorded as the trace's delivery, at its exact time, for the worker
//! that owns the partition: consumers then read the log in the processing
//! phase (`workers`), with their own fetch latency, so there is no network
//! hop from the log to the workers.
//!
//! Punctuated strategy: a partition's watermark is the least of the latest
//! punctuations of all sources, appended to every partition on the same
//! interval (in-band, as a control entry).
//!
//! Times are exact as at the sources (see `source`): an entry is appended
//! when its datagram was meant to arrive.

use super::ctx::{self, now_ms, Ctx, Outbox, PORT};
use super::text::Text;
use super::timers::Timers;
use super::wire::{Msg, Stamped, LEN};
use crate::model::Delivery;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use tidemark_engine::{EventTime, ProcTime};

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    /// Put a datagram on the wire (it is due to arrive within this step).
    Send { to: SocketAddr, bytes: [u8; LEN] },
    /// Append the partitions' watermarks at `at`.
    Punctuate { at: i64 },
}

struct Log {
    ctx: Rc<Ctx>,
    sends_pending: usize,
    /// Latest punctuation per source; `i64::MIN` before the first.
    source_marks: Vec<i64>,
    timers: Timers<Action>,
}

/// Runs the log until every source has finished and every ack is sent.
pub async fn run(ctx: Rc<Ctx>) -> turmoil::Result {
    let sock = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    let mut log = Log {
        source_marks: vec![i64::MIN; ctx.topo.sources as usize],
        ctx,
        sends_pending: 0,
        timers: Timers::default(),
    };
    if let Some(i) = log.ctx.punctuation_interval_ms {
        log.timers
            .at(log.ctx.step_of(i), Action::Punctuate { at: i });
    }
    let mut buf = vec![0u8; ctx::RECV_BUF];
    let mut out = Outbox::default();
    loop {
        let now = now_ms();
        let step = log.ctx.step_of(now);
        while let Ok((n, from)) = sock.try_recv_from(&mut buf) {
            for d in ctx::messages(&buf[..n]) {
                log.on_msg(&d, now, from);
            }
        }
        log.advance(step, &mut out);
        out.flush(&sock)?;
        let sources_done = log.ctx.rec.borrow().sources_running == 0;
        if sources_done && log.sends_pending == 0 {
            if log.ctx.punctuation_interval_ms.is_some() {
                // The final watermarks, appended as the log stops.
                log.punctuate(now);
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

    /// Handles datagram `d` from `from`, read at `now`. Sources apply their
    /// links' faults themselves, so what reaches the log is appended.
    fn on_msg(&mut self, d: &Stamped, now: i64, from: SocketAddr) {
        let now = self.ctx.arrival(d, d.deliver_at, now);
        match d.msg {
            Msg::Data {
                tag,
                event,
                attempt,
                channel,
                ack_lost,
                ack_latency_ms,
                time: _,
                dest: _,
            } => {
                self.append(now, event, channel);
                if ack_lost {
                    // "ack of event {event} attempt {attempt} to the log lost"
                    let what = Text::ack_of(event, attempt).s("the log lost");
                    self.ctx.fault(now, what.done());
                } else {
                    let ack = Msg::Ack {
                        tag,
                        dest: self.ctx.topo.workers,
                    };
                    self.send_at(now + i64::from(ack_latency_ms), from, ack);
                }
            }
            Msg::Punctuation {
                channel, watermark, ..
            } => {
                if let Some(m) = self.source_marks.get_mut(channel as usize) {
                    *m = (*m).max(watermark);
                }
            }
            Msg::Ack { .. } => {}
        }
    }

    /// Appends `event` to `partition` at exact time `now`: the trace's
    /// delivery, for the worker that reads the partition.
    fn append(&mut self, now: i64, event: u64, partition: u32) {
        if partition >= self.ctx.topo.channels() {
            // Not a partition of this log: nothing sends these.
            return;
        }
        let worker = self.ctx.topo.worker_of_partition(partition);
        let mut rec = self.ctx.rec.borrow_mut();
        match rec.arrived.get_mut(event as usize) {
            Some(seen) => *seen = true,
            // Not an event of this workload: nothing sends these.
            None => return,
        }
        rec.deliveries.push(Delivery::Record {
            at: ProcTime(now),
            worker,
            channel: partition,
            event,
            duplicate: false,
        });
        rec.settled_max = rec.settled_max.max(now);
    }

    /// Handles everything due within the step starting at `step`.
    fn advance(&mut self, step: i64, out: &mut Outbox) {
        while let Some(action) = self.timers.pop_due(step) {
            match action {
                Action::Send { to, bytes } => {
                    self.sends_pending -= 1;
                    out.push(to, bytes, step);
                }
                Action::Punctuate { at } => {
                    self.punctuate(at);
                    if let Some(i) = self.ctx.punctuation_interval_ms {
                        let next = at + i;
                        self.timers
                            .at(self.ctx.step_of(next), Action::Punctuate { at: next });
                    }
                }
            }
        }
    }

    /// Appends each partition's watermark (the least over the sources'
    /// latest punctuations) at `at`.
    fn punctuate(&mut self, at: i64) {
        let sources = self.source_marks.iter().copied().min().unwrap_or(i64::MIN);
        let mut rec = self.ctx.rec.borrow_mut();
        for partition in 0..self.ctx.topo.channels() {
            rec.deliveries.push(Delivery::Punctuation {
                at: ProcTime(at),
                worker: self.ctx.topo.worker_of_partition(partition),
                channel: partition,
                watermark: EventTime(sources),
            });
        }
    }
}
