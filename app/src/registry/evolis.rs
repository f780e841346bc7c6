//! The Evolis family: `evolis+<link URI>` — `evolis+serial:///dev/ttyUSB0?baud=115200`,
//! `evolis+tcp://host:port`, `evolis+usb://0f49:0a00[?serial=…]` — driven by
//! `cardline-evolis` over a `cardline-link` link.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use cardline_device::{CardImage, LinkError, PrinterError, PrinterLink};
use cardline_evolis::{EvolisConfig, EvolisPrinter, ribbon_for};
use cardline_link::{EVOLIS_VENDOR_ID, LinkUri};

use super::{
    CR80_TEST_CARD, CountingLink, OpenedPrinter, PrinterFamily, PrinterOpenError, PrinterOptions,
    Reconnecting,
};

/// The registry entry.
pub(super) static FAMILY: PrinterFamily = PrinterFamily {
    name: "evolis",
    label: "Evolis",
    schemes: &["evolis+serial", "evolis+tcp", "evolis+usb"],
    usb_vendor_ids: &[EVOLIS_VENDOR_ID],
    usb_model: |_| None,
    own_reader: false,
    simulated: false,
    validate,
    open,
    test_card: CR80_TEST_CARD,
    ribbon_for: ribbon_code,
};

/// The link URI inside an Evolis printer URI, parsed.
fn link_uri(uri: &str) -> Result<LinkUri, String> {
    let link = uri
        .strip_prefix("evolis+")
        .ok_or_else(|| "an Evolis printer URI starts with evolis+".to_string())?;
    if link.starts_with("serial://") && !link.starts_with("serial:///") {
        return Err(
            "a serial URI names an absolute device path: evolis+serial:///dev/ttyUSB0".into(),
        );
    }
    LinkUri::parse(link).map_err(|e| match e {
        LinkError::Open { reason, .. } => reason,
        other => other.to_string(),
    })
}

fn validate(uri: &str) -> Result<(), String> {
    link_uri(uri).map(|_| ())
}

fn ribbon_code(image: &CardImage) -> &'static str {
    ribbon_for(image).code()
}

/// The driver settings `options` ask for; `poll` overrides the options' poll interval.
pub(super) fn config(options: &PrinterOptions, poll: Option<Duration>) -> EvolisConfig {
    let default = EvolisConfig::default();
    EvolisConfig {
        compress_mono: !options.raw,
        compress_color: options.compress_color && !options.raw,
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

/// Starts the Evolis driver on `link` (counted, reconnecting) for a printer of `family`.
pub(super) fn connect(
    link: Box<dyn PrinterLink>,
    config: EvolisConfig,
    family: &'static str,
    uri: &str,
) -> Result<OpenedPrinter, PrinterOpenError> {
    let sent = Arc::new(AtomicU64::new(0));
    let link = CountingLink::new(link, sent.clone());
    let printer =
        EvolisPrinter::connect(link, config).map_err(|source| PrinterOpenError::Connect {
            family,
            uri: uri.to_string(),
            source,
        })?;
    Ok(OpenedPrinter::new(Box::new(Reconnecting(printer)), sent))
}
