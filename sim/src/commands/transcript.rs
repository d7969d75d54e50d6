//! `tidemark transcript FILE… [--format json]`: the CLI over
//! `tidemark_spec::transcript` (re-exported as [`crate::transcript`]).

use crate::output::{Format, Output};
use crate::transcript::{load_file, outcome_json, panicked_json, run as run_transcript, PANICKED};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::ExitCode;

/// 0 when every transcript passed, 1 when one failed, 2 when a file is
/// malformed (then nothing runs).
pub fn run(files: &[PathBuf], out: &mut Output) -> anyhow::Result<ExitCode> {
    let format = out.format();
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

    let (mut passed, mut failed) = (0usize, 0usize);
    for (file, transcripts) in &parsed {
        let file = file.display().to_string();
        for t in transcripts {
            // A panic is an engine bug; report it against the transcript
            // that found it instead of losing the rest of the run.
            let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| run_transcript(t))) {
                Ok(Ok(o)) => o,
                Ok(Err(e)) => {
                    // The parser validates pipelines, so this is a backstop.
                    eprintln!("{file}: transcript {}: {e}", t.name);
                    return Ok(ExitCode::from(2));
                }
                Err(_) => {
                    failed += 1;
                    match format {
                        Format::Json => out.json_line(&panicked_json(&file, &t.name))?,
                        Format::Table => {
                            out.line(&format!("FAIL {file}::{}\n    {PANICKED}", t.name))?;
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
                Format::Json => out.json_line(&outcome_json(&file, &outcome))?,
                Format::Table => match outcome.explanation() {
                    None => out.line(&format!("ok   {file}::{}", outcome.name))?,
                    Some(why) => {
                        let mut text = format!("FAIL {file}::{}\n", outcome.name);
                        for line in why.lines() {
                            text.push_str(&format!("    {line}\n"));
                        }
                        out.text(&text)?;
                    }
                },
            }
        }
    }
    if format == Format::Table {
        out.line(&format!("{passed} passed, {failed} failed"))?;
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
