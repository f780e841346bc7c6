//! The CA's issued-certificates index: one row per certified key.

use rusqlite::{Connection, OptionalExtension, params};

use super::backend;
use super::writer::Writer;
use crate::ca::IssuedRecord;
use crate::ca::revocation::RevocationReason;
use crate::store::StoreError;

const SELECT: &str = "SELECT spki_sha256, card_number, profile, chip_id, serial, fingerprint, \
     issued_at, not_after, der, revoked_at, revocation_reason FROM issued_certificates";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IssuedRecord> {
    let der: Vec<u8> = r.get(8)?;
    Ok(IssuedRecord {
        spki_sha256: r.get(0)?,
        card_number: r.get(1)?,
        profile: r.get(2)?,
        chip_id: r.get(3)?,
        serial: r.get(4)?,
        fingerprint: r.get(5)?,
        issued_at: r.get(6)?,
        not_after: r.get(7)?,
        der: hex::encode(der),
        revoked_at: r.get(9)?,
        revocation_reason: r.get(10)?,
    })
}

/// The record of a key, if it was certified.
pub fn by_key(conn: &Connection, spki_sha256: &str) -> Result<Option<IssuedRecord>, StoreError> {
    conn.prepare_cached(&format!("{SELECT} WHERE spki_sha256 = ?1"))
        .and_then(|mut st| st.query_row([spki_sha256], from_row).optional())
        .map_err(backend("reading the issued-certificates index"))
}

/// Inserts a record unless its key is there already (then returns the earlier record).
pub fn record(w: &Writer<'_>, r: &IssuedRecord) -> Result<Option<IssuedRecord>, StoreError> {
    const OP: &str = "recording an issued certificate";
    if let Some(earlier) = by_key(w.conn, &r.spki_sha256)? {
        return Ok(Some(earlier));
    }
    let der = hex::decode(&r.der).map_err(|_| StoreError::Backend {
        operation: OP.into(),
        detail: format!("certificate {} is not hex", r.serial),
    })?;
    w.conn
        .prepare_cached(
            "INSERT INTO issued_certificates (spki_sha256, card_number, profile, chip_id, serial, \
             fingerprint, issued_at, not_after, der) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut st| {
            st.execute(params![
                r.spki_sha256,
                r.card_number,
                r.profile,
                r.chip_id,
                r.serial,
                r.fingerprint,
                r.issued_at,
                r.not_after,
                der
            ])
        })
        .map_err(backend(OP))?;
    Ok(None)
}

/// Every record, oldest first.
pub fn all(conn: &Connection) -> Result<Vec<IssuedRecord>, StoreError> {
    conn.prepare(&format!("{SELECT} ORDER BY id"))
        .and_then(|mut st| st.query_map([], from_row)?.collect())
        .map_err(backend("reading the issued-certificates index"))
}

/// How many certificates were issued.
pub fn count(conn: &Connection) -> Result<u64, StoreError> {
    conn.query_row("SELECT COUNT(*) FROM issued_certificates", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| u64::try_from(n).unwrap_or(0))
    .map_err(backend("counting issued certificates"))
}

/// Certificates of `card_number`, oldest first.
pub fn of_card(conn: &Connection, card_number: &str) -> Result<Vec<IssuedRecord>, StoreError> {
    conn.prepare_cached(&format!("{SELECT} WHERE card_number = ?1 ORDER BY id"))
        .and_then(|mut st| st.query_map([card_number], from_row)?.collect())
        .map_err(backend("reading the issued-certificates index"))
}

/// Revokes the certificates of `card_number` not yet revoked (with `spoiled_only`, only those
/// not recorded on a succeeded attempt of the card) and audits it as `ca.revoke`. Returns how
/// many were revoked.
pub fn revoke_card(
    w: &Writer<'_>,
    card_number: &str,
    reason: RevocationReason,
    spoiled_only: bool,
    why: &str,
) -> Result<usize, StoreError> {
    const OP: &str = "revoking certificates";
    let keep = if spoiled_only {
        " AND fingerprint NOT IN (SELECT ac.fingerprint FROM attempt_certificates ac \
         JOIN attempts a ON a.id = ac.attempt_id JOIN cards c ON c.id = a.card_id \
         WHERE c.number = ?1 AND a.status = 'succeeded')"
    } else {
        ""
    };
    let serials: Vec<String> = w
        .conn
        .prepare_cached(&format!(
            "UPDATE issued_certificates SET revoked_at = ?2, revocation_reason = ?3 \
             WHERE card_number = ?1 AND revoked_at IS NULL{keep} RETURNING serial"
        ))
        .and_then(|mut st| {
            st.query_map(params![card_number, w.now, reason.as_str()], |r| r.get(0))?
                .collect()
        })
        .map_err(backend(OP))?;
    if !serials.is_empty() {
        w.audit(
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
