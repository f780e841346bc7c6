//! Station secrets: the station key that seals every card's initial PIN and PUK, the master key
//! per-card management keys are derived from, and random PIN/PUK generation.
//!
//! Key files live in `<home>/keys/` (directory mode 0700, files 0600), each holding 32 random
//! bytes from the OS CSPRNG as 64 hex digits. `cardline keys init` creates them and refuses to
//! overwrite; loading refuses files readable by group or others.
//!
//! - `station.key` ([`StationKey`]): seals PIN/PUK (AES-256-GCM, random 96-bit nonce, the card
//!   number as associated data) and, through HKDF-SHA256, wraps the local CA's private key.
//! - `management-master.key` ([`MasterKey`]): a separate file, not derived from the station key,
//!   so the station key can be rotated (secrets re-sealed) without changing the management key
//!   of every card already issued, and a leak of one does not give the other.
//!
//! ```
//! use cardline_issuance::secrets::{StationKey, generate_pin, generate_puk, seal_card_secrets, open_card_secrets};
//! let key = StationKey::generate().unwrap();
//! let (pin, puk) = (generate_pin(6).unwrap(), generate_puk(8).unwrap());
//! let sealed = seal_card_secrets(&key, "TMP-0001", &pin, &puk).unwrap();
//! let (pin2, puk2) = open_card_secrets(&key, "TMP-0001", &sealed).unwrap();
//! assert!(pin2 == pin && puk2 == puk);
//! assert!(open_card_secrets(&key, "TMP-0002", &sealed).is_err());
//! ```

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use cardline_device::{MasterKey, Pin, Puk};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::store::SealedSecrets;

/// File name of the station key inside the keys directory.
pub const STATION_KEY_FILE: &str = "station.key";
/// File name of the management-key master inside the keys directory.
pub const MASTER_KEY_FILE: &str = "management-master.key";

/// Length of every key file's key, in bytes.
/// Bytes of the station key and of the management-key master.
pub const KEY_LEN: usize = 32;
/// Format tag of sealed PIN/PUK plaintexts and associated data.
const SEAL_FORMAT: u8 = 1;
const SEAL_AAD_PREFIX: &[u8] = b"cardline card secrets v1\0";

/// Errors of key files, sealing and random generation. No variant carries secret material.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The operating system's random generator failed.
    #[error("the OS random generator failed: {detail}")]
    Random {
        /// The OS error.
        detail: String,
    },
    /// A key file already exists and `keys init` will not overwrite it.
    #[error(
        "{} already exists; cardline never overwrites a key (cards sealed under it would be lost)",
        path.display()
    )]
    KeyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A key file is missing.
    #[error("{} not found: create the station keys with `cardline keys init`", path.display())]
    KeyMissing {
        /// The expected file.
        path: PathBuf,
    },
    /// A key file is readable by group or others.
    #[error("{} has mode {mode:o}: a key file must be 0600 (run `chmod 600` on it)", path.display())]
    PermissionsTooOpen {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A key file does not hold 64 hex digits.
    #[error("{} is not a cardline key file (expected 64 hex digits)", path.display())]
    MalformedKey {
        /// The file.
        path: PathBuf,
    },
    /// Reading or writing a key file failed.
    #[error("{operation} {}: {source}", path.display())]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Sealed secrets were made under another station key.
    #[error("secrets were sealed under station key {sealed_with}, this station has {station}")]
    WrongKey {
        /// Key id recorded with the sealed secrets.
        sealed_with: String,
        /// This station's key id.
        station: String,
    },
    /// Decryption failed: wrong key, wrong card number, or altered ciphertext.
    #[error(
        "sealed secrets of card `{card_number}` do not open: altered, or sealed for another card"
    )]
    Tampered {
        /// The card whose secrets were opened.
        card_number: String,
    },
    /// An escrow key (file or text) is not what it should be.
    #[error("escrow key: {what}")]
    BadEscrowKey {
        /// What is wrong, naming the file or value and the fix.
        what: String,
    },
    /// A requested PIN or PUK length is outside what PIV allows.
    #[error("{what} length {len} is not allowed ({min}..={max} digits)")]
    BadLength {
        /// `PIN` or `PUK`.
        what: &'static str,
        /// The requested length.
        len: usize,
        /// Shortest allowed.
        min: usize,
        /// Longest allowed.
        max: usize,
    },
}

