//! `cardline printers list`: printers this machine can reach — USB printers of every printer
//! family (by vendor id: Evolis 0x0F49, Magicard 0x0C1F), serial ports, and the printers
//! configured in `<home>/stations.toml`.

use cardline_app::discover::{FoundUsbPrinter, serial_schemes, usb_families};
use cardline_app::registry::{PrinterOptions, family_of, open_printer};
use cardline_app::{discover, error_chain, load_stations};
use cardline_link::SerialPortEntry;

use std::time::Duration;

use crate::context::Context;
use crate::output::Table;

/// `cardline printers …`.
#[derive(Debug, clap::Subcommand)]
pub enum PrintersCommand {
    /// List USB printers, serial ports and configured printers.
    List {
        /// Also connect to each USB and configured printer and read its status (short timeouts;
        /// do not use while those printers are producing).
        #[arg(long)]
        status: bool,
    },
}

/// A printer's state as seen by `--status`.
#[derive(serde::Serialize)]
#[serde(tag = "reachable", rename_all = "snake_case")]
enum Reach {
    /// Answered: ready or not, with its faults (the cover, feeder and reject box flags too).
    Yes {
        ready: bool,
        model: Option<String>,
        faults: Vec<cardline_device::PrinterFault>,
    },
    /// Could not be opened or did not answer.
    No { error: String },
    /// Not probed (simulated in-process printers).
    Skipped { why: String },
}

#[derive(serde::Serialize)]
struct Configured {
    station: String,
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Reach>,
}

#[derive(serde::Serialize)]
struct UsbPrinter {
    #[serde(flatten)]
    found: FoundUsbPrinter,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Reach>,
}

#[derive(serde::Serialize)]
struct Listing {
    usb: Vec<UsbPrinter>,
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
        PrintersCommand::List { status } => list(ctx, status),
    }
}

fn list(ctx: &Context, probe_status: bool) -> anyhow::Result<()> {
    let found = discover();
    let listing = listing(ctx, found, probe_status);
    ctx.emit(&listing, || render(&listing))
}

/// What `printers list` shows for `found`, with the configured printers of the home.
fn listing(ctx: &Context, found: cardline_app::discover::Discovery, probe_status: bool) -> Listing {
    let usb = found
        .usb
        .into_iter()
        .map(|found| {
            let status = probe_status.then(|| probe(&found.printer_uri));
            UsbPrinter { found, status }
        })
        .collect();
    let (serial, serial_unavailable) = (found.serial, found.serial_unavailable);
    let usb_unavailable = found.usb_unavailable;
    let (mut configured, configured_error) = configured_printers(ctx);
    if probe_status {
        for c in &mut configured {
            c.status = Some(probe(&c.uri));
        }
    }
    Listing {
        usb,
        usb_unavailable,
        serial,
        serial_unavailable,
        configured,
        configured_error,
    }
}

