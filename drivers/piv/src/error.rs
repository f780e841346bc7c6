//! [`PivError`]: what can go wrong talking to a PIV card, and its mapping to
//! [`cardline_device::EncodeError`].

use cardline_apdu::{ExchangeError, StatusWord, TlvError};
use cardline_device::{EncodeError, TransportError};

/// Which secret a PIN-like operation presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// The PIV application PIN (key reference 80).
    Pin,
    /// The PIN unblocking key (81).
    Puk,
}

impl Credential {
    /// `PIN` or `PUK`.
    pub fn name(self) -> &'static str {
        match self {
            Credential::Pin => "PIN",
            Credential::Puk => "PUK",
        }
    }
}

/// Errors of the PIV card edge client.
#[derive(Debug, thiserror::Error)]
pub enum PivError {
    /// The card refused a command. Reject the card unless the status says otherwise.
    #[error("card refused {command}: status {sw}")]
    Card {
        /// The command, e.g. `GENERATE 9A`.
        command: String,
        /// The status word.
        sw: StatusWord,
    },
    /// A PIN or PUK was wrong; `tries` are left (0 = now blocked).
    #[error("wrong {}: {tries} tries left", .credential.name())]
    WrongCredential {
        /// PIN or PUK.
        credential: Credential,
        /// Tries left.
        tries: u8,
    },
    /// The PIN or PUK is blocked (6983).
    #[error("{} is blocked", .credential.name())]
    Blocked {
        /// PIN or PUK.
        credential: Credential,
    },
    /// The card refused our management key (mutual authentication failed with 6982).
    #[error("the card refused the management key")]
    ManagementKeyRefused,
    /// The card answered our challenge wrongly: it does not hold the key we authenticated with.
    /// Treat the card as counterfeit; reject it.
    #[error("the card's answer to our challenge is wrong: it does not hold our management key")]
    CardCryptogram,
    /// The card's answer could not be parsed.
    #[error("malformed answer to {command}: {detail}")]
    Malformed {
        /// The command.
        command: String,
        /// What was wrong.
        detail: String,
    },
    /// The card lacks a feature the operation needs.
    #[error("card does not support {what}")]
    Unsupported {
        /// What is missing.
        what: String,
    },
    /// The exchange with the card failed below the status-word level.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
}

impl PivError {
    /// A malformed-TLV error for `command`.
    pub(crate) fn tlv(command: &str, e: TlvError) -> Self {
        PivError::Malformed {
            command: command.into(),
            detail: e.to_string(),
        }
    }

    /// A malformed-answer error for `command`.
    pub(crate) fn malformed(command: &str, detail: impl Into<String>) -> Self {
        PivError::Malformed {
            command: command.into(),
            detail: detail.into(),
        }
    }

    /// The status word of a [`PivError::Card`], if this is one.
    pub fn status(&self) -> Option<StatusWord> {
        match self {
            PivError::Card { sw, .. } => Some(*sw),
            _ => None,
        }
    }
}

impl From<PivError> for EncodeError {
    fn from(e: PivError) -> Self {
        match e {
            PivError::Card { command, sw } => EncodeError::Card {
                command,
                sw: sw.to_u16(),
                meaning: sw.meaning().into(),
            },
            PivError::WrongCredential { credential, tries } => EncodeError::Card {
                command: format!("VERIFY {}", credential.name()),
                sw: StatusWord::WrongPin { tries }.to_u16(),
                meaning: StatusWord::WrongPin { tries }.meaning().into(),
            },
            PivError::Blocked { credential } => EncodeError::Card {
                command: format!("VERIFY {}", credential.name()),
                sw: StatusWord::AuthBlocked.to_u16(),
                meaning: StatusWord::AuthBlocked.meaning().into(),
            },
            PivError::ManagementKeyRefused => EncodeError::Card {
                command: "GENERAL AUTHENTICATE 9B".into(),
                sw: StatusWord::SecurityStatus.to_u16(),
                meaning: "management key refused".into(),
            },
            PivError::CardCryptogram => EncodeError::Verify(
                "the card does not hold the management key it accepted (counterfeit?)".into(),
            ),
            PivError::Malformed { command, detail } => {
                EncodeError::Verify(format!("malformed answer to {command}: {detail}"))
            }
            PivError::Unsupported { what } => EncodeError::Unsupported(what),
            PivError::Exchange(ExchangeError::Transport(t)) => EncodeError::Transport(t),
            PivError::Exchange(ExchangeError::Command(c)) => {
                EncodeError::Unsupported(format!("carry this command in a short APDU ({c})"))
            }
            PivError::Exchange(ExchangeError::ShortResponse { .. })
            | PivError::Exchange(ExchangeError::EndlessResponse { .. }) => {
                EncodeError::Transport(TransportError::Mute {
                    reader: "card answered garbage".into(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_errors_keep_command_and_status_and_are_card_faults() {
        let e: EncodeError = PivError::Card {
            command: "GENERATE 9A".into(),
            sw: StatusWord::IncorrectData,
        }
        .into();
        match &e {
            EncodeError::Card {
                command,
                sw,
                meaning,
            } => {
                assert_eq!(command, "GENERATE 9A");
                assert_eq!(*sw, 0x6A80);
                assert_eq!(meaning, "incorrect data in command");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(e.is_card_fault());
        let t: EncodeError =
            PivError::Exchange(ExchangeError::Transport(TransportError::NoService)).into();
        assert!(t.needs_operator());
    }
}
