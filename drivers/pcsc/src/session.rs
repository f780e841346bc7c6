//! [`PcscReader`] (a `CardReader`) and [`PcscSession`] (an exclusive `CardTransport` that
//! disconnects, resetting the card, when dropped).

use std::time::Duration;

use cardline_device::{CardReader, CardTransport, TransportError};

use crate::error::map;
use crate::readers::PcscReaders;

/// How many times a session tries to power up a card that does not answer.
pub const POWER_UP_TRIES: u32 = 4;
/// Pause between two power-up tries.
pub const POWER_UP_PAUSE: Duration = Duration::from_millis(250);
/// How long a session whose first command went unanswered lets pcscd catch up (its status
/// poll rate is 400 ms) before it opens the reader again.
pub const STALE_CARD_PAUSE: Duration = Duration::from_millis(500);
/// How long it then waits for the card.
pub const STALE_CARD_WAIT: Duration = Duration::from_millis(1500);

/// One PC/SC reader.
pub struct PcscReader {
    ctx: pcsc::Context,
    name: String,
    allow_t0: bool,
}

impl PcscReader {
    pub(crate) fn new(ctx: pcsc::Context, name: String) -> Self {
        Self {
            ctx,
            name,
            allow_t0: false,
        }
    }

    /// Also accept cards that only speak T=0 (default: T=1 only, like PIV clients; a T=0-only
    /// ATR then gives [`TransportError::BadAtr`]).
    pub fn allow_t0(mut self, allow: bool) -> Self {
        self.allow_t0 = allow;
        self
    }

    /// Opens an exclusive session with the card in the reader, waiting at most `timeout`.
    ///
    /// A card that pcscd has only just seen arrive can fail its power-up
    /// (`SCARD_W_UNRESPONSIVE_CARD`, `SCARD_W_UNPOWERED_CARD`, `SCARD_W_RESET_CARD`): the
    /// connection is tried again, [`POWER_UP_TRIES`] times in all, [`POWER_UP_PAUSE`] apart,
    /// within `timeout`. A chip that stays mute is reported mute after those tries.
    pub fn open(&self, timeout: Duration) -> Result<PcscSession, TransportError> {
        let started = std::time::Instant::now();
        let mut tries = 0;
        loop {
            tries += 1;
            let left = timeout.saturating_sub(started.elapsed());
            match self.open_once(left, timeout) {
                Err(TransportError::Mute { .. } | TransportError::CardReset { .. })
                    if tries < POWER_UP_TRIES && started.elapsed() + POWER_UP_PAUSE < timeout =>
                {
                    tracing::debug!("reader {}: power-up failed, trying again", self.name);
                    std::thread::sleep(POWER_UP_PAUSE);
                }
                other => return other,
            }
        }
    }

    fn open_once(&self, left: Duration, timeout: Duration) -> Result<PcscSession, TransportError> {
        let readers = PcscReaders::from_context(self.ctx.clone());
        let atr = readers.wait_for_card(&self.name, left)?;
        let name =
            std::ffi::CString::new(self.name.as_str()).map_err(|_| TransportError::NoReader {
                pattern: self.name.clone(),
            })?;
        let connect = |protocols| {
            self.ctx
                .connect(&name, pcsc::ShareMode::Exclusive, protocols)
        };
        let card = match connect(pcsc::Protocols::T1) {
            Ok(card) => card,
            Err(pcsc::Error::ProtoMismatch) if self.allow_t0 => {
                connect(pcsc::Protocols::ANY).map_err(|e| map(e, &self.name))?
            }
            Err(pcsc::Error::ProtoMismatch) | Err(pcsc::Error::UnsupportedCard) => {
                return Err(TransportError::BadAtr {
                    reader: self.name.clone(),
                    atr: hex::encode_upper(&atr),
                });
            }
            Err(pcsc::Error::NoSmartcard) => {
                return Err(TransportError::NoCard {
                    reader: self.name.clone(),
                    waited: timeout,
                });
            }
            Err(e) => return Err(map(e, &self.name)),
        };
        tracing::debug!(
            "reader {}: session opened, ATR {}",
            self.name,
            hex::encode(&atr)
        );
        let mut session = PcscSession::new(card, self.name.clone(), atr, true);
        session.reopen = Some(self.ctx.clone());
        Ok(session)
    }
}

