//! What a transcript says, once parsed and checked: a pipeline, steps, and
//! the outputs each `expect` step asks for. Parsing lives in `parse`.

use std::fmt;
use tidemark_engine::{DeadLetterReason, EventTime, Pipeline, Timing, Window};

/// One transcript: a pipeline driven step by step.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// Its name, unique within its file by convention.
    pub name: String,
    /// The windowing strategy under test.
    pub pipeline: Pipeline,
    /// The script.
    pub steps: Vec<Step>,
    /// For a negative test: the error the checker must report.
    pub error: Option<FailureKind>,
}

/// One step of a transcript.
#[derive(Debug, Clone)]
pub enum Step {
    /// One bundle of elements.
    Input(Vec<InputElement>),
    /// Processing time advances to this value.
    Clock(i64),
    /// The input watermark advances to this value.
    Watermark(i64),
    /// Outputs that must have been produced since the previous `expect`.
    Expect(Vec<Expected>),
    /// Like `expect`, and the outputs must have come out in the listed
    /// order (where order is defined: timers due together, say).
    ExpectInOrder(Vec<Expected>),
    /// What the engine must hold for some windows.
    State(StateCheck),
}

impl Step {
    /// The step's name, as printed in diffs and JSON.
    #[must_use]
    pub fn action(&self) -> &'static str {
        match self {
            Step::Input(_) => "input",
            Step::Clock(_) => "clock",
            Step::Watermark(_) => "watermark",
            Step::Expect(_) => "expect",
            Step::ExpectInOrder(_) => "expect_in_order",
            Step::State(_) => "state",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Input(elems) => {
                f.write_str("input [")?;
                for (i, e) in elems.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("]")
            }
            Step::Clock(t) => write!(f, "clock {t}"),
            Step::Watermark(w) => write!(f, "watermark {w}"),
            Step::Expect(_) => f.write_str("expect"),
            Step::ExpectInOrder(_) => f.write_str("expect_in_order"),
            Step::State(_) => f.write_str("state"),
        }
    }
}

/// One element of an `input` bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputElement {
    /// The key as written (mapped to an engine key at run time).
    pub key: String,
    /// The value aggregated.
    pub value: i64,
    /// Event time.
    pub time: i64,
}

impl fmt::Display for InputElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key == DEFAULT_KEY && self.value == self.time {
            write!(f, "{}", self.time)
        } else {
            write!(
                f,
                "{{key: {}, value: {}, time: {}}}",
                self.key, self.value, self.time
            )
        }
    }
}

/// The key of elements and expectations that don't name one.
pub const DEFAULT_KEY: &str = "k";

/// An expected output.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// A pane (or retraction).
    Pane(PaneExpectation),
    /// A dead letter.
    DeadLetter(DeadLetterExpectation),
}

/// A number an expected `value` may be: exact for integer aggregates,
/// approximate for the mean, `null` for an empty min/max/mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExpectedNumber {
    /// An integer.
    Int(i64),
    /// A float (the mean).
    Float(f64),
    /// No value (an empty min, max or mean).
    Null,
}

impl fmt::Display for ExpectedNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedNumber::Int(i) => write!(f, "{i}"),
            ExpectedNumber::Float(x) => write!(f, "{x}"),
            ExpectedNumber::Null => f.write_str("null"),
        }
    }
}

/// The fields a pane expectation checks; `None` means "don't care".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaneExpectation {
    /// The key.
    pub key: Option<String>,
    /// The window.
    pub window: Option<Window>,
    /// The collected values (aggregate `collect`), in any order.
    pub values: Option<Vec<i64>>,
    /// The value of any other aggregate.
    pub value: Option<ExpectedNumber>,
    /// The output timestamp.
    pub timestamp: Option<i64>,
    /// Early, on time or late.
    pub timing: Option<Timing>,
    /// Pane index.
    pub index: Option<u64>,
    /// Non-speculative index (−1 for early panes).
    pub nonspeculative_index: Option<i64>,
    /// First pane of its window.
    pub is_first: Option<bool>,
    /// Last pane of its window.
    pub is_last: Option<bool>,
    /// A retraction rather than a pane.
    pub retraction: Option<bool>,
}

/// The fields a dead-letter expectation checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadLetterExpectation {
    /// The element's key.
    pub key: Option<String>,
    /// The element's value.
    pub value: Option<i64>,
    /// The element's event time.
    pub time: Option<i64>,
    /// Why it was refused.
    pub reason: Option<DeadLetterReason>,
    /// The windows it was refused from, in any order.
    pub windows: Option<Vec<Window>>,
    /// The watermark when it arrived.
    pub watermark: Option<i64>,
}

