//! The in-process endpoint: a [`CardTransport`] session with a shared [`SimCard`].

use std::sync::{Arc, Mutex, MutexGuard};

use cardline_device::{CardTransport, TransportError};

use super::{CardReply, SimCard};

/// A card shared between its reader endpoint and whoever swaps or inspects it (a station,
/// a test).
pub type SharedSimCard = Arc<Mutex<SimCard>>;

/// An exclusive session with a simulated card, as if through a contact reader.
pub struct SimCardTransport {
    card: SharedSimCard,
    reader: String,
}

impl SimCardTransport {
    /// Opens a session: the card is powered up fresh (security state cleared).
    pub fn new(card: SharedSimCard, reader: impl Into<String>) -> Self {
        lock(&card).reset();
        Self {
            card,
            reader: reader.into(),
        }
    }

    /// Wraps a card in a new shared handle.
    pub fn share(card: SimCard) -> SharedSimCard {
        Arc::new(Mutex::new(card))
    }

    /// The shared card behind this session.
    pub fn card(&self) -> &SharedSimCard {
        &self.card
    }
}

/// Locks the card, recovering from a poisoned lock (a panicking test thread).
pub(crate) fn lock(card: &SharedSimCard) -> MutexGuard<'_, SimCard> {
    card.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl CardTransport for SimCardTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        match lock(&self.card).process(command) {
            CardReply::Response(r) => Ok(r),
            CardReply::Mute => Err(TransportError::Mute {
                reader: self.reader.clone(),
            }),
            CardReply::Removed => Err(TransportError::CardRemoved {
                reader: self.reader.clone(),
            }),
        }
    }

    fn atr(&self) -> Vec<u8> {
        lock(&self.card).atr()
    }

    fn reader_name(&self) -> String {
        self.reader.clone()
    }
}

impl Drop for SimCardTransport {
    fn drop(&mut self) {
        // The session ends like SCardDisconnect(RESET): security state is gone.
        lock(&self.card).reset();
    }
}
