//! Errors of the options profile: every problem names the file, the line, the key, the value
//! and what is allowed.

use std::fmt;

use cardline_device::echo::{self, ECHO_LIMIT};
use std::path::PathBuf;

/// A value from the file as error messages show it: at most [`ECHO_LIMIT`] characters (then
/// `…`), control characters escaped.
pub(crate) fn shown(value: &str) -> String {
    echo::text(value, ECHO_LIMIT)
}

/// Longest dotted key shown (keys hold profile names written by the administrator).
const MAX_KEY_CHARS: usize = 200;

/// One thing wrong in an options profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the file (`None` for values that did not come from a file).
    pub line: Option<usize>,
    /// The dotted key (`numbering.digits`); empty for syntax errors; control characters
    /// escaped.
    pub key: String,
    /// The offending value as written (TOML syntax), if any; at most 80 characters (then `…`),
    /// control characters escaped.
    pub value: Option<String>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(
        line: Option<usize>,
        key: impl Into<String>,
        value: Option<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            line,
            key: echo::text(&key.into(), MAX_KEY_CHARS),
            value: value.map(|v| shown(&v)),
            message: message.into(),
        }
    }

    /// The problem prefixed with `file:line:`.
    pub fn located(&self, file: &str) -> String {
        let place = match self.line {
            Some(l) => format!("{file}:{l}: "),
            None => format!("{file}: "),
        };
        let what = match (&self.value, self.key.is_empty()) {
            (_, true) => String::new(),
            (Some(v), false) => format!("`{} = {v}`: ", self.key),
            (None, false) => format!("`{}`: ", self.key),
        };
        format!("{place}{what}{}", self.message)
    }
}

/// Why an options profile cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    /// The file cannot be read.
    #[error("cannot read the options file {}: {source}", .file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file (or the values given) break the rules; each problem is listed.
    #[error("{}", Listing { file, problems })]
    Invalid {
        /// The file (`<options>` for values not read from a file).
        file: String,
        /// Everything wrong, in file order.
        problems: Vec<Problem>,
    },
}

impl OptionsError {
    /// The problems (empty for read errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            OptionsError::Read { .. } => &[],
            OptionsError::Invalid { problems, .. } => problems,
        }
    }
}

struct Listing<'a> {
    file: &'a str,
    problems: &'a [Problem],
}

impl fmt::Display for Listing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems {
            [one] => f.write_str(&one.located(self.file)),
            many => {
                write!(
                    f,
                    "the options profile {} has {} problems:",
                    self.file,
                    many.len()
                )?;
                for p in many {
                    write!(f, "\n  {}", p.located(self.file))?;
                }
                Ok(())
            }
        }
    }
}
