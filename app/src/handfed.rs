//! The encode-only station (`cardline encode`): a PC/SC reader on a desk, no printer. The
//! operator puts the card in the reader; the orchestrator drives it like any station — the
//! same journal, PIN/PUK/GUID generation, certificate path and failure policy — through a
//! "printer" whose feed is the operator's hand: parking is the card already being in the
//! reader, nothing is printed, ejecting and rejecting hand the card back.

use std::time::Duration;

use cardline_device::{
    CardImage, CardPosition, CardPrinter, PrinterCapabilities, PrinterError, PrinterStatus,
};
use cardline_issuance::production::Station;

use crate::encoders::{encoder_family, open_pcsc_reader};

/// The station-name prefix of encode-only stations (`encode:<reader name>`).
pub const ENCODE_STATION_PREFIX: &str = "encode:";

/// The hand that feeds an encode-only station.
struct HandFed {
    reader: String,
}

impl CardPrinter for HandFed {
    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        Ok(PrinterStatus {
            model: Some("hand-fed reader".into()),
            position: Some(CardPosition::ContactStation),
            ..PrinterStatus::default()
        })
    }
    fn park_for_encoding(&mut self) -> Result<(), PrinterError> {
        Ok(()) // the operator put the card in the reader
    }
    fn print(&mut self, _: &CardImage) -> Result<(), PrinterError> {
        Err(PrinterError::Unsupported {
            what: "print: an encode-only station has no printer".into(),
        })
    }
    fn eject(&mut self) -> Result<(), PrinterError> {
        Ok(()) // the operator takes the card out
    }
    fn reject(&mut self) -> Result<(), PrinterError> {
        Ok(()) // the operator sets the card aside
    }
    fn capabilities(&self) -> PrinterCapabilities {
        PrinterCapabilities {
            contact_station: true,
            ..PrinterCapabilities::default()
        }
    }
    fn describe(&self) -> String {
        format!("hand-fed reader {}", self.reader)
    }
}

/// Opens the encode-only station of the PC/SC reader whose name contains `pattern`, with the
/// encoder family `encoder` (`piv`). Its name is `encode:<reader name>`.
pub fn open_encode_station(pattern: &str, encoder: &str) -> Result<Station, String> {
    let family = encoder_family(encoder)?;
    let reader = open_pcsc_reader(pattern).map_err(|e| e.to_string())?;
    let name = format!("{ENCODE_STATION_PREFIX}{}", reader.name());
    let printer = HandFed {
        reader: reader.name(),
    };
    Ok(Station::new(name, Box::new(printer), reader, Some((family.open)())).encode_only())
}

/// How long an encode-only station waits for the card in the reader by default.
pub const DEFAULT_CARD_WAIT: Duration = Duration::from_secs(10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hand_feeds_parks_and_hands_back_but_never_prints() {
        let mut p = HandFed {
            reader: "Desk Reader 00 00".into(),
        };
        assert!(p.status().unwrap().is_ready());
        assert!(p.park_for_encoding().is_ok() && p.eject().is_ok() && p.reject().is_ok());
        assert!(matches!(
            p.print(&CardImage::default()),
            Err(PrinterError::Unsupported { .. })
        ));
        assert!(p.describe().contains("Desk Reader"));
    }
}
