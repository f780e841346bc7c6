//! [`PrinterFault`]: the faults every printer family reports, in one vocabulary.
//!
//! Each driver maps its own wire codes onto these (Evolis: the `ERR …` replies of
//! `drivers/evolis/src/fault.rs`; Magicard: the `ERR,<code>` numbers of
//! `drivers/magicard/src/error_codes.rs`), so the orchestrator's failure policy and the operator
//! tools read one typed list, never a driver's text. A code no table knows keeps its raw form
//! in [`PrinterFault::Unknown`].
//!
//! ```
//! use cardline_device::{FaultClass, PrinterFault};
//! assert_eq!(PrinterFault::CoverOpen.class(), FaultClass::Operator);
//! assert_eq!(PrinterFault::EncoderContact.class(), FaultClass::Setup);
//! assert_eq!(PrinterFault::Unknown("4711".into()).to_string(), "unknown_4711");
//! let parsed: PrinterFault = "head_overheat".parse().unwrap();
//! assert_eq!(parsed, PrinterFault::HeadTemperature);
//! ```

/// A fault a printer reports, whatever its family.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PrinterFault {
    /// The cover (lid) is open: a person closes it.
    CoverOpen,
    /// The feeder (hopper) has no blank card: a person loads cards.
    FeederEmpty,
    /// The ribbon (dye film) is used up or expired: a person replaces it.
    RibbonOut,
    /// No ribbon, or one the printer does not accept: a person installs one.
    RibbonMissing,
    /// A card jammed: the card in hand is lost, production goes on with a fresh one.
    Jam,
    /// The magnetic stripe of the card in hand did not verify: that card is spoiled.
    MagStripeVerify,
    /// The reject box is full: a person empties it.
    RejectBoxFull,
    /// The print head is too hot: the printer cools down by itself.
    HeadTemperature,
    /// The smart-card contacts did not engage: the contact station (module, cable) must be
    /// checked before the station goes on; the card in hand is not blamed.
    EncoderContact,
    /// The printer is busy with another job or session: retry shortly.
    Busy,
    /// A fault code no table of cardline knows, as the printer sent it (`4711` for a Magicard
    /// `ERR,4711`): look it up in the printer's manual.
    Unknown(String),
}

/// What a fault means for production: who or what clears it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultClass {
    /// Clears by itself: retry the step.
    Transient,
    /// A person at the printer clears it (cover, ribbon, feeder, reject box); the printer's
    /// status says when it is cleared.
    Operator,
    /// The card in hand is spoiled; the printer goes on with the next card.
    Card,
    /// The station's setup must be checked (the contact station does not engage); an operator
    /// resumes the station afterwards. Not the card's fault.
    Setup,
    /// The station cannot go on (a fault cardline does not know, a driver or model problem).
    Station,
}

/// The stable names of the known faults, as [`PrinterFault`]'s `Display` and serde write them.
const NAMES: [(&str, PrinterFault); 10] = [
    ("cover_open", PrinterFault::CoverOpen),
    ("feeder_empty", PrinterFault::FeederEmpty),
    ("ribbon_out", PrinterFault::RibbonOut),
    ("ribbon_missing", PrinterFault::RibbonMissing),
    ("card_jam", PrinterFault::Jam),
    ("mag_verify_failed", PrinterFault::MagStripeVerify),
    ("reject_box_full", PrinterFault::RejectBoxFull),
    ("head_overheat", PrinterFault::HeadTemperature),
    ("encoder_contact", PrinterFault::EncoderContact),
    ("busy", PrinterFault::Busy),
];

/// Prefix of the name of an [`PrinterFault::Unknown`] fault (`unknown_4711`).
const UNKNOWN_PREFIX: &str = "unknown_";

/// Most characters of a raw code kept in [`PrinterFault::Unknown`] (a printer's code is short;
/// a longer one is cut so a peer cannot fill logs and status lists).
pub const MAX_RAW_CODE: usize = 40;

impl PrinterFault {
    /// Every fault with a fixed name, in the order of the vocabulary table.
    pub fn known() -> impl Iterator<Item = PrinterFault> {
        NAMES.into_iter().map(|(_, f)| f)
    }

    /// An unknown fault keeping `raw`, cut to [`MAX_RAW_CODE`] characters (then marked `…`),
    /// control characters escaped.
    pub fn unknown(raw: &str) -> PrinterFault {
        PrinterFault::Unknown(crate::echo::text(raw, MAX_RAW_CODE))
    }

