//! Emission and pane info: what a firing is called (`describe_pane`),
//! whether it emits, and the one place each output kind is built.

use crate::aggregate::AggValue;
use crate::driver::Engine;
use crate::output::{Key, Output, Pane, PaneInfo, Timing};
use crate::output_queue::{OutputQueue, Sink};
use crate::pipeline::{Accumulation, OnTimeBehavior, Pipeline};
use crate::stats::EngineStats;
use crate::time::{EventTime, ProcTime};
use crate::window::Window;
use crate::window_state::{LastPane, PanePhase, WindowState};

/// Beam Java's `PaneInfoTracker.describePane`. With `W` the input watermark
/// and `O` the key's output watermark as of the last watermark step:
/// - late if a non-early pane already went out, or `O` is past the window's
///   max timestamp (`isLateForOutput`: nothing held the output watermark at
///   the window's end);
/// - otherwise early if `W` is not past the max timestamp;
/// - otherwise on time.
///
/// `index` counts the window's panes from 0; `nonspeculative_index` is −1
/// for an early pane and otherwise the previous one's plus one (so the first
/// non-early pane is 0, on time or late).
#[inline]
pub(crate) fn describe_pane(
    phase: PanePhase,
    window: &Window,
    input_watermark: EventTime,
    output_watermark: EventTime,
    is_last: bool,
) -> PaneInfo {
    // `max_timestamp < x` is `end <= x` (and holds for the global window too).
    let late_for_output = output_watermark >= window.end;
    let early_for_input = input_watermark < window.end;
    let timing = match (phase, late_for_output, early_for_input) {
        (PanePhase::NonEarly { .. }, _, _) | (_, true, _) => Timing::Late,
        (_, false, true) => Timing::Early,
        (_, false, false) => Timing::OnTime,
    };
    let (index, nonspeculative) = match phase {
        PanePhase::NoPane => (0, 0),
        PanePhase::Early { last } => (last + 1, 0),
        PanePhase::NonEarly {
            last,
            nonspeculative,
        } => (last + 1, nonspeculative + 1),
    };
    PaneInfo {
        timing,
        index,
        nonspeculative_index: if timing == Timing::Early {
            -1
        } else {
            nonspeculative
        },
        is_first: index == 0,
        is_last,
    }
}

impl PanePhase {
    /// The phase once `info` has been emitted.
    #[inline]
    pub(crate) fn after(info: &PaneInfo) -> PanePhase {
        match info.timing {
            Timing::Early => PanePhase::Early { last: info.index },
            Timing::OnTime | Timing::Late => PanePhase::NonEarly {
                last: info.index,
                nonspeculative: info.nonspeculative_index,
            },
        }
    }
}

/// A pane: the window's result at one firing.
pub(crate) fn pane(
    key: Key,
    window: Window,
    value: AggValue,
    timestamp: EventTime,
    info: PaneInfo,
    fired_at: ProcTime,
    watermark: EventTime,
) -> Output {
    Output::Pane(Pane {
        key,
        window,
        value,
        timestamp,
        info,
        retraction: false,
        fired_at,
        watermark,
    })
}

/// The withdrawal of an earlier pane: its value, timestamp and pane info,
/// marked `retraction`.
pub(crate) fn retraction(
    key: Key,
    window: Window,
    last: LastPane,
    fired_at: ProcTime,
    watermark: EventTime,
) -> Output {
    Output::Pane(Pane {
        key,
        window,
        value: last.value,
        timestamp: last.timestamp,
        info: last.info,
        retraction: true,
        fired_at,
        watermark,
    })
}

impl Engine {
    /// Beam Java's `onTrigger`: releases the window's hold (its value, or
    /// the max timestamp, is the pane's timestamp), describes the pane, and
    /// emits it when there is something to say (`needToEmit`): elements
    /// since the last pane, or an on-time pane under `on_time: always`.
    /// An unemitted pane doesn't advance the index. Then clears what the
    /// accumulation mode discards.
    pub(crate) fn on_trigger(&mut self, key: Key, window: Window, is_last: bool) {
        let e = self.emission(key, window, is_last);
        let Some(st) = self.table.open_mut(key, window) else {
            return;
        };
        emit(&self.pipeline, e, st, &mut self.outputs, &mut self.stats);
    }

    /// `on_trigger` for the last pane of a window already taken out of the
    /// table (expiry): no lookup needed.
    pub(crate) fn on_trigger_last(&mut self, key: Key, window: Window, st: &mut WindowState) {
        let e = self.emission(key, window, true);
        emit(&self.pipeline, e, st, &mut self.outputs, &mut self.stats);
    }

