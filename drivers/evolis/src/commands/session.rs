//! P-family settings sent by the driver (spec §1.5 "P — parameters", §1.8).

use super::{Answer, Command, expect_ok};
use crate::frame::frame;

/// `Pem;<mode>`: error management mode (§1.8). The driver uses 2, "host manages errors",
/// so faults come back as replies instead of the printer waiting for the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorManagement(pub u8);

impl Command for ErrorManagement {
    type Output = ();
    fn text(&self) -> String {
        format!("Pem;{}", self.0)
    }
    fn frame(&self) -> Vec<u8> {
        frame("Pem", &[&self.0.to_string()])
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
}

/// `Pr;<ribbon>`: the ribbon type of the next job (§1.5 `Pr`, §1.7 flows 1–2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RibbonType {
    /// `ymcko`: colour, resin black, overlay.
    Ymcko,
    /// `ko`: resin black and overlay.
    Ko,
    /// `k`: resin black only.
    K,
}

impl RibbonType {
    /// The ribbon's name on the wire.
    pub fn code(self) -> &'static str {
        match self {
            RibbonType::Ymcko => "ymcko",
            RibbonType::Ko => "ko",
            RibbonType::K => "k",
        }
    }
}

impl Command for RibbonType {
    type Output = ();
    fn text(&self) -> String {
        format!("Pr;{}", self.code())
    }
    fn frame(&self) -> Vec<u8> {
        frame("Pr", &[self.code()])
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
}

/// `Pneab;E` (keep the card inside at the end of a sequence) or `Pneab;A;1` (eject at the end)
/// — §1.5 `Pneab`, §1.7 flow 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EjectAtEnd(pub bool);

impl Command for EjectAtEnd {
    type Output = ();
    fn text(&self) -> String {
        if self.0 {
            "Pneab;A;1".into()
        } else {
            "Pneab;E".into()
        }
    }
    fn frame(&self) -> Vec<u8> {
        if self.0 {
            frame("Pneab", &["A", "1"])
        } else {
            frame("Pneab", &["E"])
        }
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
}

/// `Pcrm;D`: rejected cards go to the default reject box (§1.5 `Pcrm`, §1.7 flow 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RejectDestination;

impl Command for RejectDestination {
    type Output = ();
    fn text(&self) -> String {
        "Pcrm;D".into()
    }
    fn frame(&self) -> Vec<u8> {
        frame("Pcrm", &["D"])
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_frame_as_documented() {
        assert_eq!(ErrorManagement(2).frame(), b"\x1bPem;2\r");
        assert_eq!(RibbonType::Ymcko.frame(), b"\x1bPr;ymcko\r");
        assert_eq!(RibbonType::Ko.frame(), b"\x1bPr;ko\r");
        assert_eq!(RibbonType::K.frame(), b"\x1bPr;k\r");
        assert_eq!(EjectAtEnd(false).frame(), b"\x1bPneab;E\r");
        assert_eq!(EjectAtEnd(true).frame(), b"\x1bPneab;A;1\r");
        assert_eq!(RejectDestination.frame(), b"\x1bPcrm;D\r");
        assert_eq!(EjectAtEnd(true).text(), "Pneab;A;1");
    }
}
