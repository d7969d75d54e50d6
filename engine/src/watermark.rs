//! Watermark strategies: turning what sources send into one watermark.
//!
//! Sans-IO like the engine: the caller reports records and punctuations with
//! the processing time it saw them, and polls for the combined watermark.

use crate::pipeline::ConfigError;
use crate::time::{Duration, EventTime, ProcTime};

/// How each input channel's watermark is derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatermarkStrategy {
    /// Supplied from outside with [`WatermarkTracker::set_external`]; the
    /// harness uses this for the perfect watermark.
    External,
    /// Max event time seen on the channel minus `delay` (Flink's
    /// `forBoundedOutOfOrderness`).
    BoundedOutOfOrderness {
        /// How far behind the max seen the watermark stays.
        delay: Duration,
    },
    /// Each source sends its own low watermark
    /// ([`WatermarkTracker::observe_punctuation`]).
    Punctuated,
}

/// A watermark strategy over several input channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WatermarkConfig {
    /// Per-channel rule.
    pub strategy: WatermarkStrategy,
    /// Number of input channels; the watermark is their minimum.
    pub channels: u32,
    /// A channel silent for this long stops holding the watermark back,
    /// until it sends again.
    pub idle_timeout: Option<Duration>,
    /// Emit at most once per this much processing time, on multiples of
    /// it; zero emits every advance at once.
    pub emit_interval: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Channel {
    /// The channel's own watermark.
    watermark: EventTime,
    /// Last processing time it sent anything; `None` before the first.
    active_at: Option<ProcTime>,
}

/// Combines channel watermarks into one, monotonically.
#[derive(Debug, Clone)]
pub struct WatermarkTracker {
    config: WatermarkConfig,
    channels: Vec<Channel>,
    external: EventTime,
    /// The last watermark handed out.
    emitted: EventTime,
    /// Processing time the tracker started; idle timeouts count from here
    /// for channels that never sent.
    started_at: Option<ProcTime>,
    next_emit: Option<ProcTime>,
    /// The last processing time the tracker was polled at: idle deadlines
    /// at or before it are handled, and `poll_timeout` must not report them
    /// (a caller that skips a timeout in its past would then never poll
    /// again, and the emission interval would stop ticking).
    polled_at: Option<ProcTime>,
    regressions: u64,
}

impl WatermarkTracker {
    /// A tracker for `config`, or why it can't work.
    pub fn new(config: WatermarkConfig) -> Result<WatermarkTracker, ConfigError> {
        if config.channels == 0 {
            return Err(ConfigError::Watermark(
                "needs at least one input channel".into(),
            ));
        }
        if config.emit_interval.0 < 0 {
            return Err(ConfigError::Watermark(
                "emit interval must not be negative".into(),
            ));
        }
        if let Some(t) = config.idle_timeout {
            if t.0 <= 0 {
                return Err(ConfigError::Watermark(
                    "idle timeout must be positive".into(),
                ));
            }
        }
        if let WatermarkStrategy::BoundedOutOfOrderness { delay } = config.strategy {
            if delay.0 < 0 {
                return Err(ConfigError::Watermark(
                    "out-of-orderness delay must not be negative".into(),
                ));
            }
        }
        Ok(WatermarkTracker {
            config,
            channels: vec![
                Channel {
                    watermark: EventTime::MIN,
                    active_at: None,
                };
                config.channels as usize
            ],
            external: EventTime::MIN,
            emitted: EventTime::MIN,
            started_at: None,
            next_emit: None,
            polled_at: None,
            regressions: 0,
        })
    }

    /// The last watermark handed out by [`poll_watermark`](Self::poll_watermark).
    #[must_use]
    pub fn current(&self) -> EventTime {
        self.emitted
    }

    /// Channel or external watermarks that tried to go back (ignored).
    #[must_use]
    pub fn regressions(&self) -> u64 {
        self.regressions
    }

    fn touch(&mut self, now: ProcTime, channel: u32) -> Option<&mut Channel> {
        self.started_at.get_or_insert(now);
        let ch = self.channels.get_mut(channel as usize)?;
        ch.active_at = Some(now);
        Some(ch)
    }

