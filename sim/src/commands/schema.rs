//! `tidemark schema`.

use crate::output::Output;
use std::process::ExitCode;

/// Prints the scenario format's JSON Schema.
pub fn run(stdout: &mut Output) -> anyhow::Result<ExitCode> {
    stdout.text(&crate::scenario::schema::json())?;
    Ok(ExitCode::SUCCESS)
}
