//! Fields that take either a short form (one duration) or a full mapping:
//! `{fixed: 1m}` next to `{fixed: {size: 1m, offset: 10s}}` in scenarios,
//! `{fixed: 10}` next to `{fixed: {size: 10, offset: 3}}` in transcripts.

use crate::duration::Spelling;
use schemars::gen::SchemaGenerator;
use schemars::schema::{Schema, SchemaObject, SubschemaValidation};
use schemars::JsonSchema;
use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::Deserializer;
use std::fmt;
use std::marker::PhantomData;

/// Deserializes `Full` from a mapping, or builds it with `short` from a
/// scalar the spelling `D` reads. Errors keep their own locations.
pub fn short_or_full<'de, De, D, Full>(
    d: De,
    expecting: &'static str,
    short: fn(D) -> Full,
) -> Result<Full, De::Error>
where
    De: Deserializer<'de>,
    D: Spelling,
    Full: DeserializeOwned,
{
    struct V<D, Full> {
        expecting: &'static str,
        short: fn(D) -> Full,
        full: PhantomData<Full>,
    }
    impl<'de, D: Spelling, Full: DeserializeOwned> Visitor<'de> for V<D, Full> {
        type Value = Full;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }
        // The scalar is handed to the spelling, so a unit-free number in a
        // scenario (or a unit in a transcript) gets the spelling's message.
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Full, E> {
            D::deserialize(de::value::StrDeserializer::<E>::new(v)).map(self.short)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Full, E> {
            D::deserialize(de::value::I64Deserializer::<E>::new(v)).map(self.short)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Full, E> {
            D::deserialize(de::value::U64Deserializer::<E>::new(v)).map(self.short)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Full, A::Error> {
            Full::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    d.deserialize_any(V {
        expecting,
        short,
        full: PhantomData,
    })
}

/// `anyOf [a, b]`, with a description.
pub fn any_of(description: &str, schemas: Vec<Schema>) -> Schema {
    let mut o = SchemaObject {
        subschemas: Some(Box::new(SubschemaValidation {
            any_of: Some(schemas),
            ..SubschemaValidation::default()
        })),
        ..SchemaObject::default()
    };
    o.metadata().description = Some(description.into());
    Schema::Object(o)
}

/// The schema of a short-or-full field: a duration, or `Full`'s mapping.
pub fn short_or_full_schema<D: JsonSchema, Full: JsonSchema>(
    gen: &mut SchemaGenerator,
    description: &str,
) -> Schema {
    let short = gen.subschema_for::<D>();
    let full = gen.subschema_for::<Full>();
    any_of(description, vec![short, full])
}

/// The JSON Schema of a short-or-full field, for `#[schemars(with = ..)]`:
/// the spelling's duration `D`, or `Full`'s mapping.
pub struct ShortOrFull<D, Full>(PhantomData<(D, Full)>);

impl<D: JsonSchema, Full: JsonSchema> JsonSchema for ShortOrFull<D, Full> {
    fn is_referenceable() -> bool {
        false
    }

    fn schema_name() -> String {
        format!("{}_or_{}", D::schema_name(), Full::schema_name())
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        short_or_full_schema::<D, Full>(gen, "One duration (the short form), or the full mapping.")
    }
}
