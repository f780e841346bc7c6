//! Building a [`PrinterStatus`] from the `STA` queries, with the stable fault names of
//! [`MagicardFault::status_name`].

use crate::error_codes::MagicardFault;
use cardline_device::PrinterStatus;

/// Records a fault in a status snapshot: the flags for cover, hopper and reject box, a stable
/// name in `faults` for the rest; the cleaning warning is only logged.
pub fn record_fault(status: &mut PrinterStatus, fault: MagicardFault) {
    match fault {
        MagicardFault::CoverOpen => status.cover_open = true,
        MagicardFault::HopperEmpty => status.feeder_empty = true,
        MagicardFault::RejectBoxFull => status.reject_box_full = true,
        MagicardFault::CleaningOverdue => {
            tracing::warn!("printer reports: {fault}");
        }
        _ => {
            if let Some(name) = fault.status_name() {
                push_fault(status, &name);
            }
        }
    }
}

/// Adds a fault name once.
pub fn push_fault(status: &mut PrinterStatus, name: &str) {
    if !status.faults.iter().any(|f| f == name) {
        status.faults.push(name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_names_are_recorded_once() {
        let mut s = PrinterStatus::default();
        record_fault(&mut s, MagicardFault::CoverOpen);
        record_fault(&mut s, MagicardFault::CardJam);
        record_fault(&mut s, MagicardFault::FlipperJam);
        record_fault(&mut s, MagicardFault::Unknown(5));
        record_fault(&mut s, MagicardFault::CleaningOverdue);
        assert!(s.cover_open && !s.feeder_empty);
        assert_eq!(s.faults, vec!["card_jam", "unknown_5"]);
        assert!(!s.is_ready());
    }
}
