//! The production orchestrator: produces the cards of a batch order on every ready station.
//!
//! A [`Station`] is a printer, the contact reader inside it and (when cards are encoded) the
//! encoder profile. Production belongs to a *run* ([`RunGuard`]): this process registered in
//! the store with a lease its heartbeat renews, holding a claim on each station it drives, so
//! no other process can drive the same station and crash recovery never touches a live run.
//! [`produce_order`] runs one thread per station; each station takes the next waiting card
//! from the store ([`ProductionJournal::begin_attempt`](crate::store::ProductionJournal::begin_attempt)),
//! and for every physical step commits the intent before and the outcome after it:
//!
//! ```text
//! feed + park (encoding on) → encode + verify → print → eject      → card `unassigned`
//!                       any card fault ───────────────→ reject     → card `failed`
//! ```
//!
//! The failure policy ([`Disposition`]) reads only the typed classification of the device
//! errors: transient faults are retried within the card (after a lost or silent printer link,
//! only once the printer is resynchronised and the card's position is known; an unknown
//! position rejects the card rather than feed another); card faults reject the card and count
//! towards the station's breaker, which pauses the station after N in a row; printer faults a
//! person fixes at the printer pause the station until its status is ready; setup faults
//! (wrong reader, refused transport credentials, CA down) put the card back and pause the
//! station until an operator resumes it. A paused station's cards stay waiting; the other
//! stations go on. [`recover`] settles attempts left in flight by runs that are gone.
//!
//! This module knows hardware only through the `cardline-device` seams.

mod breaker;
mod card_run;
mod claim_group;
mod desk;
mod desks;
mod events;
mod guard;
mod pause;
mod policy;
mod printer_watch;
mod recovery;
mod run;
mod settings;
mod station_loop;

pub use desk::{Desk, DeskSummary, KitSource, OrderKit, run_desk};
pub use desks::{DeskState, DeskStation, DeskView, desks};
pub use events::{PauseUntil, ProductionEvent, ProductionSummary, StationSummary};
pub use guard::{ClaimRefusal, RunGuard};
pub use policy::{Disposition, StepError};
pub use recovery::{RecoveryOutcome, RecoveryReport, recover, recover_own, settle_lost};
pub use run::{CardResult, Production, produce_card, produce_order};
pub use settings::{EncodingSettings, ProductionSettings};

use cardline_device::{
    CardEncoder, CardImage, CardPrinter, CardReader, CardTransport, Pin, PrinterCapabilities,
    PrinterError, PrinterStatus, Puk, TransportError,
};

use crate::model::{Card, OrderId};
use crate::store::{SealedSecrets, StoreError};

/// One production station: a printer with the contact reader inside it, and the encoder that
/// personalises cards parked at that reader (`None` when this station only prints).
pub struct Station {
    /// The station's name from the stations file (journaled on every attempt).
    pub name: String,
    /// The printer.
    pub printer: Box<dyn CardPrinter>,
    /// The contact reader inside the printer.
    pub reader: Box<dyn CardReader>,
    /// The encoder profile, when the station can encode.
    pub encoder: Option<Box<dyn CardEncoder>>,
    /// Card faults in a row after which the station pauses for the operator (the breaker):
    /// a misconfigured station must not burn the whole order. From the stations file
    /// (`breaker = N`, default [`DEFAULT_BREAKER`]).
    pub breaker_after: u32,
    /// False for an encode-only station (a desk reader the operator puts cards in): no face is
    /// rendered or printed; `eject` hands the card back.
    pub prints: bool,
    /// The printer status last reported to the store (see `printer_watch`).
    pub(crate) printer_watch: printer_watch::PrinterWatch,
}

/// Card faults in a row after which a station pauses, unless its declaration says otherwise.
pub const DEFAULT_BREAKER: u32 = 3;

impl Station {
    /// A station with the default breaker.
    pub fn new(
        name: impl Into<String>,
        printer: Box<dyn CardPrinter>,
        reader: Box<dyn CardReader>,
        encoder: Option<Box<dyn CardEncoder>>,
    ) -> Station {
        Station {
            name: name.into(),
            printer,
            reader,
            encoder,
            breaker_after: DEFAULT_BREAKER,
            prints: true,
            printer_watch: Default::default(),
        }
    }

    /// The same station as an encode-only station (nothing printed).
    pub fn encode_only(mut self) -> Station {
        self.prints = false;
        self
    }

    /// The same station with another breaker threshold (at least 1).
    pub fn with_breaker(mut self, card_faults_in_a_row: u32) -> Station {
        self.breaker_after = card_faults_in_a_row.max(1);
        self
    }
}

/// Re-opens a station from its declaration after an operator resumed it (the reader pattern
/// or printer URI may have been fixed in the stations file meanwhile). Provided by the
/// composition root; the orchestrator never opens devices itself.
pub trait StationReopener: Sync {
    /// Opens the station named `name` again, as declared now.
    fn reopen(&self, name: &str) -> Result<Station, String>;
}

