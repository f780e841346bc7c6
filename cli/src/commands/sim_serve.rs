//! `cardline sim serve --stations N [--magicard M]`: N simulated stations reachable as real
//! devices until stopped: each printer on a pseudo-terminal (or TCP), and the chip of the card
//! parked at its contact station plugged into pcscd through vpcd (`Virtual PCD 00 0n`) — so the
//! stations file it prints drives the real Evolis or Magicard, link, PC/SC and PIV drivers end to
//! end. The last M stations are simulated Magicards (`magicard+serial://…`), the others Evolis
//! printers (`evolis+serial://…`): a mixed line.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use cardline_app::SimParams;
use cardline_app::sim::SimFamily;
use cardline_sim::card::SimCardTransport;
use cardline_sim::endpoint::SimulatedPrinter;
use cardline_sim::faults::ScriptedFault;
use cardline_sim::magicard::{MagicardFault, SimMagicard, SimMagicardHandle};
use cardline_sim::printer::{PtyEndpoint, SimPrinter, SimPrinterHandle, TcpEndpoint};
use cardline_sim::vpcd::{VPCD_PORT, VpcdCard, VpcdHandle, reader_name_for_port};
use serde::Serialize;

use crate::context::Context;

/// `sim serve` arguments.
#[derive(Debug, clap::Args)]
pub struct SimServeArgs {
    /// How many stations.
    #[arg(long, default_value_t = 1)]
    pub stations: u16,
    /// How many of the stations (the last ones) are simulated Magicards; the others are
    /// simulated Evolis printers.
    #[arg(long, default_value_t = 0, value_name = "M")]
    pub magicard: u16,
    /// Serve printers on TCP from this address (port incremented per station) instead of
    /// pseudo-terminals, e.g. `127.0.0.1:9100`.
    #[arg(long, value_name = "ADDR")]
    pub tcp: Option<String>,
    /// First vpcd port (slot 0 = 35963 = `Virtual PCD 00 00`).
    #[arg(long, default_value_t = VPCD_PORT)]
    pub vpcd_port: u16,
    /// vpcd slots available (pcscd's vpcd exposes 2 readers by default); further stations
    /// are print-only.
    #[arg(long, default_value_t = 2)]
    pub vpcd_slots: u16,
    /// Device delays relative to a real printer (0 = instant, 0.1 = ten times faster).
    #[arg(long, default_value_t = 0.1)]
    pub time_scale: f64,
    /// Scripted printer faults for every station (`jam@3:printing`, `cover-opens@5:3`, ...;
    /// with Magicard stations, only the forms both families know, or Magicard ones when every
    /// station is a Magicard).
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<String>,
    /// Directory for PNGs of printed cards (one subdirectory per station).
    #[arg(long)]
    pub png_dir: Option<std::path::PathBuf>,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub seconds: Option<u64>,
}

#[derive(Debug, Serialize)]
struct ServedStation {
    name: String,
    family: &'static str,
    printer: String,
    reader: Option<String>,
}

/// The faults of `--fault` for each family in use, parsed with that family's syntax.
fn parse_faults(args: &SimServeArgs) -> anyhow::Result<(Vec<ScriptedFault>, Vec<MagicardFault>)> {
    let (mut evolis, mut magicard) = (Vec::new(), Vec::new());
    let evolis_stations = args.stations.saturating_sub(args.magicard) > 0;
    for f in &args.faults {
        if evolis_stations {
            evolis.push(f.parse::<ScriptedFault>()?);
        }
        if args.magicard > 0 {
            let m = f
                .parse::<MagicardFault>()
                .with_context(|| format!("--fault {f} for the Magicard stations (--magicard)"))?;
            magicard.push(m);
        }
    }
    Ok((evolis, magicard))
}

/// A served printer of either family.
#[derive(Clone)]
enum Served {
    Evolis(SimPrinterHandle),
    Magicard(SimMagicardHandle),
}

impl Served {
    /// Starts the endpoint (TCP on `tcp`, else a pseudo-terminal); returns it and its URI.
    fn endpoint(&self, tcp: Option<&str>) -> anyhow::Result<(Box<dyn std::any::Any>, String)> {
        fn start<P: SimulatedPrinter>(
            p: P,
            tcp: Option<&str>,
        ) -> anyhow::Result<(Box<dyn std::any::Any>, String)> {
            Ok(match tcp {
                Some(addr) => {
                    let ep = TcpEndpoint::start(p, addr)?;
                    let uri = ep.uri();
                    (Box::new(ep), uri)
                }
                None => {
                    let ep = PtyEndpoint::start(p)?;
                    let uri = ep.uri();
                    (Box::new(ep), uri)
                }
            })
        }
        match self {
            Served::Evolis(p) => start(p.clone(), tcp),
            Served::Magicard(p) => start(p.clone(), tcp),
        }
    }
}

