//! `cardline printers list`: printers this machine can reach — Evolis printers on USB (by vendor
//! id 0x0F49), serial ports, and the printers configured in `<home>/stations.toml`.

use cardline_issuance::stations::StationsFile;
use cardline_link::{
    EVOLIS_VENDOR_ID, SerialPortEntry, UsbPrinterEntry, list_serial_ports, list_usb_printers,
};

use crate::context::Context;
use crate::output::Table;

/// `cardline printers …`.
#[derive(Debug, clap::Subcommand)]
pub enum PrintersCommand {
    /// List USB printers, serial ports and configured printers.
    List,
}

#[derive(serde::Serialize)]
struct Configured {
    station: String,
    uri: String,
}

#[derive(serde::Serialize)]
struct Listing {
    usb: Vec<UsbPrinterEntry>,
    /// Why USB could not be enumerated, when it could not.
    usb_unavailable: Option<String>,
    serial: Vec<SerialPortEntry>,
    /// Why serial ports could not be enumerated, when they could not.
    serial_unavailable: Option<String>,
    configured: Vec<Configured>,
    /// Why the stations file could not be read, when it exists but is invalid.
    configured_error: Option<String>,
}

/// Runs `cardline printers …`.
pub fn run(ctx: &Context, command: PrintersCommand) -> anyhow::Result<()> {
    match command {
        PrintersCommand::List => list(ctx),
    }
}

fn list(ctx: &Context) -> anyhow::Result<()> {
    let (usb, usb_unavailable) = list_usb_printers(EVOLIS_VENDOR_ID);
    let (serial, serial_unavailable) = list_serial_ports();
    let (configured, configured_error) = configured_printers(ctx);
    let listing = Listing {
        usb,
        usb_unavailable,
        serial,
        serial_unavailable,
        configured,
        configured_error,
    };
    ctx.emit(&listing, || render(&listing))
}

fn configured_printers(ctx: &Context) -> (Vec<Configured>, Option<String>) {
    let path = ctx.home.stations_file();
    if !path.exists() {
        return (Vec::new(), None);
    }
    match StationsFile::load(&path) {
        Ok(file) => (
            file.stations
                .into_iter()
                .map(|s| Configured {
                    station: s.name,
                    uri: s.printer_uri,
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.to_string())),
    }
}

fn render(l: &Listing) -> String {
    let mut out = String::new();
    out.push_str("USB printers (Evolis, vendor 0f49):\n");
    if let Some(reason) = &l.usb_unavailable {
        out.push_str(&format!("  none: {reason}\n"));
    } else if l.usb.is_empty() {
        out.push_str("  none found\n");
    } else {
        let mut t = Table::new(["uri", "bus", "address", "product", "serial"]);
        for p in &l.usb {
            t.row([
                format!("evolis+{}", p.uri),
                p.bus.to_string(),
                p.address.to_string(),
                p.product.clone().unwrap_or_default(),
                p.serial.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&indent(&t.render()));
    }
    out.push_str("Serial ports:\n");
    if let Some(reason) = &l.serial_unavailable {
        out.push_str(&format!("  none: {reason}\n"));
    } else if l.serial.is_empty() {
        out.push_str("  none found\n");
    } else {
        let mut t = Table::new(["uri", "kind", "description"]);
        for p in &l.serial {
            t.row([
                format!("evolis+serial://{}", p.path),
                p.kind.clone(),
                p.description.clone().unwrap_or_default(),
            ]);
        }
        out.push_str(&indent(&t.render()));
    }
    out.push_str("Configured printers (stations.toml):\n");
    if let Some(e) = &l.configured_error {
        out.push_str(&format!("  stations file is invalid: {e}\n"));
    } else if l.configured.is_empty() {
        out.push_str("  none\n");
    } else {
        let mut t = Table::new(["station", "uri"]);
        for c in &l.configured {
            t.row([c.station.clone(), c.uri.clone()]);
        }
        out.push_str(&indent(&t.render()));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}
