//! The Magicard family: `magicard+<link URI>` — `magicard+usb://0c1f:1800[?serial=…]`,
//! `magicard+tcp://host:port`, `magicard+serial:///dev/ttyUSB0?baud=…` — driven by
//! `cardline-magicard` over a `cardline-link` link (docs/magicard-protocol.md).
//!
//! Checked strictly without I/O: a USB URI must name Magicard's vendor id `0c1f` (any product
//! id of the vendor is a Magicard, §6), a TCP URI a host and a port, a serial URI an absolute
//! device path; the link's own options are checked by `cardline-link`. No public source lists
//! which Magicard models have a serial port (USB and Ethernet are the documented links): the
//! scheme is there for those that do, and for the simulator's pseudo-terminal.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use cardline_device::{CardImage, LinkError, Overlay, PrinterError, PrinterLink};
use cardline_link::LinkUri;
use cardline_magicard::{MAGICARD_VENDOR_ID, MagicardConfig, MagicardPrinter, model_for_product};

use super::{
    CR80_TEST_CARD, CountingLink, OpenedPrinter, PrinterFamily, PrinterOpenError, PrinterOptions,
    Reconnecting,
};

/// The registry entry.
pub(super) static FAMILY: PrinterFamily = PrinterFamily {
    name: "magicard",
    label: "Magicard",
    schemes: &["magicard+usb", "magicard+tcp", "magicard+serial"],
    usb_vendor_ids: &[MAGICARD_VENDOR_ID],
    usb_model: model_for_product,
    own_reader: false,
    simulated: false,
    validate,
    open,
    test_card: CR80_TEST_CARD,
    ribbon_for: film_for,
};

/// The dye film a card needs on a Magicard: any colour → `ymcko`; black with overcoat → `ko`;
/// black only → `k` (the planes follow from the same sides: `BGR(K)` or `K`).
pub(super) fn film_for(image: &CardImage) -> &'static str {
    let sides = std::iter::once(&image.front).chain(image.back.as_ref());
    let (mut color, mut overcoat) = (false, false);
    for side in sides {
        color |= side.color.is_some();
        overcoat |= side.overlay != Overlay::None;
    }
    match (color, overcoat) {
        (true, _) => "ymcko",
        (false, true) => "ko",
        (false, false) => "k",
    }
}

/// The link URI inside a Magicard printer URI, parsed and checked.
fn link_uri(uri: &str) -> Result<LinkUri, String> {
    let link = uri
        .strip_prefix("magicard+")
        .ok_or_else(|| "a Magicard printer URI starts with magicard+".to_string())?;
    if link.starts_with("serial://") && !link.starts_with("serial:///") {
        return Err(
            "a serial URI names an absolute device path: magicard+serial:///dev/ttyUSB0".into(),
        );
    }
    let parsed = LinkUri::parse(link).map_err(|e| match e {
        LinkError::Open { reason, .. } => reason,
        other => other.to_string(),
    })?;
    if let LinkUri::Usb(selector) = &parsed
        && selector.vendor_id != MAGICARD_VENDOR_ID
    {
        return Err(format!(
            "USB vendor id {:04x} is not Magicard's: a Magicard is magicard+usb://{MAGICARD_VENDOR_ID:04x}:PID (e.g. magicard+usb://0c1f:1800; `cardline printers list` shows the printers attached)",
            selector.vendor_id
        ));
    }
    Ok(parsed)
}

fn validate(uri: &str) -> Result<(), String> {
    link_uri(uri).map(|_| ())
}

/// The driver settings `options` ask for; `poll` overrides the options' poll interval.
pub(super) fn config(options: &PrinterOptions, poll: Option<Duration>) -> MagicardConfig {
    let default = MagicardConfig::default();
    MagicardConfig {
        reply_timeout_cap: options.reply_timeout_cap,
        poll_interval: poll
            .or(options.poll_interval)
            .unwrap_or(default.poll_interval),
        ..default
    }
}

fn open(uri: &str, options: &PrinterOptions) -> Result<OpenedPrinter, PrinterOpenError> {
    let link = link_uri(uri).map_err(|why| PrinterOpenError::Invalid {
        uri: uri.to_string(),
        why,
    })?;
    let link = link.open().map_err(|e| PrinterOpenError::Connect {
        family: FAMILY.name,
        uri: uri.to_string(),
        source: PrinterError::Link(e),
    })?;
    connect(link, config(options, None), FAMILY.name, uri)
}

/// Starts the Magicard driver on `link` (counted, reconnecting) for a printer of `family`.
pub(super) fn connect(
    link: Box<dyn PrinterLink>,
    config: MagicardConfig,
    family: &'static str,
    uri: &str,
) -> Result<OpenedPrinter, PrinterOpenError> {
    let sent = Arc::new(AtomicU64::new(0));
    let link = CountingLink::new(link, sent.clone());
    let printer =
        MagicardPrinter::connect(link, config).map_err(|source| PrinterOpenError::Connect {
            family,
            uri: uri.to_string(),
            source,
        })?;
    Ok(OpenedPrinter::new(Box::new(Reconnecting(printer)), sent))
}
