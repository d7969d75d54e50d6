//! The JSON Schema of the scenario format, for editors (`tidemark schema`).
//! `scenarios/scenario.schema.json` is this output, committed; a test fails
//! when it is stale.

use super::Scenario;

/// The schema as pretty-printed JSON, ending in a newline.
#[must_use]
pub fn json() -> String {
    let schema = schemars::schema_for!(Scenario);
    // Serializing a schemars schema cannot fail: it is plain data with
    // string keys.
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
