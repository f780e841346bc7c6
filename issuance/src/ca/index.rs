//! The issued-certificates index: one JSON line per certificate, keyed by the SHA-256 of the
//! certified SubjectPublicKeyInfo. It makes issuing idempotent per key (a retry recalls the
//! earlier certificate) and refuses to certify one key for two cards. Each check-and-append
//! holds an exclusive file lock, so several processes sharing a CA directory stay consistent;
//! each process remembers the keys it has read and only reads what was appended since, so a
//! check costs the same at the 100,000th certificate as at the first.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    /// What this process has already read of the file: checking a key costs only the lines
    /// appended since (by this or another process), not a re-read of the whole index.
    seen: Mutex<SeenKeys>,
}

/// Keys read so far and where their lines are.
#[derive(Default)]
struct SeenKeys {
    /// Bytes of the file read so far (always at a line end).
    read_to: u64,
    /// Lines read so far (for error messages).
    lines: usize,
    /// Certified key → the card and profile it was issued for, and the byte offset of its line.
    by_key: HashMap<String, SeenKey>,
}

struct SeenKey {
    card_number: Box<str>,
    profile: Box<str>,
    offset: u64,
}

impl IssuedIndex {
    pub(super) fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            seen: Mutex::new(SeenKeys::default()),
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

    /// Parses one line; `at` says where it is for the error ("line 7", "the line at byte 812").
    fn parse(&self, line: &[u8], at: &dyn std::fmt::Display) -> Result<IssuedRecord, CaError> {
        serde_json::from_slice(line).map_err(|e| CaError::Corrupt {
            path: self.path.clone(),
            why: format!("{at}: {e}"),
        })
    }

    /// All records, oldest first.
    pub(super) fn records(&self) -> Result<Vec<IssuedRecord>, CaError> {
        if !self.path.exists() {
            return Ok(Vec::new());
        }
        let file = self.open()?;
        file.lock_shared().map_err(self.io("locking"))?;
        let mut out = Vec::new();
        for (n, line) in BufReader::new(&file).split(b'\n').enumerate() {
            let line = line.map_err(self.io("reading"))?;
            if !line.trim_ascii().is_empty() {
                out.push(self.parse(&line, &format_args!("line {}", n + 1))?);
            }
        }
        Ok(out)
    }

    /// Reads the lines appended since the last call (the caller holds the file lock).
    fn catch_up(&self, file: &mut File, seen: &mut SeenKeys) -> Result<(), CaError> {
        let len = file.metadata().map_err(self.io("reading"))?.len();
        if len < seen.read_to {
            *seen = SeenKeys::default(); // replaced or truncated: start over
        }
        file.seek(SeekFrom::Start(seen.read_to))
            .map_err(self.io("reading"))?;
        let mut reader = BufReader::new(&*file);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(self.io("reading"))?;
            if n == 0 {
                return Ok(());
            }
            let offset = seen.read_to;
            seen.read_to += n as u64;
            seen.lines += 1;
            if line.trim_ascii().is_empty() {
                continue;
            }
            let r = self.parse(&line, &format_args!("line {}", seen.lines))?;
            // The first record of a key is the one that counts, as when the file is scanned.
            seen.by_key.entry(r.spki_sha256).or_insert(SeenKey {
                card_number: r.card_number.into(),
                profile: r.profile.into(),
                offset,
            });
        }
    }

    /// The record whose line starts at `offset`.
    fn record_at(&self, file: &mut File, offset: u64) -> Result<IssuedRecord, CaError> {
        file.seek(SeekFrom::Start(offset))
            .map_err(self.io("reading"))?;
        let mut line = Vec::new();
        BufReader::new(&*file)
            .read_until(b'\n', &mut line)
            .map_err(self.io("reading"))?;
        self.parse(&line, &format_args!("the line at byte {offset}"))
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
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = self.open()?;
        file.lock().map_err(self.io("locking"))?;
        self.catch_up(&mut file, &mut seen)?;
        if let Some(earlier) = seen.by_key.get(spki_sha256) {
            let r = self.record_at(&mut file, earlier.offset)?;
            if *earlier.card_number == *card_number && *earlier.profile == *profile {
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
        let offset = seen.read_to;
        seen.read_to += line.len() as u64;
        seen.lines += 1;
        seen.by_key.insert(
            record.spki_sha256.clone(),
            SeenKey {
                card_number: record.card_number.as_str().into(),
                profile: record.profile.as_str().into(),
                offset,
            },
        );
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
