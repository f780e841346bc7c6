//! `SimMagicard`: a Magicard card printer (Rio / Tango / Enduro class) seen from the device side.
//!
//! Written from docs/magicard-protocol.md (the contract with the `cardline-magicard` driver),
//! `../shared/specs/card-printers.md` §2.1 and the Gutenprint streams in
//! `../shared/fixtures/magicard-gutenprint/`, with its own parser ([`stream`], [`header`],
//! [`planes`]) and no code shared with the driver, so two independent readings of the contract
//! meet in tests. It answers the command set of §4, models the mechanics
//! (hopper → standby → contacts / print position → output or reject box, cover, reject box,
//! dye film counting prints and panels) with the time model of [`crate::clock`], injects the
//! faults of [`MagicardFaultPlan`] as the error codes of §5, and rebuilds every printed side in
//! landscape as a PNG ([`output`]).
//!
//! Endpoints are the shared ones of [`crate::endpoint`]: [`SimMagicardLink`] in-process,
//! [`PtyEndpoint`] and [`TcpEndpoint`] (URIs `magicard+serial://…`, `magicard+tcp://…`).
//! [`SimStation`](crate::station::SimStation) couples it with a contact reader.
//!
//! ```
//! use cardline_sim::magicard::{SimMagicard, SimMagicardConfig};
//! let mut p = SimMagicard::new(SimMagicardConfig::default());
//! let reply = p.feed(b"\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01REQ,STA,POS,\x1c\x03");
//! assert_eq!(reply, b"\x01STA,POS,NONE,\x03");
//! assert_eq!(p.feed(b"\x05\x01REQ,CHPDOWN,\x1c\x03"), b"\x01OK,\x03");
//! assert_eq!(p.card_at_contact_station(), Some(1));
//! ```

mod commands;
mod faults;
mod handle;
pub mod header;
mod mechanics;
pub mod output;
pub mod planes;
mod png_names;
mod printing;
pub mod replies;
pub mod stream;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use crate::endpoint::{EndpointError, PtyEndpoint, TcpEndpoint};
pub use faults::{MagicardFault, MagicardFaultPlan, MagicardFaultRates, MagicardFaultSyntaxError};
pub use handle::SimMagicardHandle;
pub use mechanics::MagicardPosition;
pub use output::{MagicardPrintedCard, MagicardSide};
pub use png_names::MagicardPngs;

use crate::clock::{Clock, PhaseDurations, SystemClock, TimeModel};
use crate::faults::FaultRng;
use crate::printer::{Counters, RibbonLoad};
use mechanics::CardInside;
use replies::ErrorCode;
use stream::{StreamEvent, StreamParser};

/// The in-process [`PrinterLink`](cardline_device::PrinterLink) to a simulated Magicard.
pub type SimMagicardLink = crate::endpoint::SimLink<SimMagicardHandle>;

/// Identity, supplies and behaviour of a simulated Magicard.
#[derive(Clone, Debug)]
pub struct SimMagicardConfig {
    /// `STA,MDL` reply.
    pub model: String,
    /// `STA,MSR` reply (printer serial number).
    pub serial: String,
    /// `STA,VRS` reply (firmware version).
    pub firmware: String,
    /// Blank cards in the hopper at power-on.
    pub hopper_cards: u32,
    /// The dye film loaded (`kind` as `STA,RIB` names it, lower case here), `None` for none.
    pub ribbon: Option<RibbonLoad>,
    /// Cards the reject box holds.
    pub reject_box_capacity: u32,
    /// Eject every card once printed, as a stock printer does; `false` (cardline's flow, the
    /// default) leaves it inside at `PRINT` until `EJT` or `RJT`. The front of a duplex card
    /// (`DPXON,PAG1`) always stays in for its back.
    pub eject_after_print: bool,
    /// Phase durations and time scale.
    pub time: TimeModel,
    /// Where to write a PNG of each printed side (`None`: keep in memory only).
    pub png_dir: Option<PathBuf>,
    /// Faults to inject.
    pub faults: MagicardFaultPlan,
    /// How many of the last printed cards stay in memory (each up to ≈ 2.7 MB per side of
    /// decoded planes); 0 keeps none.
    pub keep_printed: usize,
}

/// Rated throughput of the simulated Magicard, in cards per hour (mono K, colour YMCKO): the
/// Magicard 300 class is quoted at ≈ 150–200 colour cards per hour (spec §3, unverified).
pub const RATED_CPH: (f64, f64) = (1000.0, 180.0);

