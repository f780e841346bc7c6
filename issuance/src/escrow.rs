//! The escrow key: initial PIN and PUK sealed so that every desk can seal and only the holders
//! of one private key can reveal.
//!
//! A single desk seals each card's PIN and PUK under its station key ([`crate::secrets`]): only
//! that desk can reveal them. Several desks sharing one database need the opposite: a secret
//! sealed on desk A must be revealable by the office (the administrator, an auditor's
//! procedure), never by desk B. The administrator creates an X25519 key pair once
//! (`cardline keys escrow-init`); its public half (`escrow.pub`, an age recipient `age1…`) is
//! installed on every desk (`cardline keys escrow-import`), its private half stays with the
//! administrator. A desk whose home holds `escrow.pub` seals every card's secrets to it
//! ([age](https://age-encryption.org) X25519 encryption: an ephemeral key agreement per card,
//! ChaCha20-Poly1305); the sealed record's key id is `escrow-` and 16 hex digits of the
//! SHA-256 of the recipient, so `cards secrets` knows which key reveals it.
//!
//! age has no associated data: the card number is part of the sealed plaintext and checked on
//! opening, so a sealed record moved to another card does not open as that card's.
//!
//! ```
//! use cardline_issuance::escrow::{EscrowIdentity, open_from_escrow, seal_to_escrow};
//! use cardline_issuance::secrets::{generate_pin, generate_puk};
//! let identity = EscrowIdentity::generate();
//! let recipient = identity.recipient();
//! let (pin, puk) = (generate_pin(6).unwrap(), generate_puk(8).unwrap());
//! let sealed = seal_to_escrow(&recipient, "TMP-0001", &pin, &puk).unwrap();
//! assert!(sealed.key_id.starts_with("escrow-"));
//! let (pin2, puk2) = open_from_escrow(&identity, "TMP-0001", &sealed).unwrap();
//! assert!(pin2 == pin && puk2 == puk);
//! assert!(open_from_escrow(&identity, "TMP-0002", &sealed).is_err());
//! ```

use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;

use cardline_device::{Pin, Puk};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::secrets::{SecretsError, read_private_file, write_private_file};
use crate::store::SealedSecrets;

/// File name of the escrow public key inside the keys directory (every desk).
pub const ESCROW_PUBLIC_FILE: &str = "escrow.pub";
/// File name of the escrow private key (the administrator's home only).
pub const ESCROW_KEY_FILE: &str = "escrow.key";
/// Prefix of the key id of secrets sealed to an escrow key.
pub const ESCROW_KEY_ID_PREFIX: &str = "escrow-";

/// Format tag of the sealed plaintext.
const FORMAT: u8 = 1;
/// Largest sealed record opened (a PIN and PUK of 8 bytes and a card number take ~250).
const MAX_SEALED: usize = 4096;
/// Largest escrow key file read.
const MAX_KEY_FILE: u64 = 4096;

/// The public half: every desk seals to it.
#[derive(Clone)]
pub struct EscrowRecipient(age::x25519::Recipient);

impl std::fmt::Debug for EscrowRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EscrowRecipient({})", self.key_id())
    }
}

impl EscrowRecipient {
    /// Parses an age X25519 recipient (`age1…`).
    pub fn parse(text: &str) -> Result<Self, SecretsError> {
        age::x25519::Recipient::from_str(text.trim())
            .map(Self)
            .map_err(|e| SecretsError::BadEscrowKey {
                what: format!(
                    "`{}` is not an age X25519 recipient (age1…): {e}",
                    shorten(text)
                ),
            })
    }

    /// Reads `escrow.pub` (one line, `age1…`).
    pub fn load(path: &Path) -> Result<Self, SecretsError> {
        let text = read_small(path)?;
        Self::parse(&String::from_utf8_lossy(&text)).map_err(|e| match e {
            SecretsError::BadEscrowKey { what } => SecretsError::BadEscrowKey {
                what: format!("{}: {what}", path.display()),
            },
            other => other,
        })
    }

    /// The recipient as text (`age1…`).
    pub fn to_text(&self) -> String {
        self.0.to_string()
    }

    /// Writes `escrow.pub` (the recipient and a newline) to a new file `path`, mode 0644.
    pub fn save(&self, path: &Path) -> Result<(), SecretsError> {
        crate::secrets::write_public_file(path, format!("{}\n", self.to_text()).as_bytes())
    }

    /// `escrow-` and 16 hex digits of the SHA-256 of the recipient text.
    pub fn key_id(&self) -> String {
        let digest = Sha256::digest(self.0.to_string().as_bytes());
        format!("{ESCROW_KEY_ID_PREFIX}{}", &hex::encode(digest)[..16])
    }
}

/// The private half: reveals what desks sealed. Never printed; zeroized by age on drop.
pub struct EscrowIdentity(age::x25519::Identity);

