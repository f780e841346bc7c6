//! The Magicard error codes (`ERR,<code>` replies and `STA,ERR` values) and what cardline makes
//! of them — `docs/magicard-protocol.md` §5, in one place.
//!
//! [`MagicardFault::fault`] maps a code onto cardline's fault vocabulary
//! ([`PrinterFault`], shared by every printer family); [`MagicardFault::error`] is the single
//! function that turns a code into a [`PrinterError`]. Both are documented in the table
//! "Magicard error codes" of `docs/printer-driver.md`.

use cardline_device::{JobPhase, PrinterError, PrinterFault};

/// A fault the printer reported by number. Every code of §5 has its variant; anything else is
/// [`MagicardFault::Unknown`] and keeps its raw number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MagicardFault {
    /// 1025: the hopper (feeder) is empty — the operator loads blank cards.
    HopperEmpty,
    /// 1026: a card jammed — the card in hand is lost.
    CardJam,
    /// 1027: a card jammed in the flipper — the card in hand is lost.
    FlipperJam,
    /// 1037: the magnetic stripe did not verify — the card in hand is spoiled.
    MagVerifyFailed,
    /// 1038: the cover (lid) was opened — the operator closes it.
    CoverOpen,
    /// 1042: the dye film is used up — the operator replaces it.
    RibbonOut,
    /// 1046: no dye film found — the operator installs one.
    RibbonMissing,
    /// 2048: cleaning is overdue — a warning; the command that reported it is done.
    CleaningOverdue,
    /// 9001: the print head is too hot — it cools down by itself.
    HeadOverTemperature,
    /// 3001: the reject box is full — the operator empties it (cardline's code, \[CL\]).
    RejectBoxFull,
    /// 3002: the smart-card contacts did not engage — a station problem, not the card's
    /// (cardline's code, \[CL\]).
    ContactsNotEngaged,
    /// Any other code, kept as the printer sent it.
    Unknown(u32),
}

/// Every known fault, in the order of the table in §5.
pub const KNOWN_FAULTS: [MagicardFault; 11] = [
    MagicardFault::HopperEmpty,
    MagicardFault::CardJam,
    MagicardFault::FlipperJam,
    MagicardFault::MagVerifyFailed,
    MagicardFault::CoverOpen,
    MagicardFault::RibbonOut,
    MagicardFault::RibbonMissing,
    MagicardFault::CleaningOverdue,
    MagicardFault::HeadOverTemperature,
    MagicardFault::RejectBoxFull,
    MagicardFault::ContactsNotEngaged,
];

impl MagicardFault {
    /// The fault for a code (0 is "no error" and has no fault: see [`Self::from_status`]).
    pub fn from_code(code: u32) -> MagicardFault {
        KNOWN_FAULTS
            .into_iter()
            .find(|f| f.code() == code)
            .unwrap_or(MagicardFault::Unknown(code))
    }

    /// The fault of a `STA,ERR` value: `None` for `0` (no error).
    pub fn from_status(code: u32) -> Option<MagicardFault> {
        (code != 0).then(|| MagicardFault::from_code(code))
    }

    /// The printer's number for this fault.
    pub fn code(self) -> u32 {
        match self {
            MagicardFault::HopperEmpty => 1025,
            MagicardFault::CardJam => 1026,
            MagicardFault::FlipperJam => 1027,
            MagicardFault::MagVerifyFailed => 1037,
            MagicardFault::CoverOpen => 1038,
            MagicardFault::RibbonOut => 1042,
            MagicardFault::RibbonMissing => 1046,
            MagicardFault::CleaningOverdue => 2048,
            MagicardFault::HeadOverTemperature => 9001,
            MagicardFault::RejectBoxFull => 3001,
            MagicardFault::ContactsNotEngaged => 3002,
            MagicardFault::Unknown(code) => code,
        }
    }

