//! The perfect watermark, computed by the harness, which knows the whole
//! trace: at any point of the replay, the least event time of every event
//! bound for this worker that has not arrived yet (buffered at an offline
//! source, in flight, or about to be retried). An event that never arrives
//! holds the watermark until its sender gives up on it.

use super::index::EventIndex;
use crate::model::{Delivery, Trace, Workload};
use crate::network::Topology;
use anyhow::{bail, Result};
use std::collections::BTreeSet;

/// One worker's perfect watermark along the replay.
#[derive(Debug, Clone, Default)]
pub struct Perfect {
    /// (delivery index of first arrival, event time), by index.
    firsts: Vec<(usize, i64)>,
    /// `suffix_min[j]`: least time among `firsts[j..]`.
    suffix_min: Vec<i64>,
    next: usize,
    /// Never-arriving events as (give-up time, event time, id), by give-up time.
    lost: Vec<(i64, i64, u64)>,
    lost_next: usize,
    lost_live: BTreeSet<(i64, u64)>,
}

/// One [`Perfect`] per worker, for `trace` over `workload`. `give_up_ms` is
/// how long after `sent_at` a sender abandons an event that never arrives.
pub fn per_worker(
    workload: &Workload,
    index: &EventIndex,
    trace: &Trace,
    topo: &Topology,
    give_up_ms: i64,
) -> Result<Vec<Perfect>> {
    let mut out = vec![Perfect::default(); trace.workers as usize];
    let mut arrived = vec![false; index.id_end()];
    for (i, d) in trace.deliveries.iter().enumerate() {
        if let Delivery::Record { event, worker, .. } = *d {
            let (Some(e), Some(seen)) =
                (index.get(workload, event), arrived.get_mut(event as usize))
            else {
                bail!("delivery {i} names event {event}, not in the workload");
            };
            if !std::mem::replace(seen, true) {
                match out.get_mut(worker as usize) {
                    Some(p) => p.firsts.push((i, e.time.0)),
                    None => bail!("delivery {i} names worker {worker} of {}", trace.workers),
                }
            }
        }
    }
    for e in &workload.events {
        if !arrived[e.id as usize] {
            if let Some(p) = out.get_mut(topo.worker_of(e.key) as usize) {
                p.lost
                    .push((e.sent_at.0.saturating_add(give_up_ms), e.time.0, e.id));
            }
        }
    }
    for p in &mut out {
        p.suffix_min = vec![i64::MAX; p.firsts.len() + 1];
        for j in (0..p.firsts.len()).rev() {
            p.suffix_min[j] = p.suffix_min[j + 1].min(p.firsts[j].1);
        }
        p.lost.sort_unstable();
        p.lost_live = p.lost.iter().map(|&(_, t, id)| (t, id)).collect();
    }
    Ok(out)
}

impl Perfect {
    /// The watermark once deliveries before `position` have been replayed
    /// and processing time is `now`.
    pub fn at(&mut self, position: usize, now: i64) -> i64 {
        while self.next < self.firsts.len() && self.firsts[self.next].0 < position {
            self.next += 1;
        }
        while let Some(&(give_up, t, id)) = self.lost.get(self.lost_next) {
            if give_up > now {
                break;
            }
            self.lost_live.remove(&(t, id));
            self.lost_next += 1;
        }
        let pending = self.suffix_min[self.next];
        self.lost_live
            .first()
            .map_or(pending, |&(t, _)| t.min(pending))
    }
}
