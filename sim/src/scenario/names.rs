//! Names that become file names or host names: the scenario's `name` (the
//! stem of its report pages and of `shrink`'s regression file), strategy
//! names and source group names.
//!
//! The rule is deliberately narrow so that a name can never leave the
//! output directory it is written into: 1 to [`NAME_MAX`] characters from
//! `A-Z a-z 0-9 _ - .`, not starting with `.` or `-` (no `..`, no hidden
//! files, nothing an option parser could take for a flag). No `/`, `\`,
//! control characters, or spaces, on any platform.

/// The longest name accepted, in characters (well under every file
/// system's 255-byte limit, with room for suffixes like `-tradeoff.svg`).
pub const NAME_MAX: usize = 64;

/// The longest key name accepted: keys are only data, never file names,
/// but a key name is copied into every pane and dead letter of its key.
pub const KEY_NAME_MAX: usize = 256;

/// The longest file name Tidemark writes: a name plus its suffix.
pub const FILE_NAME_MAX: usize = NAME_MAX + 32;

/// `Err(why)` if `name` breaks the file-name rule (see the module docs).
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    check_chars(what, name, NAME_MAX)
}

/// `Err(why)` if a file name Tidemark is about to write (a checked name
/// plus a suffix like `-tradeoff.svg`) breaks the same rule.
pub fn check_file_name(name: &str) -> Result<(), String> {
    check_chars("file name", name, FILE_NAME_MAX)
}

fn check_chars(what: &str, name: &str, max: usize) -> Result<(), String> {
    let rule = format!(
        "{what} must be 1 to {max} characters from A-Z a-z 0-9 _ - . \
         and not start with `.` or `-`"
    );
    if name.is_empty() {
        return Err(format!("{what} must not be empty ({rule})"));
    }
    let chars = name.chars().count();
    if chars > max {
        return Err(format!("{what} is {chars} characters long; {rule}"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(format!(
            "{what} `{}` contains {}; {rule}",
            name.escape_debug(),
            describe(bad)
        ));
    }
    if name.starts_with('.') || name.starts_with('-') {
        return Err(format!(
            "{what} `{name}` starts with `{}`; {rule}",
            &name[..1]
        ));
    }
    Ok(())
}

/// `Err(why)` if a key name is empty, too long or holds control characters.
pub fn check_key_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("key name must not be empty".into());
    }
    let chars = name.chars().count();
    if chars > KEY_NAME_MAX {
        return Err(format!(
            "key name is {chars} characters long; at most {KEY_NAME_MAX} are allowed"
        ));
    }
    if let Some(bad) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "key name `{}` contains {}; control characters are not allowed",
            name.escape_debug(),
            describe(bad)
        ));
    }
    Ok(())
}

fn describe(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("the character U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}

/// `name` as a file stem, re-checked at the point of writing (a scenario
/// built in code, not loaded, has not been through validation).
pub fn file_stem(name: &str) -> anyhow::Result<&str> {
    check_name("scenario name", name).map_err(anyhow::Error::msg)?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        for n in ["a", "in_order_baseline", "heuristic-500ms", "v1.2", "A9"] {
            assert_eq!(check_name("name", n), Ok(()), "{n}");
        }
    }

    #[test]
    fn refuses_names_that_could_leave_a_directory() {
        let long = "x".repeat(100_000);
        for n in [
            "",
            "../evil",
            "..",
            ".hidden",
            "/etc/passwd",
            "a/b",
            "a\\b",
            "tab\there",
            "nl\nx",
            "nul\0x",
            "-rf",
            "sp ace",
            "é",
            long.as_str(),
        ] {
            let err = check_name("name", n).expect_err(n);
            assert!(err.contains("A-Z a-z 0-9"), "{err}");
            assert!(err.len() < 400, "the message must not echo a huge name");
        }
    }

    #[test]
    fn key_names_allow_unicode_but_not_control_characters() {
        assert_eq!(check_key_name("clé 1"), Ok(()));
        assert!(check_key_name("a\u{7}").is_err());
        assert!(check_key_name(&"k".repeat(KEY_NAME_MAX + 1)).is_err());
    }
}
