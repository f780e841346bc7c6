//! `SimCard`: a PIV card application (NIST SP 800-73-4 card edge plus the YubiKey 5
//! extensions) with real cryptography and real card rules, for tests and demos without a chip.
//!
//! The card parses APDUs itself, from the card's side: it shares no code with the
//! `cardline-apdu`/`cardline-piv` drivers, so a codec bug cannot hide on both sides.
//!
//! ```
//! use cardline_sim::card::{CardReply, SimCard, SimCardConfig};
//! let mut card = SimCard::new(SimCardConfig::default());
//! // SELECT the PIV application by its truncated AID (as yubico-piv-tool does).
//! let CardReply::Response(r) = card.process(&[0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08])
//! else { panic!() };
//! assert_eq!(&r[r.len() - 2..], &[0x90, 0x00]);
//! ```
//!
//! Endpoints: [`SimCardTransport`] (in-process `CardTransport`) and
//! [`crate::vpcd::VpcdCard`] (plugs the card into a real pcscd through vpcd).

mod atr;
mod auth;
mod command;
mod data;
mod faults;
mod keys;
mod mgm;
mod pin;
mod state;
mod sw;
mod tlv;
mod transport;
mod yubikey;

use std::path::Path;

pub use atr::{AtrProfile, GENERIC_PIV_ATR, T0_ONLY_ATR, YUBIKEY5_ATR};
pub use command::Command;
pub use faults::{CardFaults, EepromFailure};
pub use keys::{ALG_ECCP256, ALG_ECCP384, ALG_RSA1024, ALG_RSA2048};
pub use mgm::{ALG_3DES, ALG_AES128, ALG_AES192, ALG_AES256};
pub use state::{
    CardState, DEFAULT_MGM_KEY, ManagementKeyState, Reference, SlotKeyState, StateFileError,
};
pub use sw::Sw;
pub(crate) use transport::lock as lock_card;
pub use transport::{SharedSimCard, SimCardTransport};

/// How a new card is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimCardConfig {
    /// Chip serial (YubiKey GET SERIAL, INS F8).
    pub serial: u32,
    /// Firmware version for GET VERSION (INS FD).
    pub version: [u8; 3],
    /// Default management key algorithm: [`ALG_3DES`] (YubiKey < 5.7) or [`ALG_AES192`].
    pub management_key_algorithm: u8,
    /// Which ATR the card answers with; the YubiKey extensions exist only on `YubiKey5`.
    pub atr: AtrProfile,
}

impl Default for SimCardConfig {
    fn default() -> Self {
        Self {
            serial: 10_000_001,
            version: [5, 4, 3],
            management_key_algorithm: ALG_3DES,
            atr: AtrProfile::YubiKey5,
        }
    }
}

impl SimCardConfig {
    /// A default card whose serial is derived from `seed` (same seed, same serial).
    pub fn from_seed(seed: u64) -> Self {
        let mixed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        Self {
            serial: 10_000_000 + (mixed as u32 % 89_999_999),
            ..Self::default()
        }
    }
}

/// What the chip does with one command APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardReply {
    /// A response APDU (data ‖ SW1 SW2).
    Response(Vec<u8>),
    /// No answer at all (mute chip).
    Mute,
    /// The card left the reader.
    Removed,
}

/// Security state and buffers of one power-up session (lost on reset).
#[derive(Default)]
struct Session {
    pin_verified: bool,
    /// VERIFY succeeded on the previous command: a PIN-always key may be used now.
    pin_always_window: bool,
    mgm_authenticated: bool,
    mgm_witness: Option<Vec<u8>>,
    mgm_challenge: Option<Vec<u8>>,
    chain: Option<(u8, u8, u8, Vec<u8>)>,
    pending_response: Vec<u8>,
}

/// A simulated PIV card.
pub struct SimCard {
    state: CardState,
    atr: AtrProfile,
    faults: CardFaults,
    session: Session,
    present: bool,
    commands: u64,
}

/// The PIV application identifier (SP 800-73-4 Part 1 §2.2).
pub const PIV_AID: [u8; 11] = [
    0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
];

