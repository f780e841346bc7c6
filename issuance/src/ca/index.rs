//! The issued-certificates index: one record per certified key, keyed by the SHA-256 of its
//! SubjectPublicKeyInfo, kept in the store ([`CertificateIndex`]) so that every process and
//! every desk sharing the database sees the same index. It makes issuing idempotent per key (a
//! retry recalls the earlier certificate) and refuses to certify one key for two cards.
//!
//! Homes made before the index moved into the store kept it in `<ca>/issued.jsonl`; it is
//! imported once when the CA is opened, then renamed `issued.jsonl.imported`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{CaError, IssuedCertificate};
use crate::store::{CertificateIndex, StoreError};

/// One issued certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedRecord {
    /// SHA-256 of the certified SubjectPublicKeyInfo, hex.
    pub spki_sha256: String,
    /// The card number.
    pub card_number: String,
    /// The certificate profile name.
    pub profile: String,
    /// The chip serial/GUID, when the encoder knew it.
    pub chip_id: Option<String>,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-256 of the certificate DER, hex.
    pub fingerprint: String,
    /// Issue time, RFC 3339.
    pub issued_at: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// The certificate DER, hex.
    pub der: String,
    /// When it was revoked (`None`: not revoked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Why ([`super::revocation::RevocationReason`] name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
}

/// The legacy index file name inside a CA directory.
pub const LEGACY_INDEX_FILE: &str = "issued.jsonl";

fn store_error(e: StoreError) -> CaError {
    CaError::Index {
        detail: e.to_string(),
    }
}

/// The CA's view of the store's index.
#[derive(Clone)]
pub(super) struct IssuedIndex {
    store: Arc<dyn CertificateIndex>,
}

impl IssuedIndex {
    pub(super) fn new(store: Arc<dyn CertificateIndex>) -> Self {
        Self { store }
    }

    /// Every desk CA certificate recorded, oldest first.
    pub(super) fn desk_cas(&self) -> Result<Vec<super::DeskCaRecord>, CaError> {
        self.store.desk_cas().map_err(store_error)
    }

    /// All records, oldest first.
    pub(super) fn records(&self) -> Result<Vec<IssuedRecord>, CaError> {
        self.store.issued_certificates().map_err(store_error)
    }

    /// Recalls the certificate of `spki_sha256` when it was issued for the same card and
    /// profile, refuses when it was issued for another, otherwise calls `issue` and records
    /// it. Two processes racing on one key: the store keeps the first record; the second
    /// process gets that one (recalled) or the refusal, and its own certificate is discarded
    /// before anyone sees it.
    pub(super) fn issue_once(
        &self,
        spki_sha256: &str,
        card_number: &str,
        profile: &str,
        issue: impl FnOnce() -> Result<IssuedRecord, CaError>,
    ) -> Result<IssuedCertificate, CaError> {
        let existing = self
            .store
            .issued_for_key(spki_sha256)
            .map_err(store_error)?;
        let earlier = match existing {
            Some(r) => r,
            None => {
                let record = issue()?;
                match self.store.record_issued(&record).map_err(store_error)? {
                    None => return record_to_issued(&record, false),
                    Some(raced) => raced,
                }
            }
        };
        if earlier.revoked_at.is_some() {
            return Err(CaError::KeyRevoked {
                spki_fingerprint: earlier.spki_sha256,
                serial: earlier.serial,
                reason: earlier
                    .revocation_reason
                    .unwrap_or_else(|| "no reason recorded".into()),
            });
        }
        if earlier.card_number == card_number && earlier.profile == profile {
            return record_to_issued(&earlier, true);
        }
        Err(CaError::KeyAlreadyCertified {
            spki_fingerprint: earlier.spki_sha256,
            card_number: earlier.card_number,
            profile: earlier.profile,
            serial: earlier.serial,
        })
    }

    /// Imports `<dir>/issued.jsonl` (a home made before the index moved into the store) and
    /// renames it `issued.jsonl.imported`. Records of keys already in the store are skipped.
    pub(super) fn import_legacy(&self, dir: &Path) -> Result<usize, CaError> {
        let path = dir.join(LEGACY_INDEX_FILE);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(source) => {
                return Err(CaError::Io {
                    operation: "reading",
                    path,
                    source,
                });
            }
        };
        let mut imported = 0;
        for (n, line) in BufReader::new(file).split(b'\n').enumerate() {
            let line = line.map_err(|source| CaError::Io {
                operation: "reading",
                path: path.clone(),
                source,
            })?;
            if line.trim_ascii().is_empty() {
                continue;
            }
            let record: IssuedRecord =
                serde_json::from_slice(&line).map_err(|e| CaError::Corrupt {
                    path: path.clone(),
                    why: format!("line {}: {e}", n + 1),
                })?;
            if self
                .store
                .record_issued(&record)
                .map_err(store_error)?
                .is_none()
            {
                imported += 1;
            }
        }
        let done = dir.join(format!("{LEGACY_INDEX_FILE}.imported"));
        std::fs::rename(&path, &done).map_err(|source| CaError::Io {
            operation: "renaming",
            path,
            source,
        })?;
        tracing::info!(
            imported,
            "issued-certificates index imported into the store"
        );
        Ok(imported)
    }
}

fn record_to_issued(r: &IssuedRecord, recalled: bool) -> Result<IssuedCertificate, CaError> {
    Ok(IssuedCertificate {
        der: hex::decode(&r.der).map_err(|_| CaError::Index {
            detail: format!("certificate {} is not hex in the index", r.serial),
        })?,
        serial: r.serial.clone(),
        fingerprint: r.fingerprint.clone(),
        recalled,
    })
}
