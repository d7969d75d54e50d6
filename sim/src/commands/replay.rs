//! `tidemark replay SCENARIO --seed N`.

use super::{code, load, run_error};
use crate::output::Output;
use crate::{run, summary};
use std::path::Path;
use std::process::ExitCode;

/// Re-runs one seed verbosely; exit 1 if a check failed.
pub fn run(path: &Path, seed: u64, swarm: bool, stdout: &mut Output) -> anyhow::Result<ExitCode> {
    let mut scenario = load(path)?;
    if swarm {
        let (variant, kinds) = crate::swarm::variant(&scenario, seed);
        stdout.text(&format!(
            "swarm variant of seed {seed}: fault kinds on: {kinds:?}\n"
        ))?;
        scenario = variant;
    }
    let (report, _) = run::run_seed(&scenario, seed)
        .map_err(|e| anyhow::anyhow!(run_error(path, &format!("{e:#}"))))?;
    stdout.text(&summary::replay_text(&report, &path.display().to_string()))?;
    Ok(code(report.ok()))
}
