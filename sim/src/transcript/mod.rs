//! Transcripts: scripted engine tests in YAML (see DESIGN.md, "Transcripts").

use crate::cli::Format;
use std::path::PathBuf;
use std::process::ExitCode;

/// `tidemark transcript FILE… [--format json]`.
pub fn cli(_files: &[PathBuf], _format: Format) -> anyhow::Result<ExitCode> {
    anyhow::bail!("transcripts are not implemented yet")
}
