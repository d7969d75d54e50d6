//! The `expect:` section: which invariants a run must keep, and thresholds.

use super::pipeline::Thresholds;
use super::short_form::any_of;
use schemars::gen::SchemaGenerator;
use schemars::schema::{Schema, SchemaObject};
use schemars::JsonSchema;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What a run must satisfy; a seed that doesn't fails.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// `all` (default) or a list of invariant names to check.
    #[serde(default)]
    pub invariants: InvariantSelection,
    /// Most dead letters allowed, as a fraction of generated events, for
    /// every strategy (a strategy's own `expect` overrides it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_fraction_max: Option<f64>,
    /// Least share of windows whose final value equals the truth, for every
    /// strategy (a strategy's own `expect` overrides it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_min: Option<f64>,
    /// Liveness: most processing time from a window's end to its on-time
    /// pane, for every strategy (a strategy's own `expect` overrides it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time_latency_max: Option<super::Dur>,
    /// Liveness: which on-time panes must come before the input ends, for
    /// every strategy (a strategy's own `expect` overrides it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_time_before_input_ends: Option<BeforeInputEnds>,
}

/// `expect.on_time_before_input_ends`: the lesson a scenario teaches about
/// when on-time panes come out. "Before the input ends" means fired by a
/// watermark the input produced, not by the +∞ watermark every worker
/// receives once its input is exhausted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BeforeInputEnds {
    /// Every window the input passes gets its on-time pane before the
    /// input ends: a window passes when the worker later saw an event time
    /// at least its end plus the strategy's out-of-orderness bound plus
    /// its watermark interval (later windows can only fire at the end).
    All,
    /// No on-time pane comes before the input ends: the watermark is held
    /// back until then (an idle channel with no idle timeout, say).
    None,
}

impl BeforeInputEnds {
    /// The YAML spelling.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            BeforeInputEnds::All => "all",
            BeforeInputEnds::None => "none",
        }
    }
}

impl Expectations {
    /// The scenario-wide thresholds.
    #[must_use]
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            dead_letter_fraction_max: self.dead_letter_fraction_max,
            accuracy_min: self.accuracy_min,
            on_time_latency_max: self.on_time_latency_max,
            on_time_before_input_ends: self.on_time_before_input_ends,
        }
    }
}

/// The invariants Tidemark checks, by their YAML names (README.md).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Invariant {
    /// Every generated event is counted in a final pane or dead-lettered.
    Conservation,
    /// Final panes equal the truth over the admitted events.
    FinalEqualsAdmittedTruth,
    /// Final panes equal the truth when the watermark was perfect or nothing was late.
    FinalEqualsTruthWhenNothingLate,
    /// No on-time pane before the watermark passes its window's end.
    NoEarlyOnTimePane,
    /// Watermarks never go back.
    WatermarkMonotone,
    /// Discarding panes sum to the accumulating value; retractions cancel.
    AccumulationConsistent,
    /// The same seed twice gives the same trace hash.
    Deterministic,
    /// With an exactly-once sink, what downstream sees after crashes equals,
    /// pane for pane, the same strategy's crash-free run on the same log.
    ExactlyOnceEqualsCrashFree,
    /// With an at-least-once or idempotent sink, every pane of the
    /// crash-free run is seen downstream at least once.
    AtLeastOnceCoversCrashFree,
    /// Every entry the network appended is read in the surviving history,
    /// unless retention had dropped it when the reader needed it.
    NothingLostButRetention,
    /// Restored engines hold no more state at the end of input than
    /// never-crashed ones.
    StateBoundedAfterRestore,
    /// Each worker's watermark is what a naive reference of its strategy
    /// computes from the delivered trace: never ahead of it, and (when
    /// entries are processed as appended) caught up by the next emission.
    WatermarkConformance,
    /// Panes fire when their trigger says: watermark triggers not before the
    /// end, on-time panes at the first watermark step past it, one-shot
    /// processing-time panes one tick after first arrival + delay, count
    /// triggers at their count, and panes due together in timer order.
    FiringConformance,
    /// Every admission and `window expired` dead letter agrees with the
    /// watermark at the element's arrival and `end + allowed_lateness`.
    AdmissionJustified,
    /// In accumulating-and-retracting mode every superseded pane (and a
    /// merged-away session's last pane) is retracted exactly once, before
    /// its replacement; other modes emit no retractions.
    RetractionConformance,
}

impl Invariant {
    /// Every invariant, in a fixed order.
    pub const ALL: [Invariant; 15] = [
        Invariant::Conservation,
        Invariant::FinalEqualsAdmittedTruth,
        Invariant::FinalEqualsTruthWhenNothingLate,
        Invariant::NoEarlyOnTimePane,
        Invariant::WatermarkMonotone,
        Invariant::AccumulationConsistent,
        Invariant::Deterministic,
        Invariant::ExactlyOnceEqualsCrashFree,
        Invariant::AtLeastOnceCoversCrashFree,
        Invariant::NothingLostButRetention,
        Invariant::StateBoundedAfterRestore,
        Invariant::WatermarkConformance,
        Invariant::FiringConformance,
        Invariant::AdmissionJustified,
        Invariant::RetractionConformance,
    ];
}

/// `all`, or the listed invariants only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InvariantSelection {
    /// Every invariant.
    #[default]
    All,
    /// Only these.
    Only(Vec<Invariant>),
}

impl InvariantSelection {
    /// True when `invariant` is to be checked.
    #[must_use]
    pub fn includes(&self, invariant: Invariant) -> bool {
        match self {
            InvariantSelection::All => true,
            InvariantSelection::Only(list) => list.contains(&invariant),
        }
    }
}

impl Serialize for InvariantSelection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            InvariantSelection::All => s.serialize_str("all"),
            InvariantSelection::Only(list) => list.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for InvariantSelection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<InvariantSelection, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = InvariantSelection;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`all` or a list of invariant names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<InvariantSelection, E> {
                if v == "all" {
                    Ok(InvariantSelection::All)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut list = Vec::new();
                while let Some(i) = seq.next_element::<Invariant>()? {
                    list.push(i);
                }
                Ok(InvariantSelection::Only(list))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for InvariantSelection {
    fn schema_name() -> String {
        "InvariantSelection".into()
    }
    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let all = SchemaObject {
            enum_values: Some(vec!["all".into()]),
            ..SchemaObject::default()
        };
        let list = gen.subschema_for::<Vec<Invariant>>();
        any_of(
            "`all`, or a list of invariant names.",
            vec![Schema::Object(all), list],
        )
    }
}
