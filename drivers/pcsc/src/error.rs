//! Mapping of PC/SC errors to [`TransportError`], per situation.

use cardline_device::TransportError;

/// Maps a PC/SC error to the seam's error for `reader` (or the name pattern asked for).
pub fn map(error: pcsc::Error, reader: &str) -> TransportError {
    let reader = reader.to_string();
    match error {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => TransportError::NoService,
        pcsc::Error::UnknownReader
        | pcsc::Error::ReaderUnavailable
        | pcsc::Error::NoReadersAvailable => TransportError::NoReader { pattern: reader },
        pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard => {
            TransportError::CardRemoved { reader }
        }
        pcsc::Error::ResetCard => TransportError::CardReset { reader },
        pcsc::Error::UnresponsiveCard | pcsc::Error::UnpoweredCard => {
            TransportError::Mute { reader }
        }
        pcsc::Error::SharingViolation => TransportError::Busy { reader },
        other => TransportError::Reader {
            reader,
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_errors_callers_act_on() {
        assert_eq!(map(pcsc::Error::NoService, "r"), TransportError::NoService);
        assert!(matches!(
            map(pcsc::Error::UnknownReader, "Virtual"),
            TransportError::NoReader { pattern } if pattern == "Virtual"
        ));
        assert!(map(pcsc::Error::RemovedCard, "r").is_card_fault());
        assert!(map(pcsc::Error::ResetCard, "r").is_transient());
        assert!(map(pcsc::Error::SharingViolation, "r").is_transient());
        assert!(matches!(
            map(pcsc::Error::UnresponsiveCard, "r"),
            TransportError::Mute { .. }
        ));
        assert!(matches!(
            map(pcsc::Error::CommError, "r"),
            TransportError::Reader { detail, .. } if !detail.is_empty()
        ));
    }
}
