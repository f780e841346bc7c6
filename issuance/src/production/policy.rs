//! The failure policy: what to do with a failed step, decided from the typed classification
//! of device errors only (never from their text). A printer's error is read through the fault
//! vocabulary every printer family maps onto ([`PrinterFault`] and its [`FaultClass`]), so an
//! Evolis `ERR COVER OPEN` and a Magicard `ERR,1038` are the same decision.

use cardline_device::{
    EncodeError, FaultClass, LinkError, PrinterError, PrinterFault, TransportError,
};

/// What the orchestrator does after a step failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Try the same step again (bounded); after a lost or silent printer link, only after
    /// resynchronising with the printer (reset, status, card position).
    Retry,
    /// The card in hand is spoiled: reject it, record it `failed`, go on with the next card.
    /// Counts towards the station's breaker.
    RejectCard,
    /// A person must act at the printer (cover, ribbon, feeder): pause the station until its
    /// status is ready again, then go on with the same card.
    PauseStation,
    /// The station's setup is wrong (reader, PC/SC service, transport credentials, CA): the
    /// card in hand is rejected and waits for a new blank, the station pauses until an operator
    /// resumes it (`cardline stations resume NAME`). Not a card fault: the breaker ignores it.
    PauseForOperator,
    /// The station cannot go on (driver or model problem): put the card back and stop it.
    StopStation,
}

/// A failed step's error, as any of the seams reports it.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The printer failed.
    #[error(transparent)]
    Printer(#[from] PrinterError),
    /// The encoder failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl From<TransportError> for StepError {
    fn from(e: TransportError) -> Self {
        StepError::Encode(EncodeError::Transport(e))
    }
}

impl StepError {
    /// The disposition of this error.
    pub fn disposition(&self) -> Disposition {
        match self {
            StepError::Printer(e) => match e.class() {
                FaultClass::Transient => Disposition::Retry,
                FaultClass::Operator => Disposition::PauseStation,
                FaultClass::Card => Disposition::RejectCard,
                FaultClass::Setup => Disposition::PauseForOperator,
                FaultClass::Station => Disposition::StopStation,
            },
            StepError::Encode(e) if e.is_transient() => Disposition::Retry,
            StepError::Encode(e) if e.needs_operator() => Disposition::PauseForOperator,
            StepError::Encode(e) if e.is_card_fault() => Disposition::RejectCard,
            StepError::Encode(_) => Disposition::StopStation,
        }
    }

    /// True when the printer link was lost or went silent: the printer's state is unknown until
    /// it is resynchronised, so the step must not simply be sent again.
    pub fn lost_printer(&self) -> bool {
        matches!(
            self,
            StepError::Printer(PrinterError::Link(
                LinkError::Timeout { .. } | LinkError::Disconnected { .. }
            ))
        )
    }