    /// What the code means, in words (used in error messages and logs).
    pub fn meaning(self) -> &'static str {
        match self {
            MagicardFault::HopperEmpty => "hopper (feeder) empty",
            MagicardFault::CardJam => "card jam",
            MagicardFault::FlipperJam => "flipper jam",
            MagicardFault::MagVerifyFailed => "magnetic verify failed",
            MagicardFault::CoverOpen => "cover opened",
            MagicardFault::RibbonOut => "dye film (ribbon) expired or used up",
            MagicardFault::RibbonMissing => "dye film (ribbon) not found",
            MagicardFault::CleaningOverdue => "cleaning overdue",
            MagicardFault::HeadOverTemperature => "print head over temperature",
            MagicardFault::RejectBoxFull => "reject box full",
            MagicardFault::ContactsNotEngaged => "smart-card contacts did not engage",
            MagicardFault::Unknown(_) => "unknown Magicard error code",
        }
    }

    /// True for a warning that does not stop the printer (the command that reported it is done).
    pub fn is_warning(self) -> bool {
        self == MagicardFault::CleaningOverdue
    }

    /// The reply text of this fault: `ERR,<code>`.
    pub fn reply(self) -> String {
        format!("ERR,{}", self.code())
    }

    /// The fault of cardline's vocabulary this code reports; `None` for the cleaning warning,
    /// which stops nothing.
    ///
    /// | code | fault | class |
    /// |---|---|---|
    /// | 1025 | `FeederEmpty` | operator |
    /// | 1026, 1027 | `Jam` | card |
    /// | 1037 | `MagStripeVerify` | card |
    /// | 1038 | `CoverOpen` | operator |
    /// | 1042 | `RibbonOut` | operator |
    /// | 1046 | `RibbonMissing` | operator |
    /// | 2048 | none (warning: the command is done) | — |
    /// | 9001 | `HeadTemperature` | transient |
    /// | 3001 | `RejectBoxFull` | operator |
    /// | 3002 | `EncoderContact` | setup: the station pauses until an operator resumes it |
    /// | other | `Unknown("<code>")` | station: it stops |
    pub fn fault(self) -> Option<PrinterFault> {
        Some(match self {
            MagicardFault::HopperEmpty => PrinterFault::FeederEmpty,
            MagicardFault::CardJam | MagicardFault::FlipperJam => PrinterFault::Jam,
            MagicardFault::MagVerifyFailed => PrinterFault::MagStripeVerify,
            MagicardFault::CoverOpen => PrinterFault::CoverOpen,
            MagicardFault::RibbonOut => PrinterFault::RibbonOut,
            MagicardFault::RibbonMissing => PrinterFault::RibbonMissing,
            MagicardFault::CleaningOverdue => return None,
            MagicardFault::HeadOverTemperature => PrinterFault::HeadTemperature,
            MagicardFault::RejectBoxFull => PrinterFault::RejectBoxFull,
            MagicardFault::ContactsNotEngaged => PrinterFault::EncoderContact,
            MagicardFault::Unknown(code) => PrinterFault::Unknown(code.to_string()),
        })
    }

    /// THE mapping of §5: the seam error for this fault, reported in reply to `command` during
    /// `phase` — [`PrinterError::from_fault`] of [`Self::fault`], an unknown code naming itself
    /// as a Magicard one. The send path never asks for the warning 2048 (it counts as done,
    /// see [`Self::is_warning`]); asked anyway, it is a refusal naming the code.
    pub fn error(self, command: &str, phase: JobPhase) -> PrinterError {
        match self.fault() {
            Some(PrinterFault::Unknown(code)) => PrinterError::UnknownFault {
                command: command.to_string(),
                code,
                meaning: self.meaning().to_string(),
            },
            Some(fault) => PrinterError::from_fault(fault, phase, command),
            None => PrinterError::Refused {
                command: command.to_string(),
                reply: format!("{} ({})", self.reply(), self.meaning()),
            },
        }
    }

    /// The stable name of this fault in [`PrinterStatus::faults`](cardline_device::PrinterStatus::faults)
    /// (the vocabulary's name), or `None` for the cleaning warning.
    pub fn status_name(self) -> Option<String> {
        self.fault().map(|f| f.to_string())
    }
}

