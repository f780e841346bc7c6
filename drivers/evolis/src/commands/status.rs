//! R-family status queries (spec §1.4 reply vocabulary, §1.5 "R — read", §1.7 flow 7).

use super::{Answer, Command};
use crate::frame::frame;
use cardline_device::CardPosition;

/// `Rlr;p`: where the card is (§1.4): `OK`/`NO CARD` none, `CARD` print position,
/// `SMART CARD` contact station, `CONTACTLESS CARD` contactless station.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadCardPosition;

impl Command for ReadCardPosition {
    type Output = CardPosition;
    fn text(&self) -> String {
        "Rlr;p".into()
    }
    fn frame(&self) -> Vec<u8> {
        frame("Rlr", &["p"])
    }
    fn parse(&self, a: Answer<'_>) -> Option<CardPosition> {
        Some(match a {
            Answer::Ok | Answer::Value("NO CARD") => CardPosition::NoCard,
            Answer::Value("CARD") => CardPosition::PrintPosition,
            Answer::Value("SMART CARD") => CardPosition::ContactStation,
            Answer::Value("CONTACTLESS CARD") => CardPosition::ContactlessStation,
            Answer::Value(other) => CardPosition::Unknown(other.to_string()),
        })
    }
}

/// `Rlr;h`: is the eject/reject box full? `CARD` full, `NO CARD` not full (§1.4, KC kiosk).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadRejectBox;

impl Command for ReadRejectBox {
    /// True when the box is full.
    type Output = bool;
    fn text(&self) -> String {
        "Rlr;h".into()
    }
    fn frame(&self) -> Vec<u8> {
        frame("Rlr", &["h"])
    }
    fn parse(&self, a: Answer<'_>) -> Option<bool> {
        match a {
            Answer::Value("CARD") => Some(true),
            Answer::Value("NO CARD") | Answer::Ok => Some(false),
            Answer::Value(_) => None,
        }
    }
}

/// A sensor read with `Rse;<letter>` (§1.4, §1.5 `Rse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sensor {
    /// `o`: cover — low voltage means open.
    Cover,
    /// `f`: feeder — low voltage means empty.
    Feeder,
}

/// A sensor voltage; the printer writes it with a decimal comma: `5,00 Volts` (§1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Volts {
    /// The voltage in millivolts.
    pub millivolts: u32,
}

impl Volts {
    /// Parses `5,00 Volts` (also tolerates a decimal point and a bare `V`).
    pub fn parse(text: &str) -> Option<Volts> {
        let number = text
            .trim()
            .trim_end_matches("Volts")
            .trim_end_matches('V')
            .trim()
            .replace(',', ".");
        let v: f64 = number.parse().ok()?;
        (v.is_finite() && v >= 0.0).then(|| Volts {
            millivolts: (v * 1000.0).round() as u32,
        })
    }

    /// True for a "high" sensor (≥ 2.5 V): cover closed, feeder has cards.
    pub fn is_high(self) -> bool {
        self.millivolts >= 2500
    }
}

/// `Rse;<sensor>`: a sensor voltage (§1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadSensor(pub Sensor);

impl ReadSensor {
    fn letter(self) -> &'static str {
        match self.0 {
            Sensor::Cover => "o",
            Sensor::Feeder => "f",
        }
    }
}

impl Command for ReadSensor {
    type Output = Volts;
    fn text(&self) -> String {
        format!("Rse;{}", self.letter())
    }
    fn frame(&self) -> Vec<u8> {
        frame("Rse", &[self.letter()])
    }
    fn parse(&self, a: Answer<'_>) -> Option<Volts> {
        match a {
            Answer::Value(v) => Volts::parse(v),
            Answer::Ok => None,
        }
    }
}

/// Which ribbon quantity `Rrt` reads (§1.4, §1.5 `Rrt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RibbonQuantity {
    /// `count`: prints left.
    Remaining,
    /// `qty`: capacity of the ribbon.
    Capacity,
}

/// `Rrt;count` / `Rrt;qty`: ribbon counters. Output `None` for the spurious `OK` some firmware
/// sends right after cover events (§1.4) — the caller retries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadRibbon(pub RibbonQuantity);

impl ReadRibbon {
    fn key(self) -> &'static str {
        match self.0 {
            RibbonQuantity::Remaining => "count",
            RibbonQuantity::Capacity => "qty",
        }
    }
}

impl Command for ReadRibbon {
    type Output = Option<u32>;
    fn text(&self) -> String {
        format!("Rrt;{}", self.key())
    }
    fn frame(&self) -> Vec<u8> {
        frame("Rrt", &[self.key()])
    }
    fn parse(&self, a: Answer<'_>) -> Option<Option<u32>> {
        match a {
            Answer::Ok => Some(None),
            Answer::Value(v) => v.trim().parse().ok().map(Some),
        }
    }
}

/// `Rr`: reads back the ribbon type set with `Pr` (§1.5 "read back the matching P-setting").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadRibbonType;

impl Command for ReadRibbonType {
    type Output = String;
    fn text(&self) -> String {
        "Rr".into()
    }
    fn frame(&self) -> Vec<u8> {
        frame("Rr", &[])
    }
    fn parse(&self, a: Answer<'_>) -> Option<String> {
        match a {
            Answer::Value(v) => Some(v.to_string()),
            Answer::Ok => None,
        }
    }
}

