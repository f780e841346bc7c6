//! [`PrinterError`]: what a printer operation can fail with, classified by [`FaultClass`].

use super::JobPhase;
use crate::fault::{FaultClass, PrinterFault};
use crate::link::LinkError;

/// Errors of a [`CardPrinter`](super::CardPrinter). Each variant says what the operator should do; the orchestrator
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
    /// The magnetic stripe of the card in hand did not verify: the card is spoiled, production
    /// goes on with a fresh one.
    #[error("the card's magnetic stripe did not verify while {phase}: the card is set aside")]
    MagStripeVerify {
        /// When it happened.
        phase: JobPhase,
    },
    /// The smart-card contacts did not engage. The contact station (its module, its cable)
    /// must be checked; the station waits for an operator to resume it. Not the card's fault.
    #[error(
        "the printer's smart-card contacts did not engage while {phase}: check the contact station (module and cable), then resume the station"
    )]
    EncoderContact {
        /// When it happened.
        phase: JobPhase,
    },
    /// The printer reported a fault code cardline does not know. Look the code up in the
    /// printer's manual, clear it at the printer, and report it; the station stops.
    #[error(
        "printer reported fault code {code} ({meaning}) in reply to `{command}`: look it up in the printer's manual and clear it at the printer"
    )]
    UnknownFault {
        /// The command it answered.
        command: String,
        /// The code as the printer sent it.
        code: String,
        /// What the driver knows of it (e.g. `unknown Magicard error code`).
        meaning: String,
    },
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
    /// The error a driver reports for `fault`, met by `command` during `phase`: the one
    /// mapping from the fault vocabulary to errors, shared by every family.
    pub fn from_fault(fault: PrinterFault, phase: JobPhase, command: &str) -> PrinterError {
        match fault {
            PrinterFault::CoverOpen => PrinterError::CoverOpen,
            PrinterFault::FeederEmpty => PrinterError::FeederEmpty,
            PrinterFault::RibbonOut => PrinterError::RibbonOut,
            PrinterFault::RibbonMissing => PrinterError::RibbonMissing,
            PrinterFault::Jam => PrinterError::Jam { phase },
            PrinterFault::MagStripeVerify => PrinterError::MagStripeVerify { phase },
            PrinterFault::RejectBoxFull => PrinterError::RejectBoxFull,
            PrinterFault::HeadTemperature => PrinterError::HeadOverheat,
            PrinterFault::EncoderContact => PrinterError::EncoderContact { phase },
            PrinterFault::Busy => PrinterError::Busy,
            PrinterFault::Unknown(code) => PrinterError::UnknownFault {
                command: command.to_string(),
                code,
                meaning: "unknown fault code".into(),
            },
        }
    }

    /// The fault of the vocabulary this error reports, if it is a printer fault (not a link,
    /// protocol or driver problem).
    pub fn fault(&self) -> Option<PrinterFault> {
        Some(match self {
            PrinterError::CoverOpen => PrinterFault::CoverOpen,
            PrinterError::FeederEmpty => PrinterFault::FeederEmpty,
            PrinterError::RibbonOut => PrinterFault::RibbonOut,
            PrinterError::RibbonMissing => PrinterFault::RibbonMissing,
            PrinterError::RejectBoxFull => PrinterFault::RejectBoxFull,
            PrinterError::Jam { .. } => PrinterFault::Jam,
            PrinterError::Busy => PrinterFault::Busy,
            PrinterError::HeadOverheat => PrinterFault::HeadTemperature,
            PrinterError::MagStripeVerify { .. } => PrinterFault::MagStripeVerify,
            PrinterError::EncoderContact { .. } => PrinterFault::EncoderContact,
            PrinterError::UnknownFault { code, .. } => PrinterFault::Unknown(code.clone()),
            _ => return None,
        })
    }

    /// Who or what clears this error: the class of its fault, and for the rest — a link that
    /// may come back is transient, a card that did not reach its place is the card's, anything
    /// else (a refused command, a reply cardline cannot read, a flooded link, an unsupported
    /// operation) stops the station.
    pub fn class(&self) -> FaultClass {
        if let Some(fault) = self.fault() {
            return fault.class();
        }
        match self {
            PrinterError::Link(e) if e.is_transient() => FaultClass::Transient,
            PrinterError::NotPositioned { .. } => FaultClass::Card,
            _ => FaultClass::Station,
        }
    }

    /// True when retrying the same step may succeed by itself.
    pub fn is_transient(&self) -> bool {
        self.class() == FaultClass::Transient
    }

    /// True when a person must act at the printer before it can continue (the station pauses
    /// until the printer's status is ready again).
    pub fn needs_operator(&self) -> bool {
        self.class() == FaultClass::Operator
    }

    /// True when the card in hand is spoiled but the printer can go on with the next card.
    pub fn is_card_fault(&self) -> bool {
        self.class() == FaultClass::Card
    }

    /// True when the station's setup must be checked and an operator resumes it afterwards
    /// (the card in hand is not blamed).
    pub fn needs_setup_check(&self) -> bool {
        self.class() == FaultClass::Setup
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
            let classes = [
                e.is_transient(),
                e.needs_operator(),
                e.is_card_fault(),
                e.needs_setup_check(),
            ];
            assert!(classes.iter().filter(|c| **c).count() <= 1, "{e:?}");
        }
        assert!(all[0].needs_operator());
        assert!(all[5].is_card_fault());
        assert!(all[6].is_transient());
        assert!(!all[9].is_transient() && !all[9].needs_operator() && !all[9].is_card_fault());
        assert!(all[10].is_transient());
    }

    #[test]
    fn every_fault_maps_to_an_error_that_reports_it_back_with_its_class() {
        let faults = PrinterFault::known().chain([PrinterFault::Unknown("4711".into())]);
        for fault in faults {
            let e = PrinterError::from_fault(fault.clone(), JobPhase::Parking, "CHPDOWN");
            assert_eq!(e.fault(), Some(fault.clone()), "{e:?}");
            assert_eq!(e.class(), fault.class(), "{e:?}");
        }
        let unknown =
            PrinterError::from_fault(PrinterFault::unknown("4711"), JobPhase::Printing, "EJT");
        assert!(unknown.to_string().contains("4711") && unknown.to_string().contains("EJT"));
        let contact =
            PrinterError::from_fault(PrinterFault::EncoderContact, JobPhase::Parking, "x");
        assert!(contact.needs_setup_check() && !contact.needs_operator());
        assert!(contact.to_string().contains("contact station"), "{contact}");
        assert_eq!(
            PrinterError::NotPositioned {
                wanted: "x".into(),
                last_seen: "y".into(),
                waited_ms: 1
            }
            .fault(),
            None
        );
    }
}
