//! S-family card movements and job brackets (spec §1.5 "S — sequences / actions", §1.7).

use super::{Answer, Command, MECHANICS_TIMEOUT, expect_ok};
use crate::frame::frame;
use std::time::Duration;

/// `Ss`: starts a card sequence (job bracket) — §1.5 `Ss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartSequence;

impl Command for StartSequence {
    type Output = ();
    fn text(&self) -> String {
        "Ss".into()
    }
    fn frame(&self) -> Vec<u8> {
        frame("Ss", &[])
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
    fn timeout(&self) -> Duration {
        MECHANICS_TIMEOUT
    }
}

/// `Sr` / `Sv`: the following downloads are for the front (recto) / back (verso) — §1.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectSide {
    /// `Sr`: front.
    Front,
    /// `Sv`: back (the card is flipped).
    Back,
}

impl Command for SelectSide {
    type Output = ();
    fn text(&self) -> String {
        match self {
            SelectSide::Front => "Sr".into(),
            SelectSide::Back => "Sv".into(),
        }
    }
    fn frame(&self) -> Vec<u8> {
        frame(&self.text(), &[])
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
    fn timeout(&self) -> Duration {
        MECHANICS_TIMEOUT
    }
}

/// `Se`: ends the sequence (prints what was downloaded); outside a sequence, or with
/// `Pneab;A;1`, the card is ejected — §1.5 `Se`, §1.7 flow 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndSequence;

impl Command for EndSequence {
    type Output = ();
    fn text(&self) -> String {
        "Se".into()
    }
    fn frame(&self) -> Vec<u8> {
        frame("Se", &[])
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
    fn timeout(&self) -> Duration {
        MECHANICS_TIMEOUT
    }
}

/// `Sis`: feed a card and park it at the smart-card contact station — §1.5 `Sis`, §1.7 flow 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsertToContactStation;

impl Command for InsertToContactStation {
    type Output = ();
    fn text(&self) -> String {
        "Sis".into()
    }
    fn frame(&self) -> Vec<u8> {
        frame("Sis", &[])
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
    fn timeout(&self) -> Duration {
        MECHANICS_TIMEOUT
    }
}

/// Which reject box a card goes to (§1.5 `Ser`, `Seb`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RejectBox {
    /// `Ser`: the reject box under the output hopper.
    #[default]
    UnderHopper,
    /// `Seb`: the reject box under the feeder.
    UnderFeeder,
}

/// `Ser` / `Seb`: move the card to a reject box — §1.5, §1.7 flow 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RejectCard(pub RejectBox);

impl Command for RejectCard {
    type Output = ();
    fn text(&self) -> String {
        match self.0 {
            RejectBox::UnderHopper => "Ser".into(),
            RejectBox::UnderFeeder => "Seb".into(),
        }
    }
    fn frame(&self) -> Vec<u8> {
        frame(&self.text(), &[])
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
    fn timeout(&self) -> Duration {
        MECHANICS_TIMEOUT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movements_frame_as_documented_and_wait_for_mechanics() {
        assert_eq!(StartSequence.frame(), b"\x1bSs\r");
        assert_eq!(SelectSide::Front.frame(), b"\x1bSr\r");
        assert_eq!(SelectSide::Back.frame(), b"\x1bSv\r");
        assert_eq!(EndSequence.frame(), b"\x1bSe\r");
        assert_eq!(InsertToContactStation.frame(), b"\x1bSis\r");
        assert_eq!(RejectCard(RejectBox::UnderHopper).frame(), b"\x1bSer\r");
        assert_eq!(RejectCard(RejectBox::UnderFeeder).frame(), b"\x1bSeb\r");
        assert_eq!(EndSequence.timeout(), MECHANICS_TIMEOUT);
        assert_eq!(EndSequence.parse(Answer::Value("CARD")), None);
    }
}