/// The devices of a station that was closed to be re-opened: every call fails.
struct Detached(String);

impl CardPrinter for Detached {
    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        Err(self.gone())
    }
    fn park_for_encoding(&mut self) -> Result<(), PrinterError> {
        Err(self.gone())
    }
    fn print(&mut self, _: &CardImage) -> Result<(), PrinterError> {
        Err(self.gone())
    }
    fn eject(&mut self) -> Result<(), PrinterError> {
        Err(self.gone())
    }
    fn reject(&mut self) -> Result<(), PrinterError> {
        Err(self.gone())
    }
    fn capabilities(&self) -> PrinterCapabilities {
        PrinterCapabilities::default()
    }
    fn describe(&self) -> String {
        format!("{} (closed, waiting to be re-opened)", self.0)
    }
}

impl Detached {
    fn gone(&self) -> PrinterError {
        PrinterError::Unsupported {
            what: format!("work: station {} is closed until it is re-opened", self.0),
        }
    }
}

impl CardReader for Detached {
    fn name(&self) -> String {
        self.describe()
    }
    fn connect(
        &mut self,
        _timeout: std::time::Duration,
    ) -> Result<Box<dyn CardTransport + '_>, TransportError> {
        Err(TransportError::NoReader {
            pattern: self.describe(),
        })
    }
}

impl Station {
    /// Closes this station's devices (the printer link, the reader), leaving a placeholder
    /// whose every call fails, so the station can be opened again.
    pub(crate) fn close_devices(&mut self) {
        let name = self.name.clone();
        self.printer = Box::new(Detached(name.clone()));
        self.reader = Box::new(Detached(name));
        self.encoder = None;
    }
}

impl std::fmt::Debug for Station {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Station")
            .field("name", &self.name)
            .field("printer", &self.printer.describe())
            .field("reader", &self.reader.name())
            .field("encoder", &self.encoder.is_some())
            .finish()
    }
}

/// Renders the printed face of one card (static parts prepared once per order).
pub trait FaceRenderer: Send + Sync {
    /// The image to print on `card`, at the default panel geometry (648 × 1016).
    fn render(&self, card: &Card) -> Result<CardImage, FaceError>;

    /// The image to print on `card` with a printer whose panels are `geometry` (its
    /// [`PrinterCapabilities::geometry`](cardline_device::PrinterCapabilities::geometry)): the
    /// orchestrator asks each station's printer. The default renders at the default geometry
    /// (a renderer that knows only one).
    fn render_at(
        &self,
        card: &Card,
        geometry: cardline_device::PanelGeometry,
    ) -> Result<CardImage, FaceError> {
        let _ = geometry;
        self.render(card)
    }
}

/// Seals a card's initial PIN and PUK for the store (AES-256-GCM under the station key).
pub trait SecretSealer: Send + Sync {
    /// Seals the PIN and PUK of the card numbered `card_number`.
    fn seal(&self, card_number: &str, pin: &Pin, puk: &Puk) -> Result<SealedSecrets, SealError>;
}

/// The card face could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot render the face of card {card}: {detail}")]
pub struct FaceError {
    /// The card number.
    pub card: String,
    /// What went wrong (template, font, code).
    pub detail: String,
}

/// The card secrets could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot seal the secrets of card {card}: {detail}")]
pub struct SealError {
    /// The card number.
    pub card: String,
    /// What went wrong (station key missing, unreadable).
    pub detail: String,
}

/// Errors that stop production as a whole (device faults are handled per card and station).
#[derive(Debug, thiserror::Error)]
pub enum ProductionError {
    /// The store failed; attempts in flight are settled by `cardline recover`.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The order is closed.
    #[error("order {id} is {state}: only an open order can be produced")]
    OrderClosed {
        /// The order.
        id: OrderId,
        /// Its state name.
        state: String,
    },
    /// No station to produce on.
    #[error(
        "no station to produce on: declare stations in stations.toml (`cardline stations list`)"
    )]
    NoStation,
    /// Encoding is on but a station has no encoder.
    #[error(
        "station `{station}` is print-only (encode = false), but the options say cards are encoded: \
         set encode = true on the station, or produce with a profile that does not encode"
    )]
    StationCannotEncode {
        /// The station.
        station: String,
    },
    /// The card named is not waiting in the order (produced, failed, in another station's
    /// hands, or not in the order).
    #[error(
        "card `{card}` is not waiting for production in order {order} (see `cardline cards show {card}`)"
    )]
    CardNotWaiting {
        /// The card.
        card: String,
        /// The order.
        order: OrderId,
    },
    /// Two stations have the same name.
    #[error("two stations are named `{0}`: station names must be unique")]
    DuplicateStation(String),
}

#[cfg(test)]
mod tests;
