//! An engine-worker host: records every arrival as a `Delivery` at the
//! simulated time it arrives and acknowledges data (after the ack's own
//! latency, unless its fate says the ack is lost). The engine itself runs
//! later, over the recorded trace, so every strategy sees the same input.

use super::ctx::{self, now_ms, Ctx, PORT};
use super::timers::Timers;
use super::wire::{Msg, LEN};
use crate::model::Delivery;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use tidemark_engine::{EventTime, ProcTime};

/// Runs worker `worker` forever (turmoil stops it once the clients finish).
pub async fn run(ctx: Rc<Ctx>, worker: u32) -> turmoil::Result {
    let sock = turmoil::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    let mut acks: Timers<(SocketAddr, [u8; LEN])> = Timers::default();
    let mut buf = [0u8; 64];
    loop {
        let now = now_ms();
        while let Ok((n, from)) = sock.try_recv_from(&mut buf) {
            match Msg::decode(&buf[..n]) {
                Some(Msg::Data {
                    tag,
                    event,
                    attempt,
                    channel,
                    ack_lost,
                    ack_latency_ms,
                    time: _,
                }) => {
                    record_data(&ctx, now, worker, channel, event);
                    let ack = Msg::Ack { tag };
                    if ack_lost {
                        ctx.fault(
                            now,
                            format!(
                                "ack of event {event} attempt {attempt} to worker-{worker} lost"
                            ),
                        );
                    } else if ack_latency_ms == 0 {
                        ctx::send(&sock, &ack, from)?;
                    } else {
                        acks.at(now + i64::from(ack_latency_ms), (from, ack.encode()));
                    }
                }
                Some(Msg::Punctuation { channel, watermark }) => {
                    ctx.rec.borrow_mut().deliveries.push(Delivery::Punctuation {
                        at: ProcTime(now),
                        worker,
                        channel,
                        watermark: EventTime(watermark),
                    });
                }
                Some(Msg::Ack { .. }) | None => {}
            }
        }
        while let Some((to, bytes)) = acks.pop_due(now) {
            ctx::send_bytes(&sock, &bytes, to)?;
        }
        ctx::wait(&sock, ctx::wake_in(now, acks.next())).await?;
    }
}

fn record_data(ctx: &Ctx, now: i64, worker: u32, channel: u32, event: u64) {
    let mut rec = ctx.rec.borrow_mut();
    let duplicate = match rec.arrived.get_mut(event as usize) {
        Some(seen) => std::mem::replace(seen, true),
        // Not an event of this workload: nothing sends these.
        None => return,
    };
    rec.deliveries.push(Delivery::Record {
        at: ProcTime(now),
        worker,
        channel,
        event,
        duplicate,
    });
    if duplicate {
        drop(rec);
        ctx.fault(
            now,
            format!("event {event} arrived again at worker-{worker} (duplicate)"),
        );
    }
}
