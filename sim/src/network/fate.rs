//! The fate of each message attempt, drawn from its own labelled stream.
//!
//! The label names the message (event id, log copy, punctuation sequence)
//! and the attempt, never a position in a queue, so removing one message
//! leaves every other message's fate unchanged. The sender draws the whole
//! fate (data and ack) when the attempt starts and the ack's part travels
//! in the message, so the receiver needs no stream of its own.

use super::config::{Latency, LinkParams, NetConfig};
use crate::lazy_chacha::LazyChaCha8;
use crate::rng;
use crate::scenario::{script, Scenario};
use rand::Rng;
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

/// `net/msg/`, hashed once: each attempt's label is hashed on from here as
/// it is written ([`rng::Label`]), so drawing a fate neither formats nor
/// allocates.
const MSG: rng::Label = rng::Label::new().text("net/msg/");
/// `net/punct/`, hashed once.
const PUNCT: rng::Label = rng::Label::new().text("net/punct/");

/// The fate of message `msg` on `link`: listed by the scenario when
/// `cfg` has listed fates, else drawn from `seed` under the message's
/// label. Recorded when `cfg` asks for it.
pub fn fate(seed: u64, msg: MsgId, link: &LinkParams, cfg: &NetConfig) -> Fate {
    fate_from(None, seed, msg, link, cfg)
}

/// The streams of the first attempts of events `ids` under `seed`, in
/// order, computed together ([`LazyChaCha8::many_from_u64`]), for
/// [`fate_from`]; none when `cfg` lists its fates.
pub fn first_attempt_streams(
    seed: u64,
    ids: impl Iterator<Item = u64>,
    cfg: &NetConfig,
    seeds: &mut Vec<u64>,
    out: &mut Vec<LazyChaCha8>,
) {
    seeds.clear();
    if cfg.listed_fates.is_none() {
        seeds.extend(ids.map(|id| event_label(id, 0).sub_seed(seed)));
    }
    LazyChaCha8::many_from_u64(seeds, out);
}

/// [`fate`], drawn from `stream` when it is given: message `msg`'s own
/// stream under `seed`, from [`first_attempt_streams`].
pub fn fate_from(
    stream: Option<&mut LazyChaCha8>,
    seed: u64,
    msg: MsgId,
    link: &LinkParams,
    cfg: &NetConfig,
) -> Fate {
    let fate = match &cfg.listed_fates {
        Some(listed) => listed.get(msg),
        None => {
            let mut own = None;
            let r = stream.unwrap_or_else(|| {
                let label = match msg {
                    MsgId::Event { id, attempt } => event_label(id, attempt),
                    // net/punct/{source}/{seq}/{dest}
                    MsgId::Punct { source, seq, dest } => PUNCT
                        .num(u64::from(source))
                        .text("/")
                        .num(seq)
                        .text("/")
                        .num(u64::from(dest)),
                };
                own.insert(rng::short_stream(seed, label))
            });
            draw_from(r, link, cfg.latency_ms_max)
        }
    };
    if let (Some(log), MsgId::Event { id, attempt }) = (&cfg.fate_log, msg) {
        log.push((id, attempt, fate));
    }
    fate
}

/// net/msg/{id}/{attempt}
fn event_label(id: u64, attempt: u32) -> rng::Label {
    MSG.num(id).text("/").num(u64::from(attempt))
}

/// The fate of an attempt on `link`, drawn from its own stream `r`. Draw
/// order is fixed: data loss, data latency, ack loss, ack latency.
fn draw_from(r: &mut LazyChaCha8, link: &LinkParams, latency_ms_max: i64) -> Fate {
    let lost = r.gen_bool(link.loss);
    let latency_ms = sample_latency(&link.latency, r, latency_ms_max);
    let ack_lost = r.gen_bool(link.loss);
    let ack_latency_ms = sample_latency(&link.latency, r, latency_ms_max);
    Fate {
        lost,
        latency_ms,
        ack_lost,
        ack_latency_ms,
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
        let draw = |id: u64| {
            draw_from(
                &mut rng::short_stream(1, event_label(id, 0)),
                &link(0.3),
                10_000,
            )
        };
        let a = draw(7);
        let _ = draw(8);
        let b = draw(7);
        assert_eq!(a, b);
    }

    /// The fates drawn from hashed labels are the ones drawn from the
    /// formatted label's full ChaCha8 stream, as every trace was made.
    #[test]
    fn fates_are_the_formatted_labels_streams() {
        let old = |seed: u64, label: &str, link: &LinkParams| {
            let mut r = rng::stream(seed, label);
            Fate {
                lost: r.gen_bool(link.loss),
                latency_ms: sample_latency(&link.latency, &mut r, 10_000),
                ack_lost: r.gen_bool(link.loss),
                ack_latency_ms: sample_latency(&link.latency, &mut r, 10_000),
            }
        };
        let mut cfg = NetConfig::lossless(0);
        cfg.latency_ms_max = 10_000;
        let l = link(0.3);
        for seed in [0, 3, u64::MAX] {
            for id in [0, 7, 10, 99, 12_345, u64::MAX] {
                for attempt in [0, 1, 9, 10] {
                    let label = format!("net/msg/{id}/{attempt}");
                    let msg = MsgId::Event { id, attempt };
                    assert_eq!(fate(seed, msg, &l, &cfg), old(seed, &label, &l), "{label}");
                }
                let (source, seq, dest) = (id as u32, id ^ 5, 3);
                let label = format!("net/punct/{source}/{seq}/{dest}");
                let msg = MsgId::Punct { source, seq, dest };
                assert_eq!(fate(seed, msg, &l, &cfg), old(seed, &label, &l), "{label}");
            }
        }
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
