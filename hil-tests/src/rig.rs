//! The rig: which stations the scenarios run on, simulated unless `CARDLINE_RIG` names a file.

use std::path::PathBuf;

use cardline_device::{CardReader, PrinterLink};
use cardline_evolis::{EvolisConfig, EvolisPrinter};
use cardline_issuance::production::Station;
use cardline_issuance::stations::{PrinterUri, ReaderSpec, StationSpec, StationsFile};
use cardline_piv::PivEncoder;
use cardline_sim::card::{SimCard, SimCardConfig};
use cardline_sim::faults::{PrinterFaultPlan, ScriptedFault};
use cardline_sim::printer::{RibbonLoad, SimPrinter, SimPrinterConfig, SimPrinterHandle};
use cardline_sim::station::SimStation;

/// Where the scenarios run.
#[derive(Clone, Debug)]
pub enum Rig {
    /// Simulated stations through the real drivers (no rig file).
    Simulated,
    /// Real stations from a rig file.
    Hardware {
        /// The rig file.
        path: PathBuf,
        /// Its stations.
        stations: Vec<StationSpec>,
        /// `CARDLINE_RIG_DESTRUCTIVE=1`: scenarios may feed and write cards.
        destructive: bool,
    },
}

impl Rig {
    /// The rig named by `CARDLINE_RIG`, or the simulated one. Panics with the file's error
    /// when the rig file is invalid (a test run should stop there).
    pub fn from_env() -> Rig {
        let Some(mut path) = std::env::var_os("CARDLINE_RIG").map(PathBuf::from) else {
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                cardline_device::skipped!(
                    "no rig: hardware runs (CARDLINE_RIG=rigs/<file>.toml unset); the scenarios run on simulated stations through the real drivers"
                )
            });
            return Rig::Simulated;
        };
        // `cargo test` runs in the crate's directory: a relative rig path is taken from the
        // workspace root when it is not found here.
        let from_root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(&path);
        if path.is_relative() && !path.exists() && from_root.exists() {
            path = from_root;
        }
        let file = StationsFile::load(&path).unwrap_or_else(|e| panic!("rig file: {e}"));
        assert!(
            !file.stations.is_empty(),
            "rig file {} declares no station",
            path.display()
        );
        Rig::Hardware {
            path,
            stations: file.stations,
            destructive: std::env::var("CARDLINE_RIG_DESTRUCTIVE").as_deref() == Ok("1"),
        }
    }

    /// True on simulated stations.
    pub fn is_simulated(&self) -> bool {
        matches!(self, Rig::Simulated)
    }

    /// Whether a scenario may run: prints `skipped: <scenario>: <why>` and returns false when not.
    /// `needs_faults`: the scenario injects faults (simulated stations only).
    pub fn allows(&self, scenario: &str, needs_faults: bool) -> bool {
        let why = match self {
            Rig::Simulated => None,
            Rig::Hardware { .. } if needs_faults => {
                Some("injects device faults, which only simulated stations can do")
            }
            Rig::Hardware {
                destructive: false, ..
            } => Some("writes cards; set CARDLINE_RIG_DESTRUCTIVE=1 to allow it on this rig"),
            Rig::Hardware { .. } => None,
        };
        if let Some(why) = why {
            cardline_device::skipped!("{scenario}: {why}");
            return false;
        }
        true
    }

    /// Opens `n` stations: simulated ones with the given printer faults and mute chips
    /// (card numbers counted per station from 1), or the rig's first `n` real stations.
    pub fn stations(
        &self,
        n: usize,
        faults: &[(usize, &str)],
        mute: &[(usize, u32)],
    ) -> Vec<RigStation> {
        match self {
            Rig::Simulated => (0..n)
                .map(|i| {
                    let f: Vec<ScriptedFault> = faults
                        .iter()
                        .filter(|(s, _)| *s == i)
                        .map(|(_, f)| f.parse().expect("valid fault"))
                        .collect();
                    let m: Vec<u32> = mute
                        .iter()
                        .filter(|(s, _)| *s == i)
                        .map(|(_, c)| *c)
                        .collect();
                    sim_station(&format!("sim-{}", i + 1), f, m)
                })
                .collect(),
            Rig::Hardware { stations, .. } => stations.iter().take(n).map(real_station).collect(),
        }
    }
}

