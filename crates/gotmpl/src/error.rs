//! Template errors whose `Display` is exactly Go's `err.Error()` text.

/// A parse or execution error. `to_string()` is byte-for-byte what Go's `text/template`
/// returns from `Parse`/`Execute` for the same input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `template: NAME:LINE: MESSAGE`
    Parse { text: String, line: usize },
    /// `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE` (or, without a node,
    /// `template: NAME: MESSAGE`). `limit` is set when a [`crate::Limits`] bound stopped it.
    Exec {
        text: String,
        line: Option<usize>,
        limit: bool,
    },
}

impl Error {
    /// The source line the error points at, when Go's message names one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::Parse { line, .. } => Some(*line),
            Error::Exec { line, .. } => *line,
        }
    }

    /// True when execution stopped because a [`crate::Limits`] bound was exceeded.
    pub fn is_limit(&self) -> bool {
        matches!(self, Error::Exec { limit: true, .. })
    }

    pub fn is_parse(&self) -> bool {
        matches!(self, Error::Parse { .. })
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Parse { text, .. } | Error::Exec { text, .. } => f.write_str(text),
        }
    }
}

impl std::error::Error for Error {}