    /// A record with event time `time` arrived on `channel`. Out-of-range
    /// channels are ignored.
    pub fn observe_record(&mut self, now: ProcTime, channel: u32, time: EventTime) {
        let strategy = self.config.strategy;
        if let Some(ch) = self.touch(now, channel) {
            if let WatermarkStrategy::BoundedOutOfOrderness { delay } = strategy {
                ch.watermark = ch.watermark.max(time.minus(delay));
                if known_bug!(WatermarkBackwards) {
                    // KNOWN BUG: the latest record, not the largest seen.
                    ch.watermark = time.minus(delay);
                }
            }
        }
    }

    /// A source's own watermark arrived on `channel` (punctuated strategy;
    /// under other strategies it only marks the channel active).
    pub fn observe_punctuation(&mut self, now: ProcTime, channel: u32, watermark: EventTime) {
        let punctuated = self.config.strategy == WatermarkStrategy::Punctuated;
        let mut regressed = false;
        if let Some(ch) = self.touch(now, channel) {
            if punctuated {
                regressed = watermark < ch.watermark;
                ch.watermark = ch.watermark.max(watermark);
            }
        }
        self.regressions += u64::from(regressed);
    }

    /// The externally supplied watermark (external strategy).
    pub fn set_external(&mut self, now: ProcTime, watermark: EventTime) {
        self.started_at.get_or_insert(now);
        if watermark < self.external {
            self.regressions += 1;
        }
        self.external = self.external.max(watermark);
    }

    /// The watermark the channels support at `now`, ignoring the emission
    /// interval.
    #[must_use]
    pub fn combined(&self, now: ProcTime) -> EventTime {
        if self.config.strategy == WatermarkStrategy::External {
            return self.external.max(self.emitted);
        }
        let idle = |ch: &Channel| match self.config.idle_timeout {
            // KNOWN BUG: an idle channel holds the watermark forever.
            _ if known_bug!(IdleHoldsForever) => false,
            None => false,
            Some(t) => {
                let since = ch.active_at.or(self.started_at).unwrap_or(now);
                now >= since.plus(t)
            }
        };
        let active = self.channels.iter().filter(|ch| !idle(ch));
        // All idle: nothing holds the watermark back, but nothing moves it
        // either, so it stays (Flink's behaviour).
        let active = active.map(|ch| ch.watermark);
        // KNOWN BUG: channels combined with max instead of min.
        let combined = if known_bug!(WatermarkMaxNotMin) {
            active.max()
        } else {
            active.min()
        };
        match combined {
            // KNOWN BUG: a returning channel pulls the watermark back.
            Some(min) if known_bug!(IdleReturnRegresses | WatermarkBackwards) => min,
            Some(min) => min.max(self.emitted),
            None => self
                .channels
                .iter()
                .map(|ch| ch.watermark)
                .max()
                .unwrap_or(EventTime::MIN)
                .max(self.emitted),
        }
    }

    /// A new watermark, if it advanced and the emission interval allows one
    /// at `now`.
    pub fn poll_watermark(&mut self, now: ProcTime) -> Option<EventTime> {
        self.polled_at = Some(self.polled_at.map_or(now, |p| p.max(now)));
        let interval = self.config.emit_interval;
        if interval.0 > 0 {
            let due = *self
                .next_emit
                .get_or_insert_with(|| next_multiple(now, interval));
            if now < due {
                return None;
            }
            self.next_emit = Some(next_multiple(ProcTime(now.0.saturating_add(1)), interval));
        }
        let w = self.combined(now);
        // KNOWN BUG (both regressing variants): any change is emitted.
        let regress = known_bug!(IdleReturnRegresses | WatermarkBackwards);
        if w > self.emitted || (regress && w != self.emitted && w > EventTime::MIN) {
            self.emitted = w;
            Some(w)
        } else {
            None
        }
    }

