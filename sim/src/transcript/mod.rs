//! Transcripts: scripted engine tests in YAML (the format is documented on `parse.rs`; examples in engine/tests/transcripts/).
//!
//! - `spec`: what a transcript says;
//! - `parse`: YAML → spec, with file:line:col errors;
//! - `run`: drives the engine and checks every step;
//! - `check`: matching expected items against outputs;
//! - `render`: outputs as one-line text or JSON.

mod bounds;
mod check;
mod keys;
mod parse;
mod render;
mod run;
mod spec;

pub use keys::Keys;
pub use parse::{load_file, parse_str};
pub use render::{outcome_json, output_line, panicked_json, PANICKED};
pub use run::{run, Failure, Outcome, StepLog};
pub use spec::{
    DeadLetterExpectation, Expected, ExpectedNumber, FailureKind, InputElement, PaneExpectation,
    StateCheck, Step, Transcript, DEFAULT_KEY,
};

use crate::cli::Format;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::ExitCode;

/// `tidemark transcript FILE… [--format json]`: 0 when every transcript
/// passed, 1 when one failed, 2 when a file is malformed (then nothing runs).
pub fn cli(files: &[PathBuf], format: Format) -> anyhow::Result<ExitCode> {
    let mut parsed = Vec::new();
    let mut bad_input = false;
    for f in files {
        match load_file(f) {
            Ok(ts) => parsed.push((f, ts)),
            Err(e) => {
                eprintln!("{e}");
                bad_input = true;
            }
        }
    }
    if bad_input {
        return Ok(ExitCode::from(2));
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut passed, mut failed) = (0usize, 0usize);
    for (file, transcripts) in &parsed {
        let file = file.display().to_string();
        for t in transcripts {
            // A panic is an engine bug; report it against the transcript
            // that found it instead of losing the rest of the run.
            let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| run(t))) {
                Ok(Ok(o)) => o,
                Ok(Err(e)) => {
                    // The parser validates pipelines, so this is a backstop.
                    eprintln!("{file}: transcript {}: {e}", t.name);
                    return Ok(ExitCode::from(2));
                }
                Err(_) => {
                    failed += 1;
                    match format {
                        Format::Json => {
                            serde_json::to_writer(&mut out, &panicked_json(&file, &t.name))?;
                            writeln!(out)?;
                        }
                        Format::Table => {
                            writeln!(out, "FAIL {file}::{}\n    {PANICKED}", t.name)?;
                        }
                    }
                    continue;
                }
            };
            if outcome.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
            match format {
                Format::Json => {
                    serde_json::to_writer(&mut out, &outcome_json(&file, &outcome))?;
                    writeln!(out)?;
                }
                Format::Table => match outcome.explanation() {
                    None => writeln!(out, "ok   {file}::{}", outcome.name)?,
                    Some(why) => {
                        writeln!(out, "FAIL {file}::{}", outcome.name)?;
                        for line in why.lines() {
                            writeln!(out, "    {line}")?;
                        }
                    }
                },
            }
        }
    }
    if format == Format::Table {
        writeln!(out, "{passed} passed, {failed} failed")?;
    }
    out.flush()?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
