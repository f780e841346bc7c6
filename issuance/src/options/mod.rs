//! The administrator's options profile (being written).

/// The administrator's options profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {}

/// An invalid options profile.
#[derive(Debug, thiserror::Error)]
#[error("invalid options profile")]
pub struct OptionsError;

impl Options {
    /// Loads and validates a profile file.
    pub fn load(_path: &std::path::Path) -> Result<Options, OptionsError> {
        Ok(Options::default())
    }
}