/// `Rco;c`: cards inserted over the printer's life (§1.5 `Rco`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadCardsInserted;

impl Command for ReadCardsInserted {
    type Output = u64;
    fn text(&self) -> String {
        "Rco;c".into()
    }
    fn frame(&self) -> Vec<u8> {
        frame("Rco", &["c"])
    }
    fn parse(&self, a: Answer<'_>) -> Option<u64> {
        match a {
            Answer::Value(v) => v.trim().parse().ok(),
            Answer::Ok => None,
        }
    }
}

/// Which identity string to read (§1.5 `Rfv`/`Rtp`/`Rsn`; replies are bare strings, §1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    /// `Rtp`: model name.
    Model,
    /// `Rsn`: serial number.
    Serial,
    /// `Rfv`: firmware version.
    Firmware,
}

/// `Rtp` / `Rsn` / `Rfv`: a bare identity string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadIdentity(pub Identity);

impl Command for ReadIdentity {
    type Output = String;
    fn text(&self) -> String {
        match self.0 {
            Identity::Model => "Rtp".into(),
            Identity::Serial => "Rsn".into(),
            Identity::Firmware => "Rfv".into(),
        }
    }
    fn frame(&self) -> Vec<u8> {
        frame(&self.text(), &[])
    }
    fn parse(&self, a: Answer<'_>) -> Option<String> {
        match a {
            Answer::Value(v) => Some(v.to_string()),
            Answer::Ok => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_position_replies() {
        let c = ReadCardPosition;
        assert_eq!(c.frame(), b"\x1bRlr;p\r");
        assert_eq!(c.parse(Answer::Ok), Some(CardPosition::NoCard));
        assert_eq!(
            c.parse(Answer::Value("NO CARD")),
            Some(CardPosition::NoCard)
        );
        assert_eq!(
            c.parse(Answer::Value("CARD")),
            Some(CardPosition::PrintPosition)
        );
        assert_eq!(
            c.parse(Answer::Value("SMART CARD")),
            Some(CardPosition::ContactStation)
        );
        assert_eq!(
            c.parse(Answer::Value("CONTACTLESS CARD")),
            Some(CardPosition::ContactlessStation)
        );
        assert_eq!(
            c.parse(Answer::Value("MAG CARD")),
            Some(CardPosition::Unknown("MAG CARD".into()))
        );
    }

    #[test]
    fn reject_box_replies() {
        assert_eq!(ReadRejectBox.frame(), b"\x1bRlr;h\r");
        assert_eq!(ReadRejectBox.parse(Answer::Value("CARD")), Some(true));
        assert_eq!(ReadRejectBox.parse(Answer::Value("NO CARD")), Some(false));
        assert_eq!(ReadRejectBox.parse(Answer::Value("MAYBE")), None);
    }

    #[test]
    fn sensor_volts_use_a_decimal_comma() {
        assert_eq!(ReadSensor(Sensor::Cover).frame(), b"\x1bRse;o\r");
        assert_eq!(ReadSensor(Sensor::Feeder).frame(), b"\x1bRse;f\r");
        let v = ReadSensor(Sensor::Feeder)
            .parse(Answer::Value("5,00 Volts"))
            .unwrap();
        assert_eq!(v.millivolts, 5000);
        assert!(v.is_high());
        let v = ReadSensor(Sensor::Cover)
            .parse(Answer::Value("0,17 Volts"))
            .unwrap();
        assert_eq!(v.millivolts, 170);
        assert!(!v.is_high());
        assert_eq!(Volts::parse("3.92 V").unwrap().millivolts, 3920);
        assert_eq!(Volts::parse("lots"), None);
        assert_eq!(ReadSensor(Sensor::Cover).parse(Answer::Ok), None);
    }

    #[test]
    fn ribbon_counters_and_spurious_ok() {
        assert_eq!(
            ReadRibbon(RibbonQuantity::Remaining).frame(),
            b"\x1bRrt;count\r"
        );
        assert_eq!(
            ReadRibbon(RibbonQuantity::Capacity).frame(),
            b"\x1bRrt;qty\r"
        );
        let r = ReadRibbon(RibbonQuantity::Remaining);
        assert_eq!(r.parse(Answer::Value("187")), Some(Some(187)));
        assert_eq!(r.parse(Answer::Ok), Some(None));
        assert_eq!(r.parse(Answer::Value("F616")), None);
    }

    #[test]
    fn identity_counters_and_ribbon_type() {
        assert_eq!(ReadIdentity(Identity::Model).frame(), b"\x1bRtp\r");
        assert_eq!(ReadIdentity(Identity::Serial).frame(), b"\x1bRsn\r");
        assert_eq!(ReadIdentity(Identity::Firmware).frame(), b"\x1bRfv\r");
        assert_eq!(
            ReadIdentity(Identity::Model).parse(Answer::Value("Primacy 2")),
            Some("Primacy 2".into())
        );
        assert_eq!(ReadCardsInserted.frame(), b"\x1bRco;c\r");
        assert_eq!(ReadCardsInserted.parse(Answer::Value("1234")), Some(1234));
        assert_eq!(ReadRibbonType.frame(), b"\x1bRr\r");
        assert_eq!(
            ReadRibbonType.parse(Answer::Value("ymcko")),
            Some("ymcko".into())
        );
    }
}
