//! Transcripts: scripted engine tests in YAML, in the style of Apache
//! Beam's `trigger_transcripts.yaml`. A document has a `name`, a `pipeline`
//! (the shared grammar, durations in ticks), `steps` (`input`, `clock`,
//! `watermark`, `expect`, `state`) and, for a negative test, the `error` the
//! checker must report.
//!
//! - `spec`: what a transcript says;
//! - `parse`: YAML → spec, with file:line:col errors;
//! - `run`: drives the engine and checks every step;
//! - `check`: matching expected items against outputs;
//! - `render`: outputs as one-line text, or JSON in the one output
//!   encoding (`crate::encode`).
//!
//! The pipeline section is the shared grammar (`crate::grammar`) with
//! durations in bare ticks.

mod bounds;
mod check;
mod keys;
mod parse;
mod render;
mod run;
mod spec;

pub use bounds::TRANSCRIPT_WORK_MAX;
pub use keys::Keys;
pub use parse::{load_file, parse_str, INT_MAX};
pub use render::{outcome_json, output_line, panicked_json, TranscriptJson, PANICKED};
pub use run::{run, Failure, Outcome, StepLog};
pub use spec::{
    DeadLetterExpectation, Expected, ExpectedNumber, FailureKind, InputElement, PaneExpectation,
    StateCheck, Step, Transcript, DEFAULT_KEY,
};