impl std::fmt::Display for MagicardFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.code(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_and_unknown_codes_keep_their_number() {
        for f in KNOWN_FAULTS {
            assert_eq!(MagicardFault::from_code(f.code()), f);
            assert_eq!(f.reply(), format!("ERR,{}", f.code()));
        }
        assert_eq!(MagicardFault::from_code(4711), MagicardFault::Unknown(4711));
        assert_eq!(MagicardFault::from_status(0), None);
        assert_eq!(
            MagicardFault::from_status(1026),
            Some(MagicardFault::CardJam)
        );
    }

    #[test]
    fn classification_follows_the_table() {
        let p = JobPhase::Printing;
        let e = |f: MagicardFault| f.error("EJT", p);
        for f in [
            MagicardFault::HopperEmpty,
            MagicardFault::CoverOpen,
            MagicardFault::RibbonOut,
            MagicardFault::RibbonMissing,
            MagicardFault::RejectBoxFull,
        ] {
            assert!(e(f).needs_operator(), "{f}");
            assert!(!e(f).is_card_fault() && !e(f).is_transient(), "{f}");
        }
        for f in [MagicardFault::CardJam, MagicardFault::FlipperJam] {
            assert!(
                matches!(
                    e(f),
                    PrinterError::Jam {
                        phase: JobPhase::Printing
                    }
                ),
                "{f}"
            );
        }
        assert!(matches!(
            e(MagicardFault::MagVerifyFailed),
            PrinterError::MagStripeVerify {
                phase: JobPhase::Printing
            }
        ));
        assert!(e(MagicardFault::MagVerifyFailed).is_card_fault());
        assert!(e(MagicardFault::HeadOverTemperature).is_transient());
        let contact = e(MagicardFault::ContactsNotEngaged);
        assert!(contact.needs_setup_check(), "{contact:?}");
        assert!(!contact.is_card_fault() && !contact.needs_operator() && !contact.is_transient());
        assert_eq!(contact.fault(), Some(PrinterFault::EncoderContact));
        let unknown = e(MagicardFault::Unknown(4711));
        assert_eq!(unknown.fault(), Some(PrinterFault::Unknown("4711".into())));
        assert_eq!(unknown.class(), cardline_device::FaultClass::Station);
        let text = unknown.to_string();
        assert!(
            text.contains("4711")
                && text.contains("unknown Magicard error code")
                && text.contains("EJT"),
            "{text}"
        );
        let warning = e(MagicardFault::CleaningOverdue);
        assert!(
            matches!(warning, PrinterError::Refused { .. }),
            "{warning:?}"
        );
        assert!(MagicardFault::CleaningOverdue.is_warning());
        assert!(KNOWN_FAULTS.iter().filter(|f| f.is_warning()).count() == 1);
    }

    #[test]
    fn every_code_maps_onto_the_shared_vocabulary() {
        for f in KNOWN_FAULTS.into_iter().chain([MagicardFault::Unknown(77)]) {
            let error = f.error("STA,ERR", JobPhase::Feeding);
            assert_eq!(error.fault(), f.fault(), "{f}");
            assert_eq!(f.status_name(), f.fault().map(|x| x.to_string()));
        }
    }

    #[test]
    fn status_names_are_stable() {
        let name = |f: MagicardFault| f.status_name();
        assert_eq!(name(MagicardFault::CardJam).as_deref(), Some("card_jam"));
        assert_eq!(name(MagicardFault::FlipperJam).as_deref(), Some("card_jam"));
        assert_eq!(
            name(MagicardFault::RibbonOut).as_deref(),
            Some("ribbon_out")
        );
        assert_eq!(
            name(MagicardFault::HeadOverTemperature).as_deref(),
            Some("head_overheat")
        );
        assert_eq!(
            name(MagicardFault::ContactsNotEngaged).as_deref(),
            Some("encoder_contact")
        );
        assert_eq!(
            name(MagicardFault::Unknown(77)).as_deref(),
            Some("unknown_77")
        );
        assert_eq!(
            name(MagicardFault::CoverOpen).as_deref(),
            Some("cover_open")
        );
        assert_eq!(name(MagicardFault::CleaningOverdue), None);
    }
}
