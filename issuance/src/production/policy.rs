//! The failure policy: what to do with a failed step, decided from the typed classification
//! of device errors only (never from their text).

use cardline_device::{EncodeError, PrinterError, TransportError};

/// What the orchestrator does after a step failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Try the same step again (bounded).
    Retry,
    /// The card in hand is spoiled: reject it, record it `failed`, go on with the next card.
    RejectCard,
    /// A person must act at the printer: pause the station until its status is ready again.
    PauseStation,
    /// The station cannot go on (setup or driver problem): put the card back and stop it.
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
            StepError::Printer(e) if e.is_transient() => Disposition::Retry,
            StepError::Printer(e) if e.needs_operator() => Disposition::PauseStation,
            StepError::Printer(e) if e.is_card_fault() => Disposition::RejectCard,
            StepError::Printer(_) => Disposition::StopStation,
            StepError::Encode(e) if e.is_transient() => Disposition::Retry,
            StepError::Encode(e) if e.is_card_fault() => Disposition::RejectCard,
            StepError::Encode(_) => Disposition::StopStation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_device::JobPhase;

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
            Disposition::StopStation
        );
        assert_eq!(
            d(EncodeError::Verify("certificate differs".into()).into()),
            Disposition::RejectCard
        );
    }
}