/// The station key: 32 random bytes that seal card secrets. Zeroized on drop; `Debug` shows
/// only the key id.
#[derive(Clone)]
pub struct StationKey {
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl StationKey {
    /// A fresh random key (not stored).
    pub fn generate() -> Result<Self, SecretsError> {
        Ok(Self { key: random_key()? })
    }

    /// Wraps existing key bytes (tests, key import).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self {
            key: Zeroizing::new(bytes),
        }
    }

    /// Creates `path` with a fresh key, mode 0600; refuses when the file exists.
    pub fn create(path: &Path) -> Result<Self, SecretsError> {
        let key = Self::generate()?;
        write_key_file(path, &key.key)?;
        Ok(key)
    }

    /// Loads the key from `path` (refuses a file readable by group or others).
    pub fn load(path: &Path) -> Result<Self, SecretsError> {
        Ok(Self {
            key: read_key_file(path)?,
        })
    }

    /// The key id: the first 8 bytes of SHA-256 over the key, as 16 hex digits. Stored with
    /// everything sealed under the key, so a station with another key says so clearly.
    pub fn key_id(&self) -> String {
        let digest = Sha256::digest(self.key.as_slice());
        hex::encode(&digest[..8])
    }

    /// A 32-byte subkey for one purpose (HKDF-SHA256, the purpose as `info`), so the same
    /// station key never encrypts two kinds of data under the same AES key.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; KEY_LEN]> {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"cardline station key"), self.key.as_slice());
        let mut okm = Zeroizing::new([0u8; KEY_LEN]);
        hk.expand(purpose.as_bytes(), okm.as_mut_slice())
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        okm
    }
}

impl std::fmt::Debug for StationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StationKey(id {}, ***)", self.key_id())
    }
}

/// The two key files of a station, under `<home>/keys/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFiles {
    /// The keys directory.
    pub dir: PathBuf,
}

impl KeyFiles {
    /// The key files under `<home>/keys/`.
    pub fn in_home(home: &Path) -> Self {
        Self {
            dir: home.join("keys"),
        }
    }
    /// Path of the station key.
    pub fn station_key_path(&self) -> PathBuf {
        self.dir.join(STATION_KEY_FILE)
    }
    /// Path of the management-key master.
    pub fn master_key_path(&self) -> PathBuf {
        self.dir.join(MASTER_KEY_FILE)
    }

    /// Path of the escrow public key (`escrow.pub`): when present, card secrets are sealed to
    /// it instead of the station key ([`crate::escrow`]).
    pub fn escrow_public_path(&self) -> PathBuf {
        self.dir.join(crate::escrow::ESCROW_PUBLIC_FILE)
    }
    /// Path of the escrow private key (`escrow.key`, the administrator's home only).
    pub fn escrow_key_path(&self) -> PathBuf {
        self.dir.join(crate::escrow::ESCROW_KEY_FILE)
    }
    /// The escrow public key when this home has one installed.
    pub fn escrow_recipient(&self) -> Result<Option<crate::escrow::EscrowRecipient>, SecretsError> {
        let path = self.escrow_public_path();
        if !path.exists() {
            return Ok(None);
        }
        crate::escrow::EscrowRecipient::load(&path).map(Some)
    }

    /// Creates the directory (0700) and both keys (0600), and the audit key unless an earlier
    /// command created it already. Refuses, without writing anything, when the station or
    /// master key exists. Returns the station key id.
    pub fn init(&self) -> Result<String, SecretsError> {
        for path in [self.station_key_path(), self.master_key_path()] {
            if path.exists() {
                return Err(SecretsError::KeyExists { path });
            }
        }
        create_private_dir(&self.dir)?;
        let station = StationKey::create(&self.station_key_path())?;
        let master = random_key()?;
        write_key_file(&self.master_key_path(), &master)?;
        crate::audit::AuditKey::load_or_create(&self.dir)?;
        Ok(station.key_id())
    }

    /// Path of the audit key.
    pub fn audit_key_path(&self) -> PathBuf {
        crate::audit::AuditKey::path_in(&self.dir)
    }

    /// Loads the audit key, creating it on first use.
    pub fn audit_key(&self) -> Result<crate::audit::AuditKey, SecretsError> {
        Ok(crate::audit::AuditKey::load_or_create(&self.dir)?.0)
    }

    /// Loads the station key.
    pub fn station_key(&self) -> Result<StationKey, SecretsError> {
        StationKey::load(&self.station_key_path())
    }

    /// The key id of the management-key master (same derivation as
    /// [`StationKey::key_id`]), for `cardline doctor`; the key itself is not returned.
    pub fn master_key_id(&self) -> Result<String, SecretsError> {
        Ok(master_key_id_of(&self.master_key()?))
    }

