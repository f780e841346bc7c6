//! Card movements and the reset (`docs/magicard-protocol.md` §4): each answers `OK` when done.

use super::{Answer, Command, MECHANICS_TIMEOUT, expect_ok};
use std::time::Duration;

/// Implements [`Command`] for an action: fixed text, `OK` expected, mechanics timeout.
macro_rules! action {
    ($ty:ty, $text:expr) => {
        impl Command for $ty {
            type Output = ();
            fn text(&self) -> String {
                $text.into()
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

/// `RST`: clears the current error and drops a partial job; a card inside stays where it is
/// (§4; \[DOC\] RST, \[CL\] reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reset;
action!(Reset, "RST");

/// `CHPDOWN`: moves the card in standby (feeding one if none) to the smart-card contacts and
/// lowers them; `OK` when it is there (§4; \[DOC\] "CHP UP/DOWN", \[CL\] direction and reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContactsDown;
action!(ContactsDown, "CHPDOWN");

/// `CHPUP`: lifts the contacts; the card goes back to standby, ready to print (§4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContactsUp;
action!(ContactsUp, "CHPUP");

/// `EJT`: ejects the card inside to the output hopper (§4; \[DOC\] EJT, \[CL\] reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eject;
action!(Eject, "EJT");

/// `RJT`: moves the card inside to the reject box (§4; \[CL\], no public command).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reject;
action!(Reject, "RJT");

/// `FEED<n>`: takes `n` blanks from the hopper to standby (§4; \[DOC\] FEED%d, \[CL\] reply). The
/// driver's flows do not need it (`CHPDOWN` and a print job feed by themselves); it is here for
/// tools and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Feed(pub u8);

impl Command for Feed {
    type Output = ();
    fn text(&self) -> String {
        format!("FEED{}", self.0)
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
    fn actions_wait_for_the_mechanics() {
        assert_eq!(Eject.timeout(), MECHANICS_TIMEOUT);
        assert_eq!(Feed(1).text(), "FEED1");
        assert_eq!(Reject.parse(Answer::Value("OK!")), None);
    }
}
