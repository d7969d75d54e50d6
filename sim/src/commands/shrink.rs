//! `tidemark shrink SCENARIO --seed N [--out DIR]`.

use super::{load, run_error};
use crate::output::Output;
use crate::{shrink, sweep};
use std::path::Path;
use std::process::ExitCode;

/// Minimises a failing seed and writes the regression scenario.
pub fn run(path: &Path, seed: u64, out: &Path, stdout: &mut Output) -> anyhow::Result<ExitCode> {
    let scenario = load(path)?;
    let shrunk = shrink::shrink(&scenario, seed)
        .map_err(|e| anyhow::anyhow!(run_error(path, &format!("{e:#}"))))?;
    let Some(shrunk) = shrunk else {
        stdout.line(&format!(
            "seed {seed} passes every expected check: nothing to shrink"
        ))?;
        return Ok(ExitCode::SUCCESS);
    };
    let written = shrink::write_regression(out, path, seed, &shrunk)?;
    let mut text = format!(
        "failure: {}\nshrunk in {} runs:\n",
        shrunk.failure, shrunk.runs
    );
    for step in &shrunk.steps {
        text.push_str(&format!("  - {step}\n"));
    }
    text.push_str(&format!("wrote {}\n", written.display()));
    text.push_str(&format!(
        "reproduce: {}\n",
        sweep::replay_command(&written, seed)
    ));
    stdout.text(&text)?;
    Ok(ExitCode::SUCCESS)
}
