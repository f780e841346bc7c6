//! Building a [`PrinterStatus`] from the `STA` queries, in the fault vocabulary of
//! `cardline_device` ([`MagicardFault::fault`]).

use crate::error_codes::MagicardFault;
use cardline_device::PrinterStatus;

/// Records a fault in a status snapshot: the flags for cover, hopper and reject box, the typed
/// fault in `faults` for the rest; the cleaning warning is only logged.
pub fn record_fault(status: &mut PrinterStatus, fault: MagicardFault) {
    match fault.fault() {
        Some(f) => status.record(f),
        None => tracing::warn!("printer reports: {fault}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cardline_device::PrinterFault;

    #[test]
    fn flags_and_faults_are_recorded_once() {
        let mut s = PrinterStatus::default();
        record_fault(&mut s, MagicardFault::CoverOpen);
        record_fault(&mut s, MagicardFault::CardJam);
        record_fault(&mut s, MagicardFault::FlipperJam);
        record_fault(&mut s, MagicardFault::Unknown(5));
        record_fault(&mut s, MagicardFault::CleaningOverdue);
        assert!(s.cover_open && !s.feeder_empty);
        assert_eq!(
            s.faults,
            vec![PrinterFault::Jam, PrinterFault::Unknown("5".into())]
        );
        assert!(!s.is_ready());
    }
}
