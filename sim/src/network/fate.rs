//! The fate of each message attempt, drawn from its own labelled stream.
//!
//! The label names the message (event id, log copy, punctuation sequence)
//! and the attempt, never a position in a queue, so removing one message
//! leaves every other message's fate unchanged. The sender draws the whole
//! fate (data and ack) when the attempt starts and the ack's part travels
//! in the message, so the receiver needs no stream of its own.

use super::config::{Latency, LinkParams};
use crate::rng;
use rand::Rng;
use std::fmt::Write;

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

/// Reuses one label buffer so that drawing a fate allocates nothing.
#[derive(Debug, Default)]
pub struct FateDrawer {
    label: String,
}

impl FateDrawer {
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