fn configured_printers(ctx: &Context) -> (Vec<Configured>, Option<String>) {
    let path = ctx.home.stations_file();
    if !path.exists() {
        return (Vec::new(), None);
    }
    match load_stations(&path) {
        Ok(file) => (
            file.stations
                .into_iter()
                .map(|s| Configured {
                    station: s.name,
                    uri: s.printer_uri,
                    status: None,
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(e.to_string())),
    }
}

/// Connects to a printer and reads its status, with short timeouts.
fn probe(uri: &str) -> Reach {
    if family_of(uri).is_ok_and(|f| f.simulated) {
        return Reach::Skipped {
            why: "not a hardware printer URI".into(),
        };
    }
    let options = PrinterOptions {
        reply_timeout_cap: Some(Duration::from_secs(2)),
        ..PrinterOptions::default()
    };
    let mut opened = match open_printer(uri, &options) {
        Ok(p) => p,
        Err(e) => {
            return Reach::No {
                error: error_chain(&e),
            };
        }
    };
    match opened.printer.status() {
        Ok(s) => Reach::Yes {
            ready: s.is_ready(),
            model: s.model.clone(),
            faults: s.all_faults(),
        },
        Err(e) => Reach::No {
            error: error_chain(&e),
        },
    }
}

fn reach_text(r: &Option<Reach>) -> String {
    match r {
        None => String::new(),
        Some(Reach::Yes { ready: true, .. }) => "ready".into(),
        Some(Reach::Yes { faults, .. }) if faults.is_empty() => "not ready".into(),
        Some(Reach::Yes { faults, .. }) => {
            let names: Vec<String> = faults.iter().map(|f| f.to_string()).collect();
            format!("not ready: {}", names.join(", "))
        }
        Some(Reach::No { error }) => format!("unreachable: {error}"),
        Some(Reach::Skipped { why }) => format!("skipped: {why}"),
    }
}

fn render(l: &Listing) -> String {
    let mut out = String::new();
    let families: Vec<String> = usb_families()
        .map(|(f, vendor)| format!("{}, vendor {vendor:04x}", f.label))
        .collect();
    out.push_str(&format!("USB printers ({}):\n", families.join("; ")));
    if let Some(reason) = &l.usb_unavailable {
        out.push_str(&format!("  none: {reason}\n"));
    } else if l.usb.is_empty() {
        out.push_str("  none found\n");
    } else {
        let mut t = Table::new(["uri", "bus", "address", "product", "serial", "status"]);
        for u in &l.usb {
            let p = &u.found.entry;
            let product = match (&p.product, u.found.model) {
                (Some(product), _) => product.clone(),
                (None, Some(model)) => format!("{} {model}", u.found.family.label),
                (None, None) => u.found.family.label.to_string(),
            };
            t.row([
                u.found.printer_uri.clone(),
                p.bus.to_string(),
                p.address.to_string(),
                product,
                p.serial.clone().unwrap_or_default(),
                reach_text(&u.status),
            ]);
        }
        out.push_str(&indent(&t.render()));
    }
    let schemes: Vec<String> = serial_schemes()
        .iter()
        .map(|s| format!("{s}://PATH"))
        .collect();
    out.push_str(&format!(
        "Serial ports (a printer on one is {}):\n",
        schemes.join(" or ")
    ));
    if let Some(reason) = &l.serial_unavailable {
        out.push_str(&format!("  none: {reason}\n"));
    } else if l.serial.is_empty() {
        out.push_str("  none found\n");
    } else {
        let mut t = Table::new(["path", "kind", "description"]);
        for p in &l.serial {
            t.row([
                p.path.clone(),
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
        let mut t = Table::new(["station", "uri", "status"]);
        for c in &l.configured {
            t.row([c.station.clone(), c.uri.clone(), reach_text(&c.status)]);
        }
        out.push_str(&indent(&t.render()));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_app::discover::usb_printers;
    use cardline_link::UsbPrinterEntry;

    #[test]
    fn a_magicard_on_a_stand_in_bus_is_listed_with_its_uri_and_model() {
        let bus = [
            UsbPrinterEntry {
                bus: 3,
                address: 7,
                vendor_id: 0x0C1F,
                product_id: 0x1800,
                product: None,
                serial: Some("MC0001".into()),
                uri: "usb://0c1f:1800?serial=MC0001".into(),
            },
            UsbPrinterEntry {
                bus: 3,
                address: 8,
                vendor_id: 0x0F49,
                product_id: 0x0A00,
                product: Some("Primacy 2".into()),
                serial: None,
                uri: "usb://0f49:0a00".into(),
            },
        ];
        let (found, usb_unavailable) = usb_printers(&bus[..]);
        let listing = Listing {
            usb: found
                .into_iter()
                .map(|found| UsbPrinter {
                    found,
                    status: None,
                })
                .collect(),
            usb_unavailable,
            serial: Vec::new(),
            serial_unavailable: None,
            configured: Vec::new(),
            configured_error: None,
        };
        let text = render(&listing);
        assert!(
            text.contains("USB printers (Evolis, vendor 0f49; Magicard, vendor 0c1f)"),
            "{text}"
        );
        assert!(
            text.contains("magicard+usb://0c1f:1800?serial=MC0001"),
            "{text}"
        );
        assert!(text.contains("Magicard Tango 2E / Rio 2E"), "{text}");
        assert!(text.contains("evolis+usb://0f49:0a00") && text.contains("Primacy 2"));
        assert!(
            text.contains("evolis+serial://PATH or magicard+serial://PATH"),
            "{text}"
        );
        let json = serde_json::to_value(&listing).unwrap();
        assert_eq!(json["usb"][1]["model"], "Tango 2E / Rio 2E");
        assert_eq!(json["usb"][1]["uri"], "usb://0c1f:1800?serial=MC0001");
    }
}