impl CardReader for PcscReader {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn connect(
        &mut self,
        timeout: Duration,
    ) -> Result<Box<dyn CardTransport + '_>, TransportError> {
        Ok(Box::new(self.open(timeout)?))
    }
}

/// A session with one card. Ends on drop: `SCardDisconnect(RESET)` — the card's security
/// state (verified PIN, management key) is gone afterwards.
pub struct PcscSession {
    card: Option<pcsc::Card>,
    reader: String,
    atr: Vec<u8>,
    reset_on_drop: bool,
    buffer: Vec<u8>,
    /// True once the card answered a command: only the first command of a session is worth
    /// a reset and a second try when the card does not answer it.
    answered: bool,
    /// The context to open the reader again with, for a session opened by [`PcscReader`].
    reopen: Option<pcsc::Context>,
}

impl PcscSession {
    pub(crate) fn new(card: pcsc::Card, reader: String, atr: Vec<u8>, reset: bool) -> Self {
        Self {
            card: Some(card),
            reader,
            atr,
            reset_on_drop: reset,
            buffer: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
            answered: false,
            reopen: None,
        }
    }

    /// After `SCARD_E_NOT_TRANSACTED` (the reader lost the card mid-command): removed if the
    /// reader is now empty, mute otherwise.
    fn classify_lost_card(&self) -> TransportError {
        let present = self
            .card
            .as_ref()
            .and_then(|c| c.status2_owned().ok())
            .is_some_and(|s| s.status().contains(pcsc::Status::PRESENT));
        if present {
            TransportError::Mute {
                reader: self.reader.clone(),
            }
        } else {
            TransportError::CardRemoved {
                reader: self.reader.clone(),
            }
        }
    }
}

impl PcscSession {
    /// A transmit failure: when the PC/SC service itself is gone, that is the fault, whatever
    /// code libpcsclite returned for the command in flight (a pcscd killed mid-command gives
    /// `SCARD_W_SECURITY_VIOLATION` or a communication error, depending on the moment, and
    /// only the next call says `SCARD_E_NO_SERVICE`). Otherwise the usual mapping.
    fn classify_failure(&self, error: pcsc::Error) -> TransportError {
        let mapped = map(error, &self.reader);
        if matches!(mapped, TransportError::Reader { .. }) && self.service_gone() {
            tracing::debug!(
                "reader {}: {error} while the PC/SC service went away",
                self.reader
            );
            return TransportError::NoService;
        }
        mapped
    }

    /// True when the PC/SC service no longer answers for this session (stopped, or restarted
    /// and no longer knowing the card handle).
    fn service_gone(&self) -> bool {
        let Some(card) = self.card.as_ref() else {
            return false;
        };
        matches!(
            card.status2_owned(),
            Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::InvalidHandle)
        )
    }
}

/// Hex for the trace log with PIN/PUK/key command data replaced by its length.
fn redacted(apdu: &[u8]) -> String {
    if apdu.len() > 5 && matches!(apdu[1], 0x20 | 0x24 | 0x2C | 0xFF | 0x87) {
        format!(
            "{} [{} bytes redacted]",
            hex::encode(&apdu[..4]),
            apdu.len() - 4
        )
    } else {
        hex::encode(apdu)
    }
}

impl CardTransport for PcscSession {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        match self.transmit_once(command) {
            // The first command to a card that pcscd only just powered up can go unanswered:
            // one reset (a new power-up, nothing on the card has changed yet) and one more try.
            Err(TransportError::Mute { .. }) if !self.answered => {
                if self.reset_card() || self.open_again() {
                    self.transmit_once(command)
                } else {
                    Err(TransportError::Mute {
                        reader: self.reader.clone(),
                    })
                }
            }
            other => other,
        }
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn reader_name(&self) -> String {
        self.reader.clone()
    }
}

