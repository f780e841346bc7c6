//! The CA's issued-certificates index: one row per certified key, across every desk.

use cardline_issuance::ca::IssuedRecord;
use cardline_issuance::store::StoreError;
use postgres::Row;

use crate::rows::get;
use crate::tx::Tx;

const SELECT: &str = "SELECT spki_sha256, card_number, profile, chip_id, serial, fingerprint, \
     issued_at, not_after, der FROM issued_certificates";

fn from_row(r: &Row) -> Result<IssuedRecord, StoreError> {
    let der: Vec<u8> = get(r, 8)?;
    Ok(IssuedRecord {
        spki_sha256: get(r, 0)?,
        card_number: get(r, 1)?,
        profile: get(r, 2)?,
        chip_id: get(r, 3)?,
        serial: get(r, 4)?,
        fingerprint: get(r, 5)?,
        issued_at: get(r, 6)?,
        not_after: get(r, 7)?,
        der: hex::encode(der),
    })
}

/// The record of a key, if it was certified.
pub fn by_key(tx: &Tx<'_>, spki_sha256: &str) -> Result<Option<IssuedRecord>, StoreError> {
    tx.query_opt(
        "reading the issued-certificates index",
        &format!("{SELECT} WHERE spki_sha256 = $1"),
        &[&spki_sha256],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// Inserts a record unless its key is there already (then returns the earlier record). Two
/// desks recording the same key at once: the second waits for the first and gets its record.
pub fn record(tx: &Tx<'_>, r: &IssuedRecord) -> Result<Option<IssuedRecord>, StoreError> {
    const OP: &str = "recording an issued certificate";
    let der = hex::decode(&r.der).map_err(|_| StoreError::Backend {
        operation: OP.into(),
        detail: format!("certificate {} is not hex", r.serial),
    })?;
    let inserted = tx.execute(
        OP,
        "INSERT INTO issued_certificates (spki_sha256, card_number, profile, chip_id, serial, \
         fingerprint, issued_at, not_after, der) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (spki_sha256) DO NOTHING",
        &[
            &r.spki_sha256,
            &r.card_number,
            &r.profile,
            &r.chip_id,
            &r.serial,
            &r.fingerprint,
            &r.issued_at,
            &r.not_after,
            &der,
        ],
    )?;
    if inserted == 1 {
        return Ok(None);
    }
    by_key(tx, &r.spki_sha256)?
        .map(Some)
        .ok_or_else(|| StoreError::Conflict {
            operation: OP.into(),
            detail: format!("key {} was recorded and removed meanwhile", r.spki_sha256),
        })
}

/// Every record, oldest first.
pub fn all(tx: &Tx<'_>) -> Result<Vec<IssuedRecord>, StoreError> {
    tx.query(
        "reading the issued-certificates index",
        &format!("{SELECT} ORDER BY id"),
        &[],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// How many certificates were issued.
pub fn count(tx: &Tx<'_>) -> Result<u64, StoreError> {
    crate::rows::count(
        &tx.query_one(
            "counting issued certificates",
            "SELECT COUNT(*) FROM issued_certificates",
            &[],
        )?,
        0,
    )
}