    /// Who or what clears this fault.
    pub fn class(&self) -> FaultClass {
        match self {
            PrinterFault::CoverOpen
            | PrinterFault::FeederEmpty
            | PrinterFault::RibbonOut
            | PrinterFault::RibbonMissing
            | PrinterFault::RejectBoxFull => FaultClass::Operator,
            PrinterFault::Jam | PrinterFault::MagStripeVerify => FaultClass::Card,
            PrinterFault::HeadTemperature | PrinterFault::Busy => FaultClass::Transient,
            PrinterFault::EncoderContact => FaultClass::Setup,
            PrinterFault::Unknown(_) => FaultClass::Station,
        }
    }

    /// What the operator should do, in words.
    pub fn advice(&self) -> String {
        match self {
            PrinterFault::CoverOpen => "close the printer's cover".into(),
            PrinterFault::FeederEmpty => "load blank cards".into(),
            PrinterFault::RibbonOut => "replace the ribbon (used up or expired)".into(),
            PrinterFault::RibbonMissing => "install a supported ribbon".into(),
            PrinterFault::Jam => "remove the jammed card if the printer did not reject it".into(),
            PrinterFault::MagStripeVerify => {
                "the card's magnetic stripe did not verify: the card is set aside".into()
            }
            PrinterFault::RejectBoxFull => "empty the reject box".into(),
            PrinterFault::HeadTemperature => "wait: the print head cools down by itself".into(),
            PrinterFault::EncoderContact => {
                "check the printer's smart-card contact station (module and cable), then resume the station".into()
            }
            PrinterFault::Busy => "wait: the printer is busy".into(),
            PrinterFault::Unknown(code) => format!(
                "look up fault code {code} in the printer's manual, clear it at the printer, and report it to cardline"
            ),
        }
    }
}

impl std::fmt::Display for PrinterFault {
    /// The stable name (`cover_open`, `card_jam`, `unknown_4711`), used in status lists,
    /// JSON and scripts.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrinterFault::Unknown(code) => write!(f, "{UNKNOWN_PREFIX}{code}"),
            known => {
                let name = NAMES
                    .iter()
                    .find(|(_, k)| k == known)
                    .map_or("unknown", |(n, _)| *n);
                f.write_str(name)
            }
        }
    }
}

/// A fault name that is neither known nor `unknown_<code>`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a printer fault name (known: cover_open, feeder_empty, ribbon_out, ribbon_missing, card_jam, mag_verify_failed, reject_box_full, head_overheat, encoder_contact, busy, unknown_<code>)"
)]
pub struct FaultNameError(pub String);

impl std::str::FromStr for PrinterFault {
    type Err = FaultNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some((_, f)) = NAMES.iter().find(|(n, _)| *n == s) {
            return Ok(f.clone());
        }
        match s.strip_prefix(UNKNOWN_PREFIX) {
            Some(code) if !code.is_empty() => Ok(PrinterFault::unknown(code)),
            _ => Err(FaultNameError(crate::echo::text(
                s,
                crate::echo::ECHO_LIMIT,
            ))),
        }
    }
}

impl serde::Serialize for PrinterFault {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PrinterFault {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for f in PrinterFault::known().chain([PrinterFault::Unknown("ERR X".into())]) {
            let name = f.to_string();
            assert!(seen.insert(name.clone()), "{name} twice");
            assert_eq!(name.parse::<PrinterFault>().unwrap(), f);
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<PrinterFault>(&json).unwrap(), f);
        }
        assert!("card_jammed".parse::<PrinterFault>().is_err());
        assert!("unknown_".parse::<PrinterFault>().is_err());
        let long = PrinterFault::unknown(&"9".repeat(1000));
        assert_eq!(
            long.to_string(),
            format!("{UNKNOWN_PREFIX}{}…", "9".repeat(MAX_RAW_CODE))
        );
    }

    #[test]
    fn every_class_has_its_faults() {
        use FaultClass as C;
        let class = |f: PrinterFault| f.class();
        assert_eq!(class(PrinterFault::RibbonOut), C::Operator);
        assert_eq!(class(PrinterFault::RejectBoxFull), C::Operator);
        assert_eq!(class(PrinterFault::Jam), C::Card);
        assert_eq!(class(PrinterFault::MagStripeVerify), C::Card);
        assert_eq!(class(PrinterFault::HeadTemperature), C::Transient);
        assert_eq!(class(PrinterFault::Busy), C::Transient);
        assert_eq!(class(PrinterFault::EncoderContact), C::Setup);
        assert_eq!(class(PrinterFault::Unknown("7".into())), C::Station);
        assert!(
            PrinterFault::Unknown("7".into())
                .advice()
                .contains("fault code 7")
        );
    }
}
