//! What the orchestrator needs from the options, already resolved by the caller.

use std::time::Duration;

use cardline_device::{KeyRequest, ManagementKey, MasterKey, Pin, Puk};

use crate::store::Actor;

/// How production runs.
#[derive(Debug, Clone)]
pub struct ProductionSettings {
    /// Who produces (recorded on every audit entry).
    pub actor: Actor,
    /// `Some` when cards are encoded (the options' "encode the card").
    pub encoding: Option<EncodingSettings>,
    /// How many times a step failing with a transient fault is retried within one card.
    pub step_retries: u32,
    /// Wait between two tries of a step after a transient fault.
    pub retry_delay: Duration,
    /// How often a paused station's status is polled.
    pub operator_poll: Duration,
    /// How long to wait for the parked card's chip to answer.
    pub card_timeout: Duration,
}

impl ProductionSettings {
    /// Defaults for a real line: 3 retries, 1 s apart, status polled every second.
    pub fn new(actor: crate::store::Actor, encoding: Option<EncodingSettings>) -> Self {
        ProductionSettings {
            actor,
            encoding,
            step_retries: 3,
            retry_delay: Duration::from_secs(1),
            operator_poll: Duration::from_secs(1),
            card_timeout: Duration::from_secs(5),
        }
    }
}

/// What goes on each card when encoding is on.
#[derive(Debug, Clone)]
pub struct EncodingSettings {
    /// Digits of the generated PIN (6–8).
    pub pin_length: usize,
    /// Digits of the generated PUK (8).
    pub puk_length: usize,
    /// The PIN blanks ship with.
    pub transport_pin: Pin,
    /// The PUK blanks ship with.
    pub transport_puk: Puk,
    /// The management key blanks ship with.
    pub transport_management_key: ManagementKey,
    /// The master key per-card management keys are derived from.
    pub management_key_master: MasterKey,
    /// Keys to generate and certify (from the certificate profiles).
    pub keys: Vec<KeyRequest>,
    /// Expiry written in the CHUID, `YYYYMMDD`.
    pub expiry: String,
}

impl EncodingSettings {
    /// The PIV test-card transport credentials (`123456`, `12345678`, the default 3DES key)
    /// with the given master key, keys and expiry.
    pub fn with_piv_defaults(
        management_key_master: MasterKey,
        keys: Vec<KeyRequest>,
        expiry: String,
    ) -> Self {
        EncodingSettings {
            pin_length: 6,
            puk_length: 8,
            transport_pin: Pin::new(b"123456".to_vec()),
            transport_puk: Puk::new(b"12345678".to_vec()),
            transport_management_key: ManagementKey::piv_default(),
            management_key_master,
            keys,
            expiry,
        }
    }
}
