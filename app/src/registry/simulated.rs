//! The `sim://` family: a simulated station in this process — a simulated printer driven by the
//! real driver of its family (Evolis by default: SimPrinter + the Evolis driver; `family=magicard`:
//! SimMagicard + the Magicard driver) over an in-process link, or a pseudo-terminal through the
//! serial link with `link=pty`, and its own contact reader. Parameters: [`crate::sim`]. The PNG
//! of each print is named after the card ([`NamingPngs`]).

use std::time::Duration;

use cardline_device::{CardReader, PrinterLink};
use cardline_evolis::ribbon_for;
use cardline_sim::endpoint::SimulatedPrinter;
use cardline_sim::magicard::{SimMagicard, SimMagicardHandle};
use cardline_sim::printer::{PtyEndpoint, SimPrinter, SimPrinterHandle};

use super::sim_printer::{NamingPngs, PngNaming};
use super::{CR80_TEST_CARD, OpenedPrinter, PrinterFamily, PrinterOpenError, PrinterOptions};
use crate::sim::{SimDevice, SimFamily, SimLink, SimParams, SimPrinterDevice};

/// The registry entry.
pub(super) static FAMILY: PrinterFamily = PrinterFamily {
    name: "sim",
    label: "simulated",
    schemes: &["sim"],
    usb_vendor_ids: &[],
    usb_model: |_| None,
    own_reader: true,
    simulated: true,
    validate,
    open,
    test_card: CR80_TEST_CARD,
    // Evolis and Magicard choose alike: colour → ymcko, overlay → ko, else k.
    ribbon_for: |image| ribbon_for(image).code(),
};

fn validate(uri: &str) -> Result<(), String> {
    SimParams::parse(uri).map(|_| ()).map_err(|e| e.to_string())
}

/// A simulated printer being set up: its handle, and what the station needs of it.
struct Device<P> {
    handle: P,
    link: Box<dyn PrinterLink>,
    pty: Option<PtyEndpoint>,
}

/// The driver's link to `handle`: in-process, or through a pseudo-terminal and the serial link.
fn link_to<P: SimulatedPrinter>(
    handle: P,
    link: SimLink,
    in_process: impl FnOnce(&P) -> Box<dyn PrinterLink>,
) -> Result<Device<P>, String> {
    match link {
        SimLink::InProcess => Ok(Device {
            link: in_process(&handle),
            handle,
            pty: None,
        }),
        SimLink::Pty => {
            let pty = PtyEndpoint::start(handle.clone()).map_err(|e| e.to_string())?;
            let serial = format!("serial://{}", pty.path().display());
            let link = cardline_link::open_link(&serial).map_err(|e| e.to_string())?;
            Ok(Device {
                handle,
                link,
                pty: Some(pty),
            })
        }
    }
}

/// A simulated station's printer, started: the driver, and the parts the station keeps.
struct Started {
    opened: OpenedPrinter,
    naming: Box<dyn PngNaming>,
    reader: Box<dyn CardReader>,
    printer: SimPrinterDevice,
    pty: Option<PtyEndpoint>,
}

fn open(uri: &str, options: &PrinterOptions) -> Result<OpenedPrinter, PrinterOpenError> {
    let params = SimParams::parse(uri).map_err(|e| PrinterOpenError::Invalid {
        uri: uri.to_string(),
        why: e.to_string(),
    })?;
    let setup = |detail: String| PrinterOpenError::Simulator {
        uri: uri.to_string(),
        detail,
    };
    let png_dir = match params.pngs {
        true => params.png_dir.clone().or_else(|| options.png_dir.clone()),
        false => None,
    };
    if let Some(dir) = &png_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| setup(format!("cannot create {}: {e}", dir.display())))?;
    }
    let poll = params.poll_ms.map(Duration::from_millis);
    // the stricter cap wins: a quick probe's stays quick
    let cap = |c: Option<Duration>| match params.reply_timeout_ms.map(Duration::from_millis) {
        Some(ms) => Some(c.map_or(ms, |c| c.min(ms))),
        None => c,
    };
    let started = match params.family {
        SimFamily::Evolis => {
            let handle =
                SimPrinterHandle::new(SimPrinter::new(params.printer_config(png_dir.clone())));
            let d = link_to(handle, params.link, |h| Box::new(h.link())).map_err(setup)?;
            let mut config = super::evolis::config(options, poll);
            config.reply_timeout_cap = cap(config.reply_timeout_cap);
            Started {
                opened: super::evolis::connect(d.link, config, FAMILY.name, uri)?,
                naming: Box::new(d.handle.clone()),
                reader: Box::new(params.contact_reader(d.handle.clone())),
                printer: SimPrinterDevice::Evolis(d.handle),
                pty: d.pty,
            }
        }
        SimFamily::Magicard => {
            let handle =
                SimMagicardHandle::new(SimMagicard::new(params.magicard_config(png_dir.clone())));
            let d = link_to(handle, params.link, |h| Box::new(h.link())).map_err(setup)?;
            let mut config = super::magicard::config(options, poll);
            config.reply_timeout_cap = cap(config.reply_timeout_cap);
            Started {
                opened: super::magicard::connect(d.link, config, FAMILY.name, uri)?,
                naming: Box::new(d.handle.clone()),
                reader: Box::new(params.contact_reader(d.handle.clone())),
                printer: SimPrinterDevice::Magicard(d.handle),
                pty: d.pty,
            }
        }
    };
    let Started {
        mut opened,
        naming,
        reader,
        printer,
        pty,
    } = started;
    opened.printer = Box::new(NamingPngs {
        inner: opened.printer,
        device: naming,
    });
    opened.own_reader = Some(reader);
    opened.device = Some(SimDevice {
        name: params.name.clone(),
        printer,
        pty,
        png_dir,
    });
    Ok(opened)
}