/// A station of the rig, with its simulated printer when simulated.
pub struct RigStation {
    /// The station.
    pub station: Station,
    /// The simulated printer, to open its cover or look at what it printed.
    pub sim: Option<SimPrinterHandle>,
}

/// A simulated station: SimPrinter ← real Evolis driver (in-process link); SimStation chips ←
/// real PIV driver.
pub fn sim_station(name: &str, faults: Vec<ScriptedFault>, mute: Vec<u32>) -> RigStation {
    let seed = name
        .bytes()
        .fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        << 20;
    sim_station_seeded(
        name,
        faults,
        mute,
        seed,
        SimPrinterConfig::default().keep_printed,
    )
}

/// Like [`sim_station`], with the chips' serials derived from `seed` (a process that restarts
/// its simulated line must use a new seed: real blanks never repeat a serial), keeping the last
/// `keep_printed` printed cards and chips in memory (0 for long runs: then only the chip in the
/// station).
pub fn sim_station_seeded(
    name: &str,
    faults: Vec<ScriptedFault>,
    mute: Vec<u32>,
    seed: u64,
    keep_printed: usize,
) -> RigStation {
    let handle = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig {
        serial: format!("SIM-{name}"),
        feeder_cards: 1_000_000,
        ribbon: Some(RibbonLoad::fresh("ymcko", 1_000_000)),
        faults: PrinterFaultPlan::scripted(faults),
        keep_printed,
        ..SimPrinterConfig::default()
    }));
    let reader = SimStation::new(handle.clone(), move |n: u32| {
        let mut card = SimCard::new(SimCardConfig::from_seed(seed + u64::from(n)));
        if mute.contains(&n) {
            card.faults_mut().mute = true;
        }
        card
    })
    .keeping_chips(keep_printed);
    let printer = EvolisPrinter::connect(handle.link(), fast_driver())
        .expect("driver connects to the simulated printer");
    RigStation {
        station: Station::new(
            name.to_string(),
            Box::new(printer),
            Box::new(reader),
            Some(Box::new(PivEncoder::new())),
        ),
        sim: Some(handle),
    }
}

/// Driver settings for instant simulated printers: poll often.
fn fast_driver() -> EvolisConfig {
    EvolisConfig {
        poll_interval: std::time::Duration::from_millis(2),
        ..EvolisConfig::default()
    }
}

fn real_station(spec: &StationSpec) -> RigStation {
    if let PrinterUri::Sim { .. } = spec.printer {
        let s = sim_station(&spec.name, Vec::new(), Vec::new());
        return s;
    }
    let link: Box<dyn PrinterLink> =
        cardline_link::open_link(spec.printer_uri.trim_start_matches("evolis+"))
            .unwrap_or_else(|e| panic!("rig station {}: {e}", spec.name));
    let printer = EvolisPrinter::connect(link, EvolisConfig::default())
        .unwrap_or_else(|e| panic!("rig station {}: {e}", spec.name));
    let reader: Box<dyn CardReader> = match &spec.reader {
        ReaderSpec::Pcsc(pattern) => Box::new(
            cardline_pcsc::PcscReaders::establish()
                .and_then(|r| r.find(pattern))
                .unwrap_or_else(|e| panic!("rig station {}: {e}", spec.name)),
        ),
        ReaderSpec::Sim => panic!(
            "rig station {}: reader = \"sim\" needs a sim:// printer",
            spec.name
        ),
    };
    RigStation {
        station: Station::new(
            spec.name.clone(),
            Box::new(printer),
            reader,
            spec.encode
                .then(|| Box::new(PivEncoder::new()) as Box<dyn cardline_device::CardEncoder>),
        ),
        sim: None,
    }
}
