//! [`CardReader`] and [`CardTransport`]: sessions with a smart card.

use std::time::Duration;

/// An exclusive session with one card. Dropping it ends the session.
///
/// `transmit` takes one complete command APDU and returns the complete response APDU
/// (data followed by SW1 SW2). No 61xx/6Cxx handling or chaining happens here: that is the
/// APDU layer's job, in one place.
pub trait CardTransport: Send {
    /// Sends one command APDU and returns the response APDU (data ‖ SW1 SW2).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
    /// The card's answer-to-reset.
    fn atr(&self) -> Vec<u8>;
    /// The reader's name.
    fn reader_name(&self) -> String;
}

impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(command)
    }
    fn atr(&self) -> Vec<u8> {
        (**self).atr()
    }
    fn reader_name(&self) -> String {
        (**self).reader_name()
    }
}

/// A contact reader (in a printer's contact station, or on a desk).
pub trait CardReader: Send {
    /// The reader's name.
    fn name(&self) -> String;
    /// Waits at most `timeout` for a card to be present and opens an exclusive session with it.
    fn connect(&mut self, timeout: Duration)
    -> Result<Box<dyn CardTransport + '_>, TransportError>;
}

/// Errors of a card reader or card session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The PC/SC service is not running. Start pcscd (`pcscd --foreground &`, or
    /// `systemctl start pcscd`).
    #[error("the PC/SC service is not running: start pcscd")]
    NoService,
    /// No reader matches. Plug in the reader or fix the name pattern (`cardline readers list`).
    #[error("no reader matches `{pattern}`")]
    NoReader {
        /// The name pattern asked for.
        pattern: String,
    },
    /// No card came into the reader in time.
    #[error("no card in reader `{reader}` after {}", crate::human_duration(*.waited))]
    NoCard {
        /// The reader.
        reader: String,
        /// How long we waited.
        waited: Duration,
    },
    /// The card was removed during the session.
    #[error("card was removed from `{reader}`")]
    CardRemoved {
        /// The reader.
        reader: String,
    },
    /// The card was reset by someone else during the session; its security state is gone.
    #[error("card in `{reader}` was reset")]
    CardReset {
        /// The reader.
        reader: String,
    },
    /// The card does not answer (mute chip, bad contact).
    #[error("card in `{reader}` does not answer")]
    Mute {
        /// The reader.
        reader: String,
    },
    /// The card's ATR does not announce a protocol we can use (T=1).
    #[error("card in `{reader}` has an unusable ATR {atr}")]
    BadAtr {
        /// The reader.
        reader: String,
        /// The ATR, in hex.
        atr: String,
    },
    /// Another process holds the card exclusively.
    #[error("card in `{reader}` is in use by another program")]
    Busy {
        /// The reader.
        reader: String,
    },
    /// Any other failure reported by the reader stack, with its own text.
    #[error("reader `{reader}`: {detail}")]
    Reader {
        /// The reader.
        reader: String,
        /// What the stack said.
        detail: String,
    },
}

impl TransportError {
    /// True when retrying may succeed without anyone acting.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            TransportError::Busy { .. } | TransportError::CardReset { .. }
        )
    }

    /// True when the chip itself is at fault (reject the card, go on with the next one).
    pub fn is_card_fault(&self) -> bool {
        matches!(
            self,
            TransportError::Mute { .. }
                | TransportError::BadAtr { .. }
                | TransportError::CardRemoved { .. }
        )
    }

    /// True when a person must fix the setup: the service is down, the reader is missing, or
    /// no chip shows up in the reader while a card is parked at the contact station (the
    /// station's reader pattern names another reader, or the contacts do not close). Not the
    /// card's fault: the next blank would fail the same way.
    pub fn needs_operator(&self) -> bool {
        matches!(
            self,
            TransportError::NoService
                | TransportError::NoReader { .. }
                | TransportError::NoCard { .. }
        )
    }
}
