//! The CA's issued-certificates index: one row per certified key, across every desk.

use cardline_issuance::ca::IssuedRecord;
use cardline_issuance::ca::revocation::RevocationReason;
use cardline_issuance::store::StoreError;
use postgres::Row;

use crate::rows::get;
use crate::tx::Tx;

const SELECT: &str = "SELECT spki_sha256, card_number, profile, chip_id, serial, fingerprint, \
     issued_at, not_after, der, revoked_at, revocation_reason FROM issued_certificates";

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
        revoked_at: get(r, 9)?,
        revocation_reason: get(r, 10)?,
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

/// Certificates of `card_number`, oldest first.
pub fn of_card(tx: &Tx<'_>, card_number: &str) -> Result<Vec<IssuedRecord>, StoreError> {
    tx.query(
        "reading the issued-certificates index",
        &format!("{SELECT} WHERE card_number = $1 ORDER BY id"),
        &[&card_number],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// Revokes the certificates of `card_number` not yet revoked (with `spoiled_only`, only those
/// not recorded on a succeeded attempt of the card) and audits it as `ca.revoke`, in the
/// caller's transaction. Returns how many were revoked.
pub fn revoke_card(
    tx: &Tx<'_>,
    card_number: &str,
    reason: RevocationReason,
    spoiled_only: bool,
    why: &str,
) -> Result<usize, StoreError> {
    const OP: &str = "revoking certificates";
    let keep = if spoiled_only {
        " AND fingerprint NOT IN (SELECT ac.fingerprint FROM attempt_certificates ac \
         JOIN attempts a ON a.id = ac.attempt_id JOIN cards c ON c.id = a.card_id \
         WHERE c.number = $1 AND a.status = 'succeeded')"
    } else {
        ""
    };
    let serials: Vec<String> = tx
        .query(
            OP,
            &format!(
                "UPDATE issued_certificates SET revoked_at = $2, revocation_reason = $3 \
                 WHERE card_number = $1 AND revoked_at IS NULL{keep} RETURNING serial"
            ),
            &[&card_number, &tx.now, &reason.as_str()],
        )?
        .iter()
        .map(|r| get(r, 0))
        .collect::<Result<_, _>>()?;
    if !serials.is_empty() {
        tx.audit(
            "ca.revoke",
            Some(card_number),
            None,
            None,
            None,
            Some(&format!(
                "{} ({why}): serial {}",
                reason.as_str(),
                serials.join(", ")
            )),
        )?;
    }
    Ok(serials.len())
}
