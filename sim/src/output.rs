//! Everything a subcommand prints to stdout goes through [`Output`], which
//! owns the output format and the broken-pipe policy.
//!
//! The policy: when the reader goes away (`tidemark report | head -1`), the
//! write fails with `EPIPE` (Rust ignores `SIGPIPE`). That is the reader's
//! choice, not a failure: [`Output`] turns it into [`Closed`], the command
//! stops at once, and `commands::main` exits 0 without a word, whatever the
//! verdict would have been (nobody is left to read it). Files a command was
//! asked to write (`--out`) are written before anything is printed.

use serde::Serialize;
use std::io::Write;

/// How a subcommand prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: tables and lines.
    Table,
    /// For machines: JSON, stable field names.
    Json,
}

/// Stdout went away mid-write. Not an error: `commands::main` exits 0.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed by its reader")]
pub struct Closed;

/// True when `err` is (or wraps) [`Closed`].
pub fn is_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<Closed>())
}

/// The one writer to stdout: a format and a sink.
pub struct Output {
    format: Format,
    sink: Box<dyn Write>,
}

impl Output {
    /// Writes to the process's stdout.
    pub fn stdout(format: Format) -> Self {
        Self::to(format, Box::new(std::io::stdout()))
    }

    /// Writes to `sink` (tests).
    pub fn to(format: Format, sink: Box<dyn Write>) -> Self {
        Self { format, sink }
    }

    /// The format the user chose.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Writes `text` as is and flushes, so streamed output (`sweep`'s
    /// failures) appears as it is produced and a closed pipe is noticed
    /// at the write that hit it.
    pub fn text(&mut self, text: &str) -> anyhow::Result<()> {
        let written = self
            .sink
            .write_all(text.as_bytes())
            .and_then(|()| self.sink.flush());
        match written {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed.into()),
            Err(e) => Err(anyhow::Error::new(e).context("writing to stdout")),
        }
    }

    /// Writes `text` and a newline.
    pub fn line(&mut self, text: &str) -> anyhow::Result<()> {
        self.text(&format!("{text}\n"))
    }

    /// Writes `value` as pretty JSON and a newline.
    pub fn json_pretty(&mut self, value: &impl Serialize) -> anyhow::Result<()> {
        self.line(&serde_json::to_string_pretty(value)?)
    }

    /// Writes `value` as one line of JSON (JSON Lines).
    pub fn json_line(&mut self, value: &impl Serialize) -> anyhow::Result<()> {
        self.line(&serde_json::to_string(value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that has gone away.
    struct ClosedPipe;
    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A disk that is full: a real error, not the reader's choice.
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("no space left"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_closed_and_other_errors_are_not() {
        let mut out = Output::to(Format::Table, Box::new(ClosedPipe));
        let err = out.line("x").expect_err("EPIPE fails the write");
        assert!(is_closed(&err));
        let err = err.context("printing the table");
        assert!(is_closed(&err), "still recognised under context");

        let mut out = Output::to(Format::Json, Box::new(Full));
        let err = out.json_line(&1).expect_err("a full disk fails the write");
        assert!(!is_closed(&err));
        assert!(format!("{err:#}").contains("no space left"), "{err:#}");
    }
}
