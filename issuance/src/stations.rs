//! The stations file (`<home>/stations.toml`): which printers and readers make up the line.
//!
//! ```toml
//! [[station]]
//! name = "desk-1"             # unique, one word; journaled on every attempt
//! printer = "<scheme>://..."  # the printer URI, opaque here (see below)
//! reader = "OMNIKEY"          # optional: the contact reader; a print-only station needs none
//! encode = true               # optional: false for a print-only station
//! encoder = "piv"             # optional: the encoder family (default "piv")
//! compress_color = true       # optional: false sends colour panels raw
//! breaker = 3                 # optional: card faults in a row before the station pauses (1–100)
//! ```
//!
//! This crate never names a printer family, a link or the simulator: the printer URI, the reader
//! and the encoder belong to the drivers the application knows, so [`StationsFile::parse`]
//! checks them through the [`StationValidator`] the application gives it (the printer
//! registry of `cardline-app`) and reports its verdict with file, line, station, key and value.
//!
//! ```
//! use cardline_issuance::stations::{StationValidator, StationsFile};
//! /// Accepts printers of the `acme+tcp` scheme only.
//! struct Acme;
//! impl StationValidator for Acme {
//!     fn printer(&self, uri: &str) -> Result<(), String> {
//!         uri.starts_with("acme+tcp://").then_some(()).ok_or("known: acme+tcp".into())
//!     }
//!     fn reader(&self, _: &str, _: Option<&str>, _: bool) -> Result<(), String> { Ok(()) }
//!     fn encoder(&self, _: &str) -> Result<(), String> { Ok(()) }
//! }
//! let text = "[[station]]\nname = \"a\"\nprinter = \"acme+tcp://10.0.0.5:9100\"\nreader = \"X\"\n";
//! let f = StationsFile::parse(text, "stations.toml", &Acme).unwrap();
//! assert_eq!(f.stations[0].scheme(), Some("acme+tcp"));
//! let bad = text.replace("acme", "zebra");
//! let e = StationsFile::parse(&bad, "stations.toml", &Acme).unwrap_err().to_string();
//! assert!(e.starts_with("stations.toml:3: station `a`: printer = \"zebra+tcp://"), "{e}");
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::production::DEFAULT_BREAKER;

/// The encoder family of a station that does not name one.
pub const DEFAULT_ENCODER: &str = "piv";

/// The breaker thresholds a station may declare (card faults in a row before it pauses).
pub const BREAKER_RANGE: std::ops::RangeInclusive<u32> = 1..=100;

/// How many characters of a bad value an error message repeats.
const ECHO_CHARS: usize = 80;

/// Checks the values of a station declaration whose meaning belongs to the drivers the
/// application knows. Each method returns what is wrong and how to fix it.
pub trait StationValidator {
    /// Checks a printer URI without opening anything.
    fn printer(&self, uri: &str) -> Result<(), String>;
    /// Checks the reader declared for a station with this (valid) printer URI; `reader` is
    /// `None` when the key is absent, `encode` whether the station encodes cards.
    fn reader(&self, printer_uri: &str, reader: Option<&str>, encode: bool) -> Result<(), String>;
    /// Checks an encoder family name (only asked for stations that encode).
    fn encoder(&self, encoder: &str) -> Result<(), String>;
}

/// Splits `scheme://rest` into its scheme and the rest (`None` without `://` or scheme).
pub fn split_scheme(uri: &str) -> Option<(&str, &str)> {
    uri.split_once("://")
        .filter(|(scheme, _)| !scheme.is_empty())
}

/// One station as declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StationSpec {
    /// Unique name (journaled on every attempt).
    pub name: String,
    /// The printer URI as written (checked by the validator, opened by the application).
    pub printer_uri: String,
    /// The contact reader as written (`None`: a print-only station without reader).
    pub reader: Option<String>,
    /// False for a print-only station.
    pub encode: bool,
    /// The encoder family (default [`DEFAULT_ENCODER`]).
    pub encoder: String,
    /// Colour panels go run-length compressed (default) or raw (when false).
    pub compress_color: bool,
    /// Card faults in a row after which the station pauses (default [`DEFAULT_BREAKER`]).
    pub breaker: u32,
}

impl StationSpec {
    /// A station with this printer URI and the defaults of every optional key.
    pub fn new(
        name: impl Into<String>,
        printer_uri: impl Into<String>,
        reader: Option<&str>,
    ) -> StationSpec {
        StationSpec {
            name: name.into(),
            printer_uri: printer_uri.into(),
            reader: reader.map(str::to_string),
            encode: true,
            encoder: DEFAULT_ENCODER.to_string(),
            compress_color: true,
            breaker: DEFAULT_BREAKER,
        }
    }

    /// The printer URI's scheme (`None` when it has none).
    pub fn scheme(&self) -> Option<&str> {
        split_scheme(&self.printer_uri).map(|(s, _)| s)
    }
}

/// The parsed stations file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StationsFile {
    /// The stations, in file order.
    pub stations: Vec<StationSpec>,
}

