//! `cardline demo`: a whole batch order on three simulated stations, in a fresh home.
//!
//! init → station keys → CA → request 24 cards → order → produce on 3 SimStations of two printer
//! families (SimPrinter behind the real Evolis driver at desk-1 and desk-3, SimMagicard behind
//! the real Magicard driver at desk-2, all on pseudo-terminals; SimCards behind the real PIV
//! driver) with a jam, a mute chip and a cover opened and closed → repeat the failed cards →
//! complete the order → summary. Each desk's card faces are rendered at its printer's geometry
//! (648 × 1016 Evolis, 641 × 1016 Magicard). Device delays run at 1/100 of real time.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use cardline_app::{LineOptions, error_chain, load_stations, open_line};
use cardline_issuance::ca::{CaKeyAlgorithm, LocalCa};
use cardline_issuance::model::OrderSelection;
use cardline_issuance::options::DEFAULT_PROFILE_TEXT;
use cardline_issuance::secrets::KeyFiles;
use cardline_issuance::store::sqlite::SqliteStore;
use serde::Serialize;

use super::produce::{load_kit, run_production, summary_text};
use crate::context::Context;

/// Cards the demo requests.
const DEMO_CARDS: u32 = 24;

/// The demo line: three stations of two printer families, each with one injected fault.
const DEMO_STATIONS: &str = r#"# The demo line: simulated Evolis (desk-1, desk-3) and Magicard (desk-2) printers on
# pseudo-terminals, each behind its real driver; chips behind the PIV driver.
[[station]]
name = "desk-1"
printer = "sim://desk-1?link=pty&time_scale=0.01&faults=jam@3:printing"
reader = "sim"

[[station]]
name = "desk-2"
printer = "sim://desk-2?family=magicard&link=pty&time_scale=0.01&mute_chips=2"
reader = "sim"

[[station]]
name = "desk-3"
printer = "sim://desk-3?link=pty&time_scale=0.01&faults=cover-opens@4:4"
reader = "sim"
"#;

/// `demo` arguments.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to create the demo home (default: a new directory under the system temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// The final summary (`--json`).
#[derive(Debug, Serialize)]
pub struct DemoSummary {
    /// The demo home.
    pub home: String,
    /// The order.
    pub order_id: i64,
    /// Cards by state at the end.
    pub cards: BTreeMap<String, u64>,
    /// Cards produced per station over both runs.
    pub stations: Vec<DemoStation>,
    /// Cards rejected in the first run and produced again by repeat production.
    pub repeated: usize,
    /// Where the PNGs of the printed cards are.
    pub png_dir: String,
    /// Wall time of the whole demo, in seconds.
    pub seconds: f64,
}

/// One station's share.
#[derive(Debug, Serialize)]
pub struct DemoStation {
    /// The station.
    pub name: String,
    /// Cards produced.
    pub produced: u32,
    /// Cards rejected.
    pub failed: u32,
    /// Cards per hour at the demo's time scale.
    pub cards_per_hour: f64,
}

