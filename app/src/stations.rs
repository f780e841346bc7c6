//! The stations file checked against the registries: [`Registries`] is the
//! [`StationValidator`] `cardline-issuance` parses the file with (issuance keeps printer URIs,
//! readers and encoders opaque); [`load_stations`] is what every front end calls.

use std::path::Path;

use cardline_issuance::stations::{
    StationValidator, StationsFile, StationsFileError, split_scheme,
};

use crate::encoders::encoder_family;
use crate::registry::{OWN_READER, family_of, validate_printer};

/// Checks station declarations against [`FAMILIES`](crate::registry::FAMILIES) and
/// [`ENCODERS`](crate::encoders::ENCODERS), without I/O.
#[derive(Clone, Copy, Debug, Default)]
pub struct Registries;

impl StationValidator for Registries {
    fn printer(&self, uri: &str) -> Result<(), String> {
        validate_printer(uri).map(|_| ())
    }

    fn reader(&self, printer_uri: &str, reader: Option<&str>, encode: bool) -> Result<(), String> {
        let family = family_of(printer_uri)?;
        let scheme = split_scheme(printer_uri).map_or("", |(s, _)| s);
        match reader {
            Some(OWN_READER) if family.own_reader => Ok(()),
            Some(OWN_READER) => Err(format!(
                "`{OWN_READER}` goes only with a sim:// printer; name the PC/SC reader inside this printer (a part of its name, e.g. \"OMNIKEY\")"
            )),
            Some(other) if family.own_reader => Err(format!(
                "a {scheme}:// printer uses its own reader: write reader = \"{OWN_READER}\" (not `{other}`)"
            )),
            Some(_) => Ok(()),
            None if !encode => Ok(()),
            None if family.own_reader => Err(format!(
                "this station encodes cards: write reader = \"{OWN_READER}\" (the simulated station's own reader), or encode = false"
            )),
            None => Err(
                "this station encodes cards: name the contact reader inside its printer, a part of its PC/SC name (e.g. reader = \"OMNIKEY\"), or write encode = false for a print-only station".into(),
            ),
        }
    }

    fn encoder(&self, encoder: &str) -> Result<(), String> {
        encoder_family(encoder).map(|_| ())
    }
}

/// Parses the text of a stations file named `path` (for messages), checked by [`Registries`].
pub fn parse_stations(text: &str, path: &str) -> Result<StationsFile, StationsFileError> {
    StationsFile::parse(text, path, &Registries)
}

/// Loads a stations file checked by [`Registries`]; a missing file declares no station.
pub fn load_stations(path: &Path) -> Result<StationsFile, StationsFileError> {
    StationsFile::load(path, &Registries)
}

#[cfg(test)]
mod tests;
