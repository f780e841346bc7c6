//! `sim://NAME?key=value&…`: a simulated station (a simulated printer driven by the real driver
//! of its family — Evolis by default, Magicard with `family=magicard` — with its own contact
//! reader whose chips the real PIV driver encodes), parsed strictly into [`SimParams`].
//!
//! | key | value | default |
//! |---|---|---|
//! | `family` | `evolis` (SimPrinter, real Evolis driver) or `magicard` (SimMagicard, real Magicard driver) | `evolis` |
//! | `faults` | scripted printer faults, comma separated (at most 100). Both families: `jam@N:PHASE`, `cover-opens@N[:POLLS]`, `ribbon-ends-after=N`, `feeder-empty-after=N`, `reject-box-full[-after=N]`, `head-temp@N`, `no-ribbon`, `mute@N`; Evolis only: `silent@CARD:N`, `rrt-spurious-ok=N`; Magicard only: `flipper-jam@N`, `mag-verify@N`, `contacts-fail@N`, `cleaning-overdue`, `error@N:CODE` | none |
//! | `mute_chips` | card numbers (1 = first card fed) whose chip is mute, comma separated (at most 1000) | none |
//! | `time_scale` | device delays relative to a real printer, 0–10 (0 = instant, 0.01 = a hundred times faster) | 0 |
//! | `feeder` | blank cards in the feeder, 0–10000000 | 100000 |
//! | `ribbon` | prints left on the YMCKO ribbon (dye film), 0–10000000 | 100000 |
//! | `seed` | chip serials: card N gets a chip seeded `seed + N` (any u64), the same at every opening | unique: a per-process sequence from a random start ([`ChipSerials`]) |
//! | `png_dir` | where PNGs of printed sides go | `<home>/printed/<station>` for `order produce` |
//! | `link` | `inproc` (in-process link) or `pty` (a pseudo-terminal, through the serial link) | `inproc` |
//! | `keep` | printed cards and chips kept in memory for inspection, 0–256 | 16 cards, 64 chips |
//! | `keygen_ms` | simulated on-card key generation time in ms, 0–60000 | 0 |
//! | `poll_ms` | the driver's poll interval while waiting for the card, 1–10000 ms | the driver's (100) |
//! | `reply_timeout_ms` | caps the driver's reply timeouts, 50–600000 ms (a silent printer times out that fast; with `link=inproc` a missing reply is seen at once anyway) | the driver's (5 s queries, 30 s downloads, 120 s mechanics) |
//!
//! Unknown or repeated keys, and values out of range, are refused with a message naming the
//! key, the value and what is allowed.
//!
//! ```
//! use cardline_app::sim::{SimLink, SimParams};
//! let p = SimParams::parse("sim://desk-1?faults=jam@3:printing&time_scale=0.01&link=pty").unwrap();
//! assert_eq!((p.name.as_str(), p.link, p.faults.len()), ("desk-1", SimLink::Pty, 1));
//! assert_eq!(SimParams::parse(&p.to_uri()).unwrap(), p);
//! let e = SimParams::parse("sim://a?png-dir=/tmp").unwrap_err().to_string();
//! assert!(e.contains("unknown sim:// parameter `png-dir`") && e.contains("png_dir"), "{e}");
//! ```

mod device;
mod parse;
mod printer_device;
mod serials;

use std::path::PathBuf;

use cardline_sim::faults::ScriptedFault;
use cardline_sim::magicard::MagicardFault;

pub use device::SimDevice;
pub use parse::SimUriError;
pub use printer_device::SimPrinterDevice;
pub use serials::ChipSerials;

/// The `sim://` parameter keys, in the order [`SimParams::to_uri`] writes them.
pub const KNOWN_KEYS: &[&str] = &[
    "family",
    "faults",
    "mute_chips",
    "time_scale",
    "feeder",
    "ribbon",
    "seed",
    "png_dir",
    "pngs",
    "link",
    "keep",
    "keygen_ms",
    "poll_ms",
    "reply_timeout_ms",
];

/// Which printer family a simulated station simulates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SimFamily {
    /// A SimPrinter behind the real Evolis driver (`family=evolis`, the default).
    #[default]
    Evolis,
    /// A SimMagicard behind the real Magicard driver (`family=magicard`).
    Magicard,
}

impl SimFamily {
    /// The value of the `family` key.
    pub fn as_str(self) -> &'static str {
        match self {
            SimFamily::Evolis => "evolis",
            SimFamily::Magicard => "magicard",
        }
    }
}

/// How the driver reaches a simulated printer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SimLink {
    /// An in-process link (`link=inproc`, the default).
    #[default]
    InProcess,
    /// A pseudo-terminal opened as a serial port (`link=pty`).
    Pty,
}