    /// What the operator should check, for a station paused by this error.
    pub fn operator_hint(&self) -> &'static str {
        use TransportError as T;
        match self {
            StepError::Encode(EncodeError::Transport(T::NoCard { .. })) => {
                "the chip of the parked card is not in this reader: check the station's reader pattern (it may name another reader) and the printer's contact station"
            }
            StepError::Encode(EncodeError::Transport(T::NoReader { .. })) => {
                "check that the reader is plugged in and the station's reader pattern names it (`pcsc_scan` lists the readers)"
            }
            StepError::Encode(EncodeError::Transport(T::NoService)) => {
                "start the PC/SC service (pcscd)"
            }
            StepError::Encode(EncodeError::TransportCredential { .. }) => {
                "the blanks refuse the transport credentials: check the card profile's transport PIN/PUK/management key and that the feeder holds fresh blanks of that profile"
            }
            StepError::Encode(EncodeError::Issuer(_)) => {
                "the certificate authority cannot issue: check the CA (`cardline ca show`) and its validity"
            }
            StepError::Printer(e) if e.fault() == Some(PrinterFault::EncoderContact) => {
                "the printer's smart-card contacts did not engage: check its contact station (encoder module, cable, contacts), then resume the station"
            }
            _ => "check the station",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_device::{IssuerError, JobPhase};

    #[test]
    fn each_class_of_fault_has_its_disposition() {
        let d = |e: StepError| e.disposition();
        assert_eq!(d(PrinterError::Busy.into()), Disposition::Retry);
        assert_eq!(d(PrinterError::CoverOpen.into()), Disposition::PauseStation);
        assert_eq!(d(PrinterError::RibbonOut.into()), Disposition::PauseStation);
        let jam = PrinterError::Jam {
            phase: JobPhase::Feeding,
        };
        assert_eq!(d(jam.into()), Disposition::RejectCard);
        let refused = PrinterError::Refused {
            command: "Ss".into(),
            reply: "ERROR CDE".into(),
        };
        assert_eq!(d(refused.into()), Disposition::StopStation);
        let mute = TransportError::Mute { reader: "r".into() };
        assert_eq!(d(mute.into()), Disposition::RejectCard);
        let busy = TransportError::Busy { reader: "r".into() };
        assert_eq!(d(busy.into()), Disposition::Retry);
        assert_eq!(
            d(TransportError::NoService.into()),
            Disposition::PauseForOperator
        );
        assert_eq!(
            d(EncodeError::Verify("certificate differs".into()).into()),
            Disposition::RejectCard
        );
    }

    #[test]
    fn a_missing_chip_or_a_refused_transport_pin_pauses_the_station_not_the_card() {
        let no_card = StepError::from(TransportError::NoCard {
            reader: "Other Reader 00 00".into(),
            waited: std::time::Duration::from_secs(5),
        });
        assert_eq!(no_card.disposition(), Disposition::PauseForOperator);
        assert!(no_card.operator_hint().contains("reader pattern"));
        let pin = StepError::from(EncodeError::TransportCredential {
            what: "PIN",
            remaining: 2,
        });
        assert_eq!(pin.disposition(), Disposition::PauseForOperator);
        let ca = StepError::from(EncodeError::Issuer(IssuerError::Authority("down".into())));
        assert_eq!(ca.disposition(), Disposition::PauseForOperator);
    }

    #[test]
    fn every_fault_of_the_vocabulary_has_its_disposition_whatever_the_family() {
        let expected = |f: &PrinterFault| match f {
            PrinterFault::CoverOpen
            | PrinterFault::FeederEmpty
            | PrinterFault::RibbonOut
            | PrinterFault::RibbonMissing
            | PrinterFault::RejectBoxFull => Disposition::PauseStation,
            PrinterFault::Jam | PrinterFault::MagStripeVerify => Disposition::RejectCard,
            PrinterFault::HeadTemperature | PrinterFault::Busy => Disposition::Retry,
            PrinterFault::EncoderContact => Disposition::PauseForOperator,
            PrinterFault::Unknown(_) => Disposition::StopStation,
        };
        let faults = PrinterFault::known().chain([PrinterFault::Unknown("4711".into())]);
        for fault in faults {
            for phase in [JobPhase::Feeding, JobPhase::Parking, JobPhase::Printing] {
                let e = StepError::from(PrinterError::from_fault(fault.clone(), phase, "x"));
                assert_eq!(e.disposition(), expected(&fault), "{fault} while {phase}");
                assert!(!e.lost_printer());
            }
        }
        let contact = StepError::from(PrinterError::EncoderContact {
            phase: JobPhase::Parking,
        });
        assert!(contact.operator_hint().contains("contact station"));
        // Not faults: a card that did not reach the station is the card's; a driver that
        // cannot read the printer stops the station.
        let not_there = PrinterError::NotPositioned {
            wanted: "contact station".into(),
            last_seen: "NoCard".into(),
            waited_ms: 20_000,
        };
        assert_eq!(
            StepError::from(not_there).disposition(),
            Disposition::RejectCard
        );
        let unsupported = PrinterError::Unsupported {
            what: "print panels of 600 × 1016 dots".into(),
        };
        assert_eq!(
            StepError::from(unsupported).disposition(),
            Disposition::StopStation
        );
    }

    #[test]
    fn a_silent_printer_is_a_lost_printer_to_resynchronise() {
        let timeout = StepError::from(PrinterError::Link(LinkError::Timeout {
            link: "serial:/dev/pts/9".into(),
            operation: "waiting for a reply",
            after: std::time::Duration::from_secs(1),
        }));
        assert!(timeout.lost_printer());
        assert_eq!(timeout.disposition(), Disposition::Retry);
        assert!(!StepError::from(PrinterError::Busy).lost_printer());
    }
}
