//! One type per command of `docs/magicard-protocol.md` §4: its text, frame and reply parser side
//! by side. The print job ([`crate::job::PrintJob`]) is a command too, so every exchange goes
//! through the one send path of [`crate::channel`].

use std::borrow::Cow;
use std::time::Duration;

mod actions;
mod status;

pub use actions::{ContactsDown, ContactsUp, Eject, Feed, Reject, Reset};
pub use status::{
    CounterKey, IdentityKey, ReadCounter, ReadErrorCode, ReadHopper, ReadIdentity, ReadLid,
    ReadPosition, ReadRejectBox, ReadRibbon,
};

/// Reply timeout for status queries.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Reply timeout for commands that wait for mechanics (feed, contacts, eject, reject, reset).
pub const MECHANICS_TIMEOUT: Duration = Duration::from_secs(120);
/// Reply timeout for a print job: the reply comes after the last panel is printed.
pub const JOB_TIMEOUT: Duration = Duration::from_secs(300);

/// A successful reply, as handed to [`Command::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer<'a> {
    /// `OK` (or the cleaning warning `ERR,2048`, which means done).
    Ok,
    /// Any other text that is not an error, e.g. `STA,POS,CONTACTS` or `PRT,OK`.
    Value(&'a str),
}

/// A command (or a print job): what is sent and what its reply means.
pub trait Command {
    /// What a successful reply means.
    type Output;
    /// The command as text for logs and errors (`STA,POS`, `CHPDOWN`; a summary for a job).
    fn text(&self) -> String;
    /// The bytes to send (§1).
    fn frame(&self) -> Cow<'_, [u8]> {
        Cow::Owned(crate::frame::command_frame(&self.text()))
    }
    /// Interprets a successful reply; `None` when it makes no sense for this command.
    fn parse(&self, answer: Answer<'_>) -> Option<Self::Output>;
    /// How long the printer may take to reply.
    fn timeout(&self) -> Duration {
        QUERY_TIMEOUT
    }
}

/// Parse helper for actions: `OK` only.
pub(crate) fn expect_ok(answer: Answer<'_>) -> Option<()> {
    matches!(answer, Answer::Ok).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_accept_only_ok() {
        assert_eq!(expect_ok(Answer::Ok), Some(()));
        assert_eq!(expect_ok(Answer::Value("PRT,OK")), None);
    }
}
