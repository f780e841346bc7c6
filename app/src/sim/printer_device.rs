//! [`SimPrinterDevice`]: the simulated printer of a `sim://` station, of either family, with
//! the operations a test or an operator needs whatever the family (cover, feeder, ribbon,
//! counters) and the family's own handle for the rest.

use cardline_sim::endpoint::SimulatedPrinter;
use cardline_sim::magicard::SimMagicardHandle;
use cardline_sim::printer::{RibbonLoad, SimPrinterHandle};

/// The simulated printer of a station, of either family.
#[derive(Clone, Debug)]
pub enum SimPrinterDevice {
    /// A simulated Evolis printer (`family=evolis`).
    Evolis(SimPrinterHandle),
    /// A simulated Magicard (`family=magicard`).
    Magicard(SimMagicardHandle),
}

impl SimPrinterDevice {
    /// The Evolis printer, if it is one.
    pub fn evolis(&self) -> Option<&SimPrinterHandle> {
        match self {
            SimPrinterDevice::Evolis(p) => Some(p),
            SimPrinterDevice::Magicard(_) => None,
        }
    }

    /// The Magicard, if it is one.
    pub fn magicard(&self) -> Option<&SimMagicardHandle> {
        match self {
            SimPrinterDevice::Magicard(p) => Some(p),
            SimPrinterDevice::Evolis(_) => None,
        }
    }

    /// The family, as in its URIs (`evolis`, `magicard`).
    pub fn family(&self) -> &'static str {
        match self {
            SimPrinterDevice::Evolis(p) => p.family(),
            SimPrinterDevice::Magicard(p) => p.family(),
        }
    }

    /// The model name it reports.
    pub fn model(&self) -> String {
        match self {
            SimPrinterDevice::Evolis(p) => p.lock().config().model.clone(),
            SimPrinterDevice::Magicard(p) => p.lock().config().model.clone(),
        }
    }

    /// Cards fed since power-on.
    pub fn cards_fed(&self) -> u32 {
        match self {
            SimPrinterDevice::Evolis(p) => p.cards_fed(),
            SimPrinterDevice::Magicard(p) => p.cards_fed(),
        }
    }

    /// Cards printed since power-on (a duplex card counts once).
    pub fn cards_printed(&self) -> u32 {
        match self {
            SimPrinterDevice::Evolis(p) => p.state().counters.cards_printed,
            SimPrinterDevice::Magicard(p) => p.state().counters.cards_printed,
        }
    }

    /// Cards moved to the reject box since power-on.
    pub fn cards_rejected(&self) -> u32 {
        match self {
            SimPrinterDevice::Evolis(p) => p.state().counters.cards_rejected,
            SimPrinterDevice::Magicard(p) => p.state().counters.cards_rejected,
        }
    }

    /// Opens the cover (an operator lifts it).
    pub fn open_cover(&self) {
        match self {
            SimPrinterDevice::Evolis(p) => p.open_cover(),
            SimPrinterDevice::Magicard(p) => p.open_cover(),
        }
    }

    /// Closes the cover.
    pub fn close_cover(&self) {
        match self {
            SimPrinterDevice::Evolis(p) => p.close_cover(),
            SimPrinterDevice::Magicard(p) => p.close_cover(),
        }
    }

    /// The number of the card parked at the contact station, if any.
    pub fn card_at_contact_station(&self) -> Option<u32> {
        match self {
            SimPrinterDevice::Evolis(p) => p.card_at_contact_station(),
            SimPrinterDevice::Magicard(p) => SimulatedPrinter::card_at_contact_station(p),
        }
    }

    /// True once it printed a card.
    pub fn has_printed(&self) -> bool {
        match self {
            SimPrinterDevice::Evolis(p) => p.last_printed().is_some(),
            SimPrinterDevice::Magicard(p) => p.last_printed().is_some(),
        }
    }

    /// Prints left on the ribbon (dye film), `None` without one.
    pub fn ribbon_left(&self) -> Option<u32> {
        match self {
            SimPrinterDevice::Evolis(p) => p.state().ribbon.map(|r| r.remaining),
            SimPrinterDevice::Magicard(p) => p.state().ribbon.map(|r| r.remaining),
        }
    }

    /// Loads a fresh ribbon (dye film).
    pub fn replace_ribbon(&self, ribbon: RibbonLoad) {
        match self {
            SimPrinterDevice::Evolis(p) => p.replace_ribbon(ribbon),
            SimPrinterDevice::Magicard(p) => p.replace_ribbon(ribbon),
        }
    }

    /// Blank cards left in the feeder (hopper).
    pub fn feeder_left(&self) -> u32 {
        match self {
            SimPrinterDevice::Evolis(p) => p.state().feeder,
            SimPrinterDevice::Magicard(p) => p.state().hopper,
        }
    }

    /// Adds blank cards to the feeder (hopper).
    pub fn load_feeder(&self, cards: u32) {
        match self {
            SimPrinterDevice::Evolis(p) => p.load_feeder(cards),
            SimPrinterDevice::Magicard(p) => p.load_hopper(cards),
        }
    }

    /// PNG files that could not be written or named.
    pub fn png_errors(&self) -> Vec<String> {
        match self {
            SimPrinterDevice::Evolis(p) => p.png_errors(),
            SimPrinterDevice::Magicard(p) => p.png_errors(),
        }
    }
}