impl std::fmt::Debug for EscrowIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EscrowIdentity({}, ***)", self.recipient().key_id())
    }
}

impl EscrowIdentity {
    /// A new key pair from the OS random generator.
    pub fn generate() -> Self {
        Self(age::x25519::Identity::generate())
    }

    /// Reads `escrow.key` (`AGE-SECRET-KEY-1…`), refusing a file readable by group or others.
    pub fn load(path: &Path) -> Result<Self, SecretsError> {
        let text = read_private_file(path)?;
        if text.len() as u64 > MAX_KEY_FILE {
            return Err(SecretsError::BadEscrowKey {
                what: format!("{} is larger than an escrow key file", path.display()),
            });
        }
        let line = String::from_utf8_lossy(&text)
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .map(|l| Zeroizing::new(l.to_string()))
            .ok_or_else(|| SecretsError::BadEscrowKey {
                what: format!(
                    "{} holds no age secret key (AGE-SECRET-KEY-1…): is it the escrow key?",
                    path.display()
                ),
            })?;
        age::x25519::Identity::from_str(&line)
            .map(Self)
            .map_err(|e| SecretsError::BadEscrowKey {
                what: format!("{}: {e}", path.display()),
            })
    }

    /// Writes the private key to a new file `path` (mode 0600); refuses to overwrite.
    pub fn save(&self, path: &Path) -> Result<(), SecretsError> {
        if path.exists() {
            return Err(SecretsError::KeyExists {
                path: path.to_path_buf(),
            });
        }
        use age::secrecy::ExposeSecret;
        let secret = self.0.to_string();
        let text = Zeroizing::new(format!(
            "# cardline escrow key {}: reveals the PIN/PUK of every card sealed to it\n{}\n",
            self.recipient().key_id(),
            secret.expose_secret()
        ));
        write_private_file(path, text.as_bytes())
    }

    /// The public half.
    pub fn recipient(&self) -> EscrowRecipient {
        EscrowRecipient(self.0.to_public())
    }
}

/// Seals `pin` and `puk` of `card_number` to the escrow recipient.
pub fn seal_to_escrow(
    recipient: &EscrowRecipient,
    card_number: &str,
    pin: &Pin,
    puk: &Puk,
) -> Result<SealedSecrets, SecretsError> {
    let number = card_number.as_bytes();
    let mut plain = Zeroizing::new(Vec::with_capacity(5 + number.len() + pin.len() + puk.len()));
    plain.push(FORMAT);
    plain.extend((number.len() as u16).to_be_bytes());
    plain.extend_from_slice(number);
    plain.push(pin.len() as u8);
    plain.extend_from_slice(pin.expose());
    plain.push(puk.len() as u8);
    plain.extend_from_slice(puk.expose());
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient.0 as &dyn age::Recipient))
            .map_err(|e| SecretsError::BadEscrowKey {
                what: format!("sealing to {}: {e}", recipient.key_id()),
            })?;
    let mut ciphertext = Vec::new();
    let mut writer = encryptor
        .wrap_output(&mut ciphertext)
        .map_err(|e| random_failed(&e))?;
    writer.write_all(&plain).map_err(|e| random_failed(&e))?;
    writer.finish().map_err(|e| random_failed(&e))?;
    Ok(SealedSecrets {
        key_id: recipient.key_id(),
        nonce: Vec::new(),
        ciphertext,
    })
}

/// True when `sealed` was sealed to an escrow key (not a station key).
pub fn is_escrow_sealed(sealed: &SealedSecrets) -> bool {
    sealed.key_id.starts_with(ESCROW_KEY_ID_PREFIX)
}

/// Opens secrets of `card_number` sealed to the escrow key. Fails with
/// [`SecretsError::WrongKey`] when they were sealed to another key and with
/// [`SecretsError::Tampered`] when the record does not decrypt or names another card.
pub fn open_from_escrow(
    identity: &EscrowIdentity,
    card_number: &str,
    sealed: &SealedSecrets,
) -> Result<(Pin, Puk), SecretsError> {
    let own = identity.recipient().key_id();
    if sealed.key_id != own {
        return Err(SecretsError::WrongKey {
            sealed_with: sealed.key_id.clone(),
            station: own,
        });
    }
    let tampered = || SecretsError::Tampered {
        card_number: card_number.to_string(),
    };
    if sealed.ciphertext.len() > MAX_SEALED {
        return Err(tampered());
    }
    let decryptor = age::Decryptor::new(&sealed.ciphertext[..]).map_err(|_| tampered())?;
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity.0 as &dyn age::Identity))
        .map_err(|_| tampered())?;
    let mut plain = Zeroizing::new(Vec::new());
    reader
        .by_ref()
        .take(MAX_SEALED as u64)
        .read_to_end(&mut plain)
        .map_err(|_| tampered())?;
    parse(&plain, card_number).ok_or_else(tampered)
}

