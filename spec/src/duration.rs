//! Durations as written. The pipeline grammar is generic over the spelling
//! ([`Spelling`]): scenarios write an integer with a unit ([`Dur`]: `250ms`,
//! `10s`, `5m`, `1h`, held as milliseconds); transcripts write bare engine
//! ticks ([`Ticks`]).
//!
//! In a scenario a bare number is refused: `10` could mean seconds or ticks,
//! and a scenario that silently means the wrong one is worse than an error.

use schemars::gen::SchemaGenerator;
use schemars::schema::{InstanceType, Metadata, Schema, SchemaObject, StringValidation};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use tidemark_engine::Duration;

/// How a grammar writes durations: the one thing scenarios and transcripts
/// spell differently. Everything else about windows and triggers is shared.
pub trait Spelling:
    Copy + Default + PartialEq + fmt::Debug + fmt::Display + Serialize + DeserializeOwned + JsonSchema
{
    /// Zero, the default of optional offsets and delays.
    const ZERO: Self;
    /// The engine's ticks.
    fn ticks(self) -> i64;
    /// A value of engine ticks, written this way (for messages).
    fn show(ticks: i64) -> String;
    /// The engine's duration.
    fn duration(self) -> Duration {
        Duration(self.ticks())
    }
}

impl Spelling for Dur {
    const ZERO: Dur = Dur(0);
    fn ticks(self) -> i64 {
        self.0
    }
    fn show(ticks: i64) -> String {
        Dur(ticks).to_string()
    }
}

/// A duration in bare engine ticks, as transcripts write it: `10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Ticks(pub i64);

impl Spelling for Ticks {
    const ZERO: Ticks = Ticks(0);
    fn ticks(self) -> i64 {
        self.0
    }
    fn show(ticks: i64) -> String {
        ticks.to_string()
    }
}

impl fmt::Display for Ticks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Ticks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Ticks, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Ticks;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration in ticks (an integer)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ticks, E> {
                Ok(Ticks(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ticks, E> {
                i64::try_from(v)
                    .map(Ticks)
                    .map_err(|_| E::custom(format_args!("duration {v} is too large")))
            }
        }
        d.deserialize_i64(V)
    }
}

impl JsonSchema for Ticks {
    fn schema_name() -> String {
        "Ticks".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::Object(SchemaObject {
            instance_type: Some(InstanceType::Integer.into()),
            ..SchemaObject::default()
        })
    }
}

/// A duration in milliseconds (the scenario tick). May be negative where a
/// field allows it (`clock_skew`); validation says where it may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dur(pub i64);

/// The largest duration, either sign, any field may hold: 1,000 days.
/// Every time-valued field (durations, offsets, clock skews, timeouts) is
/// within ±`DUR_MS_MAX`, so the few of them that are ever added together
/// (a send time plus a skew plus a latency plus a lateness…) stay far from
/// `i64` overflow; what a scenario can afford to *simulate* is bounded
/// separately by the cost estimate (`crate::cost`).
pub const DUR_MS_MAX: i64 = 1_000 * 24 * 3_600_000;

/// The units, longest suffix first so `ms` is not read as `m`.
const UNITS: [(&str, i64); 4] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)];

impl Dur {
    /// Zero.
    pub const ZERO: Dur = Dur(0);

    /// Milliseconds.
    #[must_use]
    pub fn ms(self) -> i64 {
        self.0
    }

    /// The engine's duration (ticks are milliseconds in scenarios).
    #[must_use]
    pub fn duration(self) -> Duration {
        Duration(self.0)
    }