impl SimCard {
    /// A factory-fresh card (default PIN 123456, PUK 12345678, default management key).
    pub fn new(config: SimCardConfig) -> Self {
        let state = CardState::factory(
            config.serial,
            config.version,
            config.management_key_algorithm,
        );
        Self::from_state(state, config.atr)
    }

    /// A card with a given persistent state.
    pub fn from_state(state: CardState, atr: AtrProfile) -> Self {
        Self {
            state,
            atr,
            faults: CardFaults::default(),
            session: Session::default(),
            present: true,
            commands: 0,
        }
    }

    /// Saves the persistent state (objects, keys, counters, management key) as JSON.
    pub fn save(&self, path: &Path) -> Result<(), StateFileError> {
        self.state.save(path)
    }

    /// Loads a card saved with [`SimCard::save`] (YubiKey 5 ATR).
    pub fn load(path: &Path) -> Result<Self, StateFileError> {
        Ok(Self::from_state(
            CardState::load(path)?,
            AtrProfile::YubiKey5,
        ))
    }

    /// The persistent state, for inspection by tests.
    pub fn state(&self) -> &CardState {
        &self.state
    }

    /// The chip serial.
    pub fn serial(&self) -> u32 {
        self.state.serial
    }

    /// The answer-to-reset (the T=0-only one while the wrong-ATR fault is on).
    pub fn atr(&self) -> Vec<u8> {
        if self.faults.wrong_atr {
            T0_ONLY_ATR.to_vec()
        } else {
            self.atr.atr().to_vec()
        }
    }

    /// The faults currently injected.
    pub fn faults(&self) -> &CardFaults {
        &self.faults
    }

    /// Replaces the injected faults.
    pub fn set_faults(&mut self, faults: CardFaults) {
        self.faults = faults;
    }

    /// Changes the injected faults in place.
    pub fn faults_mut(&mut self) -> &mut CardFaults {
        &mut self.faults
    }

    /// True while the card sits in the reader.
    pub fn is_present(&self) -> bool {
        self.present
    }

    /// Pulls the card out of the reader.
    pub fn remove(&mut self) {
        self.present = false;
        self.reset();
    }

    /// Puts the card (back) into the reader; it powers up fresh.
    pub fn insert(&mut self) {
        self.present = true;
        self.reset();
    }

    /// Power cycle or warm reset: all security state and buffers are lost.
    pub fn reset(&mut self) {
        self.session = Session::default();
    }

    /// Number of command APDUs processed since the card was made.
    pub fn command_count(&self) -> u64 {
        self.commands
    }

    /// Processes one command APDU.
    pub fn process(&mut self, apdu: &[u8]) -> CardReply {
        if !self.present {
            return CardReply::Removed;
        }
        match self.faults.remove_after_commands {
            Some(0) => {
                self.faults.remove_after_commands = None;
                tracing::debug!("sim card {}: pulled out mid-command", self.state.serial);
                self.remove();
                return CardReply::Removed;
            }
            Some(n) => self.faults.remove_after_commands = Some(n - 1),
            None => {}
        }
        if self.faults.mute {
            return CardReply::Mute;
        }
        self.commands += 1;
        tracing::trace!("card >> {}", redacted(apdu));
        let mut response = match Command::parse(apdu) {
            Ok(cmd) => self.execute(cmd),
            Err(sw) => sw.bytes().to_vec(),
        };
        if response.len() < 2 {
            response = Sw(0x6F00).bytes().to_vec();
        }
        tracing::trace!("card << {}", redacted_response(apdu, &response));
        CardReply::Response(response)
    }

    fn execute(&mut self, cmd: Command) -> Vec<u8> {
        if cmd.cla & !0x10 != 0 {
            self.session.chain = None;
            return Sw::CLA_NOT_SUPPORTED.bytes().to_vec();
        }
        if cmd.ins == 0xC0 {
            return self.get_response(cmd.ne);
        }
        self.session.pending_response.clear();
        let mut cmd = cmd;
        if let Some((ins, p1, p2, mut data)) = self.session.chain.take()
            && (ins, p1, p2) == (cmd.ins, cmd.p1, cmd.p2)
        {
            data.extend_from_slice(&cmd.data);
            cmd.data = data;
        }
        if cmd.is_chained() {
            if cmd.data.len() > 65_536 {
                return Sw::NOT_ENOUGH_MEMORY.bytes().to_vec();
            }
            self.session.chain = Some((cmd.ins, cmd.p1, cmd.p2, cmd.data));
            return Sw::OK.bytes().to_vec();
        }
        if cmd.ins != 0x20 {
            // PIN-always keys need VERIFY immediately before their use.
            let window = std::mem::take(&mut self.session.pin_always_window);
            if cmd.ins == 0x87 {
                self.session.pin_always_window = window;
            }
        }
        let result = self.dispatch(&cmd);
        if cmd.ins == 0x87 {
            self.session.pin_always_window = false;
        }
        match result {
            Ok(data) => self.deliver(data, cmd.ne),
            Err(sw) => sw.bytes().to_vec(),
        }
    }

