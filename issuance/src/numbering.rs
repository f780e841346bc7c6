//! Card numbering: prefix + zero-padded sequence + check digit.
//! (Placeholder to be completed by the foundation work: see [`Numbering`].)

/// A numbering scheme from the options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Numbering {
    /// Text before the sequence, e.g. `TMP-`.
    pub prefix: String,
    /// Digits of the zero-padded sequence.
    pub digits: u8,
}
