//! S-family card movements and job brackets (spec §1.5 "S — sequences / actions", §1.7).

use super::{Answer, Command, MECHANICS_TIMEOUT, expect_ok};
use crate::frame::frame;
use std::time::Duration;

/// Implements [`Command`] for a card movement: no parameters, `OK` expected, and as long as the
/// mechanics may take. `$mnemonic` names the command for a value of the type.
macro_rules! card_movement {
    ($ty:ty, $mnemonic:expr) => {
        impl Command for $ty {
            type Output = ();
            fn text(&self) -> String {
                let mnemonic: fn(&$ty) -> &'static str = $mnemonic;
                mnemonic(self).into()
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
    };
}

/// `Ss`: starts a card sequence (job bracket) — §1.5 `Ss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartSequence;

card_movement!(StartSequence, |_| "Ss");

/// `Sr` / `Sv`: the following downloads are for the front (recto) / back (verso) — §1.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectSide {
    /// `Sr`: front.
    Front,
    /// `Sv`: back (the card is flipped).
    Back,
}

card_movement!(SelectSide, |side| match side {
    SelectSide::Front => "Sr",
    SelectSide::Back => "Sv",
});

/// `Se`: ends the sequence (prints what was downloaded); outside a sequence, or with
/// `Pneab;A;1`, the card is ejected — §1.5 `Se`, §1.7 flow 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndSequence;

card_movement!(EndSequence, |_| "Se");

/// `Sis`: feed a card and park it at the smart-card contact station — §1.5 `Sis`, §1.7 flow 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsertToContactStation;

card_movement!(InsertToContactStation, |_| "Sis");

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

card_movement!(RejectCard, |reject| match reject.0 {
    RejectBox::UnderHopper => "Ser",
    RejectBox::UnderFeeder => "Seb",
});

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
