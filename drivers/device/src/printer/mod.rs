//! [`CardPrinter`]: one printer family's driver, as the orchestrator sees it.

mod capabilities;
mod error;

pub use capabilities::{ColorModel, PrinterCapabilities};
pub use error::PrinterError;

use crate::fault::PrinterFault;
use crate::image::CardImage;

/// Where the card being processed is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardPosition {
    /// No card inside the printer (still in the feeder, or already out).
    NoCard,
    /// Parked at the smart-card contact station: the encoder can talk to the chip.
    ContactStation,
    /// Parked at the contactless station.
    ContactlessStation,
    /// At the print position (inside the printer, not at an encoding station).
    PrintPosition,
    /// A position the driver reported but cardline does not know; the text is the printer's.
    Unknown(String),
}

/// The ribbon as far as the printer reports it.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RibbonStatus {
    /// Ribbon type as the printer names it (`ymcko`, `k`, ...), `None` when no ribbon is detected.
    pub kind: Option<String>,
    /// Prints left on the ribbon, when the printer reports it.
    pub remaining: Option<u32>,
    /// Capacity of a fresh ribbon, when known.
    pub capacity: Option<u32>,
}

/// A snapshot of a printer's state.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PrinterStatus {
    /// Model name as reported by the printer.
    pub model: Option<String>,
    /// Serial number as reported by the printer.
    pub serial: Option<String>,
    /// Firmware version as reported by the printer.
    pub firmware: Option<String>,
    /// Where the card is, if the printer reports it.
    pub position: Option<CardPosition>,
    /// True when the cover is open.
    pub cover_open: bool,
    /// True when the printer said whether its cover is open (a sensor reply or a cover
    /// fault): only then does `cover_open == false` mean "closed"; false when it cannot say.
    #[serde(default)]
    pub cover_known: bool,
    /// True when the feeder has no card.
    pub feeder_empty: bool,
    /// True when the printer said whether its feeder has cards (a sensor reply or a feeder
    /// fault): only then does `feeder_empty == false` mean "cards present".
    #[serde(default)]
    pub feeder_known: bool,
    /// True when the reject box is full.
    pub reject_box_full: bool,
    /// Ribbon information.
    pub ribbon: RibbonStatus,
    /// Cards printed over the printer's life, when reported.
    pub total_cards: Option<u64>,
    /// Faults that currently stop the printer, besides the three flags above; empty when it
    /// is ready. Serialised by their stable names (`card_jam`, `ribbon_out`, `unknown_4711`).
    pub faults: Vec<PrinterFault>,
}

impl PrinterStatus {
    /// True when no fault stops the printer.
    pub fn is_ready(&self) -> bool {
        !self.cover_open && !self.feeder_empty && !self.reject_box_full && self.faults.is_empty()
    }

    /// Records a fault: the flags for cover, feeder and reject box, the list (once) for the
    /// rest.
    pub fn record(&mut self, fault: PrinterFault) {
        match fault {
            PrinterFault::CoverOpen => {
                self.cover_open = true;
                self.cover_known = true;
            }
            PrinterFault::FeederEmpty => {
                self.feeder_empty = true;
                self.feeder_known = true;
            }
            PrinterFault::RejectBoxFull => self.reject_box_full = true,
            other if !self.faults.contains(&other) => self.faults.push(other),
            _ => {}
        }
    }

    /// True when `fault` stops the printer now (a flag or an entry of the list).
    pub fn has(&self, fault: &PrinterFault) -> bool {
        match fault {
            PrinterFault::CoverOpen => self.cover_open,
            PrinterFault::FeederEmpty => self.feeder_empty,
            PrinterFault::RejectBoxFull => self.reject_box_full,
            other => self.faults.contains(other),
        }
    }

    /// Every fault that stops the printer now: the flags first (cover, feeder, reject box),
    /// then the list.
    pub fn all_faults(&self) -> Vec<PrinterFault> {
        let flags = [
            (self.cover_open, PrinterFault::CoverOpen),
            (self.feeder_empty, PrinterFault::FeederEmpty),
            (self.reject_box_full, PrinterFault::RejectBoxFull),
        ];
        flags
            .into_iter()
            .filter_map(|(on, f)| on.then_some(f))
            .chain(self.faults.iter().cloned())
            .collect()
    }
}

