//! The issuing certificate authority: certifies keys generated on the cards.
//!
//! [`CertificateAuthority`] is the seam (an external CA — a PKI's REST API, an HSM — can be
//! plugged in later); [`LocalCa`] is the built-in one, made with rcgen: a P-256 or P-384 CA
//! key stored AES-256-GCM-encrypted at rest under a key derived from the station key, and a
//! self-signed CA certificate. [`ProfileIssuer`] adapts a CA to the encoder's
//! [`cardline_device::CertificateIssuer`] callback, looking certificate profiles up by name.
//!
//! Files of a local CA (in `<home>/ca/`, directory mode 0700):
//!
//! | file | content | mode |
//! |---|---|---|
//! | `ca.crt` | the CA certificate, PEM | 0644 |
//! | `ca.key.sealed` | the PKCS#8 CA key, AES-256-GCM encrypted, JSON envelope | 0600 |
//! //!
//! The issued-certificates index (SPKI fingerprint, serial, card, DER of every certificate)
//! lives in the store ([`crate::store::CertificateIndex`]), shared by every process and desk.
//! A key is certified at most once: a second request for the same public key, card and
//! profile recalls the certificate already issued (so an encoder retry is idempotent); a
//! request for the same key under another card or profile is refused.
//!
//! ```no_run
//! use cardline_issuance::ca::{CaKeyAlgorithm, CertificateAuthority, LocalCa};
//! use cardline_issuance::secrets::StationKey;
//! let station = StationKey::generate().unwrap();
//! let store = std::sync::Arc::new(
//!     cardline_issuance::store::sqlite::SqliteStore::open_in_memory().unwrap());
//! let ca = LocalCa::init(std::path::Path::new("/tmp/ca"), "Example Temporary Card CA",
//!     CaKeyAlgorithm::P256, &station, store).unwrap();
//! println!("{}", ca.certificate_pem());
//! ```

mod crl;
mod desk;
mod desk_record;
mod index;
mod issuer;
mod key_file;
pub mod limits;
mod local;
mod profile;
pub mod revocation;
mod server_cert;

pub use crl::Crl;
pub use desk::{
    DESK_CA_VALIDITY, DeskCaBundle, MIN_PASSPHRASE_CHARS, ROOT_CERT_FILE, check_desk_name,
    check_passphrase,
};
pub use desk_record::{
    DeskCaRecord, issuer_id_of, issuer_revoked as desk_ca_issuer_revoked,
    reason_name as desk_ca_reason_name, revoke_note as desk_ca_revoke_note,
    to_revoke as desk_ca_to_revoke,
};
pub use index::{IssuedRecord, LEGACY_INDEX_FILE};
pub use issuer::ProfileIssuer;
pub use local::{CA_CERT_FILE, CA_KEY_FILE, CaKeyAlgorithm, CaSummary, LocalCa};
pub use profile::{CertProfileSpec, extended_key_usage_oid, render_subject};
pub use server_cert::{
    MAX_SERVER_HOSTS, SERVER_CERT_FILE, SERVER_CERT_VALIDITY, SERVER_KEY_FILE, ServerCert,
    ServerCertOnDisk,
};

use cardline_device::IssuerError;
use time::OffsetDateTime;

/// What to certify: one on-card public key for one card under one profile.
#[derive(Clone, Debug)]
pub struct IssueRequest<'a> {
    /// The card number (fills `{card_number}` in the subject template).
    pub card_number: &'a str,
    /// The certificate profile.
    pub profile: &'a CertProfileSpec,
    /// The public key, DER SubjectPublicKeyInfo, as the card returned it.
    pub public_key_spki: &'a [u8],
    /// End of validity: the temporary card's expiry.
    pub not_after: OffsetDateTime,
    /// The chip's serial or GUID, recorded in the issued-certificates index.
    pub chip_id: Option<&'a str>,
}

/// A certificate the CA issued (or recalled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// DER of the certificate.
    pub der: Vec<u8>,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 of the DER, hex.
    pub fingerprint: String,
    /// True when this key had been certified before and the earlier certificate is returned.
    pub recalled: bool,
}