    fn dispatch(&mut self, cmd: &Command) -> Result<Vec<u8>, Sw> {
        let yubikey = self.atr == AtrProfile::YubiKey5;
        match cmd.ins {
            0xA4 => self.select(cmd),
            0x20 => self.verify(cmd),
            0x24 => self.change_reference_data(cmd),
            0x2C => self.reset_retry_counter(cmd),
            0x87 => self.general_authenticate(cmd),
            0x47 => self.generate_key_pair(cmd),
            0xCB => self.get_data(cmd),
            0xDB => self.put_data(cmd),
            0xFD if yubikey => Ok(self.state.version.to_vec()),
            0xF8 if yubikey => Ok(self.state.serial.to_be_bytes().to_vec()),
            0xFF if yubikey => self.set_management_key(cmd),
            0xF7 if yubikey => self.get_metadata(cmd),
            0xFB if yubikey => self.reset_application(),
            0xFA if yubikey => self.set_pin_retries(cmd),
            _ => Err(Sw::INS_NOT_SUPPORTED),
        }
    }

    /// Returns at most `ne` bytes now and keeps the rest for GET RESPONSE (61xx).
    fn deliver(&mut self, mut data: Vec<u8>, ne: usize) -> Vec<u8> {
        if data.len() <= ne {
            data.extend(Sw::OK.bytes());
            return data;
        }
        let rest = data.split_off(ne);
        data.extend(Sw::more_data(rest.len()).bytes());
        self.session.pending_response = rest;
        data
    }

    fn get_response(&mut self, ne: usize) -> Vec<u8> {
        if self.session.pending_response.is_empty() {
            return Sw::CONDITIONS.bytes().to_vec();
        }
        let data = std::mem::take(&mut self.session.pending_response);
        self.deliver(data, ne)
    }
}

/// Hex of a command APDU with the data of PIN, PUK and key commands replaced by its length.
fn redacted(apdu: &[u8]) -> String {
    let secret = apdu.len() > 5 && matches!(apdu[1], 0x20 | 0x24 | 0x2C | 0xFF | 0x87);
    if secret {
        format!(
            "{} [{} bytes redacted]",
            hex::encode(&apdu[..4]),
            apdu.len() - 4
        )
    } else {
        hex::encode(apdu)
    }
}

/// Hex of a response, with management-key challenge responses redacted.
fn redacted_response(command: &[u8], response: &[u8]) -> String {
    if command.len() > 3 && command[1] == 0x87 && command[3] == 0x9B && response.len() > 2 {
        format!(
            "[{} bytes redacted] {}",
            response.len() - 2,
            hex::encode(&response[response.len() - 2..])
        )
    } else {
        hex::encode(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_lines_never_carry_pin_or_key_bytes() {
        let verify = hex::decode("002000800831323334353608FF").unwrap();
        let line = redacted(&verify);
        assert!(!line.contains("313233343536") && line.contains("00200080"));
        let set_key = [
            &[0x00, 0xFF, 0xFF, 0xFF, 0x1B, 0x03, 0x9B, 0x18][..],
            &[0xAB; 24],
        ]
        .concat();
        assert!(!redacted(&set_key).contains("abab"));
        let auth = hex::decode("0087039B047C028000").unwrap();
        let response = [&[0x7C, 0x0A, 0x80, 0x08][..], &[0xCD; 8], &[0x90, 0x00]].concat();
        assert!(!redacted_response(&auth, &response).contains("cdcd"));
        assert_eq!(redacted(&[0x00, 0xFD, 0x00, 0x00]), "00fd0000");
    }
}
