//! Desk CA certificates (`desk_cas`, schema v9): recorded, listed, revoked
//! ([`crate::ca::DeskCaRecord`]).

use rusqlite::{Connection, params};

use super::backend;
use super::writer::Writer;
use crate::ca::DeskCaRecord;
use crate::ca::revocation::RevocationReason;
use crate::store::StoreError;

const SELECT: &str = "SELECT desk, serial, fingerprint, issuer_id, subject, not_after, \
     recorded_at, der, revoked_at, revocation_reason FROM desk_cas";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeskCaRecord> {
    let der: Vec<u8> = r.get(7)?;
    Ok(DeskCaRecord {
        desk: r.get(0)?,
        serial: r.get(1)?,
        fingerprint: r.get(2)?,
        issuer_id: r.get(3)?,
        subject: r.get(4)?,
        not_after: r.get(5)?,
        recorded_at: r.get(6)?,
        der: hex::encode(der),
        revoked_at: r.get(8)?,
        revocation_reason: r.get(9)?,
    })
}

/// Records `r` unless its fingerprint is recorded already.
pub fn record(w: &Writer<'_>, r: &DeskCaRecord) -> Result<(), StoreError> {
    const OP: &str = "recording a desk CA certificate";
    let der = hex::decode(&r.der).map_err(|_| StoreError::Backend {
        operation: OP.into(),
        detail: format!("desk CA certificate {} is not hex", r.serial),
    })?;
    w.conn
        .prepare_cached(
            "INSERT INTO desk_cas (desk, serial, fingerprint, issuer_id, subject, not_after, \
             recorded_at, der) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (fingerprint) DO NOTHING",
        )
        .and_then(|mut st| {
            st.execute(params![
                r.desk,
                r.serial,
                r.fingerprint,
                r.issuer_id,
                r.subject,
                r.not_after,
                w.now,
                der
            ])
        })
        .map_err(backend(OP))?;
    Ok(())
}

/// Every desk CA certificate, oldest first.
pub fn all(conn: &Connection) -> Result<Vec<DeskCaRecord>, StoreError> {
    conn.prepare_cached(&format!("{SELECT} ORDER BY id"))
        .and_then(|mut st| st.query_map([], from_row)?.collect())
        .map_err(backend("reading the desk CA certificates"))
}

/// The revoked desk CA whose issuer key id is `issuer_id`, if any.
pub fn revoked_issuer(
    conn: &Connection,
    issuer_id: &str,
) -> Result<Option<DeskCaRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "{SELECT} WHERE issuer_id = ?1 AND revoked_at IS NOT NULL ORDER BY id LIMIT 1"
    ))
    .and_then(|mut st| st.query_map([issuer_id], from_row)?.next().transpose())
    .map_err(backend("checking the issuing CA's revocation"))
}

/// Revokes the CA certificates of `desk` not yet revoked ([`crate::ca::desk_record`] rules)
/// and audits it as `ca.desk_revoke`.
pub fn revoke(
    w: &Writer<'_>,
    desk: &str,
    reason: RevocationReason,
) -> Result<Vec<DeskCaRecord>, StoreError> {
    let every = all(w.conn)?;
    let open = crate::ca::desk_ca_to_revoke(desk, &every)?;
    for r in &open {
        w.conn
            .prepare_cached(
                "UPDATE desk_cas SET revoked_at = ?1, revocation_reason = ?2 \
                 WHERE fingerprint = ?3",
            )
            .and_then(|mut st| st.execute(params![w.now, reason.as_str(), r.fingerprint]))
            .map_err(backend("revoking a desk CA certificate"))?;
    }
    w.audit(
        "ca.desk_revoke",
        None,
        None,
        None,
        None,
        Some(&crate::ca::desk_ca_revoke_note(desk, reason, &open)),
    )?;
    Ok(open
        .into_iter()
        .map(|r| DeskCaRecord {
            revoked_at: Some(w.now.clone()),
            revocation_reason: Some(reason.as_str().into()),
            ..r.clone()
        })
        .collect())
}
