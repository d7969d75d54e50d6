//! What every simulated host shares: the immutable run context and the
//! recorder that becomes the [`Trace`](crate::model::Trace).
//!
//! Turmoil runs every host on the calling thread, so plain `Rc<RefCell>`
//! is enough and no lock order can leak into the results.

use super::config::{LinkParams, NetConfig};
use super::route::Topology;
use super::wire::{Msg, LEN};
use crate::model::{Delivery, FaultDecision};
use std::cell::RefCell;
use std::net::SocketAddr;
use std::time::Duration;
use tidemark_engine::ProcTime;

/// The port every simulated host binds.
pub const PORT: u16 = 7400;

/// Immutable facts about the run.
#[derive(Debug)]
pub struct Ctx {
    /// Master seed of the run.
    pub seed: u64,
    /// The network configuration.
    pub cfg: NetConfig,
    /// Who routes to whom.
    pub topo: Topology,
    /// `links_from_source[s][d]`: link parameters from source `s` to
    /// destination `d` (workers by index, then the log last).
    pub links_from_source: Vec<Vec<LinkParams>>,
    /// `links_from_log[w]`: the log's link to worker `w`.
    pub links_from_log: Vec<LinkParams>,
    /// Whether sources (and the log) send punctuations, and how often.
    pub punctuation_interval_ms: Option<i64>,
    /// Everything recorded during the run.
    pub rec: RefCell<Recorder>,
}

/// What the hosts record while the simulation runs.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Arrivals at workers, in arrival order.
    pub deliveries: Vec<Delivery>,
    /// Fault decisions, as taken.
    pub faults: Vec<FaultDecision>,
    /// Whether each event (dense id) has reached its worker.
    pub arrived: Vec<bool>,
    /// Source hosts still running.
    pub sources_running: u32,
}

impl Ctx {
    /// Records a fault decision taken at `now_ms`.
    pub fn fault(&self, now_ms: i64, what: String) {
        self.rec.borrow_mut().faults.push(FaultDecision {
            at: ProcTime(now_ms),
            what,
        });
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

/// Sends `msg` now; turmoil drops it if the link is partitioned.
pub fn send(sock: &turmoil::net::UdpSocket, msg: &Msg, to: SocketAddr) -> std::io::Result<()> {
    send_bytes(sock, &msg.encode(), to)
}

/// Sends an encoded message now.
pub fn send_bytes(
    sock: &turmoil::net::UdpSocket,
    bytes: &[u8; LEN],
    to: SocketAddr,
) -> std::io::Result<()> {
    sock.try_send_to(bytes, to).map(|_| ())
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
