//! The simulated devices a [`SimParams`] describes: the printer, its contact reader and the
//! chips of the cards fed.

use std::path::PathBuf;
use std::time::Duration;

use cardline_sim::card::{SimCard, SimCardConfig};
use cardline_sim::clock::{PhaseDurations, TimeModel};
use cardline_sim::endpoint::SimulatedPrinter;
use cardline_sim::faults::PrinterFaultPlan;
use cardline_sim::magicard::{MagicardFaultPlan, RATED_CPH, SimMagicardConfig};
use cardline_sim::printer::{PtyEndpoint, RibbonLoad, SimPrinterConfig};
use cardline_sim::station::SimStation;

use super::{ChipSerials, SimParams, SimPrinterDevice};

/// A simulated station's device side, kept alive while the station is used (its
/// pseudo-terminal serves the printer only as long as it lives).
pub struct SimDevice {
    /// The station's name.
    pub name: String,
    /// The simulated printer: open its cover, load its feeder, look at what it printed.
    pub printer: SimPrinterDevice,
    /// The pseudo-terminal serving the printer, with `link=pty`.
    pub pty: Option<PtyEndpoint>,
    /// Where its PNGs go.
    pub png_dir: Option<PathBuf>,
}

impl std::fmt::Debug for SimDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDevice")
            .field("name", &self.name)
            .field("pty", &self.pty.as_ref().map(|p| p.path().to_path_buf()))
            .field("png_dir", &self.png_dir)
            .finish()
    }
}

impl SimParams {
    /// The simulated Magicard's configuration (`family=magicard`); PNGs go to `png_dir`.
    pub fn magicard_config(&self, png_dir: Option<PathBuf>) -> SimMagicardConfig {
        let mut config = SimMagicardConfig {
            serial: format!("SIM-{}", self.name),
            hopper_cards: self.feeder,
            ribbon: Some(RibbonLoad::fresh("ymcko", self.ribbon)),
            reject_box_capacity: 100,
            time: TimeModel {
                scale: self.time_scale,
                phases: PhaseDurations::from_rated(RATED_CPH.0, RATED_CPH.1),
            },
            png_dir,
            faults: MagicardFaultPlan::scripted(self.magicard_faults.clone()),
            ..SimMagicardConfig::default()
        };
        if let Some(keep) = self.keep {
            config.keep_printed = keep;
        }
        config
    }

    /// The simulated printer's configuration; PNGs go to `png_dir`.
    pub fn printer_config(&self, png_dir: Option<PathBuf>) -> SimPrinterConfig {
        let mut config = SimPrinterConfig {
            serial: format!("SIM-{}", self.name),
            feeder_cards: self.feeder,
            ribbon: Some(RibbonLoad::fresh("ymcko", self.ribbon)),
            time: TimeModel::scaled(self.time_scale),
            png_dir,
            faults: PrinterFaultPlan::scripted(self.faults.clone()),
            ..SimPrinterConfig::default()
        };
        if let Some(keep) = self.keep {
            config.keep_printed = keep;
        }
        config
    }

    /// A fresh chip for card number `card` (1 = first card fed): seeded `seed + card` with
    /// `seed=`, otherwise with the next serial of this process ([`ChipSerials`]); mute when
    /// listed in `mute_chips`, generating keys in `keygen_ms`.
    pub fn chip(&self, card: u32) -> SimCard {
        chip(self.seed, &self.mute_chips, self.keygen(), card)
    }

    fn keygen(&self) -> Option<Duration> {
        self.keygen_ms
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
    }

    /// The contact reader of the station around `printer` (of either family): a fresh
    /// [`chip`](Self::chip) per card fed, keeping `keep` chips when given.
    pub fn contact_reader<P: SimulatedPrinter>(&self, printer: P) -> SimStation<P> {
        let (seed, mute, keygen) = (self.seed, self.mute_chips.clone(), self.keygen());
        let reader = SimStation::new(printer, move |n: u32| chip(seed, &mute, keygen, n));
        match self.keep {
            Some(n) => reader.keeping_chips(n),
            None => reader,
        }
    }
}

fn chip(seed: Option<u64>, mute: &[u32], keygen: Option<Duration>, card: u32) -> SimCard {
    let config = match seed {
        Some(seed) => SimCardConfig::from_seed(seed.wrapping_add(u64::from(card))),
        None => SimCardConfig {
            serial: ChipSerials::of_this_process().next_serial(),
            ..SimCardConfig::default()
        },
    };
    let mut chip = SimCard::new(config);
    chip.faults_mut().mute = mute.contains(&card);
    chip.faults_mut().slow_key_generation = keygen;
    chip
}
