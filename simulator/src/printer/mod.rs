//! `SimPrinter`: an Evolis card printer seen from the device side.
//!
//! It parses the escape-command language itself ([`frame`], [`panels`]; written independently of
//! the `cardline-evolis` driver so a codec bug cannot hide on both sides), answers with the
//! printer's reply vocabulary ([`replies`]), and models the mechanics: feeder, ribbon, card
//! position (feeder → contact station → print position → eject or reject box), cover, reject
//! box, counters, a time model ([`crate::clock`]) and scripted or random faults
//! ([`crate::faults`]). Each printed side is rebuilt from the panels received ([`output`]).
//!
//! Endpoints ([`crate::endpoint`], shared with the Magicard): [`SimPrinterLink`] (in-process
//! `PrinterLink`), [`PtyEndpoint`] (a pseudo-terminal the driver opens as a serial port),
//! [`TcpEndpoint`] (a TCP listener). All share a
//! [`SimPrinterHandle`], which also carries the runtime controls (open the cover, inject a
//! fault, load cards …).
//!
//! ```
//! use cardline_sim::printer::{SimPrinter, SimPrinterConfig};
//! let mut p = SimPrinter::new(SimPrinterConfig::default());
//! assert_eq!(p.feed(b"\x1bRse;o\r\x00\x00Rlr;p\r"), b"5,00 Volts\rOK\r");
//! ```

mod commands;
pub mod frame;
mod handle;
mod mechanics;
pub mod output;
pub mod panels;
mod png_out;
pub mod replies;
mod silence;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use crate::endpoint::{EndpointError, PtyEndpoint, TcpEndpoint};
pub use handle::SimPrinterHandle;
pub use mechanics::{Counters, RibbonLoad, SimCardPosition};
pub use output::{PrintedCard, PrintedSide, WrittenPngs};

/// The in-process [`PrinterLink`](cardline_device::PrinterLink) to a simulated Evolis printer.
pub type SimPrinterLink = crate::endpoint::SimLink<SimPrinterHandle>;

use crate::clock::{Clock, SystemClock, TimeModel};
use crate::faults::{FaultRng, PrinterFaultPlan, ScriptedFault};
use frame::{FrameEvent, FrameParser};
use mechanics::{CardInPrinter, Sequence};

/// Identity, supplies and behaviour of a simulated printer.
#[derive(Clone, Debug)]
pub struct SimPrinterConfig {
    /// `Rtp` reply (model name).
    pub model: String,
    /// `Rsn` reply (serial number).
    pub serial: String,
    /// `Rfv` reply (firmware version).
    pub firmware: String,
    /// `Rkn` reply (head kit number).
    pub head_kit: String,
    /// Prints both sides (`Sv` accepted).
    pub duplex: bool,
    /// Blank cards in the feeder at power-on.
    pub feeder_cards: u32,
    /// At or below this many cards the feeder near-empty sensor (`Rse;n`) reads high.
    pub feeder_low_level: u32,
    /// The ribbon installed, `None` for no ribbon.
    pub ribbon: Option<RibbonLoad>,
    /// Cards the reject box holds.
    pub reject_box_capacity: u32,
    /// Phase durations and time scale.
    pub time: TimeModel,
    /// Where to write a PNG of each printed side (`None`: keep in memory only).
    pub png_dir: Option<PathBuf>,
    /// Show overlay dots as a faint blue tint in the PNGs (otherwise the overlay is invisible).
    pub tint_overlay: bool,
    /// Faults to inject.
    pub faults: PrinterFaultPlan,
    /// How many of the last printed cards stay in memory for inspection (each ≈ 2.6 MB of
    /// decoded panels); 0 keeps none, for long benchmark runs.
    pub keep_printed: usize,
}

impl Default for SimPrinterConfig {
    fn default() -> Self {
        Self {
            model: "Primacy 2 Duplex".into(),
            serial: "P2D0000001".into(),
            firmware: "1.2.3".into(),
            head_kit: "125000001".into(),
            duplex: true,
            feeder_cards: 100,
            feeder_low_level: 10,
            ribbon: Some(RibbonLoad::ymcko()),
            reject_box_capacity: 30,
            time: TimeModel::instant(),
            png_dir: None,
            tint_overlay: false,
            faults: PrinterFaultPlan::none(),
            keep_printed: 16,
        }
    }
}