/// Runs `sim serve`.
pub fn run(ctx: &Context, args: SimServeArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.magicard <= args.stations,
        "--magicard {} is more than the {} station(s) of --stations: give at most {}",
        args.magicard,
        args.stations,
        args.stations
    );
    let (faults, magicard_faults) = parse_faults(&args)?;
    let time_scale = SimParams::check_time_scale(args.time_scale).context("--time-scale")?;
    let stop = Arc::new(AtomicBool::new(false));
    let mut served = Vec::new();
    let mut endpoints: Vec<Box<dyn std::any::Any>> = Vec::new();
    let mut couplers = Vec::new();
    for i in 0..args.stations {
        let name = format!("sim-{}", i + 1);
        let png_dir = args.png_dir.as_ref().map(|d| d.join(&name));
        if let Some(d) = &png_dir {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        // The same simulated station a `sim://` URI describes, served as real devices.
        let family = if i >= args.stations - args.magicard {
            SimFamily::Magicard
        } else {
            SimFamily::Evolis
        };
        let params = SimParams {
            family,
            faults: faults.clone(),
            magicard_faults: magicard_faults.clone(),
            time_scale,
            seed: Some(0x5EED_0000 + u64::from(i) * 1_000_000),
            ..SimParams::new(&name)
        };
        let printer = match family {
            SimFamily::Evolis => Served::Evolis(SimPrinterHandle::new(SimPrinter::new(
                params.printer_config(png_dir),
            ))),
            SimFamily::Magicard => Served::Magicard(SimMagicardHandle::new(SimMagicard::new(
                params.magicard_config(png_dir),
            ))),
        };
        let tcp = match &args.tcp {
            Some(base) => {
                let (host, port) = base.rsplit_once(':').context("--tcp wants HOST:PORT")?;
                let port: u16 = port.parse().context("--tcp port is not a number")?;
                Some(format!("{host}:{}", port + i))
            }
            None => None,
        };
        let (endpoint, uri) = printer.endpoint(tcp.as_deref())?;
        endpoints.push(endpoint);
        let reader = (i < args.vpcd_slots).then(|| {
            let port = args.vpcd_port + i;
            let stop = stop.clone();
            let printer = printer.clone();
            couplers.push(std::thread::spawn(move || match printer {
                Served::Evolis(p) => couple(p, port, &params, &stop),
                Served::Magicard(p) => couple(p, port, &params, &stop),
            }));
            reader_name_for_port(port).unwrap_or_else(|| format!("vpcd port {port}"))
        });
        served.push(ServedStation {
            name,
            family: family.as_str(),
            printer: uri,
            reader,
        });
    }
    let snippet = stations_snippet(&served);
    ctx.emit(&served, || {
        format!(
            "{} simulated station(s) running; put this in <home>/stations.toml:\n\n{snippet}\nCtrl-C to stop.",
            served.len()
        )
    })?;
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    let started = std::time::Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if args
            .seconds
            .is_some_and(|s| started.elapsed() >= Duration::from_secs(s))
        {
            stop.store(true, Ordering::SeqCst);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for c in couplers {
        let _ = c.join();
    }
    drop(endpoints);
    Ok(())
}

/// The stations file lines for the served stations.
fn stations_snippet(served: &[ServedStation]) -> String {
    let mut s = String::new();
    for st in served {
        s.push_str(&format!(
            "[[station]]\nname = \"{}\"\nprinter = \"{}\"\n",
            st.name, st.printer
        ));
        match &st.reader {
            Some(r) => s.push_str(&format!("reader = \"{r}\"\n\n")),
            None => s.push_str("encode = false\n\n"),
        }
    }
    s
}

/// How long a vpcd slot stays empty between two cards. pcscd looks at a reader every 400 ms
/// (pcsc-lite's status poll rate): a chip swapped faster than that is never seen leaving, and
/// pcscd then talks to the new chip as if it were the old, powered one, which answers nothing.
/// A time-scaled printer can reject a card and park the next within a few milliseconds, which
/// no real printer does; the slot waits this long so pcscd sees every card go and come.
const VPCD_EMPTY_AT_LEAST: Duration = Duration::from_millis(600);

/// Keeps the chip of the card parked at the printer's contact station plugged into the vpcd
/// slot on `port`: a fresh chip per card, unplugged when the card moves away, the slot empty
/// for at least [`VPCD_EMPTY_AT_LEAST`] between two cards.
fn couple(printer: impl SimulatedPrinter, port: u16, params: &SimParams, stop: &AtomicBool) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut plugged: Option<(u32, VpcdHandle)> = None;
    let mut unplugged_at: Option<std::time::Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        let parked = printer.card_at_contact_station();
        match (&plugged, parked) {
            (Some((n, _)), Some(p)) if *n == p => {}
            (Some(_), _) => {
                if let Some((_, h)) = plugged.take() {
                    h.stop();
                }
                unplugged_at = Some(std::time::Instant::now());
            }
            (None, Some(p)) => {
                if unplugged_at.is_none_or(|t| t.elapsed() >= VPCD_EMPTY_AT_LEAST) {
                    let chip = params.chip(p);
                    plugged = Some((p, VpcdCard::spawn(SimCardTransport::share(chip), addr)));
                }
            }
            (None, None) => {}
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if let Some((_, h)) = plugged {
        h.stop();
    }
}