/// Runs the demo.
pub fn run(ctx: &Context, args: DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = args.dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "cardline-demo-{}-{}",
            std::process::id(),
            unix_secs()
        ))
    });
    if dir.join("cardline.db").exists() || dir.join("stations.toml").exists() {
        anyhow::bail!(
            "{} already holds a cardline home: the demo needs a fresh one",
            dir.display()
        );
    }
    let demo = Context::new(
        dir.clone(),
        Some(ctx.operator.clone()),
        ctx.json,
        ctx.verbose,
    );
    let say = |text: String| {
        if !ctx.json {
            let _ = writeln!(std::io::stdout(), "{text}");
        }
    };
    // 1. The home: database, options, keys, CA, stations.
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(demo.home.options_file(), DEFAULT_PROFILE_TEXT)?;
    let store = std::sync::Arc::new(SqliteStore::create(&demo.home.database())?);
    let keys = KeyFiles::in_home(&dir);
    keys.init()?;
    let ca = LocalCa::init(
        &demo.home.ca_dir(),
        "cardline demo temporary card CA",
        CaKeyAlgorithm::P256,
        &keys.station_key()?,
        store,
    )?;
    std::fs::write(demo.home.stations_file(), DEMO_STATIONS)?;
    say(format!(
        "demo home {}\n  CA {} ({})",
        dir.display(),
        ca.subject(),
        &ca.fingerprint()[..16]
    ));
    let store = demo.store()?;
    let options = demo.options()?;
    // 2. Request cards and order them.
    let cards = store.request_cards(DEMO_CARDS, &options.numbering, &demo.actor())?;
    let order = store.create_order(&OrderSelection::All, &demo.actor())?;
    say(format!(
        "requested {} cards ({} … {}), order {} created",
        cards.len(),
        cards.first().map_or("", |c| c.number.as_str()),
        cards.last().map_or("", |c| c.number.as_str()),
        order.id
    ));
    // 3. Produce on the simulated line.
    let file = load_stations(&demo.home.stations_file())?;
    let png_root = dir.join("printed");
    let options = LineOptions {
        png_root: Some(png_root.clone()),
        ..LineOptions::default()
    };
    let mut line = open_line(&file, &options)?;
    if let Some(m) = line.missing.first() {
        anyhow::bail!(
            "simulated station {} could not be opened: {}",
            m.name,
            error_chain(&m.error)
        );
    }
    for sim in &line.sims {
        let pty = sim
            .pty
            .as_ref()
            .map(|p| p.path().display().to_string())
            .unwrap_or_default();
        let model = format!("{} {}", sim.printer.family(), sim.printer.model());
        let pngs = sim
            .png_dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        say(format!(
            "  station {}: simulated {model} on {pty}, faces to {pngs}",
            sim.name
        ));
    }
    let kit = load_kit(&demo, &store, None)?;
    let journal: std::sync::Arc<dyn cardline_issuance::store::ProductionJournal> = store.clone();
    let run = cardline_issuance::production::RunGuard::start(journal, "demo", &demo.actor())?;
    for station in &line.stations {
        run.claim(&station.name, &demo.actor())?;
    }
    let first = run_production(
        &demo,
        &store,
        &kit,
        order.id,
        &mut line.stations,
        false,
        &run,
    )?;
    say(summary_text(&first, &[]));
    // 4. Repeat production of the failed cards, on fresh blanks.
    let repeated = store.repeat_order(order.id, &[], &demo.actor())?;
    say(format!(
        "repeat production of {} failed card(s): {}",
        repeated.len(),
        repeated
            .iter()
            .map(|c| c.number.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let second = run_production(
        &demo,
        &store,
        &kit,
        order.id,
        &mut line.stations,
        false,
        &run,
    )?;
    run.end()?;
    say(summary_text(&second, &[]));
    // 5. Complete the order.
    store.complete_order(order.id, &demo.actor())?;
    let counts: BTreeMap<String, u64> = store
        .count_by_state(None)?
        .into_iter()
        .map(|(s, n)| (s.as_str().to_string(), n))
        .collect();
    let secs = started.elapsed().as_secs_f64();
    let elapsed = std::time::Duration::from_millis(first.elapsed_ms + second.elapsed_ms);
    let stations = first
        .stations
        .iter()
        .map(|a| {
            let b = second.stations.iter().find(|b| b.name == a.name);
            let produced = a.produced + b.map_or(0, |b| b.produced);
            let failed = a.failed + b.map_or(0, |b| b.failed);
            let rate = if elapsed.is_zero() {
                0.0
            } else {
                produced as f64 * 3600.0 / elapsed.as_secs_f64()
            };
            DemoStation {
                name: a.name.clone(),
                produced,
                failed,
                cards_per_hour: rate,
            }
        })
        .collect();
    let summary = DemoSummary {
        home: dir.display().to_string(),
        order_id: order.id,
        cards: counts,
        stations,
        repeated: repeated.len(),
        png_dir: png_root.display().to_string(),
        seconds: secs,
    };
    drop(line);
    ctx.emit(&summary, || demo_text(&summary))
}

fn demo_text(s: &DemoSummary) -> String {
    let mut out = format!(
        "order {} completed in {:.1} s\ncards by state:\n",
        s.order_id, s.seconds
    );
    for (state, n) in &s.cards {
        out.push_str(&format!("  {state:<14} {n}\n"));
    }
    out.push_str("per station (both runs, simulated devices at 1/100 of real time):\n");
    for st in &s.stations {
        out.push_str(&format!(
            "  {:<8} {:>3} produced {:>2} rejected  {:>8.0} cards/h\n",
            st.name, st.produced, st.failed, st.cards_per_hour
        ));
    }
    out.push_str(&format!(
        "printed card faces (PNG): {}/<station>/\n",
        s.png_dir
    ));
    out.push_str(&format!("explore: cardline --home {} cards list\n", s.home));
    out
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
