//! The `ERR …` fault vocabulary the driver understands.
//!
//! Evolis does not document the exact error strings for cover open, feeder empty, ribbon end or
//! jams (spec §1.4, §5), so cardline defines them here and in the table "Fault vocabulary" of
//! `docs/printer-driver.md`; the printer simulator implements the same table from the device
//! side. `ERR RIB DETECTION` is the one string observed on real printers (§1.4).

use cardline_device::{JobPhase, PrinterError, PrinterFault};

/// A printer fault reported as an `ERR …` reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `ERR COVER OPEN`: the cover is open.
    CoverOpen,
    /// `ERR FEEDER EMPTY`: no card in the feeder.
    FeederEmpty,
    /// `ERR RIBBON END`: the ribbon is used up.
    RibbonEnd,
    /// `ERR RIB DETECTION`: no (or an unknown) ribbon — observed on real printers (§1.4).
    RibbonDetection,
    /// `ERR CARD JAM`: a card jammed in the phase of the command that reported it.
    CardJam,
    /// `ERR FEEDER JAM`: a card jammed while being fed.
    FeederJam,
    /// `ERR REJECT BOX FULL`: the reject box is full.
    RejectBoxFull,
    /// `ERR BUSY`: the printer is busy with another job or session.
    Busy,
    /// `ERR HEAD TEMP`: the print head is too hot.
    HeadTemp,
}

/// Every fault with its exact reply text (the single source of the vocabulary).
pub const FAULT_REPLIES: &[(Fault, &str)] = &[
    (Fault::CoverOpen, "ERR COVER OPEN"),
    (Fault::FeederEmpty, "ERR FEEDER EMPTY"),
    (Fault::RibbonEnd, "ERR RIBBON END"),
    (Fault::RibbonDetection, "ERR RIB DETECTION"),
    (Fault::CardJam, "ERR CARD JAM"),
    (Fault::FeederJam, "ERR FEEDER JAM"),
    (Fault::RejectBoxFull, "ERR REJECT BOX FULL"),
    (Fault::Busy, "ERR BUSY"),
    (Fault::HeadTemp, "ERR HEAD TEMP"),
];

/// The warning reply "command done, cleaning due" (spec §1.4, `Rlr;r`); treated as success.
pub const NEED_CLEANING: &str = "ERR NEED CLEANING";

impl Fault {
    /// The fault named by an exact reply, if the reply is in the vocabulary.
    pub fn from_reply(reply: &str) -> Option<Fault> {
        FAULT_REPLIES
            .iter()
            .find(|(_, text)| *text == reply)
            .map(|(fault, _)| *fault)
    }

    /// The exact reply text of this fault.
    pub fn reply(self) -> &'static str {
        FAULT_REPLIES
            .iter()
            .find(|(fault, _)| *fault == self)
            .map(|(_, text)| *text)
            .unwrap_or("ERR")
    }

    /// The fault of cardline's vocabulary this reply reports.
    pub fn fault(self) -> PrinterFault {
        match self {
            Fault::CoverOpen => PrinterFault::CoverOpen,
            Fault::FeederEmpty => PrinterFault::FeederEmpty,
            Fault::RibbonEnd => PrinterFault::RibbonOut,
            Fault::RibbonDetection => PrinterFault::RibbonMissing,
            Fault::CardJam | Fault::FeederJam => PrinterFault::Jam,
            Fault::RejectBoxFull => PrinterFault::RejectBoxFull,
            Fault::Busy => PrinterFault::Busy,
            Fault::HeadTemp => PrinterFault::HeadTemperature,
        }
    }

    /// The stable name used in `PrinterStatus::faults` (the vocabulary's name).
    pub fn status_name(self) -> String {
        self.fault().to_string()
    }

    /// The seam error for this fault, reported by a command of `phase` (a feeder jam is always
    /// a jam while feeding).
    pub fn into_error(self, phase: JobPhase) -> PrinterError {
        let phase = match self {
            Fault::FeederJam => JobPhase::Feeding,
            _ => phase,
        };
        PrinterError::from_fault(self.fault(), phase, self.reply())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_round_trips_through_its_reply() {
        for (fault, text) in FAULT_REPLIES {
            assert_eq!(Fault::from_reply(text), Some(*fault));
            assert_eq!(fault.reply(), *text);
            assert!(text.starts_with("ERR "));
        }
        assert_eq!(Fault::from_reply("ERR SOMETHING ELSE"), None);
        assert_eq!(Fault::from_reply("err cover open"), None);
    }

    #[test]
    fn faults_map_to_seam_errors_with_the_right_class() {
        let p = JobPhase::Printing;
        assert!(matches!(
            Fault::CoverOpen.into_error(p),
            PrinterError::CoverOpen
        ));
        assert!(matches!(
            Fault::FeederEmpty.into_error(p),
            PrinterError::FeederEmpty
        ));
        assert!(matches!(
            Fault::RibbonEnd.into_error(p),
            PrinterError::RibbonOut
        ));
        assert!(matches!(
            Fault::RibbonDetection.into_error(p),
            PrinterError::RibbonMissing
        ));
        assert!(matches!(
            Fault::RejectBoxFull.into_error(p),
            PrinterError::RejectBoxFull
        ));
        assert!(matches!(Fault::Busy.into_error(p), PrinterError::Busy));
        assert!(matches!(
            Fault::HeadTemp.into_error(p),
            PrinterError::HeadOverheat
        ));
        assert!(matches!(
            Fault::CardJam.into_error(JobPhase::Ejecting),
            PrinterError::Jam {
                phase: JobPhase::Ejecting
            }
        ));
        assert!(matches!(
            Fault::FeederJam.into_error(p),
            PrinterError::Jam {
                phase: JobPhase::Feeding
            }
        ));
        for (fault, _) in FAULT_REPLIES {
            let e = fault.into_error(p);
            assert!(
                e.needs_operator() || e.is_transient() || e.is_card_fault(),
                "{e:?}"
            );
            assert_eq!(e.fault(), Some(fault.fault()));
        }
        assert_eq!(Fault::RibbonEnd.status_name(), "ribbon_out");
        assert_eq!(Fault::FeederJam.status_name(), "card_jam");
        assert_eq!(Fault::HeadTemp.status_name(), "head_overheat");
    }
}
