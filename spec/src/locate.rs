//! Turns a path in a YAML document (`network.partitions[0].from`) back into
//! the line and column of that node.
//!
//! serde_yaml's values carry no locations, but its errors do: an error a
//! visitor returns is stamped with the position of the node being visited.
//! So [`locate`] walks the document along the path and fails on purpose at
//! the target, then reads the position off the error. Where the path goes
//! deeper than the document (a short form like `{fixed: 1m}` has no
//! `size` key), the deepest node that exists is the answer.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

impl From<&str> for Seg {
    fn from(k: &str) -> Seg {
        Seg::Key(k.to_owned())
    }
}

impl From<usize> for Seg {
    fn from(i: usize) -> Seg {
        Seg::Index(i)
    }
}

/// Builds a path: `yaml_path!["network", "links", i, "from"]`.
#[macro_export]
macro_rules! yaml_path {
    ($($seg:expr),* $(,)?) => { vec![$($crate::locate::Seg::from($seg)),*] };
}
pub use crate::yaml_path;

/// The path as serde_yaml prints it in its own errors:
/// `network.partitions[0].from`.
pub fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The 1-based (line, column) of the node at `path` in `text`, or of its
/// deepest existing ancestor; (0, 0) if the text doesn't parse.
#[must_use]
pub fn locate(text: &str, path: &[Seg]) -> (usize, usize) {
    locate_in(text, 0, path)
}

/// [`locate`] in the `doc`-th (0-based) document of a multi-document
/// stream. Positions count from the start of `text`.
#[must_use]
pub fn locate_in(text: &str, doc: usize, path: &[Seg]) -> (usize, usize) {
    let Some(de) = serde_yaml::Deserializer::from_str(text).nth(doc) else {
        return (0, 0);
    };
    match (Finder { path }).deserialize(de) {
        Ok(()) => (0, 0),
        Err(e) => e.location().map_or((0, 0), |l| (l.line(), l.column())),
    }
}

/// Stops the walk; serde_yaml stamps it with the current node's position.
fn here<E: de::Error>() -> E {
    E::custom("found")
}

struct Finder<'p> {
    path: &'p [Seg],
}

impl<'de> DeserializeSeed<'de> for Finder<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Finder<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Seg::Key(want), rest)) = self.path.split_first() else {
            return Err(here());
        };
        while let Some(key) = map.next_key::<serde_yaml::Value>()? {
            if key.as_str() == Some(want.as_str()) {
                return map.next_value_seed(Finder { path: rest });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Err(here())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Seg::Index(want), rest)) = self.path.split_first() else {
            return Err(here());
        };
        let mut i = 0;
        loop {
            if i == *want {
                return match seq.next_element_seed(Finder { path: rest })? {
                    Some(()) | None => Err(here()),
                };
            }
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(here());
            }
            i += 1;
        }
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(here())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(here())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(here())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(here())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(here())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(here())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Err(here())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        // A tagged node (`!tag value`): point at the tag.
        Err(here())
    }
}

#[cfg(test)]
// Paths are built as `Vec`s by `yaml_path!`; borrowing one is the point here.
#[allow(clippy::useless_vec)]
mod tests {
    use super::*;

    const DOC: &str = "\
a: 1
b:
  c: [x, y, {z: 3}]
  d:
    - e: 5
    - e: 6
";

    #[test]
    fn finds_nodes_in_block_and_flow_style() {
        assert_eq!(locate(DOC, &yaml_path!["a"]), (1, 4));
        assert_eq!(locate(DOC, &yaml_path!["b", "c", 1]), (3, 10));
        assert_eq!(locate(DOC, &yaml_path!["b", "c", 2, "z"]), (3, 17));
        assert_eq!(locate(DOC, &yaml_path!["b", "d", 1, "e"]), (6, 10));
    }

    #[test]
    fn falls_back_to_the_deepest_existing_node() {
        assert_eq!(locate(DOC, &yaml_path!["a", "size"]), (1, 4));
        assert_eq!(
            locate(DOC, &yaml_path!["b", "d", 7]),
            locate(DOC, &yaml_path!["b", "d"])
        );
    }
}
