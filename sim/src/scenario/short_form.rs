//! Fields that take either a short form (one duration) or a full mapping,
//! like the scenarios' `{fixed: 1m}` next to `{fixed: {size: 1m, offset: 10s}}`.

use super::duration::Dur;
use schemars::gen::SchemaGenerator;
use schemars::schema::{Schema, SchemaObject, SubschemaValidation};
use schemars::JsonSchema;
use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::Deserializer;
use std::fmt;
use std::marker::PhantomData;

/// Deserializes `Full` from a mapping, or builds it from a duration string
/// with `short`. Errors inside the mapping keep their own locations.
pub(crate) fn short_or_full<'de, D, Full>(
    d: D,
    expecting: &'static str,
    short: fn(Dur) -> Full,
) -> Result<Full, D::Error>
where
    D: Deserializer<'de>,
    Full: DeserializeOwned,
{
    struct V<Full> {
        expecting: &'static str,
        short: fn(Dur) -> Full,
        full: PhantomData<Full>,
    }
    impl<'de, Full: DeserializeOwned> Visitor<'de> for V<Full> {
        type Value = Full;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Full, E> {
            Dur::parse(v).map(self.short).map_err(E::custom)
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
pub(crate) fn any_of(description: &str, schemas: Vec<Schema>) -> Schema {
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
pub(crate) fn short_or_full_schema<Full: JsonSchema>(
    gen: &mut SchemaGenerator,
    description: &str,
) -> Schema {
    let short = gen.subschema_for::<Dur>();
    let full = gen.subschema_for::<Full>();
    any_of(description, vec![short, full])
}
