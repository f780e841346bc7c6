//! The station opener: a [`StationSpec`] becomes a production [`Station`] (printer from the
//! family registry, reader, encoder from the encoder registry, breaker); a stations file
//! becomes an [`OpenedLine`]. A station whose devices cannot be opened is reported in
//! [`OpenedLine::missing`] and left out; the front end decides what to do when none opened.

use std::path::PathBuf;
use std::time::Duration;

use cardline_device::{CardReader, TransportError};
use cardline_issuance::production::Station;
use cardline_issuance::stations::{StationSpec, StationsFile};

mod reopen;

pub use reopen::StationsFileReopener;

use crate::encoders::{NoReader, ReaderChoice, encoder_family, open_pcsc_reader};
use crate::registry::{PrinterOpenError, PrinterOptions, open_printer};
use crate::sim::SimDevice;

/// How a line is opened.
#[derive(Clone, Debug, Default)]
pub struct LineOptions {
    /// Simulated printers write PNGs to `<png_root>/<station>/` unless their URI names a
    /// `png_dir` (`None`: no PNGs).
    pub png_root: Option<PathBuf>,
    /// Open only these stations (empty: every station). Naming an unknown station is an error.
    pub only: Vec<String>,
    /// The drivers' poll interval (a `sim://` URI's own `poll_ms` wins over it).
    pub poll_interval: Option<Duration>,
}

/// A station that could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The printer could not be opened.
    #[error(transparent)]
    Printer(#[from] PrinterOpenError),
    /// `reader = "sim"` with a printer that has no reader of its own. Name the PC/SC reader.
    #[error("the printer {uri} has no reader of its own: name its PC/SC reader")]
    NoOwnReader {
        /// The printer URI.
        uri: String,
    },
    /// The PC/SC reader could not be opened: plug it in, start pcscd, or fix the pattern.
    #[error("cannot open the contact reader matching `{pattern}`")]
    Reader {
        /// The reader name pattern.
        pattern: String,
        /// What PC/SC said.
        #[source]
        source: TransportError,
    },
    /// The station names an encoder family cardline does not know.
    #[error("encoder `{name}`: {why}")]
    Encoder {
        /// The name given.
        name: String,
        /// What is known.
        why: String,
    },
}

impl OpenError {
    /// True when a person must act (printer cover or supplies, reader unplugged, pcscd down).
    pub fn needs_operator(&self) -> bool {
        match self {
            OpenError::Printer(e) => e.needs_operator(),
            OpenError::Reader { source, .. } => source.needs_operator(),
            OpenError::NoOwnReader { .. } | OpenError::Encoder { .. } => false,
        }
    }
}

/// One opened station.
pub struct OpenedStation {
    /// The station, ready for production.
    pub station: Station,
    /// Its simulated device (`sim://` printers), to keep alive while the station is used.
    pub device: Option<SimDevice>,
}

/// A station of the file left out because it could not be opened.
#[derive(Debug)]
pub struct MissingStation {
    /// The station.
    pub name: String,
    /// Its printer URI.
    pub uri: String,
    /// Why it could not be opened.
    pub error: OpenError,
}

/// The stations of a file that could be opened, the simulated devices behind them, and the
/// stations left out. Keep it alive while producing: it owns the simulated devices.
pub struct OpenedLine {
    /// The opened stations, in file order.
    pub stations: Vec<Station>,
    /// The simulated devices (empty for real hardware).
    pub sims: Vec<SimDevice>,
    /// The stations that could not be opened, in file order.
    pub missing: Vec<MissingStation>,
}

/// The line cannot be opened as asked.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// `--station NAME` names no station of the file.
    #[error("no station named `{name}` in the stations file (declared: {declared})")]
    UnknownStation {
        /// The name asked for.
        name: String,
        /// The declared stations.
        declared: String,
    },
}

/// How a station's printer is opened: its declaration's colour compression, the line's poll
/// interval and PNG directory (`<png_root>/<station>`).
pub fn printer_options(spec: &StationSpec, options: &LineOptions) -> PrinterOptions {
    PrinterOptions {
        compress_color: spec.compress_color,
        poll_interval: options.poll_interval,
        png_dir: options.png_root.as_ref().map(|root| root.join(&spec.name)),
        ..PrinterOptions::default()
    }
}

/// Opens one station: its printer through the family registry (PNGs of a simulated printer
/// under `<png_root>/<station>/`), its reader, its encoder, its breaker.
pub fn open_station(spec: &StationSpec, options: &LineOptions) -> Result<OpenedStation, OpenError> {
    let encoder = match spec.encode {
        true => {
            let family = encoder_family(&spec.encoder).map_err(|why| OpenError::Encoder {
                name: spec.encoder.clone(),
                why,
            })?;
            Some((family.open)())
        }
        false => None,
    };
    let mut opened = open_printer(&spec.printer_uri, &printer_options(spec, options))?;
    let reader: Box<dyn CardReader> = match ReaderChoice::of(spec) {
        ReaderChoice::Own => opened.own_reader.take().ok_or(OpenError::NoOwnReader {
            uri: spec.printer_uri.clone(),
        })?,
        ReaderChoice::Pcsc(pattern) => {
            open_pcsc_reader(&pattern).map_err(|source| OpenError::Reader { pattern, source })?
        }
        ReaderChoice::None => Box::new(NoReader(spec.name.clone())),
    };
    let mut device = opened.device.take();
    if let Some(d) = &mut device {
        d.name = spec.name.clone();
    }
    let station =
        Station::new(spec.name.clone(), opened.printer, reader, encoder).with_breaker(spec.breaker);
    Ok(OpenedStation { station, device })
}

/// Opens the stations of `file` (those of `options.only`, when given). A station that cannot
/// be opened goes to [`OpenedLine::missing`]; naming an unknown station is an error.
pub fn open_line(file: &StationsFile, options: &LineOptions) -> Result<OpenedLine, LineError> {
    if let Some(name) = options
        .only
        .iter()
        .find(|name| !file.stations.iter().any(|s| &s.name == *name))
    {
        let declared: Vec<&str> = file.stations.iter().map(|s| s.name.as_str()).collect();
        return Err(LineError::UnknownStation {
            name: name.clone(),
            declared: if declared.is_empty() {
                "none".into()
            } else {
                declared.join(", ")
            },
        });
    }
    let mut line = OpenedLine {
        stations: Vec::new(),
        sims: Vec::new(),
        missing: Vec::new(),
    };
    let wanted = file
        .stations
        .iter()
        .filter(|s| options.only.is_empty() || options.only.contains(&s.name));
    for spec in wanted {
        match open_station(spec, options) {
            Ok(opened) => {
                line.stations.push(opened.station);
                line.sims.extend(opened.device);
            }
            Err(error) => {
                // The front end reports it to the operator; the log keeps it at info.
                tracing::info!(station = %spec.name, uri = %spec.printer_uri, error = %error_chain(&error), "station left out");
                line.missing.push(MissingStation {
                    name: spec.name.clone(),
                    uri: spec.printer_uri.clone(),
                    error,
                });
            }
        }
    }
    Ok(line)
}

/// An error and its causes on one line (`a: b: c`), for lists and JSON.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests;