    /// Installs the office's management-key master (from a desk bundle). A different master
    /// already in the home is not lost: it is renamed `management-master.<key id>.key` (cards
    /// it encoded are managed with it) and reported.
    pub fn install_master(&self, master: &MasterKey) -> Result<MasterInstall, SecretsError> {
        let id = master_key_id_of(master);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if master.expose().len() != KEY_LEN {
            return Err(SecretsError::MalformedKey {
                path: self.master_key_path(),
            });
        }
        key.copy_from_slice(master.expose());
        let path = self.master_key_path();
        let mut replaced = None;
        if path.exists() {
            let previous = self.master_key_id()?;
            if previous == id {
                return Ok(MasterInstall { id, replaced: None });
            }
            let kept = self.dir.join(format!("management-master.{previous}.key"));
            std::fs::rename(&path, &kept).map_err(|source| SecretsError::Io {
                operation: "keeping the replaced management-key master as",
                path: kept.clone(),
                source,
            })?;
            replaced = Some((previous, kept));
        } else {
            create_private_dir(&self.dir)?;
        }
        write_key_file(&path, &key)?;
        Ok(MasterInstall { id, replaced })
    }

    /// Loads the management-key master.
    pub fn master_key(&self) -> Result<MasterKey, SecretsError> {
        let key = read_key_file(&self.master_key_path())?;
        Ok(MasterKey::new(key.to_vec()))
    }
}

/// Seals a card's initial PIN and PUK under the station key (AES-256-GCM with a fresh random
/// nonce; the card number is associated data, so sealed secrets cannot be moved to another
/// card record).
pub fn seal_card_secrets(
    key: &StationKey,
    card_number: &str,
    pin: &Pin,
    puk: &Puk,
) -> Result<SealedSecrets, SecretsError> {
    let mut plain = Zeroizing::new(Vec::with_capacity(3 + pin.len() + puk.len()));
    plain.push(SEAL_FORMAT);
    plain.push(pin.len() as u8);
    plain.extend_from_slice(pin.expose());
    plain.push(puk.len() as u8);
    plain.extend_from_slice(puk.expose());
    let mut nonce = [0u8; 12];
    fill_random(&mut nonce)?;
    let aad = seal_aad(card_number);
    let ciphertext = secrets_cipher(key)
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plain,
                aad: &aad,
            },
        )
        .expect("AES-GCM encryption of a short message cannot fail");
    Ok(SealedSecrets {
        key_id: key.key_id(),
        nonce: nonce.to_vec(),
        ciphertext,
    })
}

/// Opens sealed secrets of `card_number`. Fails with [`SecretsError::WrongKey`] when they
/// were sealed under another station key and with [`SecretsError::Tampered`] when the
/// ciphertext, nonce or card number does not match.
pub fn open_card_secrets(
    key: &StationKey,
    card_number: &str,
    sealed: &SealedSecrets,
) -> Result<(Pin, Puk), SecretsError> {
    let station = key.key_id();
    if sealed.key_id != station {
        return Err(SecretsError::WrongKey {
            sealed_with: sealed.key_id.clone(),
            station,
        });
    }
    let tampered = || SecretsError::Tampered {
        card_number: card_number.to_string(),
    };
    let nonce: [u8; 12] = sealed.nonce.as_slice().try_into().map_err(|_| tampered())?;
    let aad = seal_aad(card_number);
    let plain = Zeroizing::new(
        secrets_cipher(key)
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| tampered())?,
    );
    parse_sealed_plaintext(&plain).ok_or_else(tampered)
}

fn parse_sealed_plaintext(plain: &[u8]) -> Option<(Pin, Puk)> {
    let (&format, rest) = plain.split_first()?;
    let (&pin_len, rest) = rest.split_first()?;
    if format != SEAL_FORMAT || rest.len() < pin_len as usize + 1 {
        return None;
    }
    let (pin, rest) = rest.split_at(pin_len as usize);
    let (&puk_len, puk) = rest.split_first()?;
    if puk.len() != puk_len as usize {
        return None;
    }
    Some((Pin::new(pin.to_vec()), Puk::new(puk.to_vec())))
}

fn seal_aad(card_number: &str) -> Vec<u8> {
    [SEAL_AAD_PREFIX, card_number.as_bytes()].concat()
}

fn secrets_cipher(key: &StationKey) -> Aes256Gcm {
    let subkey = key.derive("cardline/card-secrets/v1");
    Aes256Gcm::new_from_slice(subkey.as_slice()).expect("32-byte AES-256 key")
}

/// A random PIN of `len` digits (PIV allows 6–8), uniform over all digit strings.
pub fn generate_pin(len: usize) -> Result<Pin, SecretsError> {
    check_len("PIN", len, 6, 8)?;
    Ok(Pin::new(random_digits(len)?.to_vec()))
}

/// A random PUK of `len` digits (PIV allows 6–8; 8 is usual), uniform over all digit strings.
pub fn generate_puk(len: usize) -> Result<Puk, SecretsError> {
    check_len("PUK", len, 6, 8)?;
    Ok(Puk::new(random_digits(len)?.to_vec()))
}

