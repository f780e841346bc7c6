//! The printer family registry: one table, [`FAMILIES`], from URI scheme to driver.
//!
//! | family | schemes | USB vendor ids | reader |
//! |---|---|---|---|
//! | `evolis` | `evolis+serial:///dev/ttyUSB0?baud=115200`, `evolis+tcp://host:port`, `evolis+usb://0f49:0a00` | 0x0F49 | a PC/SC reader |
//! | `magicard` | `magicard+usb://0c1f:1800`, `magicard+tcp://host:port`, `magicard+serial:///dev/ttyUSB0` | 0x0C1F | a PC/SC reader |
//! | `sim` | `sim://NAME?...` (see [`crate::sim`]; `family=magicard` for a simulated Magicard) | – | its own contact reader (`reader = "sim"`) |
//!
//! Every entry checks its URIs without I/O ([`PrinterFamily::validate`]) and opens them
//! ([`PrinterFamily::open`]) into a printer that reconnects after a lost link
//! ([`Reconnecting`]) and counts the bytes it sent ([`OpenedPrinter::bytes_sent`]).
//!
//! Adding a family is one module like `evolis` or `magicard` and one line in [`FAMILIES`];
//! discovery ([`crate::discover()`]) and the udev rules (`cardline dist udev-rules`) take the
//! vendor ids from here ([`usb_vendor_ids`]).

mod counting;
mod evolis;
mod magicard;
mod reconnect;
mod sim_printer;
mod simulated;
mod test_card;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cardline_device::{CardImage, CardPrinter, CardReader, PrinterError};
use cardline_issuance::stations::split_scheme;

pub use counting::CountingLink;
pub use reconnect::{Reconnect, Reconnecting};
pub use test_card::{CR80_TEST_CARD, TestCardError, TestCardOptions, test_card_image};

use crate::sim::SimDevice;

/// One printer family: its URI schemes, how to find its printers and how to open them.
#[derive(Debug)]
pub struct PrinterFamily {
    /// Short name, the part before `+` in its URIs (`evolis`).
    pub name: &'static str,
    /// Name shown to people (`Evolis`).
    pub label: &'static str,
    /// The URI schemes this family owns (`evolis+serial`, `evolis+tcp`, `evolis+usb`).
    pub schemes: &'static [&'static str],
    /// USB vendor ids of its printers, for discovery.
    pub usb_vendor_ids: &'static [u16],
    /// The model name of a USB product id of this family, when known.
    pub usb_model: fn(u16) -> Option<&'static str>,
    /// The printer comes with its own contact reader (`reader = "sim"` in the stations file).
    pub own_reader: bool,
    /// An in-process simulated printer: nothing to probe on this machine.
    pub simulated: bool,
    /// Checks a URI of this family without I/O; the error says what is wrong and what is
    /// allowed.
    pub validate: fn(&str) -> Result<(), String>,
    /// Opens a URI of this family.
    pub open: fn(&str, &PrinterOptions) -> Result<OpenedPrinter, PrinterOpenError>,
    /// The family's test card: a face template (`cardline printer test-card`).
    pub test_card: &'static str,
    /// The ribbon the family's driver picks for an image (`ymcko`, `k`, ...).
    pub ribbon_for: fn(&CardImage) -> &'static str,
}

/// Every printer family cardline knows. One line per family.
pub static FAMILIES: &[&PrinterFamily] = &[&evolis::FAMILY, &magicard::FAMILY, &simulated::FAMILY];

/// Every USB vendor id of every family, with the family's label, in family order: what
/// discovery looks for and what the udev rules grant access to.
pub fn usb_vendor_ids() -> Vec<(&'static str, u16)> {
    FAMILIES
        .iter()
        .flat_map(|f| f.usb_vendor_ids.iter().map(move |v| (f.label, *v)))
        .collect()
}

/// The reader keyword of a printer that brings its own contact reader.
pub const OWN_READER: &str = "sim";

/// How to open a printer, beyond its URI.
#[derive(Clone, Debug)]
pub struct PrinterOptions {
    /// Send every panel raw (`Db`), the K and O panels too.
    pub raw: bool,
    /// Send the colour panels run-length compressed (default); false sends them raw (the
    /// stations file's `compress_color = false`, `printer test-card --raw-color`).
    pub compress_color: bool,
    /// Caps the driver's reply timeouts (quick probes).
    pub reply_timeout_cap: Option<Duration>,
    /// How often the driver polls while waiting for the card (a `sim://` URI's own `poll_ms`
    /// wins over it).
    pub poll_interval: Option<Duration>,
    /// Where a simulated printer writes PNGs when its URI names no `png_dir`.
    pub png_dir: Option<PathBuf>,
}

