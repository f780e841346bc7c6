//! The `sim://` family: a simulated station in this process — a SimPrinter driven by the real
//! Evolis driver (in-process link, or a pseudo-terminal through the serial link with
//! `link=pty`) and its own contact reader. Parameters: [`crate::sim`]. The PNG of each print is
//! named after the card ([`NamingPngs`]).

use std::time::Duration;

use cardline_device::PrinterLink;
use cardline_evolis::ribbon_for;
use cardline_sim::printer::{PtyEndpoint, SimPrinter, SimPrinterHandle};

use super::sim_printer::NamingPngs;
use super::{CR80_TEST_CARD, OpenedPrinter, PrinterFamily, PrinterOpenError, PrinterOptions};
use crate::sim::{SimDevice, SimLink, SimParams};

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
    ribbon_for: |image| ribbon_for(image).code(),
};

fn validate(uri: &str) -> Result<(), String> {
    SimParams::parse(uri).map(|_| ()).map_err(|e| e.to_string())
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
    let png_dir = params.png_dir.clone().or_else(|| options.png_dir.clone());
    if let Some(dir) = &png_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| setup(format!("cannot create {}: {e}", dir.display())))?;
    }
    let handle = SimPrinterHandle::new(SimPrinter::new(params.printer_config(png_dir.clone())));
    let (link, pty): (Box<dyn PrinterLink>, _) = match params.link {
        SimLink::InProcess => (Box::new(handle.link()), None),
        SimLink::Pty => {
            let pty = PtyEndpoint::start(handle.clone()).map_err(|e| setup(e.to_string()))?;
            let serial = format!("serial://{}", pty.path().display());
            let link = cardline_link::open_link(&serial).map_err(|e| setup(e.to_string()))?;
            (link, Some(pty))
        }
    };
    let mut config = super::evolis::config(options, params.poll_ms.map(Duration::from_millis));
    if let Some(ms) = params.reply_timeout_ms {
        // the stricter cap wins: a quick probe's stays quick
        let cap = Duration::from_millis(ms);
        config.reply_timeout_cap = Some(config.reply_timeout_cap.map_or(cap, |c| c.min(cap)));
    }
    let mut opened = super::evolis::connect(link, config, FAMILY.name, uri)?;
    opened.printer = Box::new(NamingPngs {
        inner: opened.printer,
        device: handle.clone(),
    });
    opened.own_reader = Some(Box::new(params.contact_reader(handle.clone())));
    opened.device = Some(SimDevice {
        name: params.name.clone(),
        printer: handle,
        pty,
        png_dir,
    });
    Ok(opened)
}