/// A parsed `sim://NAME?…` URI.
#[derive(Clone, Debug, PartialEq)]
pub struct SimParams {
    /// The simulated station's name (printer serial `SIM-<name>`).
    pub name: String,
    /// The printer family simulated.
    pub family: SimFamily,
    /// Scripted printer faults of an Evolis station.
    pub faults: Vec<ScriptedFault>,
    /// Scripted printer faults of a Magicard station (`faults=` with `family=magicard`).
    pub magicard_faults: Vec<MagicardFault>,
    /// Card numbers (1 = first card fed) whose chip is mute.
    pub mute_chips: Vec<u32>,
    /// Device delays relative to a real printer (0 = instant).
    pub time_scale: f64,
    /// Blank cards in the feeder.
    pub feeder: u32,
    /// Prints left on the ribbon.
    pub ribbon: u32,
    /// Chip seed (`None`: serials from [`ChipSerials::of_this_process`], unique).
    pub seed: Option<u64>,
    /// Where PNGs of printed sides go (`None`: the caller's default).
    pub png_dir: Option<PathBuf>,
    /// Whether PNGs of printed sides are written at all (`pngs=off`: none, whatever the
    /// caller's default; for benchmarks, where drawing and compressing each printed card is
    /// work a real printer never puts on the host).
    pub pngs: bool,
    /// How the driver reaches the printer.
    pub link: SimLink,
    /// Printed cards and chips kept in memory (`None`: the simulator's defaults).
    pub keep: Option<usize>,
    /// Simulated on-card key generation time in ms (`None`: instant).
    pub keygen_ms: Option<u64>,
    /// The driver's poll interval in ms (`None`: the caller's or the driver's default).
    pub poll_ms: Option<u64>,
    /// Caps the driver's reply timeouts, in ms (`None`: the caller's cap or the driver's
    /// timeouts).
    pub reply_timeout_ms: Option<u64>,
}

/// Blank cards and ribbon prints of a simulated station unless its URI says otherwise.
pub const DEFAULT_SUPPLY: u32 = 100_000;

impl SimParams {
    /// A simulated station named `name` with every default.
    pub fn new(name: impl Into<String>) -> SimParams {
        SimParams {
            name: name.into(),
            family: SimFamily::Evolis,
            faults: Vec::new(),
            magicard_faults: Vec::new(),
            mute_chips: Vec::new(),
            time_scale: 0.0,
            feeder: DEFAULT_SUPPLY,
            ribbon: DEFAULT_SUPPLY,
            seed: None,
            png_dir: None,
            pngs: true,
            link: SimLink::InProcess,
            keep: None,
            keygen_ms: None,
            poll_ms: None,
            reply_timeout_ms: None,
        }
    }

    /// Parses `sim://NAME?key=value&…` strictly (see the module docs).
    pub fn parse(uri: &str) -> Result<SimParams, SimUriError> {
        parse::parse(uri)
    }

    /// Checks a time scale as the `time_scale` key does (finite, 0–10).
    pub fn check_time_scale(scale: f64) -> Result<f64, SimUriError> {
        parse::time_scale(&scale.to_string())
    }

    /// The URI that parses back into these parameters (default values left out).
    pub fn to_uri(&self) -> String {
        let mut query: Vec<(&str, String)> = Vec::new();
        let list = |items: Vec<String>| items.join(",");
        if self.family != SimFamily::Evolis {
            query.push(("family", self.family.as_str().into()));
        }
        let faults: Vec<String> = match self.family {
            SimFamily::Evolis => self.faults.iter().map(|f| f.to_string()).collect(),
            SimFamily::Magicard => self.magicard_faults.iter().map(|f| f.to_string()).collect(),
        };
        if !faults.is_empty() {
            query.push(("faults", list(faults)));
        }
        if !self.mute_chips.is_empty() {
            let cards = self.mute_chips.iter().map(|c| c.to_string()).collect();
            query.push(("mute_chips", list(cards)));
        }
        if self.time_scale != 0.0 {
            query.push(("time_scale", self.time_scale.to_string()));
        }
        if self.feeder != DEFAULT_SUPPLY {
            query.push(("feeder", self.feeder.to_string()));
        }
        if self.ribbon != DEFAULT_SUPPLY {
            query.push(("ribbon", self.ribbon.to_string()));
        }
        if let Some(seed) = self.seed {
            query.push(("seed", seed.to_string()));
        }
        if let Some(dir) = &self.png_dir {
            query.push(("png_dir", dir.display().to_string()));
        }
        if !self.pngs {
            query.push(("pngs", "off".into()));
        }
        if self.link == SimLink::Pty {
            query.push(("link", "pty".into()));
        }
        let numbers = [
            ("keep", self.keep.map(|n| n as u64)),
            ("keygen_ms", self.keygen_ms),
            ("poll_ms", self.poll_ms),
            ("reply_timeout_ms", self.reply_timeout_ms),
        ];
        for (key, value) in numbers {
            if let Some(v) = value {
                query.push((key, v.to_string()));
            }
        }
        let mut uri = format!("sim://{}", self.name);
        for (i, (k, v)) in query.iter().enumerate() {
            uri.push(if i == 0 { '?' } else { '&' });
            uri.push_str(&format!("{k}={v}"));
        }
        uri
    }
}

#[cfg(test)]
mod tests;