impl Default for PrinterOptions {
    fn default() -> Self {
        PrinterOptions {
            raw: false,
            compress_color: true,
            reply_timeout_cap: None,
            poll_interval: None,
            png_dir: None,
        }
    }
}

/// A printer opened from its URI.
pub struct OpenedPrinter {
    /// The driver (reconnects after a lost link).
    pub printer: Box<dyn CardPrinter>,
    /// The contact reader that comes with the printer (simulated stations).
    pub own_reader: Option<Box<dyn CardReader>>,
    /// The simulated device behind the printer, to keep alive while it is used.
    pub device: Option<SimDevice>,
    sent: Arc<AtomicU64>,
}

impl std::fmt::Debug for OpenedPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedPrinter")
            .field("printer", &self.printer.describe())
            .field("own_reader", &self.own_reader.as_ref().map(|r| r.name()))
            .field("bytes_sent", &self.bytes_sent())
            .finish()
    }
}

impl OpenedPrinter {
    /// A printer whose link counts into `sent`.
    pub fn new(printer: Box<dyn CardPrinter>, sent: Arc<AtomicU64>) -> OpenedPrinter {
        OpenedPrinter {
            printer,
            own_reader: None,
            device: None,
            sent,
        }
    }

    /// Bytes sent to the printer since it was opened.
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

/// A printer URI that cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum PrinterOpenError {
    /// The URI is not valid (no I/O was tried). Fix the URI as the message says.
    #[error("invalid printer URI `{uri}`: {why}")]
    Invalid {
        /// The URI.
        uri: String,
        /// What is wrong and what is allowed.
        why: String,
    },
    /// The printer did not answer or refused the session. Check cable, power and address.
    #[error("cannot connect to the {family} printer at {uri}")]
    Connect {
        /// The family.
        family: &'static str,
        /// The URI.
        uri: String,
        /// What the link or the driver said.
        #[source]
        source: PrinterError,
    },
    /// The simulated printer could not be set up (pseudo-terminal, PNG directory).
    #[error("cannot set up the simulated printer {uri}: {detail}")]
    Simulator {
        /// The URI.
        uri: String,
        /// What failed.
        detail: String,
    },
}

impl PrinterOpenError {
    /// True when trying again later may work (the printer was busy or the link timed out).
    pub fn is_transient(&self) -> bool {
        matches!(self, PrinterOpenError::Connect { source, .. } if source.is_transient())
    }

    /// True when a person must act at the printer (cover, ribbon, feeder) before it opens.
    pub fn needs_operator(&self) -> bool {
        matches!(self, PrinterOpenError::Connect { source, .. } if source.needs_operator())
    }
}

/// Every scheme of every family, for messages.
pub fn known_schemes() -> Vec<&'static str> {
    FAMILIES
        .iter()
        .flat_map(|f| f.schemes.iter().copied())
        .collect()
}

/// The family that owns `uri`'s scheme, or what is wrong with the URI (no I/O).
pub fn family_of(uri: &str) -> Result<&'static PrinterFamily, String> {
    let schemes = known_schemes().join(", ");
    let Some((scheme, _)) = split_scheme(uri) else {
        return Err(format!(
            "not a printer URI: expected <family>+<link>://…, e.g. evolis+tcp://host:9100 (known schemes: {schemes})"
        ));
    };
    if let Some(f) = FAMILIES.iter().find(|f| f.schemes.contains(&scheme)) {
        return Ok(f);
    }
    let Some((family, link)) = scheme.split_once('+') else {
        return Err(format!(
            "unknown printer scheme `{scheme}`: expected <family>+<link>://…, e.g. evolis+tcp://host:9100 (known schemes: {schemes})"
        ));
    };
    match FAMILIES.iter().find(|f| f.name == family) {
        Some(f) => Err(format!(
            "unknown link scheme `{link}` for {} printers (known: {})",
            f.label,
            f.schemes.join(", ")
        )),
        None => Err(format!(
            "unknown printer family `{family}` (known: {}; known schemes: {schemes})",
            FAMILIES
                .iter()
                .map(|f| f.name)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Checks a printer URI against the registry without opening anything.
pub fn validate_printer(uri: &str) -> Result<&'static PrinterFamily, String> {
    let family = family_of(uri)?;
    (family.validate)(uri)?;
    Ok(family)
}

/// Opens the printer at `uri` with the driver of its family.
pub fn open_printer(
    uri: &str,
    options: &PrinterOptions,
) -> Result<OpenedPrinter, PrinterOpenError> {
    let family = validate_printer(uri).map_err(|why| PrinterOpenError::Invalid {
        uri: uri.to_string(),
        why,
    })?;
    (family.open)(uri, options)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_magicard;