/// A snapshot of the simulated printer, for tests, the CLI and the station.
#[derive(Clone, Debug, PartialEq)]
pub struct SimPrinterState {
    /// The card inside, with its number (1 = first card fed) and where it is.
    pub card: Option<(u32, SimCardPosition)>,
    /// Blank cards left in the feeder.
    pub feeder: u32,
    /// The ribbon installed.
    pub ribbon: Option<RibbonLoad>,
    /// True while the cover is open.
    pub cover_open: bool,
    /// Cards in the reject box.
    pub reject_box: u32,
    /// Capacity of the reject box.
    pub reject_box_capacity: u32,
    /// Life counters.
    pub counters: Counters,
    /// Simulated time the mechanics spent (at real speed, whatever the time scale).
    pub simulated_time: Duration,
    /// Commands received since power-on.
    pub commands: u64,
    /// Error-management mode (`Pem`).
    pub error_mode: u32,
    /// True while the printer does not answer ([`SimPrinter::set_silent`], `silent@CARD:N`).
    pub silent: bool,
}

/// The simulated printer. Feed it bytes with [`feed`](Self::feed); it returns its replies.
pub struct SimPrinter {
    config: SimPrinterConfig,
    clock: Arc<dyn Clock>,
    parser: FrameParser,
    feeder: u32,
    ribbon: Option<RibbonLoad>,
    ribbon_setting: Option<String>,
    card: Option<CardInPrinter>,
    cover_open: bool,
    cover_closes_after: Option<u32>,
    reject_box: u32,
    busy_until: Duration,
    counters: Counters,
    simulated_time: Duration,
    sequence: Option<Sequence>,
    auto_eject: bool,
    error_mode: (u32, u32),
    settings: BTreeMap<String, Vec<String>>,
    mag_tracks: [Option<String>; 3],
    scripted: Vec<ScriptedFault>,
    rng: FaultRng,
    commands: u64,
    printed: Vec<PrintedCard>,
    png_errors: Vec<String>,
    last_pngs: Option<WrittenPngs>,
    silent_on_demand: bool,
    silent_left: u32,
}

impl std::fmt::Debug for SimPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimPrinter")
            .field("model", &self.config.model)
            .field("state", &self.state())
            .finish()
    }
}

