//! `cardline sim printer [--family evolis|magicard] --pty | --tcp ADDR | --replay FILE
//! [--png-dir DIR]`: a simulated Evolis printer (cardline-sim's `SimPrinter`, the default) or
//! Magicard (`SimMagicard`, [`super::sim_magicard`]) for the real driver, other tools, or a
//! recorded stream.
//!
//! With `--pty` or `--tcp` it prints the printer URI (`evolis+serial:///dev/pts/N`,
//! `magicard+tcp://127.0.0.1:P`, …) as its first line and serves until Ctrl-C. With `--replay`
//! it feeds the file to the simulator and reports the replies and the cards printed (a
//! Gutenprint `.prn` with `--family magicard`).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use cardline_sim::clock::TimeModel;
use cardline_sim::faults::{FaultRates, PrinterFaultPlan, ScriptedFault};
use cardline_sim::printer::{
    PtyEndpoint, RibbonLoad, SimPrinter, SimPrinterConfig, SimPrinterHandle, SimPrinterState,
    TcpEndpoint,
};

use crate::context::Context;

/// Options of `cardline sim printer`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("endpoint").required(true).args(["pty", "tcp", "replay"])))]
pub struct SimPrinterArgs {
    /// The printer family simulated: evolis (escape commands) or magicard (Magicard streams).
    #[arg(long, default_value = "evolis", value_parser = ["evolis", "magicard"])]
    pub family: String,
    /// Serve on a new pseudo-terminal (the driver opens it as a serial port).
    #[arg(long)]
    pub pty: bool,
    /// Serve on a TCP address, e.g. 127.0.0.1:9100 (port 0 = any free port).
    #[arg(long, value_name = "ADDR")]
    pub tcp: Option<String>,
    /// Feed a recorded byte stream (e.g. a .prn file) and report what was printed.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Write a PNG of every printed side here (created if missing).
    #[arg(long, value_name = "DIR")]
    pub png_dir: Option<PathBuf>,
    /// Clock seconds per simulated second: 0 = instant, 0.1 = ten times faster than real.
    #[arg(long, default_value_t = 0.0, value_name = "SCALE")]
    pub time_scale: f64,
    /// A scripted fault (repeatable): jam@N:PHASE, ribbon-ends-after=N, no-ribbon,
    /// cover-opens@N[:POLLS], feeder-empty-after=N, reject-box-full[-after=N], head-temp@N,
    /// mute@N; Evolis only: silent@CARD:N, rrt-spurious-ok=N; Magicard only: flipper-jam@N,
    /// mag-verify@N, contacts-fail@N, cleaning-overdue, error@N:CODE.
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<String>,
    /// Random jam probability per card.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub jam_rate: f64,
    /// Random `ERR BUSY` probability per action command (Evolis; a Magicard's head-temperature
    /// probability per print job).
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub busy_rate: f64,
    /// Random cover-open probability per card.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub cover_rate: f64,
    /// Seed of the random faults (printed; default: from the OS).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Blank cards in the feeder.
    #[arg(long, default_value_t = 100)]
    pub feeder: u32,
    /// Installed ribbon as KIND[:CAPACITY], e.g. ymcko:200 or k:1000.
    #[arg(long, default_value = "ymcko:200")]
    pub ribbon: String,
    /// Model name the printer reports (`Rtp`, `STA,MDL`; default `Primacy 2 Duplex`, or
    /// `Rio Pro 360` for a Magicard; a Magicard model with `Duo` in its name prints both sides).
    #[arg(long)]
    pub model: Option<String>,
    /// A single-sided Evolis printer (refuses `Sv`).
    #[arg(long)]
    pub simplex: bool,
}

