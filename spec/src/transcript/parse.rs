//! Transcript YAML → [`Transcript`].
//!
//! The `pipeline:` section is the shared grammar ([`crate::grammar`]) with
//! durations in ticks, validated by the engine and located with
//! [`crate::locate`] like a scenario's. The rest (steps, expectations) is
//! the transcript format's own: every check there is made *inside* the
//! deserializer of the node it concerns, so serde_yaml stamps the error with
//! that node's line and column (it attaches the position of the node being
//! deserialized to any error that has none yet). That is why counts and
//! lists have their own small `Deserialize` impls instead of being checked
//! afterwards.

use super::spec::{
    window, DeadLetterExpectation, Expected, ExpectedNumber, FailureKind, InputElement,
    PaneExpectation, StateCheck, Step, Transcript, DEFAULT_KEY,
};
use crate::duration::{Spelling, Ticks};
use crate::grammar::{
    check_lateness, check_trigger, check_window, AccumulationSpec, AggregateSpec, OnTimeSpec,
    Problem, TimestampCombinerSpec, TriggerSpec, WindowSpec,
};
use crate::input_error::InputError;
use crate::locate::{locate_in, render, Seg};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use std::path::Path;
use tidemark_engine::{DeadLetterReason, Pipeline, Timing, Window};

/// Reads and parses a transcript file (one or more YAML documents).
pub fn load_file(path: &Path) -> Result<Vec<Transcript>, InputError> {
    let text = crate::input_error::read_text(path)?;
    parse_str(path, &text)
}

/// Parses transcript YAML; `path` only names the file in errors.
pub fn parse_str(path: &Path, text: &str) -> Result<Vec<Transcript>, InputError> {
    let mut out = Vec::new();
    for (index, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        // An empty document (e.g. after a trailing `---`) holds no transcript.
        let t = Option::<TranscriptFields>::deserialize(doc)
            .map_err(|e| InputError::from_yaml(path, &e).with_tab_hint(text))?;
        let Some(t) = t else { continue };
        let pipeline = t.pipeline.to_engine().map_err(|p| {
            let p = p.under(&[Seg::from("pipeline")]);
            let (line, column) = locate_in(text, index, &p.path);
            InputError::at(
                path,
                line,
                column,
                format!("{}: {}", render(&p.path), p.message),
            )
        })?;
        super::bounds::check(&pipeline, &t.steps.0).map_err(|why| {
            let (line, column) = locate_in(text, index, &[Seg::from("steps")]);
            InputError::at(path, line, column, format!("steps: {why}"))
        })?;
        out.push(Transcript {
            name: t.name,
            pipeline,
            steps: t.steps.0,
            error: t.error.map(|e| match e {
                ErrorSpelling::UnexpectedOutput => FailureKind::UnexpectedOutput,
                ErrorSpelling::UnmatchedExpectation => FailureKind::UnmatchedExpectation,
                ErrorSpelling::StateMismatch => FailureKind::StateMismatch,
            }),
        });
    }
    if out.is_empty() {
        return Err(InputError::at(
            path,
            1,
            1,
            "no transcript in this file: expected a mapping with `name`, `pipeline` and `steps`",
        ));
    }
    Ok(out)
}

// ---- the document ---------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TranscriptFields {
    name: String,
    #[serde(deserialize_with = "singleton_maps")]
    pipeline: PipelineFields,
    steps: Steps,
    #[serde(default)]
    error: Option<ErrorSpelling>,
}

#[derive(Deserialize)]
enum ErrorSpelling {
    #[serde(rename = "unexpected output")]
    UnexpectedOutput,
    #[serde(rename = "unmatched expectation")]
    UnmatchedExpectation,
    #[serde(rename = "state mismatch")]
    StateMismatch,
}

// ---- the pipeline ----------------------------------------------------------

/// The `pipeline:` section: the shared grammar, durations in ticks. Only
/// the defaults are the transcript format's own (`collect`, so that panes
/// show their elements).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineFields {
    window: WindowSpec<Ticks>,
    #[serde(default)]
    trigger: TriggerSpec<Ticks>,
    #[serde(default)]
    accumulation: AccumulationSpec,
    #[serde(default)]
    allowed_lateness: Ticks,
    #[serde(default)]
    timestamp_combiner: TimestampCombinerSpec,
    #[serde(default = "collect")]
    aggregate: AggregateSpec,
    #[serde(default)]
    on_time: OnTimeSpec,
}