/// A `state` step: which windows of a key are open, closed or absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateCheck {
    /// The key (default `k`).
    pub key: String,
    /// Windows that must hold state and be able to fire.
    pub open: Vec<Window>,
    /// Windows that must be closed tombstones.
    pub closed: Vec<Window>,
    /// Windows the engine must hold nothing for.
    pub absent: Vec<Window>,
}

/// The ways a transcript fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// An output nobody expected.
    UnexpectedOutput,
    /// An expected item matching no output.
    UnmatchedExpectation,
    /// A `state` step that doesn't hold.
    StateMismatch,
}

impl FailureKind {
    /// The spelling used in transcripts (`error:`) and reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::UnexpectedOutput => "unexpected output",
            FailureKind::UnmatchedExpectation => "unmatched expectation",
            FailureKind::StateMismatch => "state mismatch",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Writes a window the way transcripts spell it: `[start, end]` or `global`.
pub(crate) fn fmt_window(f: &mut impl fmt::Write, w: &Window) -> fmt::Result {
    if *w == Window::GLOBAL {
        f.write_str("global")
    } else {
        write!(f, "[{}, {}]", w.start.0, w.end.0)
    }
}

/// A window from transcript integers, `[start, end)`.
#[must_use]
pub(crate) fn window(start: i64, end: i64) -> Window {
    Window {
        start: EventTime(start),
        end: EventTime(end),
    }
}

/// Collects `key: value` pairs into a `{a: 1, b: 2}` line.
pub(crate) struct Fields(String);

impl Fields {
    pub(crate) fn new() -> Fields {
        Fields(String::new())
    }

    pub(crate) fn add(&mut self, name: &str, value: impl fmt::Display) {
        if !self.0.is_empty() {
            self.0.push_str(", ");
        }
        self.0.push_str(name);
        self.0.push_str(": ");
        self.0.push_str(&value.to_string());
    }

    pub(crate) fn add_window(&mut self, name: &str, w: &Window) {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = fmt_window(&mut s, w);
        self.add(name, s);
    }

    pub(crate) fn finish(self) -> String {
        format!("{{{}}}", self.0)
    }
}

/// Lists values as `[1, 2, 3]`.
pub(crate) fn list<T: fmt::Display>(items: &[T]) -> String {
    let parts: Vec<String> = items.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// Lists windows as `[[0, 10], [5, 15]]`.
pub(crate) fn window_list(ws: &[Window]) -> String {
    let parts: Vec<String> = ws
        .iter()
        .map(|w| {
            let mut s = String::new();
            let _ = fmt_window(&mut s, w);
            s
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Pane(p) => {
                let mut o = Fields::new();
                if let Some(k) = &p.key {
                    o.add("key", k);
                }
                if let Some(w) = &p.window {
                    o.add_window("window", w);
                }
                if let Some(vs) = &p.values {
                    o.add("values", list(vs));
                }
                if let Some(v) = &p.value {
                    o.add("value", v);
                }
                if let Some(t) = p.timestamp {
                    o.add("timestamp", t);
                }
                if let Some(t) = p.timing {
                    o.add("timing", t);
                }
                if let Some(i) = p.index {
                    o.add("index", i);
                }
                if let Some(i) = p.nonspeculative_index {
                    o.add("nonspeculative_index", i);
                }
                if let Some(b) = p.is_first {
                    o.add("is_first", b);
                }
                if let Some(b) = p.is_last {
                    o.add("is_last", b);
                }
                if let Some(b) = p.retraction {
                    o.add("retraction", b);
                }
                f.write_str(&o.finish())
            }
            Expected::DeadLetter(d) => {
                let mut o = Fields::new();
                if let Some(k) = &d.key {
                    o.add("key", k);
                }
                if let Some(v) = d.value {
                    o.add("value", v);
                }
                if let Some(t) = d.time {
                    o.add("time", t);
                }
                if let Some(ws) = &d.windows {
                    o.add("windows", window_list(ws));
                }
                if let Some(w) = d.watermark {
                    o.add("watermark", w);
                }
                if let Some(r) = d.reason {
                    o.add("reason", r);
                }
                write!(f, "{{dead_letter: {}}}", o.finish())
            }
        }
    }
}
