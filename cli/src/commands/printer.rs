//! `cardline printer status URI` and `cardline printer test-card URI`: one printer, opened by
//! the printer family registry of `cardline-app` (`evolis+serial:///dev/ttyUSB0?baud=115200`,
//! `evolis+usb://0f49:0a00`, `evolis+tcp://host:port`, `magicard+usb://0c1f:1800`,
//! `magicard+tcp://host:port`, `sim://NAME[?family=magicard]`). The test card is rendered at
//! the printer's panel geometry.

use std::time::Instant;

use anyhow::Context as _;
use cardline_app::registry::{
    PrinterOptions, TestCardOptions, open_printer, test_card_image, validate_printer,
};
use cardline_device::{CardPosition, PrinterCapabilities, PrinterError, PrinterStatus};

use crate::context::Context;

/// `cardline printer …`.
#[derive(Debug, clap::Subcommand)]
pub enum PrinterCommand {
    /// Show a printer's status (model, card position, cover, feeder, ribbon, faults).
    Status {
        /// Printer URI, e.g. evolis+serial:///dev/pts/3, evolis+usb://0f49:0a00, evolis+tcp://host:port,
        /// magicard+usb://0c1f:1800, magicard+tcp://host:port, sim://NAME (a simulated printer
        /// in this process; sim://NAME?family=magicard for a Magicard).
        uri: String,
    },
    /// Print a test card (colour bars, grey ramp, black frame and text) and eject it.
    TestCard {
        /// Printer URI.
        uri: String,
        /// Print this face template (e.g. `temporary`) instead of the test pattern.
        #[arg(long)]
        face: Option<String>,
        /// Black only (`k` ribbon, no colour, no overlay).
        #[arg(long)]
        mono: bool,
        /// Print the back side too (duplex printers).
        #[arg(long)]
        back: bool,
        /// Send every panel uncompressed (Evolis `Db`; to compare bytes on the wire; a Magicard
        /// job is always uncompressed).
        #[arg(long)]
        raw: bool,
        /// Send only Y/M/C uncompressed (`Db`), K/O still `Dbc`: for a printer that prints
        /// run-length colour wrongly.
        #[arg(long, conflicts_with = "raw")]
        raw_color: bool,
    },
}

#[derive(serde::Serialize)]
struct StatusReport<'a> {
    uri: &'a str,
    printer: String,
    ready: bool,
    capabilities: PrinterCapabilities,
    status: PrinterStatus,
}

#[derive(serde::Serialize)]
struct TestCardReport<'a> {
    uri: &'a str,
    printer: String,
    ribbon: &'static str,
    sides: usize,
    bytes_sent: u64,
    elapsed_ms: u64,
}

/// Runs `cardline printer …`.
pub fn run(ctx: &Context, command: PrinterCommand) -> anyhow::Result<()> {
    match command {
        PrinterCommand::Status { uri } => status(ctx, &uri),
        PrinterCommand::TestCard {
            uri,
            face,
            mono,
            back,
            raw,
            raw_color,
        } => {
            let options = PrinterOptions {
                raw,
                compress_color: !raw_color,
                ..PrinterOptions::default()
            };
            let card = TestCardOptions { face, mono, back };
            test_card(ctx, &uri, &card, &options)
        }
    }
}

fn status(ctx: &Context, uri: &str) -> anyhow::Result<()> {
    let mut opened = open_printer(uri, &PrinterOptions::default())?;
    let status = opened.printer.status().context("reading printer status")?;
    let report = StatusReport {
        uri,
        printer: opened.printer.describe(),
        ready: status.is_ready(),
        capabilities: opened.printer.capabilities(),
        status,
    };
    ctx.emit(&report, || render_status(&report))
}

fn render_status(r: &StatusReport<'_>) -> String {
    let s = &r.status;
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let num = |v: Option<u32>| v.map_or("-".into(), |n| n.to_string());
    let caps = &r.capabilities;
    let panels = format!(
        "{}, {} ({}){}",
        caps.geometry,
        match caps.color_model {
            cardline_device::ColorModel::RibbonPanels => "ribbon panels",
            cardline_device::ColorModel::PagePlanes => "page planes",
        },
        caps.color_model.layouts().join(", "),
        if caps.duplex { ", duplex" } else { "" }
    );
    format!(
        "printer   {}\npanels    {panels}\nmodel     {}\nserial    {}\nfirmware  {}\nstate     {}\ncard      {}\ncover     {}\nfeeder    {}\nreject    {}\nribbon    {} ({} of {} left)\ncards     {}\nfaults    {}\n",
        r.printer,
        opt(&s.model),
        opt(&s.serial),
        opt(&s.firmware),
        if r.ready { "ready" } else { "NOT READY" },
        s.position.as_ref().map_or("-".into(), position_text),
        if s.cover_open { "OPEN" } else { "closed" },
        if s.feeder_empty { "EMPTY" } else { "has cards" },
        if s.reject_box_full { "FULL" } else { "ok" },
        opt(&s.ribbon.kind),
        num(s.ribbon.remaining),
        num(s.ribbon.capacity),
        s.total_cards.map_or("-".into(), |n| n.to_string()),
        if s.faults.is_empty() {
            "none".into()
        } else {
            let names: Vec<String> = s.faults.iter().map(|f| f.to_string()).collect();
            names.join(", ")
        },
    )
}

fn test_card(
    ctx: &Context,
    uri: &str,
    card: &TestCardOptions,
    options: &PrinterOptions,
) -> anyhow::Result<()> {
    let family = validate_printer(uri)
        .map_err(|why| anyhow::anyhow!("invalid printer URI `{uri}`: {why}"))?;
    // Rendered once before connecting, so a bad face template fails without touching the
    // printer; again at the printer's panel geometry when it differs (a Magicard's 641 rows).
    let label = "TEST-0001";
    let default = cardline_device::PanelGeometry::ID1_300_DPI;
    let mut image = test_card_image(family, ctx.home_dir(), card, label, default)?;
    let mut opened = open_printer(uri, options)?;
    let geometry = opened.printer.capabilities().geometry;
    if geometry != default {
        image = test_card_image(family, ctx.home_dir(), card, label, geometry)?;
    }
    let started = Instant::now();
    let before = opened.bytes_sent();
    let describe = opened.printer.describe();
    let result = opened
        .printer
        .print(&image)
        .and_then(|_| opened.printer.eject());
    if let Err(e) = result {
        let hint = operator_hint(&e);
        return Err(anyhow::Error::new(e).context(format!("test card on {describe} failed{hint}")));
    }
    let report = TestCardReport {
        uri,
        printer: describe,
        ribbon: (family.ribbon_for)(&image),
        sides: 1 + usize::from(image.back.is_some()),
        bytes_sent: opened.bytes_sent() - before,
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    ctx.emit(&report, || {
        format!(
            "printed a test card on {} ({} ribbon, {} side(s), {} bytes sent, {} ms)",
            report.printer, report.ribbon, report.sides, report.bytes_sent, report.elapsed_ms
        )
    })
}

fn position_text(p: &CardPosition) -> String {
    match p {
        CardPosition::NoCard => "none inside".into(),
        CardPosition::ContactStation => "at the contact station".into(),
        CardPosition::ContactlessStation => "at the contactless station".into(),
        CardPosition::PrintPosition => "at the print position".into(),
        CardPosition::Unknown(text) => format!("unknown ({text})"),
    }
}

fn operator_hint(e: &PrinterError) -> &'static str {
    if e.needs_operator() {
        " (operator action needed)"
    } else if e.is_transient() {
        " (transient: try again)"
    } else {
        ""
    }
}
