//! Errors in files the user wrote: always a file, a line and a column, and
//! exit status 2.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem in a user's input file, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

impl InputError {
    /// An error at a known place.
    pub fn at(path: &Path, line: usize, column: usize, message: impl Into<String>) -> InputError {
        InputError {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Wraps a serde_yaml error, keeping its location. serde_yaml puts
    /// "at line L column C" into its message too; that part is dropped so
    /// the location is printed once.
    pub fn from_yaml(path: &Path, err: &serde_yaml::Error) -> InputError {
        let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
        let mut message = err.to_string();
        // Drop only the " at line L column C" part: libyaml's context after
        // it ("while scanning a quoted scalar…") still helps.
        if let Some(i) = message.find(" at line ") {
            let rest = &message[i + " at line ".len()..];
            let located = rest
                .split_once(" column ")
                .map(|(_, after)| after.trim_start_matches(|c: char| c.is_ascii_digit()));
            message = match located {
                Some(after) => format!("{}{}", &message[..i], after),
                None => message[..i].to_string(),
            };
        }
        InputError::at(path, line, column, message)
    }

    /// An error in a file that couldn't be read at all.
    pub fn io(path: &Path, err: &std::io::Error) -> InputError {
        InputError::at(path, 0, 0, format!("cannot read: {err}"))
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A file that can't be read has no position to point at.
        if self.line == 0 {
            return write!(f, "{}: {}", self.path.display(), self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for InputError {}