impl SimPrinter {
    /// A printer on the system clock.
    pub fn new(config: SimPrinterConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock::new()))
    }

    /// A printer on the given clock (e.g. a [`ManualClock`](crate::clock::ManualClock)).
    pub fn with_clock(config: SimPrinterConfig, clock: Arc<dyn Clock>) -> Self {
        let mut p = Self {
            feeder: config.feeder_cards,
            ribbon: config.ribbon.clone(),
            ribbon_setting: None,
            card: None,
            cover_open: false,
            cover_closes_after: None,
            reject_box: 0,
            busy_until: Duration::ZERO,
            counters: Counters::default(),
            simulated_time: Duration::ZERO,
            sequence: None,
            auto_eject: true,
            error_mode: (0, 0),
            settings: BTreeMap::new(),
            mag_tracks: [None, None, None],
            scripted: Vec::new(),
            rng: FaultRng::new(config.faults.seed),
            commands: 0,
            printed: Vec::new(),
            png_errors: Vec::new(),
            last_pngs: None,
            silent_on_demand: false,
            silent_left: 0,
            parser: FrameParser::new(),
            clock,
            config,
        };
        for f in p.config.faults.scripted.clone() {
            p.inject(f);
        }
        p
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &SimPrinterConfig {
        &self.config
    }

    /// Feeds bytes received from the host; returns the replies (each terminated by CR).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut events = Vec::new();
        // Psc changes the framing inside the parser, so parse everything first, in order
        self.parser.push(bytes, &mut |e| events.push(e));
        let mut out = Vec::new();
        for e in events {
            let reply = match e {
                FrameEvent::Command(frame) => {
                    tracing::trace!(">> {}", frame.display());
                    self.handle(&frame)
                }
                FrameEvent::Malformed(problem) => {
                    tracing::debug!("malformed input: {problem}");
                    self.commands += 1;
                    (!self.swallowed(None)).then(|| {
                        if problem.is_parameter_error() {
                            replies::ERROR_PARAMETERS
                        } else {
                            replies::ERROR_CDE
                        }
                        .to_string()
                    })
                }
            };
            if let Some(r) = reply {
                tracing::trace!("<< {r}");
                out.extend_from_slice(r.as_bytes());
                out.push(frame::CR);
            }
        }
        out
    }

    /// Drops a partial command (the link was reset or the client went away).
    pub fn reset_link(&mut self) {
        let framing = self.parser.framing();
        self.parser.reset();
        if framing != frame::Framing::default() {
            tracing::debug!("framing restored after link reset");
        }
    }

    /// The state snapshot.
    pub fn state(&self) -> SimPrinterState {
        SimPrinterState {
            card: self.card.as_ref().map(|c| (c.number, self.position_of(c))),
            feeder: self.feeder,
            ribbon: self.ribbon.clone(),
            cover_open: self.cover_open,
            reject_box: self.reject_box,
            reject_box_capacity: self.config.reject_box_capacity,
            counters: self.counters.clone(),
            simulated_time: self.simulated_time,
            commands: self.commands,
            error_mode: self.error_mode.0,
            silent: self.is_silent(),
        }
    }

    /// The number of the card parked (motion finished) at the contact station, if any.
    pub fn card_at_contact_station(&self) -> Option<u32> {
        self.card
            .as_ref()
            .filter(|c| self.position_of(c) == SimCardPosition::ContactStation)
            .map(|c| c.number)
    }

    /// Cards printed so far (the last few), oldest first.
    pub fn printed(&self) -> &[PrintedCard] {
        &self.printed
    }

    /// The last card printed.
    pub fn last_printed(&self) -> Option<&PrintedCard> {
        self.printed.last()
    }

    /// PNG files that could not be written (path and reason).
    pub fn png_errors(&self) -> &[String] {
        &self.png_errors
    }

    /// Adds a fault at runtime (scripted; applies from now on).
    pub fn inject(&mut self, fault: ScriptedFault) {
        match fault {
            ScriptedFault::RibbonEndsAfter { prints } => {
                if let Some(r) = &mut self.ribbon {
                    r.remaining = prints;
                }
            }
            ScriptedFault::NoRibbon => self.ribbon = None,
            ScriptedFault::FeederEmptyAfter { cards } => self.feeder = cards,
            ScriptedFault::RejectBoxFullAfter { rejects } => {
                self.reject_box = self.config.reject_box_capacity.saturating_sub(rejects)
            }
            other => self.scripted.push(other),
        }
    }

    /// Opens the cover (an operator lifts it).
    pub fn open_cover(&mut self) {
        self.cover_open = true;
        self.cover_closes_after = None;
        self.abort_sequence_on_open();
    }

    /// Closes the cover.
    pub fn close_cover(&mut self) {
        self.cover_open = false;
        self.cover_closes_after = None;
    }

    /// Puts `cards` blank cards into the feeder (added to what is there).
    pub fn load_feeder(&mut self, cards: u32) {
        self.feeder = self.feeder.saturating_add(cards);
    }

    /// Empties the reject box.
    pub fn empty_reject_box(&mut self) {
        self.reject_box = 0;
    }

    /// Installs a fresh ribbon.
    pub fn replace_ribbon(&mut self, ribbon: RibbonLoad) {
        self.ribbon = Some(ribbon);
    }

    /// An operator pulls a jammed (or any) card out of the printer by hand.
    pub fn remove_card_by_hand(&mut self) -> Option<u32> {
        self.sequence = None;
        self.card.take().map(|c| c.number)
    }

    /// The clock the printer runs on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}
