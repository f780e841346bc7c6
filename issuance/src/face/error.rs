//! Errors of the card face: template mistakes (with file, line, key, value and the fix) and
//! per-card rendering failures.

use std::path::PathBuf;

/// What is wrong with one value of a card face template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidKind {
    /// A key the template format does not know (often a typo).
    UnknownKey,
    /// A key that must be present is missing.
    MissingKey,
    /// The value has the wrong TOML type (e.g. a string where a number belongs).
    WrongType,
    /// A colour that is not `#RRGGBB`.
    BadColor,
    /// A position or size outside the card (1016 × 648 dots) or not positive.
    OutsideCard,
    /// A `{placeholder}` the renderer does not know, or an unclosed `{`.
    UnknownPlaceholder,
    /// A word that is not one of the allowed choices (e.g. `align = "middle"`).
    BadChoice,
    /// A referenced file (background image) that cannot be read or decoded, or is larger
    /// than the limits (file size, pixels a side).
    BadImage,
    /// A text longer than its limit (a text pattern, the template's name).
    TooLong,
}

impl std::fmt::Display for InvalidKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InvalidKind::UnknownKey => "unknown key",
            InvalidKind::MissingKey => "missing key",
            InvalidKind::WrongType => "wrong type",
            InvalidKind::BadColor => "bad colour",
            InvalidKind::OutsideCard => "outside the card",
            InvalidKind::UnknownPlaceholder => "unknown placeholder",
            InvalidKind::BadChoice => "not an allowed choice",
            InvalidKind::BadImage => "unreadable image",
            InvalidKind::TooLong => "too long",
        })
    }
}

/// A card face template could not be found, read or understood. Fix the template file.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// No template of that name: create `<home>/faces/<name>.toml` or use `temporary`.
    #[error(
        "card face template `{name}` not found at {}; fix: create that file or set face_template = \"temporary\"",
        path.display()
    )]
    NotFound {
        /// The template name from the options.
        name: String,
        /// Where it was looked up.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("cannot read card face template {}: {source}", path.display())]
    Read {
        /// The template file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}:{column}: TOML syntax error: {message}; fix: correct the syntax on this line", file.display())]
    Syntax {
        /// The template file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// One key or value is wrong (boxed to keep `Result`s small).
    #[error("{0}")]
    Invalid(Box<InvalidEntry>),
}

impl TemplateError {
    /// The kind of an [`TemplateError::Invalid`] error.
    pub fn invalid_kind(&self) -> Option<InvalidKind> {
        match self {
            TemplateError::Invalid(e) => Some(e.kind),
            _ => None,
        }
    }

    /// The 1-based line the error points at, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            TemplateError::Syntax { line, .. } => Some(*line),
            TemplateError::Invalid(e) => Some(e.line),
            _ => None,
        }
    }
}

/// One wrong key or value of a template: where it is, what is wrong, and what to write instead.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: {kind}: `{key}` = {value}: {detail}; fix: {fix}", file.display())]
pub struct InvalidEntry {
    /// The template file.
    pub file: PathBuf,
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// What is wrong.
    pub kind: InvalidKind,
    /// The dotted key, e.g. `front.text[2].align`.
    pub key: String,
    /// The value as written in the file (empty when the key is missing); at most 80
    /// characters (then `…`), control characters escaped.
    pub value: String,
    /// Details of the problem.
    pub detail: String,
    /// What to write instead.
    pub fix: String,
}

/// A card's face could not be rendered from its variable fields. The template needs more room
/// for this data, or the data is not encodable.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    /// The Code 128 symbol does not fit the barcode box even with 1-dot bars.
    #[error(
        "barcode for `{data}` needs {modules} modules but the box is {width} dots wide; fix: widen the barcode box or shorten the card number"
    )]
    BarcodeTooWide {
        /// The encoded text.
        data: String,
        /// Modules including quiet zones.
        modules: usize,
        /// Width of the box in dots.
        width: u32,
    },
    /// The text cannot be encoded as Code 128 (characters outside ASCII).
    #[error("barcode cannot encode `{data}`: {reason}")]
    BarcodeData {
        /// The text to encode.
        data: String,
        /// The encoder's explanation.
        reason: String,
    },
    /// The QR code does not fit its box even with 1-dot modules, or the data is too long.
    #[error("QR code for `{data}` does not fit a {size}-dot box; fix: enlarge the QR box")]
    QrTooLarge {
        /// The encoded text.
        data: String,
        /// Side of the box in dots.
        size: u32,
    },
}