/// Opens a card's sealed secrets with whichever key sealed them: the escrow private key
/// (`escrow_key`, or `escrow.key` in `keys`' directory) for records sealed to an escrow key, the
/// station key otherwise. The error names the key that is needed and where it is kept.
pub fn open_card(
    keys: &crate::secrets::KeyFiles,
    escrow_key: Option<&Path>,
    card_number: &str,
    sealed: &SealedSecrets,
) -> Result<(Pin, Puk), SecretsError> {
    if !is_escrow_sealed(sealed) {
        let station = keys.station_key()?;
        return crate::secrets::open_card_secrets(&station, card_number, sealed);
    }
    let default = keys.escrow_key_path();
    let path = escrow_key.unwrap_or(&default);
    let identity = EscrowIdentity::load(path).map_err(|e| match e {
        SecretsError::KeyMissing { .. } => SecretsError::BadEscrowKey {
            what: format!(
                "the PIN and PUK of card `{card_number}` are sealed to escrow key {}: reveal them \
                 with its private key (`--escrow-key FILE`; the administrator's home keeps it as \
                 {}), not found at {}",
                sealed.key_id,
                ESCROW_KEY_FILE,
                path.display()
            ),
        },
        other => other,
    })?;
    open_from_escrow(&identity, card_number, sealed)
}

fn parse(plain: &[u8], card_number: &str) -> Option<(Pin, Puk)> {
    let (&format, rest) = plain.split_first()?;
    if format != FORMAT || rest.len() < 2 {
        return None;
    }
    let number_len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
    let rest = &rest[2..];
    if rest.len() < number_len || &rest[..number_len] != card_number.as_bytes() {
        return None;
    }
    let rest = &rest[number_len..];
    let (&pin_len, rest) = rest.split_first()?;
    if rest.len() < pin_len as usize + 1 {
        return None;
    }
    let (pin, rest) = rest.split_at(pin_len as usize);
    let (&puk_len, puk) = rest.split_first()?;
    if puk.len() != puk_len as usize {
        return None;
    }
    Some((Pin::new(pin.to_vec()), Puk::new(puk.to_vec())))
}

fn random_failed(e: &dyn std::fmt::Display) -> SecretsError {
    SecretsError::Random {
        detail: e.to_string(),
    }
}

fn shorten(text: &str) -> String {
    text.trim().chars().take(80).collect()
}

/// Reads a public key file through the size limit of [`crate::file_limits`].
fn read_small(path: &Path) -> Result<Vec<u8>, SecretsError> {
    crate::file_limits::read_bytes(path, MAX_KEY_FILE, "an escrow public key").map_err(|e| match e
        .kind()
    {
        std::io::ErrorKind::NotFound => SecretsError::KeyMissing {
            path: path.to_path_buf(),
        },
        _ => SecretsError::Io {
            operation: "reading",
            path: path.to_path_buf(),
            source: e,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{generate_pin, generate_puk};

    #[test]
    fn another_escrow_key_or_a_changed_byte_does_not_open() {
        let identity = EscrowIdentity::generate();
        let other = EscrowIdentity::generate();
        let (pin, puk) = (generate_pin(8).unwrap(), generate_puk(8).unwrap());
        let sealed = seal_to_escrow(&identity.recipient(), "TMP1", &pin, &puk).unwrap();
        assert!(is_escrow_sealed(&sealed));
        assert!(matches!(
            open_from_escrow(&other, "TMP1", &sealed),
            Err(SecretsError::WrongKey { .. })
        ));
        let mut bent = sealed.clone();
        let last = bent.ciphertext.len() - 1;
        bent.ciphertext[last] ^= 1;
        assert!(matches!(
            open_from_escrow(&identity, "TMP1", &bent),
            Err(SecretsError::Tampered { .. })
        ));
        let shown = format!("{identity:?} {:?}", identity.recipient());
        assert!(!shown.contains("AGE-SECRET-KEY"), "{shown}");
    }

    #[test]
    fn key_files_round_trip_and_a_readable_private_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let identity = EscrowIdentity::generate();
        let path = dir.path().join(ESCROW_KEY_FILE);
        identity.save(&path).unwrap();
        assert!(matches!(
            identity.save(&path),
            Err(SecretsError::KeyExists { .. })
        ));
        let loaded = EscrowIdentity::load(&path).unwrap();
        assert_eq!(loaded.recipient().key_id(), identity.recipient().key_id());
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = EscrowIdentity::load(&path).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
        let public = dir.path().join(ESCROW_PUBLIC_FILE);
        std::fs::write(&public, "not a key\n").unwrap();
        let err = EscrowRecipient::load(&public).unwrap_err().to_string();
        assert!(err.contains("escrow.pub") && err.contains("age1"), "{err}");
    }
}
