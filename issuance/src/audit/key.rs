//! [`AuditKey`]: the key that protects the audit log, kept in `<home>/keys/audit.key` (never in
//! the database). It MACs every entry (HMAC-SHA256) and, through HKDF, gives the P-256 key that
//! signs checkpoints, whose public half can verify a checkpoint on another machine.

use std::path::{Path, PathBuf};

use hmac::{KeyInit, Mac};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey, signature::Signer, signature::Verifier};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::secrets::{self, SecretsError};

/// File name of the audit key inside the keys directory.
pub const AUDIT_KEY_FILE: &str = "audit.key";

type HmacSha256 = hmac::Hmac<Sha256>;

/// The audit key: 32 random bytes. Zeroized on drop; `Debug` shows only the key id.
#[derive(Clone)]
pub struct AuditKey {
    key: Zeroizing<[u8; 32]>,
    /// The HMAC subkey, derived once.
    mac_key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditKey(id {}, ***)", self.key_id())
    }
}

impl AuditKey {
    /// A fresh random key (not stored).
    pub fn generate() -> Result<Self, SecretsError> {
        Ok(Self::from_secret(secrets::random_key()?))
    }

    /// Wraps existing key bytes (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self::from_secret(Zeroizing::new(bytes))
    }

    fn from_secret(key: Zeroizing<[u8; 32]>) -> Self {
        let mac_key = derive(&key, "cardline/audit-mac/v1");
        Self { key, mac_key }
    }

    /// The path of the audit key in the keys directory `keys_dir`.
    pub fn path_in(keys_dir: &Path) -> PathBuf {
        keys_dir.join(AUDIT_KEY_FILE)
    }

    /// Loads the key from `path` (refuses a file readable by group or others, with the
    /// `chmod 600` fix in the message).
    pub fn load(path: &Path) -> Result<Self, SecretsError> {
        Ok(Self::from_secret(secrets::read_key_file(path)?))
    }

    /// Loads `<keys_dir>/audit.key`, creating it (directory 0700, file 0600) on first use.
    /// Returns the key and whether it was created now.
    pub fn load_or_create(keys_dir: &Path) -> Result<(Self, bool), SecretsError> {
        let path = Self::path_in(keys_dir);
        if path.exists() {
            return Ok((Self::load(&path)?, false));
        }
        secrets::create_private_dir(keys_dir)?;
        let key = Self::generate()?;
        match secrets::write_key_file(&path, &key.key) {
            Ok(()) => Ok((key, true)),
            // Another process created it first: use theirs.
            Err(SecretsError::KeyExists { .. }) => Ok((Self::load(&path)?, false)),
            Err(e) => Err(e),
        }
    }

    /// The key id: 16 hex digits of SHA-256 over a label and the key; recorded on every entry.
    pub fn key_id(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"cardline audit key id\0");
        h.update(self.key.as_slice());
        hex::encode(&h.finalize()[..8])
    }

    /// HMAC-SHA256 of `message`, as 64 hex digits.
    pub fn mac_hex(&self, message: &[u8]) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.mac_subkey().as_slice())
            .expect("any key length");
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }

    /// True when `mac_hex` is the MAC of `message` (compared in constant time).
    pub fn mac_matches(&self, message: &[u8], mac_hex: &str) -> bool {
        let Ok(expected) = hex::decode(mac_hex) else {
            return false;
        };
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.mac_subkey().as_slice())
            .expect("any key length");
        mac.update(message);
        mac.verify_slice(&expected).is_ok()
    }

    fn subkey(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        derive(&self.key, purpose)
    }

    fn mac_subkey(&self) -> &Zeroizing<[u8; 32]> {
        &self.mac_key
    }

    /// The P-256 key that signs checkpoints, derived from the audit key.
    fn signing_key(&self) -> SigningKey {
        // A derived scalar is out of range with probability about 2^-32: try the next label.
        (0u32..)
            .find_map(|i| {
                let bytes = self.subkey(&format!("cardline/audit-checkpoint/v1/{i}"));
                SigningKey::from_slice(bytes.as_slice()).ok()
            })
            .expect("a valid P-256 scalar is found within a few tries")
    }

    /// The checkpoint verification key as a PEM SubjectPublicKeyInfo (usable with
    /// `openssl dgst -sha256 -verify`).
    pub fn public_key_pem(&self) -> String {
        VerifyingKey::from(&self.signing_key())
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 public key encodes")
    }

    /// A DER ECDSA-P256-SHA256 signature of `message`, as hex.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        let sig: Signature = self.signing_key().sign(message);
        hex::encode(sig.to_der().as_bytes())
    }
}

/// A 32-byte subkey of `key` for one purpose (HKDF-SHA256, the purpose as `info`).
fn derive(key: &[u8; 32], purpose: &str) -> Zeroizing<[u8; 32]> {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"cardline audit key"), key.as_slice());
    let mut okm = Zeroizing::new([0u8; 32]);
    hk.expand(purpose.as_bytes(), okm.as_mut_slice())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    okm
}

/// True when `signature_hex` (DER ECDSA P-256 SHA-256) signs `message` under `public_key_pem`.
pub fn signature_matches(public_key_pem: &str, message: &[u8], signature_hex: &str) -> bool {
    use p256::pkcs8::DecodePublicKey;
    let Ok(key) = VerifyingKey::from_public_key_pem(public_key_pem) else {
        return false;
    };
    let Some(sig) = hex::decode(signature_hex)
        .ok()
        .and_then(|d| Signature::from_der(&d).ok())
    else {
        return false;
    };
    key.verify(message, &sig).is_ok()
}