fn collect() -> AggregateSpec {
    AggregateSpec::Collect
}

/// The grammar's enums are YAML singleton maps (`{fixed: 10}`), as in
/// scenarios.
fn singleton_maps<'de, D: Deserializer<'de>>(d: D) -> Result<PipelineFields, D::Error> {
    serde_yaml::with::singleton_map_recursive::deserialize(d)
}

impl PipelineFields {
    /// The engine's pipeline, or the first value the engine refuses, with
    /// its path below `pipeline`.
    fn to_engine(&self) -> Result<Pipeline, Problem> {
        check_window(&self.window).map_err(|p| p.under(&[Seg::from("window")]))?;
        check_trigger(&self.trigger).map_err(|p| p.under(&[Seg::from("trigger")]))?;
        check_lateness(self.allowed_lateness)
            .map_err(|p| p.under(&[Seg::from("allowed_lateness")]))?;
        Ok(Pipeline {
            window: self.window.to_engine(),
            trigger: self.trigger.to_engine(),
            accumulation: self.accumulation.into(),
            allowed_lateness: self.allowed_lateness.duration(),
            timestamp_combiner: self.timestamp_combiner.into(),
            aggregate: self.aggregate.into(),
            on_time: self.on_time.into(),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum TimingSpelling {
    Early,
    OnTime,
    Late,
}

// ---- numbers --------------------------------------------------------------

/// An integer ≥ 0 (pane indexes).
struct NonNegative(i64);
/// Any integer but `i64::MIN` (watermarks and clocks may be +∞ = `i64::MAX`;
/// element times are checked against [`INT_MAX`] where they are read).
struct Int(i64);

/// The largest magnitude of any transcript integer: `i64::MAX - 1`, so
/// every time is finite (`i64::MAX` is the engine's +∞, an element there
/// would belong to no window). The engine's time arithmetic saturates, so a
/// time plus a size plus a lateness cannot overflow; Beam Java's
/// end-of-time tests need times this close to the end. Sums of values are
/// bounded separately (`super::bounds`).
pub const INT_MAX: i64 = i64::MAX - 1;

struct IntVisitor {
    min: i64,
    what: &'static str,
}

impl Visitor<'_> for IntVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        if v < self.min {
            Err(E::custom(format_args!("expected {}, got {v}", self.what)))
        } else if v == i64::MIN {
            Err(E::custom(format_args!(
                "expected {} above i64::MIN, got {v}",
                self.what
            )))
        } else {
            Ok(v)
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        let v = i64::try_from(v)
            .map_err(|_| E::custom(format_args!("expected {}, got {v} (too large)", self.what)))?;
        self.visit_i64(v)
    }
}

impl<'de> Deserialize<'de> for NonNegative {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_i64(IntVisitor {
            min: 0,
            what: "a non-negative integer",
        })
        .map(NonNegative)
    }
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_i64(IntVisitor {
            min: i64::MIN,
            what: "an integer",
        })
        .map(Int)
    }
}