    /// What a firing of `window` now is about; the output watermark is the
    /// key's as of the last completed watermark step.
    pub(crate) fn emission(&self, key: Key, window: Window, is_last: bool) -> Emission {
        Emission {
            key,
            window,
            is_last,
            watermark: self.watermark,
            output_watermark: self.holds.of(key),
            now: self.now,
        }
    }
}

/// What a firing is about, for `emit`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Emission {
    pub(crate) key: Key,
    pub(crate) window: Window,
    pub(crate) is_last: bool,
    pub(crate) watermark: EventTime,
    pub(crate) output_watermark: EventTime,
    pub(crate) now: ProcTime,
}

/// The body of `on_trigger`, on a window's state wherever it is. Not
/// inline: inlined into the per-record path, it cost the 1K-key cases a
/// quarter of their speed (registers the record loop needs).
#[inline(never)]
pub(crate) fn emit(
    pipeline: &Pipeline,
    e: Emission,
    st: &mut WindowState,
    outputs: &mut OutputQueue,
    stats: &mut EngineStats,
) {
    emit_inline(pipeline, e, st, outputs, stats);
}

/// [`emit`], inline: a lean last pane built as it is polled
/// (`output_queue`) is built in registers, its state's constant fields
/// folded away, where a call wrote it to memory and read it back.
#[inline(always)]
pub(crate) fn emit_inline(
    pipeline: &Pipeline,
    e: Emission,
    st: &mut WindowState,
    outputs: &mut impl Sink,
    stats: &mut EngineStats,
) {
    let Emission {
        key,
        window,
        is_last,
        watermark,
        output_watermark,
        now,
    } = e;
    let accumulation = pipeline.accumulation;
    let timestamp = st.hold.take().unwrap_or_else(|| window.max_timestamp());
    let mut info = describe_pane(st.phase, &window, watermark, output_watermark, is_last);
    if known_bug!(EarlyLabelledOnTime) && info.timing == Timing::Early {
        // KNOWN BUG: early panes labelled on time.
        info.timing = Timing::OnTime;
        info.nonspeculative_index = 0;
    }
    let empty_wanted = info.timing == Timing::OnTime && pipeline.on_time == OnTimeBehavior::Always;
    if st.dirty || empty_wanted {
        let value = st.acc.finish();
        if accumulation == Accumulation::AccumulatingAndRetracting {
            // (KNOWN BUG RetractionsMissing: the retraction is skipped.)
            if let Some(last) = st.last.take().filter(|_| !known_bug!(RetractionsMissing)) {
                stats.retractions += 1;
                outputs.push(retraction(key, window, *last, now, watermark));
            }
            st.last = Some(Box::new(LastPane {
                value: value.clone(),
                timestamp,
                info,
            }));
        }
        st.phase = PanePhase::after(&info);
        stats.panes += 1;
        outputs.push(pane(key, window, value, timestamp, info, now, watermark));
    }
    st.dirty = false;
    // KNOWN BUG (AccumulatingDiscards): accumulating mode discards too.
    if accumulation == Accumulation::Discarding
        || (accumulation == Accumulation::Accumulating && known_bug!(AccumulatingDiscards))
    {
        st.acc = pipeline.aggregate.empty();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w() -> Window {
        Window::new(EventTime(10), EventTime(20))
    }

    #[test]
    fn timing_follows_describe_pane() {
        let t = |phase, input, output| {
            describe_pane(phase, &w(), EventTime(input), EventTime(output), false).timing
        };
        assert_eq!(t(PanePhase::NoPane, 19, 19), Timing::Early);
        assert_eq!(
            t(PanePhase::NoPane, 20, 19),
            Timing::OnTime,
            "output held at max"
        );
        assert_eq!(
            t(PanePhase::NoPane, 21, 20),
            Timing::Late,
            "output past max"
        );
        assert_eq!(t(PanePhase::Early { last: 3 }, 30, 15), Timing::OnTime);
        let after_on_time = PanePhase::NonEarly {
            last: 0,
            nonspeculative: 0,
        };
        assert_eq!(t(after_on_time, 30, 15), Timing::Late);
    }

    #[test]
    fn the_first_non_early_pane_has_nonspeculative_index_zero() {
        let late = describe_pane(
            PanePhase::Early { last: 0 },
            &w(),
            EventTime(21),
            EventTime(21),
            false,
        );
        assert_eq!(
            (late.timing, late.index, late.nonspeculative_index),
            (Timing::Late, 1, 0)
        );
        let next = describe_pane(
            PanePhase::after(&late),
            &w(),
            EventTime(22),
            EventTime(22),
            false,
        );
        assert_eq!(
            (next.index, next.nonspeculative_index, next.is_first),
            (2, 1, false)
        );
    }
}