impl Default for SimMagicardConfig {
    fn default() -> Self {
        Self {
            model: "Rio Pro 360".into(),
            serial: "MC0000001".into(),
            firmware: "V2.1.0".into(),
            hopper_cards: 100,
            ribbon: Some(RibbonLoad::fresh("ymcko", 300)),
            reject_box_capacity: 30,
            eject_after_print: false,
            time: TimeModel {
                scale: 0.0,
                phases: PhaseDurations::from_rated(RATED_CPH.0, RATED_CPH.1),
            },
            png_dir: None,
            faults: MagicardFaultPlan::none(),
            keep_printed: 16,
        }
    }
}

/// A snapshot of the simulated Magicard.
#[derive(Clone, Debug, PartialEq)]
pub struct SimMagicardState {
    /// The card inside, with its number (1 = first card fed) and where it is.
    pub card: Option<(u32, MagicardPosition)>,
    /// True while the card inside is jammed.
    pub jammed: bool,
    /// The code `STA,ERR` answers now (0 = none).
    pub error: u16,
    /// Blank cards left in the hopper.
    pub hopper: u32,
    /// The dye film loaded.
    pub ribbon: Option<RibbonLoad>,
    /// True while the cover is open.
    pub cover_open: bool,
    /// Cards in the reject box.
    pub reject_box: u32,
    /// Capacity of the reject box.
    pub reject_box_capacity: u32,
    /// Life counters (`jobs` = print jobs done, `panels_printed` = dye-film panels used).
    pub counters: Counters,
    /// Simulated time the mechanics spent (at real speed, whatever the time scale).
    pub simulated_time: Duration,
    /// Frames (commands and jobs) received since power-on.
    pub frames: u64,
    /// Framing errors answered `ERR,FRAME` since power-on.
    pub stream_errors: u64,
    /// Bytes discarded while resynchronising.
    pub bytes_discarded: u64,
}

/// The simulated Magicard. Feed it host bytes with [`feed`](Self::feed); it returns its replies.
pub struct SimMagicard {
    config: SimMagicardConfig,
    clock: Arc<dyn Clock>,
    parser: StreamParser,
    hopper: u32,
    ribbon: Option<RibbonLoad>,
    card: Option<CardInside>,
    cover_open: bool,
    cover_closes_after: Option<u32>,
    reject_box: u32,
    latched: Option<ErrorCode>,
    cleaning_overdue: bool,
    counters: Counters,
    simulated_time: Duration,
    scripted: Vec<MagicardFault>,
    rng: FaultRng,
    frames: u64,
    stream_errors: u64,
    last_stream_error: Option<String>,
    printed: Vec<MagicardPrintedCard>,
    png_errors: Vec<String>,
    last_pngs: Option<MagicardPngs>,
}

impl std::fmt::Debug for SimMagicard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimMagicard")
            .field("model", &self.config.model)
            .field("state", &self.state())
            .finish()
    }
}

impl SimMagicard {
    /// A printer on the system clock.
    pub fn new(config: SimMagicardConfig) -> Self {
        Self::with_clock(config, Arc::new(SystemClock::new()))
    }

    /// A printer on the given clock (e.g. a [`ManualClock`](crate::clock::ManualClock)).
    pub fn with_clock(config: SimMagicardConfig, clock: Arc<dyn Clock>) -> Self {
        let mut p = Self {
            hopper: config.hopper_cards,
            ribbon: config.ribbon.clone(),
            card: None,
            cover_open: false,
            cover_closes_after: None,
            reject_box: 0,
            latched: None,
            cleaning_overdue: false,
            counters: Counters::default(),
            simulated_time: Duration::ZERO,
            scripted: Vec::new(),
            rng: FaultRng::new(config.faults.seed),
            frames: 0,
            stream_errors: 0,
            last_stream_error: None,
            printed: Vec::new(),
            png_errors: Vec::new(),
            last_pngs: None,
            parser: StreamParser::new(),
            clock,
            config,
        };
        for f in p.config.faults.scripted.clone() {
            p.inject(f);
        }
        p
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &SimMagicardConfig {
        &self.config
    }

    /// The clock the printer runs on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Feeds bytes received from the host; returns the framed replies (`01 … 2C 03` each).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut events = Vec::new();
        self.parser.push(bytes, &mut |e| events.push(e));
        let mut out = Vec::new();
        for e in events {
            if let Some(reply) = self.handle(e) {
                tracing::trace!("<< {reply}");
                out.extend_from_slice(&replies::frame(&reply));
            }
        }
        out
    }