/// What `--replay` reports.
#[derive(Debug, serde::Serialize)]
struct ReplayReport {
    file: String,
    bytes: usize,
    replies: Vec<String>,
    refused: usize,
    cards: Vec<PrintedReport>,
    png_errors: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
struct PrintedReport {
    job: u32,
    card_number: u32,
    panels_front: usize,
    panels_back: Option<usize>,
    png_files: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
struct ServeReport {
    uri: String,
    seed: u64,
    png_dir: Option<String>,
}

/// Runs `cardline sim printer`.
pub fn run(ctx: &Context, args: SimPrinterArgs) -> anyhow::Result<()> {
    if args.family == "magicard" {
        return super::sim_magicard::run(ctx, &args);
    }
    let (config, seed) = config_from(&args)?;
    if let Some(file) = &args.replay {
        return replay(ctx, config, file);
    }
    let printer = SimPrinterHandle::new(SimPrinter::new(config));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("cannot install the Ctrl-C handler")?;
    let png_dir = args.png_dir.as_ref().map(|d| d.display().to_string());
    let serve = |uri: String| -> anyhow::Result<()> {
        let report = ServeReport { uri, seed, png_dir };
        ctx.emit(&report, || {
            let mut s = format!("{}\n", report.uri);
            if args.jam_rate > 0.0 || args.busy_rate > 0.0 || args.cover_rate > 0.0 {
                s.push_str(&format!("fault seed: {seed}\n"));
            }
            s
        })?;
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    };
    if args.pty {
        let pty = PtyEndpoint::start(printer.clone())?;
        serve(pty.uri())?;
        pty.stop();
    } else if let Some(addr) = &args.tcp {
        let tcp = TcpEndpoint::start(printer.clone(), addr)?;
        serve(tcp.uri())?;
        tcp.stop();
    }
    let state = printer.state();
    if !ctx.json {
        eprintln!("{}", summary(&state));
    }
    Ok(())
}

fn summary(s: &SimPrinterState) -> String {
    format!(
        "stopped: {} cards fed, {} printed, {} rejected, {} commands, {:.1} s simulated",
        s.counters.cards_fed,
        s.counters.cards_printed,
        s.counters.cards_rejected,
        s.commands,
        s.simulated_time.as_secs_f64()
    )
}

/// What every family's simulated printer takes from the arguments: the PNG directory created,
/// the ribbon as `(kind, capacity)`, the rates checked, the seed.
pub(super) fn common_settings(args: &SimPrinterArgs) -> anyhow::Result<(RibbonLoad, u64)> {
    if let Some(dir) = &args.png_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the PNG directory {}", dir.display()))?;
    }
    let (kind, capacity) = match args.ribbon.split_once(':') {
        Some((k, c)) => (k, c.parse().context("--ribbon capacity must be a number")?),
        None => (args.ribbon.as_str(), 200),
    };
    for (name, p) in [
        ("--jam-rate", args.jam_rate),
        ("--busy-rate", args.busy_rate),
        ("--cover-rate", args.cover_rate),
    ] {
        anyhow::ensure!((0.0..=1.0).contains(&p), "{name} must be between 0 and 1");
    }
    let seed = args.seed.unwrap_or_else(PrinterFaultPlan::entropy_seed);
    Ok((RibbonLoad::fresh(kind, capacity), seed))
}

fn config_from(args: &SimPrinterArgs) -> anyhow::Result<(SimPrinterConfig, u64)> {
    let (ribbon, seed) = common_settings(args)?;
    let mut scripted = Vec::new();
    for f in &args.faults {
        scripted.push(f.parse::<ScriptedFault>()?);
    }
    let config = SimPrinterConfig {
        model: args
            .model
            .clone()
            .unwrap_or_else(|| "Primacy 2 Duplex".into()),
        duplex: !args.simplex,
        feeder_cards: args.feeder,
        ribbon: Some(ribbon),
        time: TimeModel::scaled(args.time_scale),
        png_dir: args.png_dir.clone(),
        faults: PrinterFaultPlan {
            scripted,
            rates: FaultRates {
                jam_per_card: args.jam_rate,
                busy_per_action: args.busy_rate,
                cover_open_per_card: args.cover_rate,
            },
            seed,
        },
        ..SimPrinterConfig::default()
    };
    Ok((config, seed))
}

fn replay(ctx: &Context, config: SimPrinterConfig, file: &PathBuf) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut printer = SimPrinter::new(config);
    let out = printer.feed(&bytes);
    let replies: Vec<String> = String::from_utf8_lossy(&out)
        .split_terminator('\r')
        .map(str::to_string)
        .collect();
    let refused = replies.iter().filter(|r| r.starts_with("ERR")).count();
    let cards = printer
        .printed()
        .iter()
        .map(|c| PrintedReport {
            job: c.job,
            card_number: c.card_number,
            panels_front: c.front.panel_count(),
            panels_back: c.back.as_ref().map(|b| b.panel_count()),
            png_files: c
                .png_files
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        })
        .collect();
    let report = ReplayReport {
        file: file.display().to_string(),
        bytes: bytes.len(),
        replies,
        refused,
        cards,
        png_errors: printer.png_errors().to_vec(),
    };
    ctx.emit(&report, || {
        let mut s = format!(
            "{}: {} bytes, {} commands, {} refused\n",
            report.file,
            report.bytes,
            report.replies.len(),
            report.refused
        );
        for (i, r) in report.replies.iter().enumerate() {
            if r != "OK" {
                s.push_str(&format!("  reply {}: {r}\n", i + 1));
            }
        }
        for c in &report.cards {
            s.push_str(&format!(
                "card {} (job {}): {} panel(s) front{}\n",
                c.card_number,
                c.job,
                c.panels_front,
                c.panels_back
                    .map(|n| format!(", {n} back"))
                    .unwrap_or_default()
            ));
            for f in &c.png_files {
                s.push_str(&format!("  {f}\n"));
            }
        }
        for e in &report.png_errors {
            s.push_str(&format!("PNG not written: {e}\n"));
        }
        s
    })?;
    anyhow::ensure!(
        report.png_errors.is_empty(),
        "some PNG files could not be written"
    );
    Ok(())
}
