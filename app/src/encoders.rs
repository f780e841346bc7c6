//! The encoder family registry ([`ENCODERS`], selected by a station's `encoder` key, default
//! `piv`) and the contact readers a station can have ([`ReaderChoice`]).

use std::time::Duration;

use cardline_device::{CardEncoder, CardReader, CardTransport, TransportError};
use cardline_issuance::stations::StationSpec;
use cardline_piv::PivEncoder;

use crate::registry::OWN_READER;

/// One encoder family: personalises the chip of a card parked at the contact station.
#[derive(Debug)]
pub struct EncoderFamily {
    /// Its name in the stations file (`encoder = "piv"`).
    pub name: &'static str,
    /// What it writes, for people.
    pub label: &'static str,
    /// A new encoder.
    pub open: fn() -> Box<dyn CardEncoder>,
}

/// Every encoder family cardline knows. One line per family.
pub static ENCODERS: &[EncoderFamily] = &[EncoderFamily {
    name: "piv",
    label: "PIV card edge (keys, certificates, CHUID, CCC)",
    open: || Box::new(PivEncoder::new()),
}];

/// The encoder family named `name`, or what is known.
pub fn encoder_family(name: &str) -> Result<&'static EncoderFamily, String> {
    ENCODERS.iter().find(|e| e.name == name).ok_or_else(|| {
        let known: Vec<&str> = ENCODERS.iter().map(|e| e.name).collect();
        format!("unknown encoder family (known: {})", known.join(", "))
    })
}

/// Which contact reader a station uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReaderChoice {
    /// None: a print-only station (its reader answers every connect with an error).
    None,
    /// The reader that comes with the printer (`reader = "sim"` with a `sim://` printer).
    Own,
    /// The PC/SC reader whose name contains this pattern (case-insensitive).
    Pcsc(String),
}

impl ReaderChoice {
    /// The reader `spec` declares: the printer's own, a PC/SC reader when the station encodes,
    /// none for a print-only station.
    pub fn of(spec: &StationSpec) -> ReaderChoice {
        match spec.reader.as_deref() {
            Some(OWN_READER) => ReaderChoice::Own,
            Some(pattern) if spec.encode => ReaderChoice::Pcsc(pattern.to_string()),
            _ => ReaderChoice::None,
        }
    }
}

/// The PC/SC reader whose name contains `pattern`.
pub fn open_pcsc_reader(pattern: &str) -> Result<Box<dyn CardReader>, TransportError> {
    let readers = cardline_pcsc::PcscReaders::establish()?;
    Ok(Box::new(readers.find(pattern)?))
}

/// The reader of a print-only station: there is no chip to talk to.
#[derive(Debug)]
pub struct NoReader(pub String);

impl CardReader for NoReader {
    fn name(&self) -> String {
        format!("{} (print only, no reader)", self.0)
    }
    fn connect(
        &mut self,
        _timeout: Duration,
    ) -> Result<Box<dyn CardTransport + '_>, TransportError> {
        Err(TransportError::NoReader {
            pattern: format!("{} is a print-only station", self.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piv_is_the_only_encoder_and_others_are_named_in_the_error() {
        assert_eq!(encoder_family("piv").unwrap().name, "piv");
        let e = encoder_family("mifare").unwrap_err();
        assert!(e.contains("known: piv"), "{e}");
    }

    #[test]
    fn a_print_only_station_has_no_reader_unless_it_is_the_printers_own() {
        let mut spec = StationSpec::new("a", "evolis+tcp://h:1", Some("OMNIKEY"));
        assert_eq!(
            ReaderChoice::of(&spec),
            ReaderChoice::Pcsc("OMNIKEY".into())
        );
        spec.encode = false;
        assert_eq!(ReaderChoice::of(&spec), ReaderChoice::None);
        spec.reader = Some("sim".into());
        assert_eq!(ReaderChoice::of(&spec), ReaderChoice::Own);
        let mut none = NoReader("p".into());
        assert!(matches!(
            none.connect(Duration::ZERO).err(),
            Some(TransportError::NoReader { .. })
        ));
    }
}