impl PcscSession {
    /// `SCardReconnect` with a reset; true when the card came back.
    fn reset_card(&mut self) -> bool {
        let Some(card) = self.card.as_mut() else {
            return false;
        };
        tracing::debug!(
            "reader {}: no answer to the first command, resetting the card",
            self.reader
        );
        // The protocol the session was opened with (T=1 unless T=0 was allowed and chosen).
        let protocols = match card.status2_owned().ok().and_then(|s| s.protocol2()) {
            Some(pcsc::Protocol::T0) => pcsc::Protocols::T0,
            _ => pcsc::Protocols::T1,
        };
        card.reconnect(
            pcsc::ShareMode::Exclusive,
            protocols,
            pcsc::Disposition::ResetCard,
        )
        .is_ok()
    }

    /// Opens the reader again after the card handle went stale: pcscd looks at a reader every
    /// 400 ms, so a card swapped faster than that is announced present while the card pcscd
    /// powered up is already gone. Waits for pcscd to catch up ([`STALE_CARD_PAUSE`]), then
    /// takes the card now in the reader (at most [`STALE_CARD_WAIT`]). True when it did.
    fn open_again(&mut self) -> bool {
        let Some(ctx) = self.reopen.take() else {
            return false;
        };
        tracing::debug!(
            "reader {}: card handle stale, opening the reader again",
            self.reader
        );
        if let Some(card) = self.card.take() {
            let _ = card.disconnect(pcsc::Disposition::LeaveCard);
        }
        std::thread::sleep(STALE_CARD_PAUSE);
        let reader = PcscReader::new(ctx, self.reader.clone());
        match reader.open_once(STALE_CARD_WAIT, STALE_CARD_WAIT) {
            Ok(mut fresh) => {
                self.card = fresh.card.take();
                self.atr = std::mem::take(&mut fresh.atr);
                self.card.is_some()
            }
            Err(e) => {
                tracing::debug!("reader {}: opening again failed: {e}", self.reader);
                false
            }
        }
    }

    fn transmit_once(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let card = self
            .card
            .as_ref()
            .ok_or_else(|| TransportError::CardRemoved {
                reader: self.reader.clone(),
            })?;
        tracing::trace!("pcsc {} >> {}", self.reader, redacted(command));
        match card.transmit(command, &mut self.buffer) {
            // vpcd answers a lost card with an empty response; a response needs SW1 SW2.
            Ok(response) if response.len() < 2 => Err(self.classify_lost_card()),
            Ok(response) => {
                let response = response.to_vec();
                self.answered = true;
                if command.get(1) == Some(&0x87) && command.get(3) == Some(&0x9B) {
                    tracing::trace!("pcsc {} << [management key exchange redacted]", self.reader);
                } else {
                    tracing::trace!("pcsc {} << {}", self.reader, hex::encode(&response));
                }
                Ok(response)
            }
            Err(pcsc::Error::NotTransacted) => Err(self.classify_lost_card()),
            Err(e) => Err(self.classify_failure(e)),
        }
    }
}

impl Drop for PcscSession {
    fn drop(&mut self) {
        if let Some(card) = self.card.take() {
            let disposition = if self.reset_on_drop {
                pcsc::Disposition::ResetCard
            } else {
                pcsc::Disposition::LeaveCard
            };
            if let Err((_, e)) = card.disconnect(disposition) {
                tracing::debug!("reader {}: disconnect failed: {e}", self.reader);
            }
        }
    }
}

impl std::fmt::Debug for PcscSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscSession")
            .field("reader", &self.reader)
            .field("atr", &hex::encode(&self.atr))
            .finish()
    }
}

impl std::fmt::Debug for PcscReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscReader")
            .field("name", &self.name)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_and_key_commands_are_redacted_in_traces() {
        let change = hex::decode("002400801031323334353637383837363534333231").unwrap();
        let line = redacted(&change);
        assert!(!line.contains("3132333435") && line.contains("[17 bytes redacted]"));
        assert_eq!(redacted(&[0x00, 0xA4, 0x04, 0x00]), "00a40400");
    }
}