/// Errors of the stations file; each names the file and, where known, the line and key.
#[derive(Debug, thiserror::Error)]
pub enum StationsFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or misses a key.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A value is not valid.
    #[error("{path}:{line}: station `{station}`: {key} = \"{value}\": {why}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line of the value (of the station's name when the key is absent).
        line: usize,
        /// The station.
        station: String,
        /// The key.
        key: &'static str,
        /// The value (long values cut after 80 characters, marked `…`).
        value: String,
        /// What is wrong and what is allowed.
        why: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    station: Vec<RawStation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStation {
    name: toml::Spanned<String>,
    printer: toml::Spanned<String>,
    #[serde(default)]
    reader: Option<toml::Spanned<String>>,
    #[serde(default = "yes")]
    encode: bool,
    #[serde(default)]
    encoder: Option<toml::Spanned<String>>,
    #[serde(default = "yes")]
    compress_color: bool,
    #[serde(default)]
    breaker: Option<toml::Spanned<i64>>,
}

fn yes() -> bool {
    true
}

/// `value`, cut after [`ECHO_CHARS`] characters (marked `…`), for error messages.
fn echo(value: &str) -> String {
    match value.char_indices().nth(ECHO_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

impl StationsFile {
    /// Loads the file, checking drivers' values with `validator`; a missing file is an empty
    /// line (no station). A file larger than
    /// [`TOML_FILE_LIMIT`](crate::file_limits::TOML_FILE_LIMIT) is refused unread.
    pub fn load(
        path: &Path,
        validator: &dyn StationValidator,
    ) -> Result<StationsFile, StationsFileError> {
        let shown = path.display().to_string();
        let limit = crate::file_limits::TOML_FILE_LIMIT;
        match crate::file_limits::read_text(path, limit, "a stations file") {
            Ok(text) => StationsFile::parse(&text, &shown, validator),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StationsFile::default()),
            Err(source) => Err(StationsFileError::Read {
                path: shown,
                source,
            }),
        }
    }

    /// Parses the text of a stations file named `path` (for messages), checking the printer
    /// URI, reader and encoder of every station with `validator`.
    pub fn parse(
        text: &str,
        path: &str,
        validator: &dyn StationValidator,
    ) -> Result<StationsFile, StationsFileError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| StationsFileError::Syntax {
            path: path.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        let line_of = |span: std::ops::Range<usize>| {
            text[..span.start.min(text.len())].lines().count().max(1)
        };
        let mut out = StationsFile::default();
        for r in raw.station {
            let name = r.name.get_ref().trim().to_string();
            let invalid = |key: &'static str, span: std::ops::Range<usize>, value: &str, why| {
                StationsFileError::Invalid {
                    path: path.to_string(),
                    line: line_of(span),
                    station: name.clone(),
                    key,
                    value: echo(value),
                    why,
                }
            };
            let spanned =
                |key, v: &toml::Spanned<String>, why| invalid(key, v.span(), v.get_ref(), why);
            if name.is_empty() || name.contains(char::is_whitespace) {
                let why = "a station name is one word, not empty".into();
                return Err(spanned("name", &r.name, why));
            }
            if out.stations.iter().any(|s| s.name == name) {
                let why = "another station has this name".into();
                return Err(spanned("name", &r.name, why));
            }
            let printer_uri = r.printer.get_ref().trim().to_string();
            validator
                .printer(&printer_uri)
                .map_err(|why| spanned("printer", &r.printer, why))?;
            let reader = match &r.reader {
                Some(v) if v.get_ref().trim().is_empty() => {
                    let why = "name the reader, or leave the key out for a print-only station";
                    return Err(spanned("reader", v, why.into()));
                }
                Some(v) => Some(v.get_ref().trim().to_string()),
                None => None,
            };
            validator
                .reader(&printer_uri, reader.as_deref(), r.encode)
                .map_err(|why| match &r.reader {
                    Some(v) => spanned("reader", v, why),
                    None => invalid("reader", r.name.span(), "", why),
                })?;
            let encoder = match &r.encoder {
                Some(v) => v.get_ref().trim().to_string(),
                None => DEFAULT_ENCODER.to_string(),
            };
            if r.encode {
                validator
                    .encoder(&encoder)
                    .map_err(|why| match &r.encoder {
                        Some(v) => spanned("encoder", v, why),
                        None => invalid("encoder", r.name.span(), &encoder, why),
                    })?;
            }
            let breaker = match &r.breaker {
                None => DEFAULT_BREAKER,
                Some(b) => u32::try_from(*b.get_ref())
                    .ok()
                    .filter(|n| BREAKER_RANGE.contains(n))
                    .ok_or_else(|| {
                        let why = format!(
                            "card faults in a row before the station pauses: an integer {}–{} (default {DEFAULT_BREAKER})",
                            BREAKER_RANGE.start(),
                            BREAKER_RANGE.end()
                        );
                        invalid("breaker", b.span(), &b.get_ref().to_string(), why)
                    })?,
            };
            out.stations.push(StationSpec {
                name,
                printer_uri,
                reader,
                encode: r.encode,
                encoder,
                compress_color: r.compress_color,
                breaker,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
