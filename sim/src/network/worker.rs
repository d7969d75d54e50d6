//! The workers' ingress host: one turmoil host receives for every engine
//! worker (each datagram names its worker), records every arrival as a
//! `Delivery` for that worker at the exact simulated time it arrives, and
//! acknowledges data (after the ack's own latency, unless its fate says
//! the ack is lost). The engine itself runs later, over the recorded
//! trace, so every strategy sees the same input.
//!
//! One host rather than one per worker because turmoil's per-tick cost is
//! hosts × links: with a host per worker it grew with the square of the
//! worker count. Nothing is lost by sharing: senders decide every
//! message's fate, arrival time, partition and hold per destination
//! worker themselves (`fate`, `local_fault`), so a host per worker only
//! ever carried datagrams whose outcome was already fixed.

use super::ctx::{self, now_ms, Ctx, Outbox, PORT};
use super::text::Text;
use super::timers::Timers;
use super::wire::{Msg, LEN};
use crate::model::Delivery;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use tidemark_engine::{EventTime, ProcTime};

/// Runs the ingress forever (turmoil stops it once the clients finish).
pub async fn run(ctx: Rc<Ctx>) -> turmoil::Result {
    let sock = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    // Acks waiting for the step they are due in.
    let mut acks: Timers<(SocketAddr, [u8; LEN])> = Timers::default();
    let mut buf = vec![0u8; ctx::RECV_BUF];
    let mut out = Outbox::default();
    loop {
        let now = now_ms();
        let step = ctx.step_of(now);
        while let Ok((n, from)) = sock.try_recv_from(&mut buf) {
            for d in ctx::messages(&buf[..n]) {
                let at = ctx.arrival(&d, d.deliver_at, now);
                match d.msg {
                    Msg::Data {
                        tag,
                        event,
                        attempt,
                        channel,
                        ack_lost,
                        ack_latency_ms,
                        time: _,
                        dest,
                    } => {
                        if dest >= ctx.topo.workers {
                            // Not a worker: nothing sends these.
                            continue;
                        }
                        record_data(&ctx, at, dest, channel, event);
                        if ack_lost {
                            // "ack of event {event} attempt {attempt} to worker-{dest} lost"
                            let what = Text::ack_of(event, attempt)
                                .s("worker-")
                                .n(u64::from(dest))
                                .s(" lost");
                            ctx.fault(at, what.done());
                        } else {
                            let due = at + i64::from(ack_latency_ms);
                            acks.at(ctx.step_of(due), (from, Msg::Ack { tag, dest }.encode(due)));
                        }
                    }
                    Msg::Punctuation {
                        channel,
                        watermark,
                        dest,
                    } => {
                        if dest < ctx.topo.workers {
                            ctx.rec.borrow_mut().deliveries.push(Delivery::Punctuation {
                                at: ProcTime(at),
                                worker: dest,
                                channel,
                                watermark: EventTime(watermark),
                            });
                        }
                    }
                    Msg::Ack { .. } => {}
                }
            }
        }
        while let Some((to, bytes)) = acks.pop_due(step) {
            out.push(to, bytes, step);
        }
        out.flush(&sock)?;
        ctx::wait(&sock, ctx::wake_in(now, acks.next())).await?;
    }
}

/// Records an arrival; whether it is a duplicate is decided once the
/// trace is in time order (`run::finish`).
fn record_data(ctx: &Ctx, at: i64, worker: u32, channel: u32, event: u64) {
    let mut rec = ctx.rec.borrow_mut();
    match rec.arrived.get_mut(event as usize) {
        Some(seen) => *seen = true,
        // Not an event of this workload: nothing sends these.
        None => return,
    }
    rec.deliveries.push(Delivery::Record {
        at: ProcTime(at),
        worker,
        channel,
        event,
        duplicate: false,
    });
}
