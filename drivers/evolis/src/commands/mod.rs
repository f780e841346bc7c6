//! One type per escape command: how it is framed and how its reply is parsed, side by side.
//! Each type's doc cites the section of `../shared/specs/card-printers.md` it implements.

use std::time::Duration;

mod download;
mod sequence;
mod session;
mod status;

pub use download::{DownloadCompressed, DownloadCompressedColor, DownloadPanel, PanelName};
pub use sequence::{
    EndSequence, InsertToContactStation, RejectBox, RejectCard, SelectSide, StartSequence,
};
pub use session::{EjectAtEnd, ErrorManagement, RejectDestination, RibbonType};
pub use status::{
    Identity, ReadCardPosition, ReadCardsInserted, ReadIdentity, ReadRejectBox, ReadRibbon,
    ReadRibbonType, ReadSensor, RibbonQuantity, Sensor, Volts,
};

/// Reply timeout for queries and settings.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Reply timeout for panel downloads (a raw colour panel is ~0.5 MB).
pub const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Reply timeout for commands that wait for mechanics (feed, print, eject, reject).
pub const MECHANICS_TIMEOUT: Duration = Duration::from_secs(120);

/// A successful reply, as handed to [`Command::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer<'a> {
    /// `OK` (or `ERR NEED CLEANING`, which means done).
    Ok,
    /// A bare value.
    Value(&'a str),
}

/// An escape command: its frame and the parser of its reply.
pub trait Command {
    /// What a successful reply means.
    type Output;
    /// The command as text without binary payload, for logs and errors (e.g. `Rlr;p`).
    fn text(&self) -> String;
    /// The bytes to send, ESC … CR, payload included.
    fn frame(&self) -> Vec<u8>;
    /// Interprets a successful reply; `None` when the reply makes no sense for this command.
    fn parse(&self, answer: Answer<'_>) -> Option<Self::Output>;
    /// How long the printer may take to reply.
    fn timeout(&self) -> Duration {
        QUERY_TIMEOUT
    }
}

/// Parse helper for setters and actions: `OK` only.
pub(crate) fn expect_ok(answer: Answer<'_>) -> Option<()> {
    matches!(answer, Answer::Ok).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_accept_only_ok() {
        assert_eq!(expect_ok(Answer::Ok), Some(()));
        assert_eq!(expect_ok(Answer::Value("CARD")), None);
    }
}
