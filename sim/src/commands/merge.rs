//! `tidemark merge FILE… [--format json]`.

use super::code;
use crate::input_error::InputError;
use crate::merge;
use crate::output::{Format, Output};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Merges sharded sweep results; exit 1 if a seed failed.
pub fn run(files: &[PathBuf], stdout: &mut Output) -> anyhow::Result<ExitCode> {
    let texts = files
        .iter()
        .map(|p| std::fs::read_to_string(p).map_err(|e| InputError::io(p, &e)))
        .collect::<Result<Vec<_>, _>>()?;
    let pairs: Vec<(&Path, &str)> = files
        .iter()
        .map(PathBuf::as_path)
        .zip(texts.iter().map(String::as_str))
        .collect();
    let merged = merge::merge(&pairs)?;
    match stdout.format() {
        Format::Table => stdout.text(&merged.text())?,
        Format::Json => stdout.text(&merged.to_json()?)?,
    }
    Ok(code(merged.failed == 0))
}