/// Errors of a certificate authority. No variant carries key material.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// `ca init` on a directory that already holds a CA.
    #[error("a CA already exists in {}; cardline never replaces a CA key", dir.display())]
    AlreadyExists {
        /// The CA directory.
        dir: std::path::PathBuf,
    },
    /// No CA in the directory.
    #[error("no CA in {}: create one with `cardline ca init`", dir.display())]
    NotInitialised {
        /// The CA directory.
        dir: std::path::PathBuf,
    },
    /// The CA files are unreadable or inconsistent (wrong key for the certificate, bad PEM).
    #[error("CA file {} is unusable: {why}", path.display())]
    Corrupt {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        why: String,
    },
    /// The CA key was sealed under another station key, or its file was altered.
    #[error(
        "the CA key does not open with this station key (sealed under {sealed_with}, station has {station})"
    )]
    KeyLocked {
        /// Key id recorded in the sealed key file.
        sealed_with: String,
        /// This station's key id.
        station: String,
    },
    /// The public key is not a valid SPKI of the profile's algorithm.
    #[error("public key rejected: {why}")]
    BadPublicKey {
        /// What is wrong.
        why: String,
    },
    /// The profile cannot be turned into a certificate (unknown key usage, bad subject).
    #[error("certificate profile `{profile}` is invalid: {why}")]
    BadProfile {
        /// The profile name.
        profile: String,
        /// What is wrong.
        why: String,
    },
    /// The requested validity is empty or outlasts the CA certificate.
    #[error("validity ending {not_after} is not possible: {why}")]
    BadValidity {
        /// Requested end, RFC 3339.
        not_after: String,
        /// Why.
        why: String,
    },
    /// The key was already certified for another card or profile.
    #[error(
        "this public key (SPKI SHA-256 {spki_fingerprint}) was already certified for card `{card_number}` profile `{profile}` (serial {serial}); a key is certified once"
    )]
    KeyAlreadyCertified {
        /// SHA-256 of the SPKI, hex.
        spki_fingerprint: String,
        /// The card it was certified for.
        card_number: String,
        /// The profile it was certified under.
        profile: String,
        /// The earlier certificate's serial.
        serial: String,
    },
    /// The key was certified before and that certificate was revoked (its chip was spoiled or
    /// its card ended): a revoked key is never certified again; the card needs a new blank.
    #[error(
        "this public key (SPKI SHA-256 {spki_fingerprint}) was certified before (serial {serial}) and that certificate is revoked ({reason}); a revoked key is never certified again: produce the card on a new blank"
    )]
    KeyRevoked {
        /// SHA-256 of the SPKI, hex.
        spki_fingerprint: String,
        /// The revoked certificate's serial.
        serial: String,
        /// Why it was revoked.
        reason: String,
    },
    /// The issued-certificates index in the store failed.
    #[error("the issued-certificates index: {detail}")]
    Index {
        /// The store's message.
        detail: String,
    },
    /// Signing failed inside rcgen/ring.
    #[error("signing the certificate failed: {detail}")]
    Signing {
        /// rcgen's message.
        detail: String,
    },
    /// A station secret could not be used.
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
    /// Reading or writing a CA file failed.
    #[error("{operation} {}: {source}", path.display())]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl From<CaError> for IssuerError {
    fn from(e: CaError) -> Self {
        match e {
            CaError::BadPublicKey { why } => IssuerError::BadPublicKey(why),
            other => IssuerError::Authority(other.to_string()),
        }
    }
}

/// A certificate authority that certifies on-card keys. Implemented by [`LocalCa`]; an
/// external CA implements the same trait.
pub trait CertificateAuthority: Send + Sync {
    /// The CA certificate (DER), to install as a trust anchor and to verify issued certificates.
    fn ca_certificate_der(&self) -> &[u8];
    /// Certifies the public key of the request, or recalls the certificate issued earlier for
    /// the same key, card and profile.
    fn issue(&self, request: &IssueRequest<'_>) -> Result<IssuedCertificate, CaError>;
}

/// SHA-256 of `bytes`, lower-case hex (certificate and SPKI fingerprints).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
