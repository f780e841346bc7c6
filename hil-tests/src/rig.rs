//! The rig: which stations the scenarios run on, simulated unless `CARDLINE_RIG` names a file.
//!
//! Every station, simulated or real, is opened by `cardline-app` exactly as `cardline order
//! produce` opens it: simulated stations are `sim://` declarations carrying their faults, mute
//! chips, seed and retention (`SimParams`), real ones the rig file's declarations — so the
//! printer registry, `compress_color`, the `sim://` parameters and the reconnecting printer are
//! the production ones.

use std::path::PathBuf;

use cardline_app::registry::OWN_READER;
use cardline_app::sim::{SimFamily, SimPrinterDevice};
use cardline_app::{LineOptions, SimDevice, SimParams, error_chain, load_stations, open_station};
use cardline_issuance::production::Station;
use cardline_issuance::stations::StationSpec;
use cardline_sim::faults::ScriptedFault;
use cardline_sim::magicard::MagicardFault;

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
        let destructive = std::env::var("CARDLINE_RIG_DESTRUCTIVE").as_deref() == Ok("1");
        Rig::from_file(path, destructive)
    }

    /// The rig a stations file describes, checked by the registries of `cardline-app` as a
    /// home's stations file is. Panics with the file's error when it is invalid or empty.
    pub fn from_file(path: PathBuf, destructive: bool) -> Rig {
        let file = load_stations(&path).unwrap_or_else(|e| panic!("rig file: {e}"));
        assert!(
            !file.stations.is_empty(),
            "rig file {} declares no station",
            path.display()
        );
        Rig::Hardware {
            path,
            stations: file.stations,
            destructive,
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
    /// (card numbers counted per station from 1) — a mixed line, Evolis and Magicard in turn
    /// ([`simulated_family`]) — or the rig's first `n` real stations.
    pub fn stations(
        &self,
        n: usize,
        faults: &[(usize, &str)],
        mute: &[(usize, u32)],
    ) -> Vec<RigStation> {
        self.stations_of(simulated_family, n, faults, mute)
    }

    /// Like [`stations`](Self::stations), the simulated stations of the families `family`
    /// gives for each station index (a hardware rig has the families its file declares).
    pub fn stations_of(
        &self,
        family: impl Fn(usize) -> SimFamily,
        n: usize,
        faults: &[(usize, &str)],
        mute: &[(usize, u32)],
    ) -> Vec<RigStation> {
        match self {
            Rig::Simulated => (0..n)
                .map(|i| {
                    let f: Vec<&str> = faults
                        .iter()
                        .filter(|(s, _)| *s == i)
                        .map(|(_, f)| *f)
                        .collect();
                    let m: Vec<u32> = mute
                        .iter()
                        .filter(|(s, _)| *s == i)
                        .map(|(_, c)| *c)
                        .collect();
                    let params = scenario_params_of(family(i), &format!("sim-{}", i + 1), &f, m);
                    open_simulated(&params)
                })
                .collect(),
            Rig::Hardware { stations, .. } => stations.iter().take(n).map(open_declared).collect(),
        }
    }
}

/// The family of simulated station `index` of a rig: `CARDLINE_SIM_FAMILY=evolis` or
/// `magicard` makes every simulated station that family; otherwise (`mixed`, the default) the
/// stations alternate, Evolis first, so every multi-station scenario runs on a mixed line and
/// one-station scenarios on Evolis (the Magicard ones name their family).
pub fn simulated_family(index: usize) -> SimFamily {
    match std::env::var("CARDLINE_SIM_FAMILY").as_deref() {
        Ok("evolis") => SimFamily::Evolis,
        Ok("magicard") => SimFamily::Magicard,
        _ if index % 2 == 1 => SimFamily::Magicard,
        _ => SimFamily::Evolis,
    }
}

/// A station of the rig, with its simulated printer when simulated.
pub struct RigStation {
    /// The station.
    pub station: Station,
    /// The simulated printer (Evolis or Magicard), to open its cover or look at what it
    /// printed.
    pub sim: Option<SimPrinterDevice>,
    /// The simulated device (kept alive with the station: a `link=pty` endpoint lives here).
    pub device: Option<SimDevice>,
}

/// Opens a declared station as `order produce` does; panics with the reason when it cannot.
pub fn open_declared(spec: &StationSpec) -> RigStation {
    let opened = open_station(spec, &LineOptions::default())
        .unwrap_or_else(|e| panic!("rig station {}: {}", spec.name, error_chain(&e)));
    RigStation {
        station: opened.station,
        sim: opened.device.as_ref().map(|d| d.printer.clone()),
        device: opened.device,
    }
}

/// A simulated station declared as `sim://<params>` with `reader = "sim"`.
pub fn open_simulated(params: &SimParams) -> RigStation {
    open_declared(&StationSpec::new(
        params.name.clone(),
        params.to_uri(),
        Some(OWN_READER),
    ))
}

/// The `sim://` parameters of the scenarios' stations: a large feeder and ribbon, the
/// driver polling every 2 ms (the devices are instant).
pub fn scenario_params(name: &str, faults: Vec<ScriptedFault>, mute: Vec<u32>) -> SimParams {
    SimParams {
        faults,
        mute_chips: mute,
        feeder: 1_000_000,
        ribbon: 1_000_000,
        poll_ms: Some(2),
        ..SimParams::new(name)
    }
}

/// The `sim://` parameters of a scenario station of `family`, its faults in their text form
/// (`jam@2:printing`: both families read the common forms).
pub fn scenario_params_of(
    family: SimFamily,
    name: &str,
    faults: &[&str],
    mute: Vec<u32>,
) -> SimParams {
    match family {
        SimFamily::Evolis => {
            let f = faults.iter().map(|f| f.parse().expect("valid fault"));
            scenario_params(name, f.collect(), mute)
        }
        SimFamily::Magicard => {
            let f = faults.iter().map(|f| {
                f.parse::<MagicardFault>()
                    .unwrap_or_else(|e| panic!("{f}: {e}"))
            });
            SimParams {
                family,
                magicard_faults: f.collect(),
                ..scenario_params(name, Vec::new(), mute)
            }
        }
    }
}

/// A simulated station: SimPrinter ← real Evolis driver (in-process link); its own contact
/// reader's chips ← real PIV driver.
pub fn sim_station(name: &str, faults: Vec<ScriptedFault>, mute: Vec<u32>) -> RigStation {
    open_simulated(&scenario_params(name, faults, mute))
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
    open_simulated(&SimParams {
        seed: Some(seed),
        keep: Some(keep_printed),
        ..scenario_params(name, faults, mute)
    })
}
