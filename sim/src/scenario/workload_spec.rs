//! The `workload:` section: who sends what, how often, with which clock.

use super::duration::Dur;
use super::short_form::any_of;
use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Schema, SchemaObject};
use schemars::JsonSchema;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The sources and the key space they write to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// A number of keys (named k0, k1, …) or a list of key names. Each event
    /// draws its key uniformly.
    pub keys: KeysSpec,
    /// Groups of sources; every source of a group behaves alike.
    pub sources: Vec<SourceGroup>,
}

/// The key set: a count (`8` → k0..k7) or explicit names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysSpec {
    /// `n` keys named `k0`..`k{n-1}`.
    Count(u32),
    /// These names, in this order.
    Names(Vec<String>),
}

impl KeysSpec {
    /// The key names, in index order.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        match self {
            KeysSpec::Count(n) => (0..*n).map(|i| format!("k{i}")).collect(),
            KeysSpec::Names(names) => names.clone(),
        }
    }
}

impl Serialize for KeysSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            KeysSpec::Count(n) => s.serialize_u32(*n),
            KeysSpec::Names(names) => names.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for KeysSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeysSpec, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeysSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of keys or a list of key names")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeysSpec, E> {
                u32::try_from(v)
                    .map(KeysSpec::Count)
                    .map_err(|_| E::custom(format!("too many keys: {v} (at most {})", u32::MAX)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<KeysSpec, E> {
                Err(E::custom(format!(
                    "expected a positive number of keys, got {v}"
                )))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeysSpec, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(KeysSpec::Names(names))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for KeysSpec {
    fn schema_name() -> String {
        "Keys".into()
    }
    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        let count = SchemaObject {
            instance_type: Some(InstanceType::Integer.into()),
            number: Some(Box::new(schemars::schema::NumberValidation {
                minimum: Some(1.0),
                ..Default::default()
            })),
            ..SchemaObject::default()
        };
        let names = gen.subschema_for::<Vec<String>>();
        any_of(
            "A number of keys (k0, k1, …) or a list of key names.",
            vec![Schema::Object(count), names],
        )
    }
}

/// A group of sources (phones, sensors). With `count > 1` its sources are
/// named `NAME-0` … `NAME-{count-1}`; with `count: 1`, just `NAME`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceGroup {
    /// Group name; also a host name for `network` links, partitions and holds.
    pub name: String,
    /// Number of sources in the group (default 1).
    #[serde(default = "one")]
    pub count: u32,
    /// Events per second per source (Poisson arrivals), not negative.
    pub rate: f64,
    /// Distribution of event values (default `{constant: 1}`).
    #[serde(default)]
    pub values: ValueDist,
    /// Each source's clock is off by this much: event time = true time + skew.
    #[serde(default)]
    pub clock_skew: Dur,
    /// The source stamps event times in whole multiples of this (a clock
    /// of coarse resolution, e.g. `1s`); default: milliseconds. Coarse
    /// stamps put many events exactly on window starts and ends.
    #[serde(default, skip_serializing_if = "grid_is_ms")]
    pub time_grid: Dur,
    /// Periods offline: events are buffered and uploaded on return.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offline: Vec<OfflineSpec>,
    /// Periods of a different (usually higher) rate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bursts: Vec<BurstSpec>,
}

fn grid_is_ms(d: &Dur) -> bool {
    d.ms() == 0
}

fn one() -> u32 {
    1
}

impl SourceGroup {
    /// The names of the group's sources, in index order.
    #[must_use]
    pub fn source_names(&self) -> Vec<String> {
        if self.count == 1 {
            vec![self.name.clone()]
        } else {
            (0..self.count)
                .map(|i| format!("{}-{i}", self.name))
                .collect()
        }
    }
}

/// Distribution of event values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(
    rename_all = "snake_case",
    deny_unknown_fields,
    expecting = "a value distribution: {constant: 1} or {uniform: {min, max}}"
)]
pub enum ValueDist {
    /// Every event carries this value.
    Constant(i64),
    /// Uniform integers in `[min, max]`.
    Uniform(IntRange),
}

impl Default for ValueDist {
    fn default() -> ValueDist {
        ValueDist::Constant(1)
    }
}

/// An inclusive integer range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntRange {
    /// Smallest value.
    pub min: i64,
    /// Largest value, at least `min`.
    pub max: i64,
}

/// Sources of a group that go offline for a while, buffer their events,
/// and upload the backlog when they come back.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OfflineSpec {
    /// When the period starts (true time since the start of the run).
    pub at: Dur,
    /// How long it lasts, positive.
    #[serde(rename = "for")]
    pub for_: Dur,
    /// Which of the group's sources: `all` (default), a fraction like `0.3`,
    /// or a count like `3`. The sources are drawn from the seed.
    #[serde(default)]
    pub sources: SourceShare,
}

/// A share of a group's sources.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum SourceShare {
    /// Every source of the group.
    #[default]
    All,
    /// This fraction of them, rounded to the nearest count (written `0.3`).
    Fraction(f64),
    /// This many (written `3`).
    Count(u32),
}

impl SourceShare {
    /// How many of `group_size` sources the share selects.
    #[must_use]
    pub fn count_of(self, group_size: u32) -> u32 {
        match self {
            SourceShare::All => group_size,
            // In [0, 1] after validation, so the product fits.
            SourceShare::Fraction(f) => {
                ((f * f64::from(group_size)).round() as u32).min(group_size)
            }
            SourceShare::Count(n) => n.min(group_size),
        }
    }
}

impl Serialize for SourceShare {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            SourceShare::All => s.serialize_str("all"),
            SourceShare::Fraction(f) => s.serialize_f64(f),
            SourceShare::Count(n) => s.serialize_u32(n),
        }
    }
}

impl<'de> Deserialize<'de> for SourceShare {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SourceShare, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SourceShare;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`all`, a fraction like 0.3, or a count like 3")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SourceShare, E> {
                if v == "all" {
                    Ok(SourceShare::All)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SourceShare, E> {
                u32::try_from(v)
                    .map(SourceShare::Count)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SourceShare, E> {
                Err(E::invalid_value(de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SourceShare, E> {
                Ok(SourceShare::Fraction(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for SourceShare {
    fn schema_name() -> String {
        "SourceShare".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let all = SchemaObject {
            enum_values: Some(vec!["all".into()]),
            ..SchemaObject::default()
        };
        let number = SchemaObject {
            instance_type: Some(InstanceType::Number.into()),
            number: Some(Box::new(schemars::schema::NumberValidation {
                minimum: Some(0.0),
                ..Default::default()
            })),
            ..SchemaObject::default()
        };
        any_of(
            "`all`, a fraction of the group's sources (0.3), or a count (3).",
            vec![Schema::Object(all), Schema::Object(number)],
        )
    }
}

/// A period during which each source of the group sends at another rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BurstSpec {
    /// When the burst starts.
    pub at: Dur,
    /// How long it lasts, positive.
    #[serde(rename = "for")]
    pub for_: Dur,
    /// Events per second per source during the burst (replaces `rate`).
    pub rate: f64,
}
