//! `cardline sim card --vpcd [--port P] [--state FILE]`: a simulated PIV card (cardline-sim's
//! `SimCard`) plugged into the real pcscd through vsmartcard's vpcd reader, until Ctrl-C.
//!
//! Any PC/SC client then sees it in `Virtual PCD 00 0n` (n = port − 35963): OpenSC,
//! yubico-piv-tool, `cardline encode --reader Virtual`. With `--state` the card is loaded from
//! the file when it exists and saved back on exit (the file holds the card's secrets in clear:
//! simulator use only).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use cardline_sim::card::{AtrProfile, SimCard, SimCardConfig, SimCardTransport};
use cardline_sim::vpcd::{VPCD_PORT, VpcdCard, reader_name_for_port};

use crate::context::Context;

/// Options of `cardline sim card`.
#[derive(Debug, clap::Args)]
pub struct SimCardArgs {
    /// Plug the card into pcscd through vpcd (the only endpoint the CLI offers).
    #[arg(long, required = true)]
    pub vpcd: bool,
    /// vpcd port: 35963 = reader `Virtual PCD 00 00`, 35964 = `Virtual PCD 00 01`.
    #[arg(long, default_value_t = VPCD_PORT, value_name = "P")]
    pub port: u16,
    /// Host where pcscd/vpcd runs.
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub host: String,
    /// Card state file: loaded when it exists, written on exit (holds secrets in clear).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Serial of a new card (default: derived from the clock).
    #[arg(long, value_name = "N")]
    pub serial: Option<u32>,
    /// Answer with a generic PIV ATR (no YubiKey extensions) instead of the YubiKey 5 one.
    #[arg(long)]
    pub generic: bool,
    /// Default management key algorithm AES-192 (YubiKey 5.7 style) instead of 3DES.
    #[arg(long)]
    pub aes_management_key: bool,
}

/// Runs `cardline sim card`.
pub fn run(ctx: &Context, args: SimCardArgs) -> anyhow::Result<()> {
    let atr = if args.generic {
        AtrProfile::GenericPiv
    } else {
        AtrProfile::YubiKey5
    };
    let card = match &args.state {
        Some(path) if path.exists() => {
            let loaded = SimCard::load(path)
                .with_context(|| format!("loading the card from {}", path.display()))?;
            SimCard::from_state(loaded.state().clone(), atr)
        }
        _ => {
            let seed = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
                ^ u64::from(std::process::id());
            let mut config = SimCardConfig::from_seed(seed);
            if let Some(serial) = args.serial {
                config.serial = serial;
            }
            config.atr = atr;
            if args.aes_management_key {
                config.management_key_algorithm = cardline_sim::card::ALG_AES192;
                config.version = [5, 7, 1];
            }
            SimCard::new(config)
        }
    };
    let serial = card.serial();
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&(args.host.as_str(), args.port))
        .with_context(|| format!("resolving {}", args.host))?
        .next()
        .context("no address for the vpcd host")?;
    let reader =
        reader_name_for_port(args.port).unwrap_or_else(|| format!("vpcd port {}", args.port));

    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")?;

    let shared = SimCardTransport::share(card);
    let plugged = VpcdCard::spawn(shared.clone(), addr);
    let seen = appeared_in_pcscd(&reader);
    if ctx.json {
        ctx.print_json(&serde_json::json!({
            "serial": serial,
            "reader": reader,
            "vpcd": addr.to_string(),
            "seen_by_pcscd": seen,
        }))?;
    } else {
        let status = if seen {
            "in reader"
        } else {
            "waiting for pcscd/vpcd; reader"
        };
        ctx.print_text(&format!(
            "sim card serial {serial} {status} `{reader}` (vpcd {addr}); Ctrl-C to stop"
        ))?;
    }
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let apdus = plugged.apdus();
    plugged.stop();
    if let Some(path) = &args.state {
        let card = shared.lock().unwrap_or_else(|p| p.into_inner());
        card.save(path)
            .with_context(|| format!("saving the card to {}", path.display()))?;
    }
    if !ctx.json {
        eprintln!("stopped: {apdus} APDUs served");
    }
    Ok(())
}

/// Waits (at most 5 s, with `SCardGetStatusChange`) for pcscd to report the card.
fn appeared_in_pcscd(reader: &str) -> bool {
    let Ok(readers) = cardline_pcsc::PcscReaders::establish() else {
        return false;
    };
    readers
        .wait_for_card(reader, Duration::from_secs(5))
        .is_ok()
}
