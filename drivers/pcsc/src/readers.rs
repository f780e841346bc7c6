//! [`PcscReaders`]: the PC/SC service — list readers, pick one by name pattern or by the
//! serial of the card in it, wait for a card with `SCardGetStatusChange` (no polling sleeps).

use std::ffi::CString;
use std::time::{Duration, Instant};

use cardline_device::{CardTransport, TransportError};

use crate::error::map;
use crate::session::{PcscReader, PcscSession};

/// A connection to the PC/SC service (pcscd, or WinSCard).
#[derive(Clone)]
pub struct PcscReaders {
    ctx: pcsc::Context,
}

/// What a reader looks like right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderInfo {
    /// The reader's name.
    pub name: String,
    /// True when a card is in the reader.
    pub card_present: bool,
    /// The card's ATR (empty without a card).
    pub atr: Vec<u8>,
    /// True when another program holds the card exclusively.
    pub exclusive: bool,
}

/// SELECT the PIV application by its 5-byte RID (what YubiKey tools send).
const SELECT_PIV: [u8; 11] = [
    0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00,
];
/// YubiKey GET SERIAL.
const GET_SERIAL: [u8; 5] = [0x00, 0xF8, 0x00, 0x00, 0x00];

impl PcscReaders {
    /// Connects to the PC/SC service; `NoService` when pcscd is not running.
    pub fn establish() -> Result<Self, TransportError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(|e| map(e, ""))?;
        Ok(Self { ctx })
    }

    pub(crate) fn from_context(ctx: pcsc::Context) -> Self {
        Self { ctx }
    }

    /// The names of all readers (empty when none is attached: that is not an error).
    pub fn list(&self) -> Result<Vec<String>, TransportError> {
        match self.ctx.list_readers_owned() {
            Ok(names) => Ok(names
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(map(e, "")),
        }
    }

    /// Every reader with its card state.
    pub fn survey(&self) -> Result<Vec<ReaderInfo>, TransportError> {
        let names = self.list()?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut states = reader_states(&names)?;
        self.ctx
            .get_status_change(Duration::ZERO, &mut states)
            .map_err(|e| map(e, ""))?;
        Ok(states.iter().map(info).collect())
    }

    /// The first reader whose name contains `pattern` (case-insensitive; "" = first reader).
    pub fn find(&self, pattern: &str) -> Result<PcscReader, TransportError> {
        let needle = pattern.to_lowercase();
        self.list()?
            .into_iter()
            .find(|n| n.to_lowercase().contains(&needle))
            .map(|name| PcscReader::new(self.ctx.clone(), name))
            .ok_or_else(|| TransportError::NoReader {
                pattern: pattern.to_string(),
            })
    }

    /// The reader holding the card that satisfies `is_wanted`, asked through a shared
    /// (non-exclusive) session with each card present now.
    pub fn find_by_card(
        &self,
        mut is_wanted: impl FnMut(&mut dyn CardTransport) -> bool,
    ) -> Result<Option<PcscReader>, TransportError> {
        for reader in self.survey()?.into_iter().filter(|r| r.card_present) {
            let card = match self.ctx.connect(
                &cstring(&reader.name)?,
                pcsc::ShareMode::Shared,
                pcsc::Protocols::T1 | pcsc::Protocols::T0,
            ) {
                Ok(card) => card,
                Err(e) => {
                    tracing::debug!("reader {}: cannot probe the card: {e}", reader.name);
                    continue;
                }
            };
            let mut session = PcscSession::new(card, reader.name.clone(), reader.atr, false);
            if is_wanted(&mut session) {
                drop(session);
                return Ok(Some(PcscReader::new(self.ctx.clone(), reader.name)));
            }
        }
        Ok(None)
    }

    /// The reader holding the YubiKey-style PIV card with this serial (GET SERIAL, INS F8).
    pub fn find_by_serial(&self, serial: u32) -> Result<PcscReader, TransportError> {
        self.find_by_card(|card| {
            let selected = card
                .transmit(&SELECT_PIV)
                .is_ok_and(|r| r.ends_with(&[0x90, 0x00]));
            selected
                && card.transmit(&GET_SERIAL).is_ok_and(|r| {
                    r.len() == 6 && r[4..] == [0x90, 0x00] && r[..4] == serial.to_be_bytes()
                })
        })?
        .ok_or_else(|| TransportError::NoReader {
            pattern: format!("card serial {serial}"),
        })
    }

    /// Waits at most `timeout` until a card is present in `reader`; returns its ATR.
    pub fn wait_for_card(
        &self,
        reader: &str,
        timeout: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        match self.wait_for(reader, timeout, true)? {
            Some(state) => Ok(state.atr().to_vec()),
            None => Err(TransportError::NoCard {
                reader: reader.to_string(),
                waited: timeout,
            }),
        }
    }

    /// Waits at most `timeout` until `reader` is empty; `false` when the card is still there.
    pub fn wait_for_removal(
        &self,
        reader: &str,
        timeout: Duration,
    ) -> Result<bool, TransportError> {
        Ok(self.wait_for(reader, timeout, false)?.is_some())
    }

    /// Waits until the reader's card presence equals `present`; `None` on timeout.
    fn wait_for(
        &self,
        reader: &str,
        timeout: Duration,
        present: bool,
    ) -> Result<Option<pcsc::ReaderState>, TransportError> {
        let deadline = Instant::now() + timeout;
        let mut states = reader_states(&[reader.to_string()])?;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.ctx.get_status_change(left, &mut states) {
                Ok(()) => {}
                Err(pcsc::Error::Timeout) => return Ok(None),
                Err(e) => return Err(map(e, reader)),
            }
            let state = &mut states[0];
            let event = state.event_state();
            if event.contains(pcsc::State::UNKNOWN) || event.contains(pcsc::State::UNAVAILABLE) {
                return Err(TransportError::NoReader {
                    pattern: reader.to_string(),
                });
            }
            let is_present = event.contains(pcsc::State::PRESENT);
            if is_present == present && !(present && event.contains(pcsc::State::MUTE)) {
                return Ok(Some(states.remove(0)));
            }
            state.sync_current_state();
            if left.is_zero() {
                return Ok(None);
            }
        }
    }
}

fn cstring(name: &str) -> Result<CString, TransportError> {
    CString::new(name).map_err(|_| TransportError::NoReader {
        pattern: name.to_string(),
    })
}

fn reader_states(names: &[String]) -> Result<Vec<pcsc::ReaderState>, TransportError> {
    names
        .iter()
        .map(|n| Ok(pcsc::ReaderState::new(cstring(n)?, pcsc::State::UNAWARE)))
        .collect()
}

fn info(state: &pcsc::ReaderState) -> ReaderInfo {
    let event = state.event_state();
    let present = event.contains(pcsc::State::PRESENT);
    ReaderInfo {
        name: state.name().to_string_lossy().into_owned(),
        card_present: present,
        atr: if present {
            state.atr().to_vec()
        } else {
            Vec::new()
        },
        exclusive: event.contains(pcsc::State::EXCLUSIVE),
    }
}
