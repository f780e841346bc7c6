//! The CA private key at rest: PKCS#8 DER encrypted with AES-256-GCM under a subkey of the
//! station key, in a small JSON envelope (mode 0600). The plaintext key never touches disk.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::CaError;
use crate::secrets::{StationKey, read_private_file, write_private_file};

const FORMAT: &str = "cardline-ca-key-v1";
const PURPOSE: &str = "cardline/ca-key/v1";

#[derive(Serialize, Deserialize)]
struct Envelope {
    format: String,
    key_id: String,
    algorithm: String,
    nonce: String,
    ciphertext: String,
}

fn aad(algorithm: &str) -> Vec<u8> {
    format!("{FORMAT}\0{algorithm}").into_bytes()
}

fn cipher(station: &StationKey) -> Aes256Gcm {
    let key = station.derive(PURPOSE);
    Aes256Gcm::new_from_slice(key.as_slice()).expect("32-byte AES-256 key")
}

/// Encrypts `pkcs8` and writes it to a new file `path` (mode 0600).
pub(super) fn write_sealed_key(
    path: &Path,
    pkcs8: &[u8],
    algorithm: &str,
    station: &StationKey,
) -> Result<(), CaError> {
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut nonce).map_err(|e| crate::secrets::SecretsError::Random {
        detail: e.to_string(),
    })?;
    let ciphertext = cipher(station)
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: pkcs8,
                aad: &aad(algorithm),
            },
        )
        .expect("AES-GCM encryption of a short message cannot fail");
    let envelope = Envelope {
        format: FORMAT.into(),
        key_id: station.key_id(),
        algorithm: algorithm.into(),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    };
    let mut text = serde_json::to_string_pretty(&envelope).expect("envelope serialises");
    text.push('\n');
    write_private_file(path, text.as_bytes())?;
    Ok(())
}

/// Reads and decrypts the key file; returns the PKCS#8 DER and the algorithm name.
pub(super) fn read_sealed_key(
    path: &Path,
    station: &StationKey,
) -> Result<(Zeroizing<Vec<u8>>, String), CaError> {
    let corrupt = |why: &str| CaError::Corrupt {
        path: path.to_path_buf(),
        why: why.into(),
    };
    let text = read_private_file(path)?;
    let envelope: Envelope =
        serde_json::from_slice(&text).map_err(|_| corrupt("not a sealed CA key envelope"))?;
    if envelope.format != FORMAT {
        return Err(corrupt("unknown key envelope format"));
    }
    let locked = || CaError::KeyLocked {
        sealed_with: envelope.key_id.clone(),
        station: station.key_id(),
    };
    if envelope.key_id != station.key_id() {
        return Err(locked());
    }
    let nonce: [u8; 12] = hex::decode(&envelope.nonce)
        .ok()
        .and_then(|n| n.try_into().ok())
        .ok_or_else(|| corrupt("bad nonce"))?;
    let ciphertext = hex::decode(&envelope.ciphertext).map_err(|_| corrupt("bad ciphertext"))?;
    let plain = cipher(station)
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &ciphertext,
                aad: &aad(&envelope.algorithm),
            },
        )
        .map_err(|_| locked())?;
    Ok((Zeroizing::new(plain), envelope.algorithm))
}