/// The step of a card's journey through the printer in which something happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobPhase {
    /// Taking a card from the feeder.
    Feeding,
    /// Moving the card to or from the contact station.
    Parking,
    /// Printing panels.
    Printing,
    /// Ejecting the card to the output hopper.
    Ejecting,
    /// Moving the card to the reject box.
    Rejecting,
}

impl std::fmt::Display for JobPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JobPhase::Feeding => "feeding",
            JobPhase::Parking => "parking",
            JobPhase::Printing => "printing",
            JobPhase::Ejecting => "ejecting",
            JobPhase::Rejecting => "rejecting",
        })
    }
}

/// One printer family's driver. Implementations are generic over a
/// [`PrinterLink`](crate::PrinterLink) so the same driver runs against real links and the
/// simulator.
///
/// The card flow of a temporary card is: [`park_for_encoding`](Self::park_for_encoding) (feeder →
/// contact station), encode, [`print`](Self::print), [`eject`](Self::eject); or
/// [`reject`](Self::reject) at any point after the feed.
pub trait CardPrinter: Send {
    /// Reads the printer's state.
    fn status(&mut self) -> Result<PrinterStatus, PrinterError>;
    /// Takes a blank card from the feeder and parks it at the contact station; returns when the
    /// card is there.
    fn park_for_encoding(&mut self) -> Result<(), PrinterError>;
    /// Prints the card in the printer (feeding one if none is in). The card stays inside.
    fn print(&mut self, image: &CardImage) -> Result<(), PrinterError>;
    /// Ejects the card to the output hopper.
    fn eject(&mut self) -> Result<(), PrinterError>;
    /// Moves the card to the reject box.
    fn reject(&mut self) -> Result<(), PrinterError>;
    /// What the printer can do.
    fn capabilities(&self) -> PrinterCapabilities;
    /// A short name of the printer and its link.
    fn describe(&self) -> String;
    /// Resynchronises after the link was lost or went silent in the middle of a command:
    /// drops whatever is half sent or half read, resets (or reopens) the link, restores the
    /// session settings, and reports the printer's status — above all where the card is — so
    /// the caller decides whether the step is done, may be sent again, or the card must be
    /// rejected. The default only reads the status.
    fn resync(&mut self) -> Result<PrinterStatus, PrinterError> {
        self.status()
    }
}

impl<P: CardPrinter + ?Sized> CardPrinter for Box<P> {
    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        (**self).status()
    }
    fn park_for_encoding(&mut self) -> Result<(), PrinterError> {
        (**self).park_for_encoding()
    }
    fn print(&mut self, image: &CardImage) -> Result<(), PrinterError> {
        (**self).print(image)
    }
    fn eject(&mut self) -> Result<(), PrinterError> {
        (**self).eject()
    }
    fn reject(&mut self) -> Result<(), PrinterError> {
        (**self).reject()
    }
    fn capabilities(&self) -> PrinterCapabilities {
        (**self).capabilities()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn resync(&mut self) -> Result<PrinterStatus, PrinterError> {
        (**self).resync()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_ready_only_without_faults() {
        let mut s = PrinterStatus::default();
        assert!(s.is_ready());
        assert!(!s.cover_known && !s.feeder_known);
        s.record(PrinterFault::CoverOpen);
        assert!(s.cover_open && !s.is_ready() && s.faults.is_empty());
        assert!(s.cover_known && !s.feeder_known);
        s.record(PrinterFault::Jam);
        s.record(PrinterFault::Jam);
        assert_eq!(s.faults, vec![PrinterFault::Jam]);
        assert!(s.has(&PrinterFault::Jam) && s.has(&PrinterFault::CoverOpen));
        assert!(!s.has(&PrinterFault::FeederEmpty));
        assert_eq!(
            s.all_faults(),
            vec![PrinterFault::CoverOpen, PrinterFault::Jam]
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["faults"], serde_json::json!(["card_jam"]));
    }
}
