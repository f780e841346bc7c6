//! `cardline printers list`: printers this machine can reach — USB printers of every printer
//! family (by vendor id: Evolis 0x0F49), serial ports, and the printers configured in
//! `<home>/stations.toml`.

use cardline_app::discover::{FoundUsbPrinter, serial_scheme, usb_families};
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
            t.row([
                u.found.printer_uri.clone(),
                p.bus.to_string(),
                p.address.to_string(),
                p.product.clone().unwrap_or_default(),
                p.serial.clone().unwrap_or_default(),
                reach_text(&u.status),
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
        let scheme = serial_scheme().unwrap_or("serial");
        for p in &l.serial {
            t.row([
                format!("{scheme}://{}", p.path),
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
