//! The issued-certificates index: one JSON line per certificate, keyed by the SHA-256 of the
//! certified SubjectPublicKeyInfo. It makes issuing idempotent per key (a retry recalls the
//! earlier certificate) and refuses to certify one key for two cards. Each check-and-append
//! holds an exclusive file lock, so several processes sharing a CA directory stay consistent.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CaError, IssuedCertificate};

/// One issued certificate, as recorded in `issued.jsonl`.
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
}

pub(super) struct IssuedIndex {
    path: PathBuf,
}

impl IssuedIndex {
    pub(super) fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
        }
    }

    fn io(&self, operation: &'static str) -> impl Fn(std::io::Error) -> CaError + '_ {
        move |source| CaError::Io {
            operation,
            path: self.path.clone(),
            source,
        }
    }

    fn open(&self) -> Result<File, CaError> {
        OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(self.io("opening"))
    }

    fn read_all(&self, file: &mut File) -> Result<Vec<IssuedRecord>, CaError> {
        file.seek(SeekFrom::Start(0)).map_err(self.io("reading"))?;
        let mut out = Vec::new();
        for (n, line) in BufReader::new(&*file).lines().enumerate() {
            let line = line.map_err(self.io("reading"))?;
            if line.trim().is_empty() {
                continue;
            }
            out.push(serde_json::from_str(&line).map_err(|e| CaError::Corrupt {
                path: self.path.clone(),
                why: format!("line {}: {e}", n + 1),
            })?);
        }
        Ok(out)
    }

    /// All records, oldest first.
    pub(super) fn records(&self) -> Result<Vec<IssuedRecord>, CaError> {
        if !self.path.exists() {
            return Ok(Vec::new());
        }
        let mut file = self.open()?;
        file.lock_shared().map_err(self.io("locking"))?;
        self.read_all(&mut file)
    }

    /// Under the index lock: recalls the certificate of `spki_sha256` when it was issued for
    /// the same card and profile, refuses when it was issued for another, otherwise calls
    /// `issue` and appends its record.
    pub(super) fn issue_once(
        &self,
        spki_sha256: &str,
        card_number: &str,
        profile: &str,
        issue: impl FnOnce() -> Result<IssuedRecord, CaError>,
    ) -> Result<IssuedCertificate, CaError> {
        let mut file = self.open()?;
        file.lock().map_err(self.io("locking"))?;
        let earlier = self
            .read_all(&mut file)?
            .into_iter()
            .find(|r| r.spki_sha256 == spki_sha256);
        if let Some(r) = earlier {
            if r.card_number == card_number && r.profile == profile {
                return record_to_issued(&r, true, &self.path);
            }
            return Err(CaError::KeyAlreadyCertified {
                spki_fingerprint: r.spki_sha256,
                card_number: r.card_number,
                profile: r.profile,
                serial: r.serial,
            });
        }
        let record = issue()?;
        let mut line = serde_json::to_string(&record).expect("record serialises");
        line.push('\n');
        file.write_all(line.as_bytes())
            .map_err(self.io("appending to"))?;
        file.sync_data().map_err(self.io("syncing"))?;
        record_to_issued(&record, false, &self.path)
    }
}

fn record_to_issued(
    r: &IssuedRecord,
    recalled: bool,
    path: &Path,
) -> Result<IssuedCertificate, CaError> {
    Ok(IssuedCertificate {
        der: hex::decode(&r.der).map_err(|_| CaError::Corrupt {
            path: path.to_path_buf(),
            why: format!("certificate {} is not hex", r.serial),
        })?,
        serial: r.serial.clone(),
        fingerprint: r.fingerprint.clone(),
        recalled,
    })
}
