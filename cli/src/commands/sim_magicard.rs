//! `cardline sim printer --family magicard …`: a simulated Magicard (cardline-sim's
//! `SimMagicard`) on a pseudo-terminal or TCP for the real driver and other tools, or fed a
//! recorded stream (`--replay card-face.prn`, e.g. one Gutenprint made) to see what it prints.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use cardline_sim::clock::{PhaseDurations, TimeModel};
use cardline_sim::magicard::{
    MagicardFault, MagicardFaultPlan, MagicardFaultRates, PtyEndpoint, RATED_CPH, SimMagicard,
    SimMagicardConfig, SimMagicardHandle, SimMagicardState, TcpEndpoint,
};

use super::sim_printer::{SimPrinterArgs, common_settings};
use crate::context::Context;

#[derive(Debug, serde::Serialize)]
struct ServeReport {
    uri: String,
    family: &'static str,
    seed: u64,
    png_dir: Option<String>,
}

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
    front_planes: Option<usize>,
    back_planes: Option<usize>,
    png_files: Vec<String>,
}

/// The simulated Magicard the arguments describe, and the fault seed.
fn config_from(args: &SimPrinterArgs) -> anyhow::Result<(SimMagicardConfig, u64)> {
    let (ribbon, seed) = common_settings(args)?;
    anyhow::ensure!(
        !args.simplex,
        "--simplex is for Evolis printers: a simulated Magicard prints both sides when its model name says Duo (--model \"Rio Pro 360 Duo\")"
    );
    let mut scripted = Vec::new();
    for f in &args.faults {
        scripted.push(f.parse::<MagicardFault>()?);
    }
    let default = SimMagicardConfig::default();
    let config = SimMagicardConfig {
        model: args.model.clone().unwrap_or(default.model),
        hopper_cards: args.feeder,
        ribbon: Some(ribbon),
        time: TimeModel {
            scale: args.time_scale,
            phases: PhaseDurations::from_rated(RATED_CPH.0, RATED_CPH.1),
        },
        png_dir: args.png_dir.clone(),
        faults: MagicardFaultPlan {
            scripted,
            rates: MagicardFaultRates {
                jam_per_card: args.jam_rate,
                cover_open_per_card: args.cover_rate,
                head_temp_per_job: args.busy_rate,
            },
            seed,
        },
        ..default
    };
    Ok((config, seed))
}

/// Runs `cardline sim printer --family magicard`.
pub fn run(ctx: &Context, args: &SimPrinterArgs) -> anyhow::Result<()> {
    let (config, seed) = config_from(args)?;
    if let Some(file) = &args.replay {
        return replay(ctx, config, file);
    }
    let printer = SimMagicardHandle::new(SimMagicard::new(config));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("cannot install the Ctrl-C handler")?;
    let png_dir = args.png_dir.as_ref().map(|d| d.display().to_string());
    let serve = |uri: String| -> anyhow::Result<()> {
        let report = ServeReport {
            uri,
            family: "magicard",
            seed,
            png_dir,
        };
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
    if !ctx.json {
        eprintln!("{}", summary(&printer.state()));
    }
    Ok(())
}

fn summary(s: &SimMagicardState) -> String {
    format!(
        "stopped: {} cards fed, {} printed, {} rejected, {} frames, {:.1} s simulated",
        s.counters.cards_fed,
        s.counters.cards_printed,
        s.counters.cards_rejected,
        s.frames,
        s.simulated_time.as_secs_f64()
    )
}

/// The reply texts in a stream of framed replies (`01 text 2C 03`).
fn reply_texts(out: &[u8]) -> Vec<String> {
    out.split(|b| *b == 0x03)
        .filter(|r| !r.is_empty())
        .map(|r| {
            let r = r.strip_prefix(&[0x01]).unwrap_or(r);
            let r = r.strip_suffix(b",").unwrap_or(r);
            String::from_utf8_lossy(r).into_owned()
        })
        .collect()
}

fn replay(ctx: &Context, config: SimMagicardConfig, file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut printer = SimMagicard::new(config);
    let replies = reply_texts(&printer.feed(&bytes));
    let refused = replies.iter().filter(|r| r.starts_with("ERR")).count();
    let cards = printer
        .printed()
        .iter()
        .map(|c| PrintedReport {
            job: c.job,
            card_number: c.card_number,
            front_planes: c.front.as_ref().map(|s| s.panel_count()),
            back_planes: c.back.as_ref().map(|s| s.panel_count()),
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
            "{}: {} bytes, {} replies, {} refused\n",
            report.file,
            report.bytes,
            report.replies.len(),
            report.refused
        );
        for (i, r) in report.replies.iter().enumerate() {
            if r != "OK" && r != "PRT,OK" {
                s.push_str(&format!("  reply {}: {r}\n", i + 1));
            }
        }
        if let Some(why) = printer.last_stream_error() {
            s.push_str(&format!("  last framing error: {why}\n"));
        }
        for c in &report.cards {
            let planes = |n: Option<usize>| n.map_or("-".to_string(), |n| n.to_string());
            s.push_str(&format!(
                "card {} (job {}): {} plane(s) front, {} back\n",
                c.card_number,
                c.job,
                planes(c.front_planes),
                planes(c.back_planes)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_cut_out_of_their_frames() {
        assert_eq!(
            reply_texts(b"\x01PRT,OK,\x03\x01ERR,FRAME,\x03"),
            ["PRT,OK", "ERR,FRAME"]
        );
        assert!(reply_texts(b"").is_empty());
    }
}
