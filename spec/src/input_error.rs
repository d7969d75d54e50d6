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

    /// Adds a hint when the line the error points at is indented with a
    /// tab: YAML forbids tabs in indentation, and libyaml's own message
    /// ("found character that cannot start any token") doesn't say so.
    #[must_use]
    pub fn with_tab_hint(mut self, text: &str) -> InputError {
        let line = self
            .line
            .checked_sub(1)
            .and_then(|i| text.lines().nth(i))
            .unwrap_or("");
        let tab_indented = line
            .chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t');
        if tab_indented {
            self.message.push_str(
                " (hint: this line is indented with a tab; YAML indentation must use spaces)",
            );
        }
        self
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

/// The largest input file read, in bytes. Scenarios and transcripts are
/// hand-written: even the largest shipped transcript file is a few tens of
/// kilobytes. The limit stops `/dev/zero` or a runaway generator from
/// filling memory; pipes (`tidemark run <(generator)`) still work.
pub const INPUT_BYTES_MAX: u64 = 16 * 1024 * 1024;

/// Reads `path` as UTF-8 text, at most [`INPUT_BYTES_MAX`] bytes, without
/// a leading byte-order mark (editors on Windows write one; YAML allows it).
pub fn read_text(path: &Path) -> Result<String, InputError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| InputError::io(path, &e))?;
    let mut bytes = Vec::new();
    file.take(INPUT_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::io(path, &e))?;
    if bytes.len() as u64 > INPUT_BYTES_MAX {
        return Err(InputError::at(
            path,
            0,
            0,
            format!(
                "the file is larger than {} MiB, the most Tidemark reads; \
                 is it the file you meant?",
                INPUT_BYTES_MAX / (1024 * 1024)
            ),
        ));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = good.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            return Err(InputError::at(
                path,
                line,
                column,
                "the file is not UTF-8 text",
            ));
        }
    };
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}