    /// When to poll next: the next emission tick, or the moment the next
    /// channel goes idle.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<ProcTime> {
        let idle_at = self.config.idle_timeout.and_then(|t| {
            self.channels
                .iter()
                .filter_map(|ch| ch.active_at.or(self.started_at))
                .map(|since| since.plus(t))
                .filter(|&at| self.polled_at.is_none_or(|p| at > p))
                .min()
        });
        match (self.next_emit, idle_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

fn next_multiple(t: ProcTime, interval: Duration) -> ProcTime {
    let r = t.0.rem_euclid(interval.0);
    if r == 0 {
        t
    } else {
        ProcTime(t.0.saturating_add(interval.0 - r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker(strategy: WatermarkStrategy, channels: u32, idle: Option<i64>) -> WatermarkTracker {
        WatermarkTracker::new(WatermarkConfig {
            strategy,
            channels,
            idle_timeout: idle.map(Duration),
            emit_interval: Duration::ZERO,
        })
        .expect("valid config")
    }

    #[test]
    fn bounded_out_of_orderness_is_max_seen_minus_delay() {
        let mut t = tracker(
            WatermarkStrategy::BoundedOutOfOrderness { delay: Duration(5) },
            1,
            None,
        );
        t.observe_record(ProcTime(0), 0, EventTime(20));
        t.observe_record(ProcTime(1), 0, EventTime(12));
        assert_eq!(t.poll_watermark(ProcTime(1)), Some(EventTime(15)));
        assert_eq!(t.poll_watermark(ProcTime(2)), None);
    }

    #[test]
    fn the_slowest_channel_holds_the_watermark_until_it_goes_idle() {
        let strategy = WatermarkStrategy::BoundedOutOfOrderness { delay: Duration(0) };
        let mut t = tracker(strategy, 2, Some(100));
        t.observe_record(ProcTime(0), 0, EventTime(50));
        t.observe_record(ProcTime(0), 1, EventTime(10));
        assert_eq!(t.poll_watermark(ProcTime(0)), Some(EventTime(10)));
        t.observe_record(ProcTime(60), 0, EventTime(70));
        assert_eq!(t.poll_watermark(ProcTime(60)), None);
        // Channel 1 has been silent since 0: idle at 100.
        assert_eq!(t.poll_watermark(ProcTime(100)), Some(EventTime(70)));
    }

    #[test]
    fn the_emission_interval_keeps_ticking_after_a_channel_went_idle() {
        let mut t = WatermarkTracker::new(WatermarkConfig {
            strategy: WatermarkStrategy::BoundedOutOfOrderness { delay: Duration(0) },
            channels: 2,
            idle_timeout: Some(Duration(100)),
            emit_interval: Duration(10),
        })
        .expect("valid config");
        t.observe_record(ProcTime(0), 0, EventTime(5));
        assert_eq!(t.poll_watermark(ProcTime(0)), None);
        // Channel 1 never sends: idle at 100, then only ticks remain.
        assert_eq!(t.poll_timeout(), Some(ProcTime(10)));
        assert_eq!(t.poll_watermark(ProcTime(100)), Some(EventTime(5)));
        t.observe_record(ProcTime(103), 0, EventTime(50));
        assert_eq!(t.poll_watermark(ProcTime(103)), None);
        assert_eq!(
            t.poll_timeout(),
            Some(ProcTime(110)),
            "not the idle deadline at 100, already handled"
        );
        assert_eq!(t.poll_watermark(ProcTime(110)), Some(EventTime(50)));
    }

    #[test]
    fn punctuations_never_move_back() {
        let mut t = tracker(WatermarkStrategy::Punctuated, 1, None);
        t.observe_punctuation(ProcTime(0), 0, EventTime(30));
        t.observe_punctuation(ProcTime(1), 0, EventTime(20));
        assert_eq!(t.poll_watermark(ProcTime(1)), Some(EventTime(30)));
        assert_eq!(t.regressions(), 1);
    }

    #[test]
    fn emission_interval_batches_advances() {
        let mut t = WatermarkTracker::new(WatermarkConfig {
            strategy: WatermarkStrategy::External,
            channels: 1,
            idle_timeout: None,
            emit_interval: Duration(10),
        })
        .expect("valid config");
        t.set_external(ProcTime(3), EventTime(5));
        assert_eq!(t.poll_watermark(ProcTime(3)), None);
        assert_eq!(t.poll_timeout(), Some(ProcTime(10)));
        assert_eq!(t.poll_watermark(ProcTime(10)), Some(EventTime(5)));
    }
}
