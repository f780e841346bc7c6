//! `cardline printer status URI` and `cardline printer test-card URI`, and the printer registry
//! that turns a printer URI into a [`CardPrinter`].
//!
//! Printer URIs: `<family>+<link URI>`, e.g. `evolis+serial:///dev/ttyUSB0?baud=115200`,
//! `evolis+usb://0f49:0a00`, `evolis+tcp://host:port`. Adding a printer family = one line in
//! [`FAMILIES`] (STYLE.md #7).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use cardline_device::{
    CardImage, CardPosition, CardPrinter, LinkError, PrinterCapabilities, PrinterError,
    PrinterLink, PrinterStatus,
};
use cardline_evolis::{EvolisConfig, EvolisPrinter, ribbon_for};
use cardline_issuance::face::{CardFields, PreparedFace, load_template, parse_template};

use crate::context::Context;

/// Printer-opening options beyond the URI.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Send K/O panels uncompressed (`Db`) instead of `Dbc`.
    pub raw: bool,
    /// Send Y/M/C raw (`Db`) instead of the run-length `Dbc`.
    pub raw_color: bool,
    /// Caps the driver's reply timeouts (quick probes).
    pub reply_timeout_cap: Option<Duration>,
}

/// An opened printer plus a count of the bytes its link sent.
pub struct OpenedPrinter {
    /// The driver.
    pub printer: Box<dyn CardPrinter>,
    sent: Arc<AtomicU64>,
}

impl OpenedPrinter {
    /// Bytes sent to the printer since it was opened.
    pub fn bytes_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

/// A link that counts the bytes sent through it.
struct CountingLink {
    inner: Box<dyn PrinterLink>,
    sent: Arc<AtomicU64>,
}

impl PrinterLink for CountingLink {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        self.inner.send(bytes, timeout)?;
        self.sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(())
    }
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        self.inner.recv(buf, timeout)
    }
    fn reset(&mut self) -> Result<(), LinkError> {
        self.inner.reset()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

type Opener = fn(Box<dyn PrinterLink>, &OpenOptions) -> Result<Box<dyn CardPrinter>, PrinterError>;

/// The printer families: URI prefix → opener.
const FAMILIES: &[(&str, Opener)] = &[("evolis", open_evolis)];

/// Opens a printer from `<family>+<link URI>`.
pub fn open_printer(uri: &str, options: &OpenOptions) -> anyhow::Result<OpenedPrinter> {
    let (family, link_uri) = uri.split_once('+').with_context(|| {
        format!(
            "{uri:?} is not a printer URI: expected <family>+<link>, e.g. evolis+tcp://host:9100"
        )
    })?;
    let (_, opener) = FAMILIES
        .iter()
        .find(|(name, _)| *name == family)
        .with_context(|| format!("unknown printer family {family:?} (known: evolis)"))?;
    let sent = Arc::new(AtomicU64::new(0));
    let link = CountingLink {
        inner: cardline_link::open_link(link_uri)?,
        sent: sent.clone(),
    };
    let printer = opener(Box::new(link), options)
        .with_context(|| format!("opening {family} printer on {link_uri}"))?;
    Ok(OpenedPrinter { printer, sent })
}

fn open_evolis(
    link: Box<dyn PrinterLink>,
    options: &OpenOptions,
) -> Result<Box<dyn CardPrinter>, PrinterError> {
    let config = EvolisConfig {
        compress_mono: !options.raw,
        compress_color: !options.raw_color && !options.raw,
        reply_timeout_cap: options.reply_timeout_cap,
        ..EvolisConfig::default()
    };
    Ok(Box::new(EvolisPrinter::connect(link, config)?))
}

/// `cardline printer …`.
#[derive(Debug, clap::Subcommand)]
pub enum PrinterCommand {
    /// Show a printer's status (model, card position, cover, feeder, ribbon, faults).
    Status {
        /// Printer URI, e.g. evolis+serial:///dev/pts/3, evolis+usb://0f49:0a00, evolis+tcp://host:port.
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
        /// Send every panel uncompressed (`Db`; to compare bytes on the wire).
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
            let options = OpenOptions {
                raw,
                raw_color,
                ..OpenOptions::default()
            };
            test_card(ctx, &uri, face.as_deref(), mono, back, &options)
        }
    }
}

fn status(ctx: &Context, uri: &str) -> anyhow::Result<()> {
    let mut opened = open_printer(uri, &OpenOptions::default())?;
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
    format!(
        "printer   {}\nmodel     {}\nserial    {}\nfirmware  {}\nstate     {}\ncard      {}\ncover     {}\nfeeder    {}\nreject    {}\nribbon    {} ({} of {} left)\ncards     {}\nfaults    {}\n",
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
            s.faults.join(", ")
        },
    )
}

/// The test pattern: colour bars, a grey ramp, pure black frame and text (K panel).
const TEST_PATTERN: &str = r##"
name = "test-card"
[front]
background = "#FFFFFF"
overlay = "full"
[[front.box]]
x = 0
y = 0
width = 1016
height = 24
color = "#000000"
[[front.box]]
x = 0
y = 624
width = 1016
height = 24
color = "#000000"
[[front.box]]
x = 60
y = 300
width = 150
height = 120
color = "#FFFF00"
[[front.box]]
x = 210
y = 300
width = 150
height = 120
color = "#FF00FF"
[[front.box]]
x = 360
y = 300
width = 150
height = 120
color = "#00FFFF"
[[front.box]]
x = 510
y = 300
width = 150
height = 120
color = "#FF0000"
[[front.box]]
x = 660
y = 300
width = 150
height = 120
color = "#00A000"
[[front.box]]
x = 810
y = 300
width = 150
height = 120
color = "#0000FF"
[[front.box]]
x = 60
y = 440
width = 300
height = 60
color = "#404040"
[[front.box]]
x = 360
y = 440
width = 300
height = 60
color = "#808080"
[[front.box]]
x = 660
y = 440
width = 300
height = 60
color = "#C0C0C0"
[[front.text]]
text = "CARDLINE TEST CARD"
x = 60
y = 150
size = 80
bold = true
[[front.text]]
text = "{card_number}"
x = 60
y = 250
size = 48
[[front.text]]
text = "Y M C R G B  /  25% 50% 75% grey"
x = 60
y = 580
size = 36
color = "#5D6D7E"
"##;

fn test_image(
    ctx: &Context,
    face: Option<&str>,
    mono: bool,
    back: bool,
    label: &str,
) -> anyhow::Result<CardImage> {
    let template = match face {
        Some(name) => load_template(ctx.home_dir(), name)?,
        None => parse_template(TEST_PATTERN, Path::new("<test card>"), None, "test-card")?,
    };
    let prepared = PreparedFace::new(&template)?;
    let mut image = prepared.render(&CardFields::for_number(label))?;
    if mono {
        image.front.color = None;
        image.front.overlay = cardline_device::Overlay::None;
        image.back = None;
    }
    if back && image.back.is_none() {
        image.back = Some(image.front.clone());
    }
    Ok(image)
}

fn test_card(
    ctx: &Context,
    uri: &str,
    face: Option<&str>,
    mono: bool,
    back: bool,
    options: &OpenOptions,
) -> anyhow::Result<()> {
    let mut opened = open_printer(uri, options)?;
    let image = test_image(ctx, face, mono, back, "TEST-0001")?;
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
        ribbon: ribbon_for(&image).code(),
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
