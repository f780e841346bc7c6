//! [`CardPrinter`]: one printer family's driver, as the orchestrator sees it.

use crate::image::CardImage;
use crate::link::LinkError;

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
    /// True when the feeder has no card.
    pub feeder_empty: bool,
    /// True when the reject box is full.
    pub reject_box_full: bool,
    /// Ribbon information.
    pub ribbon: RibbonStatus,
    /// Cards printed over the printer's life, when reported.
    pub total_cards: Option<u64>,
    /// Faults that currently stop the printer; empty when it is ready.
    pub faults: Vec<String>,
}

impl PrinterStatus {
    /// True when no fault stops the printer.
    pub fn is_ready(&self) -> bool {
        !self.cover_open && !self.feeder_empty && !self.reject_box_full && self.faults.is_empty()
    }
}

/// What a printer can do, queried rather than assumed.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PrinterCapabilities {
    /// Prints both sides.
    pub duplex: bool,
    /// Has a smart-card contact station.
    pub contact_station: bool,
    /// Has a contactless encoding position.
    pub contactless_station: bool,
    /// Prints colour (YMC panels).
    pub color: bool,
    /// Has a reject box.
    pub reject_box: bool,
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

/// Errors of a [`CardPrinter`]. Each variant says what the operator should do; the orchestrator
/// decides with [`is_transient`](Self::is_transient), [`needs_operator`](Self::needs_operator)
/// and [`is_card_fault`](Self::is_card_fault), never by matching text.
#[derive(Debug, thiserror::Error)]
pub enum PrinterError {
    /// The cover is open. Close it; the station resumes by itself.
    #[error("printer cover is open: close the cover")]
    CoverOpen,
    /// The feeder is empty. Load blank cards.
    #[error("feeder is empty: load blank cards")]
    FeederEmpty,
    /// The ribbon is used up. Replace the ribbon.
    #[error("ribbon is finished: replace the ribbon")]
    RibbonOut,
    /// No ribbon (or an unknown one) is detected. Install a supported ribbon.
    #[error("no ribbon detected: install a ribbon")]
    RibbonMissing,
    /// The reject box is full. Empty it.
    #[error("reject box is full: empty the reject box")]
    RejectBoxFull,
    /// A card jammed. The card in hand is lost (it goes to the reject box or must be removed by
    /// hand); production goes on with a fresh card.
    #[error("card jam while {phase}: remove the jammed card if the printer did not reject it")]
    Jam {
        /// When the jam happened.
        phase: JobPhase,
    },
    /// The printer is busy with another job or session; retry shortly.
    #[error("printer is busy")]
    Busy,
    /// The print head is too hot; the printer cools down by itself.
    #[error("print head is overheating; waiting for it to cool down")]
    HeadOverheat,
    /// The printer refused a command. A driver bug or an unsupported model; report it with the
    /// command and reply.
    #[error("printer refused `{command}`: {}", crate::echo::text(.reply, crate::echo::ECHO_LIMIT))]
    Refused {
        /// The command sent (without binary payload).
        command: String,
        /// The printer's reply.
        reply: String,
    },
    /// The printer answered something the driver cannot interpret.
    #[error(
        "unexpected reply to `{command}`: \"{}\"",
        crate::echo::text(.reply, crate::echo::ECHO_LIMIT)
    )]
    Protocol {
        /// The command sent.
        command: String,
        /// What came back.
        reply: String,
    },
    /// The printer sent more bytes than any reply can have without ending the reply (CR), or
    /// kept sending bytes that never formed a reply. The link leads to another device, its
    /// settings are wrong (baud rate, parity) or the firmware is stuck: check the link and
    /// power-cycle the printer. A station problem, not a fault of the card in hand: the station
    /// stops.
    #[error(
        "printer flooded the link while answering `{command}`: {received} bytes without a reply end \
         (limit {limit} bytes), starting \"{start}\"; fix: check that this link leads to the \
         printer with the right settings (baud rate), then power-cycle the printer"
    )]
    ReplyOverflow {
        /// The command sent.
        command: String,
        /// The limit that was passed, in bytes.
        limit: usize,
        /// Bytes received when the driver gave up.
        received: usize,
        /// The first bytes received, truncated and escaped ([`crate::echo::bytes`]).
        start: String,
    },
    /// The card did not reach the position asked for in time.
    #[error("card did not reach the {wanted} within {waited_ms} ms (last seen: {last_seen})")]
    NotPositioned {
        /// Where the card should be.
        wanted: String,
        /// Where the printer last said it was.
        last_seen: String,
        /// How long the driver waited.
        waited_ms: u64,
    },
    /// The operation needs a capability this printer does not have.
    #[error("this printer cannot {what}")]
    Unsupported {
        /// What was asked.
        what: String,
    },
    /// The link to the printer failed.
    #[error(transparent)]
    Link(#[from] LinkError),
}

impl PrinterError {
    /// True when retrying the same step may succeed by itself.
    pub fn is_transient(&self) -> bool {
        match self {
            PrinterError::Busy | PrinterError::HeadOverheat => true,
            PrinterError::Link(e) => e.is_transient(),
            _ => false,
        }
    }

    /// True when a person must act at the printer before it can continue (the station pauses).
    pub fn needs_operator(&self) -> bool {
        matches!(
            self,
            PrinterError::CoverOpen
                | PrinterError::FeederEmpty
                | PrinterError::RibbonOut
                | PrinterError::RibbonMissing
                | PrinterError::RejectBoxFull
        )
    }

    /// True when the card in hand is spoiled but the printer can go on with the next card.
    pub fn is_card_fault(&self) -> bool {
        matches!(
            self,
            PrinterError::Jam { .. } | PrinterError::NotPositioned { .. }
        )
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
    use std::time::Duration;

    #[test]
    fn classification_is_disjoint() {
        let all = [
            PrinterError::CoverOpen,
            PrinterError::FeederEmpty,
            PrinterError::RibbonOut,
            PrinterError::RibbonMissing,
            PrinterError::RejectBoxFull,
            PrinterError::Jam {
                phase: JobPhase::Printing,
            },
            PrinterError::Busy,
            PrinterError::HeadOverheat,
            PrinterError::Refused {
                command: "Sv".into(),
                reply: "ERROR CDE".into(),
            },
            PrinterError::ReplyOverflow {
                command: "Rlr;p".into(),
                limit: 4096,
                received: 4097,
                start: "AAAA…".into(),
            },
            PrinterError::Link(LinkError::Timeout {
                link: "x".into(),
                operation: "receiving",
                after: Duration::from_secs(1),
            }),
        ];
        for e in &all {
            let classes = [e.is_transient(), e.needs_operator(), e.is_card_fault()];
            assert!(classes.iter().filter(|c| **c).count() <= 1, "{e:?}");
        }
        assert!(all[0].needs_operator());
        assert!(all[5].is_card_fault());
        assert!(all[6].is_transient());
        assert!(!all[9].is_transient() && !all[9].needs_operator() && !all[9].is_card_fault());
        assert!(all[10].is_transient());
    }

    #[test]
    fn status_ready_only_without_faults() {
        let mut s = PrinterStatus::default();
        assert!(s.is_ready());
        s.cover_open = true;
        assert!(!s.is_ready());
    }
}