    /// One parsed event → its reply (`None`: a scripted mute).
    fn handle(&mut self, event: StreamEvent) -> Option<String> {
        match event {
            StreamEvent::Malformed(e) => {
                self.stream_errors += 1;
                self.last_stream_error = Some(e.to_string());
                Some(replies::FRAME.into())
            }
            StreamEvent::Command(text) => {
                tracing::trace!(">> REQ,{text},");
                self.frame_fault()
                    .unwrap_or_else(|| Some(self.command(&text)))
            }
            StreamEvent::Job(job) => {
                tracing::trace!(">> print job {}", job.header.tokens.join(","));
                self.frame_fault()
                    .unwrap_or_else(|| Some(self.print_job(job)))
            }
        }
    }

    /// Counts a frame; a scripted mute (`Some(None)`) or raw error (`Some(Some(reply))`) due now.
    fn frame_fault(&mut self) -> Option<Option<String>> {
        self.frames += 1;
        let frame = self.frames;
        let due = self.scripted.iter().position(|f| {
            matches!(f, MagicardFault::NoReply { frame: n } | MagicardFault::RawError { frame: n, .. } if *n == frame)
        })?;
        match self.scripted.remove(due) {
            MagicardFault::RawError { code, .. } => Some(Some(ErrorCode::Other(code).reply())),
            _ => {
                tracing::debug!("scripted: no reply to frame {frame}");
                Some(None)
            }
        }
    }

    /// Drops a partial frame (the link was reset or the client went away).
    pub fn reset_link(&mut self) {
        self.parser.reset();
    }

    /// The state snapshot.
    pub fn state(&self) -> SimMagicardState {
        SimMagicardState {
            card: self.card.as_ref().map(|c| (c.number, c.at)),
            jammed: self.card.as_ref().is_some_and(|c| c.jam.is_some()),
            error: self.current_error().map_or(0, ErrorCode::code),
            hopper: self.hopper,
            ribbon: self.ribbon.clone(),
            cover_open: self.cover_open,
            reject_box: self.reject_box,
            reject_box_capacity: self.config.reject_box_capacity,
            counters: self.counters.clone(),
            simulated_time: self.simulated_time,
            frames: self.frames,
            stream_errors: self.stream_errors,
            bytes_discarded: self.parser.discarded(),
        }
    }

    /// What the last framing error was, in words (the wire only says `ERR,FRAME`).
    pub fn last_stream_error(&self) -> Option<&str> {
        self.last_stream_error.as_deref()
    }

    /// The number of the card at the smart-card contacts (lowered), if any and not jammed.
    pub fn card_at_contact_station(&self) -> Option<u32> {
        self.card
            .as_ref()
            .filter(|c| c.at == MagicardPosition::Contacts && c.jam.is_none())
            .map(|c| c.number)
    }

    /// Cards printed on so far (the last few), oldest first.
    pub fn printed(&self) -> &[MagicardPrintedCard] {
        &self.printed
    }

    /// The last card printed on.
    pub fn last_printed(&self) -> Option<&MagicardPrintedCard> {
        self.printed.last()
    }

    /// PNG files that could not be written (path and reason).
    pub fn png_errors(&self) -> &[String] {
        &self.png_errors
    }

    /// Adds a fault at runtime (applies from now on).
    pub fn inject(&mut self, fault: MagicardFault) {
        match fault {
            MagicardFault::RibbonEndsAfter { prints } => {
                if let Some(r) = &mut self.ribbon {
                    r.remaining = prints;
                }
            }
            MagicardFault::NoRibbon => self.ribbon = None,
            MagicardFault::FeederEmptyAfter { cards } => self.hopper = cards,
            MagicardFault::RejectBoxFullAfter { rejects } => {
                self.reject_box = self.config.reject_box_capacity.saturating_sub(rejects)
            }
            MagicardFault::CleaningOverdue => self.cleaning_overdue = true,
            other => self.scripted.push(other),
        }
    }

    /// Opens the cover (an operator lifts it).
    pub fn open_cover(&mut self) {
        self.cover_open = true;
        self.cover_closes_after = None;
    }

    /// Closes the cover.
    pub fn close_cover(&mut self) {
        self.cover_open = false;
        self.cover_closes_after = None;
    }

    /// Puts `cards` blank cards into the hopper (added to what is there).
    pub fn load_hopper(&mut self, cards: u32) {
        self.hopper = self.hopper.saturating_add(cards);
    }

    /// Empties the reject box.
    pub fn empty_reject_box(&mut self) {
        self.reject_box = 0;
    }

    /// Loads a fresh dye film.
    pub fn replace_ribbon(&mut self, ribbon: RibbonLoad) {
        self.ribbon = Some(ribbon);
    }

    /// An operator pulls the card (jammed or not) out by hand; returns its number.
    pub fn remove_card_by_hand(&mut self) -> Option<u32> {
        self.card.take().map(|c| c.number)
    }
}
