//! What every simulated host shares: the immutable run context and the
//! recorder that becomes the [`Trace`](crate::model::Trace).
//!
//! Turmoil runs every host on the calling thread, so plain `Rc<RefCell>`
//! is enough and no lock order can leak into the results.

use super::config::{LinkParams, NetConfig};
use super::route::Topology;
use super::wire::{self, Stamped, LEN};
use crate::model::{Delivery, Event, FaultDecision};
use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;
use tidemark_engine::ProcTime;

/// The port every simulated host binds.
pub const PORT: u16 = 7400;

/// Immutable facts about the run.
#[derive(Debug)]
pub struct Ctx {
    /// The workload's events, lent for the run (`run::run`): senders keep
    /// positions into it, not copies.
    pub events: Rc<Vec<Event>>,
    /// Master seed of the run.
    pub seed: u64,
    /// The network configuration.
    pub cfg: NetConfig,
    /// Who routes to whom.
    pub topo: Topology,
    /// `links_from_source[s][d]`: link parameters from source `s` to
    /// destination `d` (workers by index, then the log last).
    pub links_from_source: Vec<Vec<LinkParams>>,
    /// Each of those links' loss as `{}` writes it, for the lost-message
    /// fault's text (formatted once per link, not once per loss).
    pub loss_text: Vec<Vec<String>>,
    /// Whether sources (and the log) send punctuations, and how often.
    pub punctuation_interval_ms: Option<i64>,
    /// The turmoil tick ([`NetConfig::tick`]).
    pub tick_ms: i64,
    /// Everything recorded during the run.
    pub rec: RefCell<Recorder>,
}

/// What the hosts record while the simulation runs.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Arrivals at workers, as received (sorted by time at the end;
    /// `duplicate` is decided then, in that order).
    pub deliveries: Vec<Delivery>,
    /// Fault decisions, as taken.
    pub faults: Vec<FaultDecision>,
    /// Whether each event (dense id) has reached its worker.
    pub arrived: Vec<bool>,
    /// Source hosts still running.
    pub sources_running: u32,
    /// Latest exact time anything settled (an ack arrived or a sender
    /// gave up): the trace's end.
    pub settled_max: i64,
    /// Acks read after their sender had already retried although they
    /// were due in time: always 0 unless the tick is too coarse for the
    /// retry timeout (checked by tests).
    pub late_acks: u64,
}

impl Ctx {
    /// Records a fault decision taken at `now_ms`.
    pub fn fault(&self, now_ms: i64, what: String) {
        self.rec.borrow_mut().faults.push(FaultDecision {
            at: ProcTime(now_ms),
            what,
        });
    }

    /// Notes that something settled at `at`.
    pub fn settled(&self, at: i64) {
        let mut rec = self.rec.borrow_mut();
        rec.settled_max = rec.settled_max.max(at);
    }

    /// Start of the step containing `t`: a datagram meant to arrive at `t`
    /// goes on the wire then and is read at the next step, after `t`.
    pub fn step_of(&self, t: i64) -> i64 {
        t.div_euclid(self.tick_ms) * self.tick_ms
    }

    /// When a sender may decide that an ack due by `due` did not come: the
    /// first step start at least two ticks after `due`. An ack meant to
    /// arrive by `due` is on the wire by the step containing `due` (one
    /// tick later if the data it answers was itself sent late), so by then
    /// it has been read. See `config::TIMEOUT_TICKS`.
    pub fn decide_at(&self, due: i64) -> i64 {
        let t = due.saturating_add(2 * self.tick_ms);
        t.div_euclid(self.tick_ms) * self.tick_ms
            + if t.rem_euclid(self.tick_ms) == 0 {
                0
            } else {
                self.tick_ms
            }
    }

    /// The exact arrival time of datagram `d` read at `now`, given `exact`,
    /// when it was meant to arrive after any faults its receiver applies
    /// itself (`deliver_at` for those that apply none): `exact`, unless
    /// turmoil held the datagram on its link past the one step every
    /// datagram takes; then not before the step it was released in, which
    /// is when it really arrived (holds end on step boundaries).
    pub fn arrival(&self, d: &Stamped, exact: i64, now: i64) -> i64 {
        if now > d.wire_at.saturating_add(self.tick_ms) {
            now.max(exact)
        } else {
            exact
        }
    }
}

/// Processing time on the current host, in whole milliseconds.
pub fn now_ms() -> i64 {
    i64::try_from(turmoil::elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The address of a host by name (must run inside the simulation).
pub fn addr(name: &str) -> SocketAddr {
    SocketAddr::new(turmoil::lookup(name), PORT)
}

/// Messages packed into one turmoil datagram at most: 1,024 × 58 bytes
/// stays under UDP's 65,507-byte payload.
pub const BATCH_MAX: usize = 1_024;

/// Bytes a receive buffer needs for the largest batch.
pub const RECV_BUF: usize = BATCH_MAX * LEN;

/// What a host puts on the wire within one pass over its due work, packed
/// per destination: every message going to one host in one step travels
/// in one turmoil datagram (up to [`BATCH_MAX`]) instead of one each.
///
/// Why: turmoil's cost is per datagram (an allocation, a link queue entry,
/// a socket queue entry and a lock each), which was a third of a seed's
/// time. Nothing observable changes: every message still carries its own
/// exact arrival time; a link's messages keep their order (a batch holds
/// them in send order, and batches to one host leave in order); and a
/// turmoil partition or hold catches a whole batch, which are messages put
/// on the same link in the same step, exactly the ones it caught one by one.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Per destination, in order of first use; buffers are kept for reuse.
    batches: Vec<(SocketAddr, Vec<u8>)>,
}

impl Outbox {
    /// Queues an encoded message for `to`, on the wire in the step starting
    /// at `step` (the step [`Outbox::flush`] runs in).
    pub fn push(&mut self, to: SocketAddr, mut bytes: [u8; LEN], step: i64) {
        wire::set_wire_at(&mut bytes, step);
        let i = match self.batches.iter().position(|(a, _)| *a == to) {
            Some(i) => i,
            None => {
                self.batches.push((to, Vec::new()));
                self.batches.len() - 1
            }
        };
        self.batches[i].1.extend_from_slice(&bytes);
    }

    /// Puts everything queued on the wire; turmoil drops a datagram on a
    /// partitioned link.
    pub fn flush(&mut self, sock: &turmoil::net::UdpSocket) -> std::io::Result<()> {
        for (to, buf) in &mut self.batches {
            for datagram in buf.chunks(RECV_BUF) {
                sock.try_send_to(datagram, *to)?;
            }
            buf.clear();
        }
        Ok(())
    }
}

/// The messages of one received datagram (a batch, see [`Outbox`]).
pub fn messages(datagram: &[u8]) -> impl Iterator<Item = Stamped> + '_ {
    datagram.chunks_exact(LEN).filter_map(wire::Msg::decode)
}

/// Waits until a datagram is readable or `wake_in` passes. `biased;` keeps
/// the choice deterministic when both are ready: input first.
pub async fn wait(
    sock: &turmoil::net::UdpSocket,
    wake_in: Option<Duration>,
) -> std::io::Result<()> {
    match wake_in {
        Some(d) => {
            tokio::select! {
                biased;
                r = sock.readable() => r,
                () = tokio::time::sleep(d) => Ok(()),
            }
        }
        None => sock.readable().await,
    }
}

/// The sleep from `now` until `at`, `None` when nothing is scheduled.
pub fn wake_in(now: i64, at: Option<i64>) -> Option<Duration> {
    at.map(|t| Duration::from_millis(u64::try_from(t.saturating_sub(now)).unwrap_or(0)))
}
