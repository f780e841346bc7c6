//! The card's persistent state (what survives power-off): data objects, slot keys, PIN/PUK and
//! their counters, the management key, serial and version. Saved as JSON in the clear — this
//! is a simulator; never put a real credential in such a file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::mgm;

/// Default PIN `123456`, 0xFF-padded to 8 bytes.
pub const DEFAULT_PIN: &[u8] = b"123456\xFF\xFF";
/// Default PUK `12345678`.
pub const DEFAULT_PUK: &[u8] = b"12345678";
/// Default management key 0102030405060708 three times.
pub const DEFAULT_MGM_KEY: [u8; 24] = [
    1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
];

/// Hex (de)serialisation of byte strings inside the JSON file.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

/// A PIN or PUK with its retry counter.
#[derive(Clone, Serialize, Deserialize)]
pub struct Reference {
    /// The value, 0xFF-padded to 8 bytes.
    #[serde(with = "hex_bytes")]
    pub value: Vec<u8>,
    /// Tries allowed after a success.
    pub tries_total: u8,
    /// Tries left; 0 = blocked.
    pub tries_left: u8,
}

impl Reference {
    fn new(value: &[u8], tries: u8) -> Self {
        Self {
            value: value.to_vec(),
            tries_total: tries,
            tries_left: tries,
        }
    }
}

/// The management key (9B).
#[derive(Clone, Serialize, Deserialize)]
pub struct ManagementKeyState {
    /// Algorithm id (03, 08, 0A, 0C).
    pub algorithm: u8,
    /// Key bytes.
    #[serde(with = "hex_bytes")]
    pub key: Vec<u8>,
    /// Touch policy byte as set by SET MANAGEMENT KEY P2 (FF none, FE always, FD cached).
    pub touch: u8,
}

/// A key pair in an asymmetric slot.
#[derive(Clone, Serialize, Deserialize)]
pub struct SlotKeyState {
    /// Algorithm id (06, 07, 11, 14).
    pub algorithm: u8,
    /// PIN policy: 01 never, 02 once, 03 always.
    pub pin_policy: u8,
    /// Touch policy: 01 never (the simulator has no button).
    pub touch_policy: u8,
    /// 01 generated on card, 02 imported.
    pub origin: u8,
    /// EC scalar or RSA PKCS#1 DER.
    #[serde(with = "hex_bytes")]
    pub private: Vec<u8>,
}

/// Everything a card keeps across power cycles.
#[derive(Clone, Serialize, Deserialize)]
pub struct CardState {
    /// Chip serial (YubiKey GET SERIAL).
    pub serial: u32,
    /// Firmware version reported by GET VERSION.
    pub version: [u8; 3],
    /// The PIV application PIN (80).
    pub pin: Reference,
    /// The PUK (81).
    pub puk: Reference,
    /// The card management key (9B).
    pub management_key: ManagementKeyState,
    /// Data objects by hex tag (e.g. `5fc102`), value = content inside tag 53 (or 7E/7F61).
    pub objects: BTreeMap<String, String>,
    /// Slot keys by hex key reference (e.g. `9a`).
    pub keys: BTreeMap<String, SlotKeyState>,
}

/// Failure to save or load a card state file.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// The file could not be read or written.
    #[error("card state file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid card state.
    #[error("card state file {path} is not valid: {source}")]
    Format {
        /// The file.
        path: String,
        /// The JSON error.
        source: serde_json::Error,
    },
}

impl CardState {
    /// A factory-fresh card with default PIN, PUK and management key (`algorithm` 03 or 0A).
    pub fn factory(serial: u32, version: [u8; 3], mgm_algorithm: u8) -> Self {
        let algorithm = if mgm::key_len(mgm_algorithm) == Some(24) {
            mgm_algorithm
        } else {
            mgm::ALG_3DES
        };
        Self {
            serial,
            version,
            pin: Reference::new(DEFAULT_PIN, 3),
            puk: Reference::new(DEFAULT_PUK, 3),
            management_key: ManagementKeyState {
                algorithm,
                key: DEFAULT_MGM_KEY.to_vec(),
                touch: 0xFF,
            },
            objects: BTreeMap::new(),
            keys: BTreeMap::new(),
        }
    }

    /// Writes the state as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), StateFileError> {
        let json = serde_json::to_vec_pretty(self).map_err(|source| StateFileError::Format {
            path: path.display().to_string(),
            source,
        })?;
        std::fs::write(path, json).map_err(|source| StateFileError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads a state written by [`CardState::save`].
    pub fn load(path: &Path) -> Result<Self, StateFileError> {
        let bytes = std::fs::read(path).map_err(|source| StateFileError::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|source| StateFileError::Format {
            path: path.display().to_string(),
            source,
        })
    }

    /// A data object's content by tag bytes.
    pub fn object(&self, tag: &[u8]) -> Option<Vec<u8>> {
        self.objects
            .get(&hex::encode(tag))
            .and_then(|v| hex::decode(v).ok())
    }

    /// Stores (or with empty content deletes) a data object.
    pub fn set_object(&mut self, tag: &[u8], content: &[u8]) {
        if content.is_empty() {
            self.objects.remove(&hex::encode(tag));
        } else {
            self.objects.insert(hex::encode(tag), hex::encode(content));
        }
    }

    /// The key in slot `slot`.
    pub fn key(&self, slot: u8) -> Option<&SlotKeyState> {
        self.keys.get(&format!("{slot:02x}"))
    }

    /// Puts a key into slot `slot`.
    pub fn set_key(&mut self, slot: u8, key: SlotKeyState) {
        self.keys.insert(format!("{slot:02x}"), key);
    }
}