impl<'de> Deserialize<'de> for ExpectedNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ExpectedNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or null")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ExpectedNumber, E> {
                Ok(ExpectedNumber::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ExpectedNumber, E> {
                i64::try_from(v)
                    .map(ExpectedNumber::Int)
                    .map_err(|_| E::custom(format_args!("value {v} is out of range")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ExpectedNumber, E> {
                Ok(ExpectedNumber::Float(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ExpectedNumber, E> {
                Ok(ExpectedNumber::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<ExpectedNumber, E> {
                Ok(ExpectedNumber::Null)
            }
        }
        d.deserialize_any(V)
    }
}

/// A key: a string, or an integer taken as its decimal spelling.
struct KeyName(String);

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key (a string)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyName, E> {
                Ok(KeyName(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeyName, E> {
                Ok(KeyName(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyName, E> {
                Ok(KeyName(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

// ---- helpers for single-key maps ------------------------------------------

/// Reads the one key of a `{kind: params}` map.
fn sole_key<'de, A: MapAccess<'de>>(map: &mut A, what: &str) -> Result<String, A::Error> {
    map.next_key::<String>()?
        .ok_or_else(|| de::Error::custom(format_args!("expected {what}, got an empty mapping")))
}

/// Fails if the `{kind: params}` map has a second key.
fn no_more_keys<'de, A: MapAccess<'de>>(map: &mut A, what: &str) -> Result<(), A::Error> {
    match map.next_key::<String>()? {
        None => Ok(()),
        Some(k) => Err(de::Error::custom(format_args!(
            "{what} is a mapping with exactly one key; unexpected second key `{k}`"
        ))),
    }
}

// ---- steps ----------------------------------------------------------------

struct Steps(Vec<Step>);

impl<'de> Deserialize<'de> for Steps {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Steps;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of steps")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Steps, A::Error> {
                let mut steps = Vec::new();
                let mut clock = 0;
                while let Some(step) = seq.next_element::<StepSpec>()? {
                    // Processing time never goes back; a transcript that says
                    // so is wrong, not a test of the engine's tolerance.
                    if let Step::Clock(t) = step.0 {
                        if t < clock {
                            return Err(de::Error::custom(format_args!(
                                "step {}: clock goes back from {clock} to {t}; \
                                 expected a time >= {clock}",
                                steps.len() + 1
                            )));
                        }
                        clock = t;
                    }
                    steps.push(step.0);
                }
                Ok(Steps(steps))
            }
        }
        d.deserialize_seq(V)
    }
}

struct StepSpec(Step);

const STEP_KINDS: &str = "`input`, `clock`, `watermark`, `expect`, `expect_in_order` or `state`";

impl<'de> Deserialize<'de> for StepSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StepSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a step: a mapping with one key, {STEP_KINDS}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StepSpec, A::Error> {
                let kind = sole_key(&mut map, "a step")?;
                let step = match kind.as_str() {
                    "input" => {
                        let elems = map.next_value::<Vec<InputSpec>>()?;
                        Step::Input(elems.into_iter().map(|e| e.0).collect())
                    }
                    "clock" => Step::Clock(map.next_value::<Int>()?.0),
                    "watermark" => Step::Watermark(map.next_value::<Int>()?.0),
                    "expect" => {
                        let items = map.next_value::<Option<Vec<ExpectedSpec>>>()?;
                        Step::Expect(items.unwrap_or_default().into_iter().map(|e| e.0).collect())
                    }
                    "expect_in_order" => {
                        let items = map.next_value::<Vec<ExpectedSpec>>()?;
                        Step::ExpectInOrder(items.into_iter().map(|e| e.0).collect())
                    }
                    "state" => Step::State(map.next_value::<StateSpec>()?.0),
                    other => {
                        return Err(de::Error::custom(format_args!(
                            "unknown step `{other}`, expected {STEP_KINDS}"
                        )))
                    }
                };
                no_more_keys(&mut map, "a step")?;
                Ok(StepSpec(step))
            }
        }
        d.deserialize_map(V)
    }
}

struct InputSpec(InputElement);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputFields {
    #[serde(default)]
    key: Option<KeyName>,
    #[serde(default)]
    value: Option<Int>,
    time: Int,
}

impl<'de> Deserialize<'de> for InputSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = InputSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an element: an integer (its time and value) or {key, value, time}")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<InputSpec, E> {
                if !(-INT_MAX..=INT_MAX).contains(&v) {
                    return Err(E::custom(format_args!(
                        "expected an element time within ±{INT_MAX} (finite times), got {v}"
                    )));
                }
                Ok(InputSpec(InputElement {
                    key: DEFAULT_KEY.to_owned(),
                    value: v,
                    time: v,
                }))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<InputSpec, E> {
                let v = i64::try_from(v)
                    .map_err(|_| E::custom(format_args!("time {v} is out of range")))?;
                self.visit_i64(v)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<InputSpec, A::Error> {
                let f = InputFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                if !(-INT_MAX..=INT_MAX).contains(&f.time.0) {
                    return Err(de::Error::custom(format_args!(
                        "expected an element time within ±{INT_MAX} (finite), got {}",
                        f.time.0
                    )));
                }
                Ok(InputSpec(InputElement {
                    key: f.key.map_or_else(|| DEFAULT_KEY.to_owned(), |k| k.0),
                    value: f.value.map_or(f.time.0, |v| v.0),
                    time: f.time.0,
                }))
            }
        }
        d.deserialize_any(V)
    }
}

// ---- expectations ---------------------------------------------------------

/// `[start, end]` (half-open, start < end) or `global`.
struct WindowLiteral(Window);

impl<'de> Deserialize<'de> for WindowLiteral {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = WindowLiteral;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a window: [start, end] or `global`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WindowLiteral, E> {
                if v == "global" {
                    Ok(WindowLiteral(Window::GLOBAL))
                } else {
                    Err(E::custom(format_args!(
                        "expected a window: [start, end] or `global`, got `{v}`"
                    )))
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WindowLiteral, A::Error> {
                let bad = || de::Error::custom("expected a window: [start, end] (two integers)");
                let start = seq.next_element::<Int>()?.ok_or_else(bad)?.0;
                let end = seq.next_element::<Int>()?.ok_or_else(bad)?.0;
                if seq.next_element::<de::IgnoredAny>()?.is_some() {
                    return Err(bad());
                }
                if start >= end {
                    return Err(de::Error::custom(format_args!(
                        "window [{start}, {end}] is empty: expected start < end \
                         (windows are half-open [start, end))"
                    )));
                }
                Ok(WindowLiteral(window(start, end)))
            }
        }
        d.deserialize_any(V)
    }
}

struct ExpectedSpec(Expected);

const PANE_FIELDS: &str = "`key`, `window`, `values`, `value`, `timestamp`, `timing`, `index`, \
     `nonspeculative_index`, `is_first`, `is_last`, `retraction` (or `dead_letter` alone)";

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum PaneField {
    DeadLetter,
    Key,
    Window,
    Values,
    Value,
    Timestamp,
    Timing,
    Index,
    NonspeculativeIndex,
    IsFirst,
    IsLast,
    Retraction,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeadLetterFields {
    #[serde(default)]
    key: Option<KeyName>,
    #[serde(default)]
    value: Option<Int>,
    #[serde(default)]
    time: Option<Int>,
    #[serde(default)]
    reason: Option<ReasonSpelling>,
    #[serde(default)]
    windows: Option<Vec<WindowLiteral>>,
    #[serde(default)]
    watermark: Option<Int>,
}

struct ReasonSpelling(DeadLetterReason);

impl<'de> Deserialize<'de> for ReasonSpelling {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ReasonSpelling;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`window expired`, `window closed` or `state limit`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ReasonSpelling, E> {
                let r = match v.replace('_', " ").as_str() {
                    "window expired" => DeadLetterReason::WindowExpired,
                    "window closed" => DeadLetterReason::WindowClosed,
                    "state limit" => DeadLetterReason::StateLimit,
                    _ => {
                        return Err(E::custom(format_args!(
                            "unknown dead-letter reason `{v}`, expected `window expired`, \
                             `window closed` or `state limit`"
                        )))
                    }
                };
                Ok(ReasonSpelling(r))
            }
        }
        d.deserialize_str(V)
    }
}

/// Stores a field, refusing a second occurrence.
fn once<T, E: de::Error>(slot: &mut Option<T>, name: &str, v: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::custom(format_args!("duplicate field `{name}`")));
    }
    *slot = Some(v);
    Ok(())
}

impl<'de> Deserialize<'de> for ExpectedSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExpectedSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an expected output: a mapping of {PANE_FIELDS}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ExpectedSpec, A::Error> {
                let mut p = PaneExpectation::default();
                let mut fields = 0;
                let mut dead: Option<DeadLetterExpectation> = None;
                // Field names are an enum so that an unknown one is reported
                // at the key itself, not at the start of the mapping.
                while let Some(k) = map.next_key::<PaneField>()? {
                    fields += 1;
                    match k {
                        PaneField::DeadLetter => {
                            let f = map.next_value::<DeadLetterFields>()?;
                            let windows = f.windows.map(|ws| ws.into_iter().map(|w| w.0).collect());
                            once(
                                &mut dead,
                                "dead_letter",
                                DeadLetterExpectation {
                                    key: f.key.map(|k| k.0),
                                    value: f.value.map(|v| v.0),
                                    time: f.time.map(|t| t.0),
                                    reason: f.reason.map(|r| r.0),
                                    windows,
                                    watermark: f.watermark.map(|w| w.0),
                                },
                            )?;
                        }
                        PaneField::Key => once(&mut p.key, "key", map.next_value::<KeyName>()?.0)?,
                        PaneField::Window => {
                            once(
                                &mut p.window,
                                "window",
                                map.next_value::<WindowLiteral>()?.0,
                            )?;
                        }
                        PaneField::Values => {
                            let vs = map.next_value::<Vec<Int>>()?;
                            once(
                                &mut p.values,
                                "values",
                                vs.into_iter().map(|v| v.0).collect(),
                            )?;
                        }
                        PaneField::Value => {
                            once(&mut p.value, "value", map.next_value::<ExpectedNumber>()?)?
                        }
                        PaneField::Timestamp => {
                            once(&mut p.timestamp, "timestamp", map.next_value::<Int>()?.0)?;
                        }
                        PaneField::Timing => {
                            let t = match map.next_value::<TimingSpelling>()? {
                                TimingSpelling::Early => Timing::Early,
                                TimingSpelling::OnTime => Timing::OnTime,
                                TimingSpelling::Late => Timing::Late,
                            };
                            once(&mut p.timing, "timing", t)?;
                        }
                        PaneField::Index => {
                            let i = map.next_value::<NonNegative>()?.0;
                            once(&mut p.index, "index", i.unsigned_abs())?;
                        }
                        PaneField::NonspeculativeIndex => {
                            let i = map.next_value::<Int>()?.0;
                            if i < -1 {
                                return Err(de::Error::custom(format_args!(
                                    "nonspeculative_index must be -1 or more, got {i}"
                                )));
                            }
                            once(&mut p.nonspeculative_index, "nonspeculative_index", i)?;
                        }
                        PaneField::IsFirst => once(&mut p.is_first, "is_first", map.next_value()?)?,
                        PaneField::IsLast => once(&mut p.is_last, "is_last", map.next_value()?)?,
                        PaneField::Retraction => {
                            once(&mut p.retraction, "retraction", map.next_value()?)?
                        }
                    }
                }
                if p.values.is_some() && p.value.is_some() {
                    return Err(de::Error::custom(
                        "expected `values` (aggregate collect) or `value`, not both",
                    ));
                }
                match dead {
                    Some(_) if fields > 1 => Err(de::Error::custom(
                        "`dead_letter` must be the only field of its expected output",
                    )),
                    Some(d) => Ok(ExpectedSpec(Expected::DeadLetter(d))),
                    None => Ok(ExpectedSpec(Expected::Pane(p))),
                }
            }
        }
        d.deserialize_map(V)
    }
}

struct StateSpec(StateCheck);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFields {
    #[serde(default)]
    key: Option<KeyName>,
    #[serde(default)]
    open: Vec<WindowLiteral>,
    #[serde(default)]
    closed: Vec<WindowLiteral>,
    #[serde(default)]
    absent: Vec<WindowLiteral>,
}

impl<'de> Deserialize<'de> for StateSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = StateFields::deserialize(d)?;
        let ws = |v: Vec<WindowLiteral>| v.into_iter().map(|w| w.0).collect();
        Ok(StateSpec(StateCheck {
            key: f.key.map_or_else(|| DEFAULT_KEY.to_owned(), |k| k.0),
            open: ws(f.open),
            closed: ws(f.closed),
            absent: ws(f.absent),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidemark_engine::{
        Accumulation, Aggregate, Duration, OnTimeBehavior, TimestampCombiner, Trigger,
    };

    fn err(text: &str) -> InputError {
        match parse_str(Path::new("t.yaml"), text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e,
        }
    }

    fn ok(text: &str) -> Vec<Transcript> {
        parse_str(Path::new("t.yaml"), text).unwrap_or_else(|e| panic!("{e}"))
    }

    const HEAD: &str = "name: t\npipeline:\n  window: {fixed: 10}\n";

    #[test]
    fn unknown_pipeline_field_points_at_the_key() {
        let e = err("name: t\npipeline:\n  window: {fixed: 10}\n  colour: blue\nsteps: []\n");
        assert_eq!((e.line, e.column), (4, 3), "{e}");
        assert!(e.message.contains("unknown field `colour`"), "{e}");
        assert!(
            e.message.contains("`allowed_lateness`"),
            "names what was expected: {e}"
        );
        assert!(e.to_string().starts_with("t.yaml:4:3: "), "{e}");
    }

    #[test]
    fn unknown_top_level_field_is_an_error() {
        let e = err(&format!("{HEAD}steps: []\nwindow_fn: FixedWindows(10)\n"));
        assert_eq!((e.line, e.column), (5, 1), "{e}");
    }

    #[test]
    fn unknown_expectation_field_points_at_the_key() {
        let e = err(&format!(
            "{HEAD}steps:\n  - input: [1]\n  - expect:\n    - {{window: [0, 10], valuez: [1]}}\n"
        ));
        assert_eq!((e.line, e.column), (7, 25), "{e}");
        assert!(e.message.contains("unknown field `valuez`"), "{e}");
    }

    #[test]
    fn zero_window_size_is_an_error_at_the_number() {
        let e = err("name: t\npipeline:\n  window: {fixed: 0}\nsteps: []\n");
        assert_eq!((e.line, e.column), (3, 19), "{e}");
        assert!(e.message.contains("positive"), "{e}");
        let e = err("name: t\npipeline:\n  window: {sessions: {gap: 0}}\nsteps: []\n");
        assert_eq!(e.line, 3, "{e}");
        let e = err("name: t\npipeline:\n  window: {sliding: {size: 10, period: 0}}\nsteps: []\n");
        assert_eq!(e.line, 3, "{e}");
    }

    #[test]
    fn engine_refusals_point_at_the_value_in_any_document() {
        let e = err(&format!(
            "{HEAD}steps: []\n---\nname: u\npipeline:\n  window: {{fixed: 10}}\n  trigger: \
             {{after_any: [always, {{after_processing_time: {{delay: 1, period: 0}}}}]}}\nsteps: []\n"
        ));
        assert_eq!((e.line, e.column), (9, 76), "{e}");
        assert!(
            e.message.starts_with(
                "pipeline.trigger.after_any[1].after_processing_time.period: \
                 trigger after_processing_time period 0 must be positive"
            ),
            "{e}"
        );
        let e = err("name: t\npipeline:\n  window: {fixed: {size: 10, offset: -1}}\nsteps: []\n");
        assert_eq!((e.line, e.column), (3, 38), "{e}");
        assert!(
            e.message
                .contains("window offset must not be negative, got -1"),
            "{e}"
        );
    }

    #[test]
    fn malformed_yaml_is_an_error_with_a_location() {
        let e = err("name: t\npipeline:\n  window: {fixed: 10\nsteps: [\n");
        assert!(e.line > 0 && e.column > 0, "{e}");
        let e = err("name: t\n  bad indent: [\n");
        assert!(e.line > 0, "{e}");
    }

    #[test]
    fn bad_triggers_are_errors() {
        for (trigger, needle) in [
            ("{after_lunch: 3}", "unknown variant `after_lunch`"),
            ("{after_count: 0}", "after_count must be at least 1"),
            ("{after_any: []}", "after_any needs at least one trigger"),
            ("{after_count: 2, repeatedly: default}", "a single key"),
            (
                "{after_watermark: {early: never, soon: always}}",
                "unknown field `soon`",
            ),
            ("{after_processing_time: -1}", "delay -1 is negative"),
            (
                "{after_processing_time: {offset: 3}}",
                "offset needs a period",
            ),
            ("{or_finally: {trigger: always}}", "missing field `until`"),
            ("sometimes", "unknown variant `sometimes`"),
            (
                "{after_processing_time: 5s}",
                "expected a duration in ticks",
            ),
        ] {
            let e = err(&format!(
                "name: t\npipeline:\n  window: {{fixed: 10}}\n  trigger: {trigger}\nsteps: []\n"
            ));
            assert_eq!(e.line, 4, "{trigger}: {e}");
            assert!(e.message.contains(needle), "{trigger}: {e}");
        }
    }

    #[test]
    fn every_documented_spelling_parses() {
        let triggers = [
            "default",
            "never",
            "always",
            "{after_count: 2}",
            "{after_watermark: {}}",
            "{after_watermark: {early: {after_count: 2}, late: always}}",
            "{after_processing_time: 60}",
            "{after_processing_time: {period: 60, offset: 0}}",
            "{after_processing_time: {delay: 5, period: 60}}",
            "{repeatedly: {after_count: 2}}",
            "{after_any: [never, always]}",
            "{after_all: [never, always]}",
            "{after_each: [never, always]}",
            "{or_finally: {trigger: always, until: {after_count: 3}}}",
        ];
        let windows = [
            "{fixed: 10}",
            "{fixed: {size: 10, offset: 3}}",
            "{sliding: {size: 10, period: 5, offset: 0}}",
            "{sessions: 5}",
            "{sessions: {gap: 5}}",
            "global",
        ];
        for w in windows {
            for t in triggers {
                ok(&format!(
                    "name: t\npipeline:\n  window: {w}\n  trigger: {t}\n  accumulation: accumulating_and_retracting\n  \
                     allowed_lateness: 5\n  timestamp_combiner: latest\n  aggregate: mean\n  on_time: if_non_empty\nsteps: []\n"
                ));
            }
        }
    }

    #[test]
    fn defaults_and_steps() {
        let ts = ok(&format!(
            "{HEAD}steps:\n  - input: [3, {{key: a, time: 4}}, {{value: 9, time: 5}}]\n  - clock: 7\n  \
             - watermark: 10\n  - expect: []\n  - state: {{open: [[0, 10]], absent: [global]}}\n---\n\
             {HEAD}error: unexpected output\nsteps: []\n---\n"
        ));
        assert_eq!(ts.len(), 2, "a trailing `---` adds no transcript");
        let t = &ts[0];
        assert_eq!(t.pipeline.trigger, Trigger::Default);
        assert_eq!(t.pipeline.accumulation, Accumulation::Discarding);
        assert_eq!(t.pipeline.allowed_lateness, Duration::ZERO);
        assert_eq!(
            t.pipeline.timestamp_combiner,
            TimestampCombiner::EndOfWindow
        );
        assert_eq!(t.pipeline.aggregate, Aggregate::Collect);
        assert_eq!(t.pipeline.on_time, OnTimeBehavior::Always);
        let Step::Input(elems) = &t.steps[0] else {
            panic!("{:?}", t.steps[0]);
        };
        let e = |key: &str, value, time| InputElement {
            key: key.into(),
            value,
            time,
        };
        assert_eq!(elems, &[e("k", 3, 3), e("a", 4, 4), e("k", 9, 5)]);
        assert_eq!(ts[1].error, Some(FailureKind::UnexpectedOutput));
    }

    #[test]
    fn impossible_values_are_errors() {
        let e = err(&format!(
            "{HEAD}steps:\n  - expect:\n    - {{window: [10, 0]}}\n"
        ));
        assert_eq!(e.line, 6, "{e}");
        let e = err(&format!("{HEAD}steps:\n  - clock: 10\n  - clock: 5\n"));
        assert!(e.message.contains("clock goes back"), "{e}");
        let e = err(&format!(
            "{HEAD}steps:\n  - expect:\n    - {{values: [1], value: 1}}\n"
        ));
        assert_eq!(e.line, 6, "{e}");
        let e = err(&format!(
            "{HEAD}steps:\n  - expect:\n    - {{timing: sideways}}\n"
        ));
        assert_eq!(e.line, 6, "{e}");
        let e = err(&format!("{HEAD}steps:\n  - rewind: 3\n"));
        assert!(e.message.contains("unknown step `rewind`"), "{e}");
        let e =
            err("name: t\npipeline:\n  window: {fixed: 10}\n  allowed_lateness: -1\nsteps: []\n");
        assert_eq!(e.line, 4, "{e}");
        let e = err(&format!("{HEAD}error: it breaks\nsteps: []\n"));
        assert_eq!(e.line, 4, "{e}");
    }

    #[test]
    fn missing_window_and_empty_files_are_errors() {
        let e = err("name: t\npipeline: {trigger: never}\nsteps: []\n");
        assert!(e.message.contains("missing field `window`"), "{e}");
        let e = err("# nothing here\n");
        assert_eq!((e.line, e.column), (1, 1), "{e}");
    }

    #[test]
    fn sliding_windows_with_too_many_windows_per_element_are_refused() {
        let e =
            err("name: t\npipeline:\n  window: {sliding: {size: 1000000, period: 1}}\nsteps: []\n");
        assert_eq!((e.line, e.column), (3, 45), "at the period: {e}");
        assert!(e.message.contains("at most 10000 are allowed"), "{e}");
    }

    #[test]
    fn hostile_input_never_panics() {
        for text in [
            "", "---", "[]", "42", "name: [", "name: t\npipeline: 3\nsteps: 4\n",
            "name: t\npipeline:\n  window: {fixed: 99999999999999999999}\nsteps: []\n",
            "name: t\npipeline:\n  window: {fixed: 10}\nsteps:\n  - input: [18446744073709551615]\n",
            "name: t\npipeline:\n  window: {fixed: 10}\nsteps:\n  - {}\n",
            "name: t\npipeline:\n  window: {}\nsteps: []\n",
            "name: t\npipeline:\n  window: {fixed: 10}\n  trigger: {}\nsteps: []\n",
            "a: &x [*x]\n",
        ] {
            let _ = parse_str(Path::new("t.yaml"), text);
        }
    }
}
