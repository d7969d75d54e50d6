//! The fate of each message attempt, drawn from its own labelled stream.
//!
//! The label names the message (event id, log copy, punctuation sequence)
//! and the attempt, never a position in a queue, so removing one message
//! leaves every other message's fate unchanged. The sender draws the whole
//! fate (data and ack) when the attempt starts and the ack's part travels
//! in the message, so the receiver needs no stream of its own.

use super::config::{Latency, LinkParams, NetConfig};
use crate::rng;
use crate::scenario::{script, Scenario};
use rand::Rng;
use std::fmt::Write;
use std::sync::{Arc, Mutex};

/// What happens to one attempt of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fate {
    /// The data message is lost on the way.
    pub lost: bool,
    /// One-way latency of the data message.
    pub latency_ms: i64,
    /// The receiver's ack is lost on the way back.
    pub ack_lost: bool,
    /// One-way latency of the ack.
    pub ack_latency_ms: i64,
}

/// The fate of an attempt a scenario with `events:` does not list: it
/// arrives at once and so does its ack.
pub const AT_ONCE: Fate = Fate {
    lost: false,
    latency_ms: 0,
    ack_lost: false,
    ack_latency_ms: 0,
};

/// Which message a fate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgId {
    /// Attempt `attempt` (from 0) of event `id`.
    Event {
        /// The event's id in the workload.
        id: u64,
        /// The attempt, from 0.
        attempt: u32,
    },
    /// Punctuation `seq` of source `source` to destination `dest`.
    Punct {
        /// The source's index.
        source: u32,
        /// Its punctuations, counted from 0.
        seq: u64,
        /// The destination (workers by index, then the log).
        dest: u32,
    },
}

/// The fates a scenario lists (`events:`), by workload event id, then
/// attempt; anything not listed gets [`AT_ONCE`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListedFates {
    by_event: Vec<Vec<Fate>>,
}

impl ListedFates {
    /// The listed fates of `scenario`, `None` when it generates its events.
    #[must_use]
    pub fn of(scenario: &Scenario) -> Option<ListedFates> {
        let events = scenario.events.as_ref()?;
        let by_event = script::send_order(events)
            .into_iter()
            .map(|i| {
                events[i]
                    .attempts
                    .iter()
                    .map(|a| Fate {
                        lost: a.lost,
                        latency_ms: a.delay.ms(),
                        ack_lost: a.ack_lost,
                        ack_latency_ms: a.ack_delay.ms(),
                    })
                    .collect()
            })
            .collect();
        Some(ListedFates { by_event })
    }

    fn get(&self, msg: MsgId) -> Fate {
        match msg {
            MsgId::Event { id, attempt } => usize::try_from(id)
                .ok()
                .and_then(|i| self.by_event.get(i))
                .and_then(|a| a.get(attempt as usize))
                .copied()
                .unwrap_or(AT_ONCE),
            MsgId::Punct { .. } => AT_ONCE,
        }
    }
}

/// Where a run records every event attempt's fate, as (event id, attempt,
/// fate), in the order they were decided: `shrink` turns a failing run's
/// record into a scenario with `events:`. Shared (`Arc`) because a
/// `NetConfig` may be read from several threads; one run writes it. Two
/// logs are equal when they are the same log.
#[derive(Debug, Clone, Default)]
pub struct FateLog(Arc<Mutex<Vec<(u64, u32, Fate)>>>);

impl PartialEq for FateLog {
    fn eq(&self, other: &FateLog) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl FateLog {
    // A poisoned log only means another writer panicked; the record is
    // still plain data.
    fn push(&self, entry: (u64, u32, Fate)) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(entry);
    }

    /// Everything recorded so far, leaving the log empty.
    #[must_use]
    pub fn take(&self) -> Vec<(u64, u32, Fate)> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// Reuses one label buffer so that drawing a fate allocates nothing.
#[derive(Debug, Default)]
pub struct FateDrawer {
    label: String,
}

impl FateDrawer {
    /// The fate of message `msg` on `link`: listed by the scenario when
    /// `cfg` has listed fates, else drawn from `seed` under the message's
    /// label. Recorded when `cfg` asks for it.
    pub fn fate(&mut self, seed: u64, msg: MsgId, link: &LinkParams, cfg: &NetConfig) -> Fate {
        let fate = match &cfg.listed_fates {
            Some(listed) => listed.get(msg),
            None => match msg {
                MsgId::Event { id, attempt } => self.draw(
                    seed,
                    format_args!("net/msg/{id}/{attempt}"),
                    link,
                    cfg.latency_ms_max,
                ),
                MsgId::Punct { source, seq, dest } => self.draw(
                    seed,
                    format_args!("net/punct/{source}/{seq}/{dest}"),
                    link,
                    cfg.latency_ms_max,
                ),
            },
        };
        if let (Some(log), MsgId::Event { id, attempt }) = (&cfg.fate_log, msg) {
            log.push((id, attempt, fate));
        }
        fate
    }

    /// The fate of the attempt named by `label_args` (written as the label)
    /// on `link`, under master `seed`. Draw order is fixed: data loss, data
    /// latency, ack loss, ack latency.
    pub fn draw(
        &mut self,
        seed: u64,
        label_args: std::fmt::Arguments<'_>,
        link: &LinkParams,
        latency_ms_max: i64,
    ) -> Fate {
        self.label.clear();
        // Writing to a String can't fail.
        let _ = self.label.write_fmt(label_args);
        let mut r = rng::short_stream(seed, &self.label);
        let lost = r.gen_bool(link.loss);
        let latency_ms = sample_latency(&link.latency, &mut r, latency_ms_max);
        let ack_lost = r.gen_bool(link.loss);
        let ack_latency_ms = sample_latency(&link.latency, &mut r, latency_ms_max);
        Fate {
            lost,
            latency_ms,
            ack_lost,
            ack_latency_ms,
        }
    }
}

/// One latency sample in whole milliseconds, within `[0, max_ms]`.
pub fn sample_latency<R: Rng>(latency: &Latency, r: &mut R, max_ms: i64) -> i64 {
    latency.sample_ms(r).clamp(0, max_ms.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Dur, LatencyRange, ParetoLatency};

    fn link(loss: f64) -> LinkParams {
        LinkParams {
            latency: Latency::Pareto(ParetoLatency {
                scale: Dur(5),
                shape: 1.5,
            }),
            loss,
        }
    }

    #[test]
    fn fates_depend_only_on_their_label() {
        let mut d = FateDrawer::default();
        let a = d.draw(1, format_args!("net/msg/{}/{}", 7, 0), &link(0.3), 10_000);
        let _ = d.draw(1, format_args!("net/msg/{}/{}", 8, 0), &link(0.3), 10_000);
        let b = d.draw(1, format_args!("net/msg/{}/{}", 7, 0), &link(0.3), 10_000);
        assert_eq!(a, b);
    }

    #[test]
    fn latencies_stay_within_bounds() {
        let mut r = rng::stream(3, "t");
        for _ in 0..1000 {
            let ms = sample_latency(&link(0.0).latency, &mut r, 100);
            assert!((5..=100).contains(&ms), "{ms}");
        }
        let u = Latency::Uniform(LatencyRange {
            min: Dur(3),
            max: Dur(4),
        });
        for _ in 0..100 {
            assert!((3..=4).contains(&sample_latency(&u, &mut r, 100)));
        }
    }
}