    /// Parses `250ms`, `10s`, `-30s`, `5m`, `1h`. The error says what was
    /// expected, in a form fit to follow `file:line:col: `.
    pub fn parse(text: &str) -> Result<Dur, String> {
        let expected =
            || format!("expected a duration with a unit (like 250ms, 10s, 5m or 1h), got `{text}`");
        let t = text.trim();
        let (negative, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let (digits, factor) = UNITS
            .iter()
            .find_map(|(suffix, f)| body.strip_suffix(suffix).map(|d| (d, *f)))
            .ok_or_else(expected)?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(expected());
        }
        let overflow = || {
            format!(
                "duration `{text}` is too long: durations are at most {}h \
                 (1,000 days) either way",
                DUR_MS_MAX / 3_600_000
            )
        };
        let n: i64 = digits.parse().map_err(|_| overflow())?;
        let ms = n
            .checked_mul(factor)
            .filter(|ms| *ms <= DUR_MS_MAX)
            .ok_or_else(overflow)?;
        Ok(Dur(if negative { -ms } else { ms }))
    }
}

/// Prints the largest unit that divides the value exactly: `90s`, `2m`.
impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (suffix, factor) = UNITS
            .iter()
            .rev()
            .find(|(_, f)| self.0 != 0 && self.0 % f == 0)
            .copied()
            .unwrap_or(("ms", 1));
        write!(f, "{}{suffix}", self.0 / factor)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration with a unit, like 250ms, 10s, 5m or 1h")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                Dur::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// The pattern editors check durations against.
pub const PATTERN: &str = "^-?[0-9]+(ms|s|m|h)$";

impl JsonSchema for Dur {
    fn schema_name() -> String {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::Object(SchemaObject {
            metadata: Some(Box::new(Metadata {
                description: Some(
                    "An integer with a unit: ms, s, m or h (e.g. 250ms, 10s, 5m, 1h); \
                     at most 24000h (1,000 days) either way."
                        .into(),
                ),
                ..Metadata::default()
            })),
            instance_type: Some(InstanceType::String.into()),
            string: Some(Box::new(StringValidation {
                pattern: Some(PATTERN.into()),
                ..StringValidation::default()
            })),
            ..SchemaObject::default()
        })
    }
}

/// A trigger as scenarios spell it, with durations in units:
/// `repeatedly(after_processing_time(10s))`.
#[must_use]
pub fn trigger_label(trigger: &tidemark_engine::Trigger) -> String {
    trigger.display_with(&|d| Dur(d.0).to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_unit() {
        assert_eq!(Dur::parse("250ms"), Ok(Dur(250)));
        assert_eq!(Dur::parse("10s"), Ok(Dur(10_000)));
        assert_eq!(Dur::parse("5m"), Ok(Dur(300_000)));
        assert_eq!(Dur::parse("1h"), Ok(Dur(3_600_000)));
        assert_eq!(Dur::parse("-30s"), Ok(Dur(-30_000)));
        assert_eq!(Dur::parse("0s"), Ok(Dur(0)));
    }

    #[test]
    fn refuses_missing_units_and_garbage() {
        for bad in ["10", "s", "1.5s", "10 sec", "--1s", "1d", ""] {
            let err = Dur::parse(bad).unwrap_err();
            assert!(
                err.starts_with("expected a duration with a unit"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn refuses_overflow() {
        let err = Dur::parse("99999999999999999h").unwrap_err();
        assert!(err.contains("too long"), "{err}");
        assert!(Dur::parse("99999999999999999999999ms").is_err());
        assert!(Dur::parse("-9223372036854775807ms").is_err());
        assert_eq!(Dur::parse("24000h"), Ok(Dur(DUR_MS_MAX)));
        assert_eq!(Dur::parse("-24000h"), Ok(Dur(-DUR_MS_MAX)));
        assert!(Dur::parse("24001h").is_err());
    }

    #[test]
    fn displays_in_the_largest_exact_unit() {
        assert_eq!(Dur(90_000).to_string(), "90s");
        assert_eq!(Dur(120_000).to_string(), "2m");
        assert_eq!(Dur(0).to_string(), "0ms");
        assert_eq!(Dur(-1500).to_string(), "-1500ms");
        for d in [Dur(1), Dur(-30_000), Dur(7_200_000), Dur(0)] {
            assert_eq!(Dur::parse(&d.to_string()), Ok(d));
        }
    }
}
