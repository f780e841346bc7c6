//! `SimStation`: a simulated printer coupled with the contact reader in its smart-card station.
//!
//! A card can be encoded only while the printer holds it parked at the contact station (Evolis:
//! after `Sis` and once the motion has finished; Magicard: after `REQ,CHPDOWN,`): [`CardReader::connect`] fails with
//! [`TransportError::NoCard`] otherwise, and a session whose card moves away fails with
//! [`TransportError::CardRemoved`]. Every feed takes a fresh blank card from the feeder, with its
//! own chip made by a [`ChipFactory`] the first time the station sees that card number.
//!
//! The station works with any printer family that implements
//! [`SimulatedPrinter`]: `SimStation` alone is the Evolis
//! station (`SimStation<SimPrinterHandle>`), `SimStation<SimMagicardHandle>` the Magicard one.
//!
//! ```
//! use cardline_device::{CardReader, PrinterLink};
//! use cardline_sim::printer::{SimPrinter, SimPrinterConfig, SimPrinterHandle};
//! use cardline_sim::station::SimStation;
//! use std::time::Duration;
//!
//! let printer = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
//! let mut station = SimStation::with_seeded_chips(printer.clone(), 7);
//! assert!(station.connect(Duration::ZERO).is_err()); // no card parked yet
//! printer.feed(b"\x1bSis\r");
//! let mut chip = station.connect(Duration::from_secs(1)).unwrap();
//! let select = [0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08];
//! assert_eq!(chip.transmit(&select).unwrap().ends_with(&[0x90, 0x00]), true);
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cardline_device::{CardReader, CardTransport, TransportError};

use crate::card::{SharedSimCard, SimCard, SimCardConfig, SimCardTransport};
use crate::endpoint::{SimLink, SimulatedPrinter};
use crate::printer::SimPrinterHandle;

/// How often `connect` looks whether the card has arrived.
const POLL: Duration = Duration::from_millis(10);

/// Makes the blank chip of card number `n` (1 = first card fed).
pub trait ChipFactory: Send {
    /// A factory-fresh chip for card `card_number`.
    fn fresh_chip(&mut self, card_number: u32) -> SimCard;
}

impl<F: FnMut(u32) -> SimCard + Send> ChipFactory for F {
    fn fresh_chip(&mut self, card_number: u32) -> SimCard {
        self(card_number)
    }
}

/// A printer with a contact reader in its smart-card station (an Evolis printer unless `P`
/// says otherwise).
pub struct SimStation<P: SimulatedPrinter = SimPrinterHandle> {
    printer: P,
    chips: Box<dyn ChipFactory>,
    cards: BTreeMap<u32, SharedSimCard>,
    keep_chips: usize,
    reader: String,
}

/// How many chips of the last cards a station keeps for inspection by default.
pub const KEEP_CHIPS: usize = 64;

impl<P: SimulatedPrinter> std::fmt::Debug for SimStation<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimStation")
            .field("reader", &self.reader)
            .field("chips_made", &self.cards.len())
            .finish()
    }
}

impl<P: SimulatedPrinter> SimStation<P> {
    /// Couples `printer` with a contact reader whose chips come from `chips`.
    pub fn new(printer: P, chips: impl ChipFactory + 'static) -> Self {
        let reader = format!("{} contact station", printer.serial());
        Self {
            printer,
            chips: Box::new(chips),
            cards: BTreeMap::new(),
            keep_chips: KEEP_CHIPS,
            reader,
        }
    }

    /// Keeps only the chips of the last `n` cards (at least 1: the card in the station), so a
    /// long run does not hold every chip it ever made ([`KEEP_CHIPS`] by default).
    pub fn keeping_chips(mut self, n: usize) -> Self {
        self.keep_chips = n.max(1);
        self
    }

    /// A station whose card `n` gets a default PIV chip with a serial derived from `seed + n`.
    pub fn with_seeded_chips(printer: P, seed: u64) -> Self {
        Self::new(printer, move |n: u32| {
            SimCard::new(SimCardConfig::from_seed(seed.wrapping_add(n as u64)))
        })
    }

    /// The printer.
    pub fn printer(&self) -> &P {
        &self.printer
    }

    /// An in-process printer link, for the printer driver.
    pub fn printer_link(&self) -> SimLink<P> {
        SimLink::new(self.printer.clone())
    }

    /// The chip of card `card_number`, if the station made it and still keeps it (also after
    /// the card left, so tests can inspect what was encoded).
    pub fn chip(&self, card_number: u32) -> Option<SharedSimCard> {
        self.cards.get(&card_number).cloned()
    }

    /// Numbers of the cards whose chips were made, in order.
    pub fn cards_seen(&self) -> Vec<u32> {
        self.cards.keys().copied().collect()
    }
}

impl<P: SimulatedPrinter> CardReader for SimStation<P> {
    fn name(&self) -> String {
        self.reader.clone()
    }

    fn connect(
        &mut self,
        timeout: Duration,
    ) -> Result<Box<dyn CardTransport + '_>, TransportError> {
        let started = Instant::now();
        let number = loop {
            if let Some(n) = self.printer.card_at_contact_station() {
                break n;
            }
            if started.elapsed() >= timeout {
                return Err(TransportError::NoCard {
                    reader: self.reader.clone(),
                    waited: timeout,
                });
            }
            std::thread::sleep(POLL.min(timeout.saturating_sub(started.elapsed())));
        };
        let chips = &mut self.chips;
        let card = self
            .cards
            .entry(number)
            .or_insert_with(|| SimCardTransport::share(chips.fresh_chip(number)))
            .clone();
        while self.cards.len() > self.keep_chips {
            self.cards.pop_first(); // the oldest card; the one in the station is the newest
        }
        Ok(Box::new(StationSession {
            printer: &self.printer,
            number,
            inner: SimCardTransport::new(card, self.reader.clone()),
        }))
    }
}

/// A session with the chip of the card parked at the contact station.
struct StationSession<'a, P> {
    printer: &'a P,
    number: u32,
    inner: SimCardTransport,
}

impl<P: SimulatedPrinter> CardTransport for StationSession<'_, P> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.printer.card_at_contact_station() != Some(self.number) {
            return Err(TransportError::CardRemoved {
                reader: self.inner.reader_name(),
            });
        }
        self.inner.transmit(command)
    }

    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }

    fn reader_name(&self) -> String {
        self.inner.reader_name()
    }
}