/// A random card GUID for the CHUID (16 bytes from the OS CSPRNG, RFC 4122 version 4 bits
/// set). Not secret, but unique per card.
pub fn generate_guid() -> Result<[u8; 16], SecretsError> {
    let mut guid = [0u8; 16];
    fill_random(&mut guid)?;
    guid[6] = (guid[6] & 0x0f) | 0x40;
    guid[8] = (guid[8] & 0x3f) | 0x80;
    Ok(guid)
}

fn check_len(what: &'static str, len: usize, min: usize, max: usize) -> Result<(), SecretsError> {
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        Err(SecretsError::BadLength {
            what,
            len,
            min,
            max,
        })
    }
}

/// `len` ASCII digits, each uniform: random bytes ≥ 250 are rejected so `b % 10` is unbiased.
fn random_digits(len: usize) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    let mut pool = Zeroizing::new([0u8; 32]);
    while out.len() < len {
        fill_random(pool.as_mut_slice())?;
        for &b in pool.iter() {
            if b < 250 && out.len() < len {
                out.push(b'0' + b % 10);
            }
        }
    }
    Ok(out)
}

fn fill_random(buf: &mut [u8]) -> Result<(), SecretsError> {
    getrandom::fill(buf).map_err(|e| SecretsError::Random {
        detail: e.to_string(),
    })
}

pub(crate) fn random_key() -> Result<Zeroizing<[u8; KEY_LEN]>, SecretsError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    fill_random(key.as_mut_slice())?;
    Ok(key)
}

/// Creates the keys directory `dir` (mode 0700) when it does not exist.
pub fn create_keys_dir(dir: &Path) -> Result<(), SecretsError> {
    create_private_dir(dir)
}

/// Creates `dir` (and parents) with mode 0700 on the last component.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), SecretsError> {
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|source| SecretsError::Io {
            operation: "creating",
            path: dir.to_path_buf(),
            source,
        })?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(
            |source| SecretsError::Io {
                operation: "restricting",
                path: dir.to_path_buf(),
                source,
            },
        )?;
    }
    Ok(())
}

/// Writes `bytes` to a new file readable by all, mode 0644 (never overwrites): certificates and
/// public keys.
pub fn write_public_file(path: &Path, bytes: &[u8]) -> Result<(), SecretsError> {
    let io = |operation| {
        move |source: std::io::Error| SecretsError::Io {
            operation,
            path: path.to_path_buf(),
            source,
        }
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .map_err(io("creating"))?;
    file.write_all(bytes).map_err(io("writing"))?;
    file.sync_all().map_err(io("syncing"))
}

/// Writes `bytes` to a new file with mode 0600 (never overwrites).
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), SecretsError> {
    let io = |operation| {
        move |source: std::io::Error| SecretsError::Io {
            operation,
            path: path.to_path_buf(),
            source,
        }
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                SecretsError::KeyExists {
                    path: path.to_path_buf(),
                }
            } else {
                io("creating")(e)
            }
        })?;
    file.write_all(bytes).map_err(io("writing"))?;
    file.sync_all().map_err(io("syncing"))
}

/// Reads a file that must not be readable by group or others.
pub(crate) fn read_private_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let meta = std::fs::metadata(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            SecretsError::KeyMissing {
                path: path.to_path_buf(),
            }
        } else {
            SecretsError::Io {
                operation: "reading",
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretsError::PermissionsTooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|source| SecretsError::Io {
            operation: "reading",
            path: path.to_path_buf(),
            source,
        })
}

pub(crate) fn write_key_file(path: &Path, key: &[u8; KEY_LEN]) -> Result<(), SecretsError> {
    let mut text = Zeroizing::new(hex::encode(key));
    text.push('\n');
    write_private_file(path, text.as_bytes())
}

pub(crate) fn read_key_file(path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, SecretsError> {
    let text = read_private_file(path)?;
    let malformed = || SecretsError::MalformedKey {
        path: path.to_path_buf(),
    };
    let trimmed = std::str::from_utf8(&text).map_err(|_| malformed())?.trim();
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if trimmed.len() != KEY_LEN * 2 {
        return Err(malformed());
    }
    if hex::decode_to_slice(trimmed, key.as_mut_slice()).is_err() {
        key.zeroize();
        return Err(malformed());
    }
    Ok(key)
}

/// The key id of a management-key master: the first 8 bytes of its SHA-256, in hex (the same
/// derivation as [`StationKey::key_id`]). Recorded on every attempt that encodes.
pub fn master_key_id_of(master: &MasterKey) -> String {
    hex::encode(&Sha256::digest(master.expose())[..8])
}

/// What [`KeyFiles::install_master`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterInstall {
    /// The key id of the installed master.
    pub id: String,
    /// A different master that was there: its key id and where it is kept now.
    pub replaced: Option<(String, PathBuf)>,
}
