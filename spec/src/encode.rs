//! The one JSON encoding of the engine's outputs: panes (and retractions),
//! pane info, aggregate values and dead letters. `run --out` (panes.jsonl,
//! dead_letters.jsonl), `transcript --format json` and the run hash all use
//! it; the hash hashes exactly these bytes.
//!
//! - Field order is the declaration order below, fixed so tools can diff.
//! - Event times and watermarks are integers; the infinite ones are the
//!   strings `"-inf"` and `"+inf"` (so the global window is
//!   `["-inf", "+inf"]`), which JSON readers that hold numbers as doubles
//!   cannot round wrongly. Processing times are integers.
//! - `value` depends on the aggregate: `sum` and `count` a number, `min` and
//!   `max` a number or `null` when empty, `collect` the sorted list, and
//!   `mean` the exact `{"sum": S, "count": N}` (the mean is S / N; N = 0 is
//!   the empty mean). A float would round, and two encodings of the same
//!   mean would be two answers.
//! - A pane's `key` and a dead letter's `key` are names, given by the
//!   caller (the engine's keys are numbers).

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use tidemark_engine::{AggValue, DeadLetter, EventTime, Pane, Window};

/// An event time or watermark: an integer, or `"-inf"` / `"+inf"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time(pub EventTime);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            EventTime::MIN => s.serialize_str("-inf"),
            EventTime::MAX => s.serialize_str("+inf"),
            EventTime(t) => s.serialize_i64(t),
        }
    }
}

/// A window, `[start, end]` (half-open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowJson(pub Window);

impl Serialize for WindowJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(2))?;
        seq.serialize_element(&Time(self.0.start))?;
        seq.serialize_element(&Time(self.0.end))?;
        seq.end()
    }
}

/// An aggregate value (see the module doc for each aggregate's encoding).
#[derive(Debug, Clone, Copy)]
pub struct Value<'a>(pub &'a AggValue);

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            AggValue::Sum(v) => s.serialize_i64(*v),
            AggValue::Count(c) => s.serialize_u64(*c),
            AggValue::Min(m) | AggValue::Max(m) => match m {
                Some(v) => s.serialize_i64(*v),
                None => s.serialize_none(),
            },
            AggValue::Mean { sum, count } => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("sum", sum)?;
                map.serialize_entry("count", count)?;
                map.end()
            }
            AggValue::Collect(vs) => {
                let mut sorted = vs.clone();
                sorted.sort_unstable();
                sorted.serialize(s)
            }
        }
    }
}

/// A pane or retraction.
#[derive(Debug, Clone, Serialize)]
pub struct PaneJson<'a> {
    /// Always `"pane"`.
    pub kind: &'static str,
    /// The key's name.
    pub key: &'a str,
    /// The window.
    pub window: WindowJson,
    /// The aggregate (for a retraction, the value withdrawn).
    pub value: Value<'a>,
    /// The output timestamp.
    pub timestamp: Time,
    /// `early`, `on_time` or `late`.
    pub timing: &'static str,
    /// Pane index.
    pub index: u64,
    /// Non-speculative index (−1 for early panes).
    pub nonspeculative_index: i64,
    /// First pane of its window.
    pub is_first: bool,
    /// Last pane of its window.
    pub is_last: bool,
    /// True when this output withdraws an earlier pane.
    pub retraction: bool,
    /// Processing time of the firing.
    pub fired_at: i64,
    /// Input watermark at the firing.
    pub watermark: Time,
}

/// A dead letter.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterJson<'a> {
    /// Always `"dead_letter"`.
    pub kind: &'static str,
    /// The element's id (the event id in simulations).
    pub event: u64,
    /// The key's name.
    pub key: &'a str,
    /// The element's value.
    pub value: i64,
    /// The element's event time.
    pub time: Time,
    /// The windows it was refused from.
    pub windows: Vec<WindowJson>,
    /// Input watermark when it arrived.
    pub watermark: Time,
    /// `window expired`, `window closed` or `state limit`.
    pub reason: &'static str,
    /// Processing time when it arrived.
    pub at: i64,
}

/// Either output, as the engine's [`tidemark_engine::Output`] holds them.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum OutputJson<'a> {
    /// A pane or retraction.
    Pane(PaneJson<'a>),
    /// A dead letter.
    DeadLetter(DeadLetterJson<'a>),
}

/// The encoding of a pane whose key is named `key`.
#[must_use]
pub fn pane<'a>(key: &'a str, p: &'a Pane) -> PaneJson<'a> {
    PaneJson {
        kind: "pane",
        key,
        window: WindowJson(p.window),
        value: Value(&p.value),
        timestamp: Time(p.timestamp),
        timing: p.info.timing.name(),
        index: p.info.index,
        nonspeculative_index: p.info.nonspeculative_index,
        is_first: p.info.is_first,
        is_last: p.info.is_last,
        retraction: p.retraction,
        fired_at: p.fired_at.0,
        watermark: Time(p.watermark),
    }
}

/// The encoding of a dead letter whose key is named `key`.
#[must_use]
pub fn dead_letter<'a>(key: &'a str, d: &'a DeadLetter) -> DeadLetterJson<'a> {
    DeadLetterJson {
        kind: "dead_letter",
        event: d.record.id,
        key,
        value: d.record.value,
        time: Time(d.record.time),
        windows: d.windows.iter().copied().map(WindowJson).collect(),
        watermark: Time(d.watermark),
        reason: d.reason.name(),
        at: d.at.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidemark_engine::{Key, PaneInfo, ProcTime, Timing};

    fn pane_with(value: AggValue, window: Window) -> Pane {
        Pane {
            key: Key(0),
            window,
            value,
            timestamp: EventTime(9),
            info: PaneInfo {
                timing: Timing::OnTime,
                index: 0,
                nonspeculative_index: 0,
                is_first: true,
                is_last: false,
            },
            retraction: false,
            fired_at: ProcTime(3),
            watermark: EventTime::MIN,
        }
    }

    fn json(v: &impl Serialize) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }

    #[test]
    fn a_pane_has_every_field_in_a_fixed_order() {
        let w = Window {
            start: EventTime(0),
            end: EventTime(10),
        };
        let p = pane_with(AggValue::Collect(vec![3, 1, 2]), w);
        assert_eq!(
            json(&pane("a", &p)),
            "{\"kind\":\"pane\",\"key\":\"a\",\"window\":[0,10],\"value\":[1,2,3],\
             \"timestamp\":9,\"timing\":\"on_time\",\"index\":0,\"nonspeculative_index\":0,\
             \"is_first\":true,\"is_last\":false,\"retraction\":false,\"fired_at\":3,\
             \"watermark\":\"-inf\"}"
        );
    }

    #[test]
    fn the_mean_is_exact_and_empty_aggregates_are_explicit() {
        let v = |a: AggValue| json(&Value(&a));
        assert_eq!(
            v(AggValue::Mean { sum: 7, count: 2 }),
            "{\"sum\":7,\"count\":2}"
        );
        assert_eq!(
            v(AggValue::Mean { sum: 0, count: 0 }),
            "{\"sum\":0,\"count\":0}"
        );
        assert_eq!(v(AggValue::Min(None)), "null");
        assert_eq!(v(AggValue::Max(Some(-4))), "-4");
        assert_eq!(v(AggValue::Sum(-3)), "-3");
        assert_eq!(v(AggValue::Count(5)), "5");
    }

    #[test]
    fn the_global_window_is_infinite_both_ways() {
        assert_eq!(json(&WindowJson(Window::GLOBAL)), "[\"-inf\",\"+inf\"]");
    }
}
