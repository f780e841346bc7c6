//! Desk CA certificates (`desk_cas`, schema v9): recorded, listed, revoked
//! ([`cardline_issuance::ca::DeskCaRecord`]).

use cardline_issuance::ca::DeskCaRecord;
use cardline_issuance::ca::revocation::RevocationReason;
use cardline_issuance::store::StoreError;
use postgres::Row;

use crate::rows::get;
use crate::tx::Tx;

const SELECT: &str = "SELECT desk, serial, fingerprint, issuer_id, subject, not_after, \
     recorded_at, der, revoked_at, revocation_reason FROM desk_cas";

fn from_row(r: &Row) -> Result<DeskCaRecord, StoreError> {
    let der: Vec<u8> = get(r, 7)?;
    Ok(DeskCaRecord {
        desk: get(r, 0)?,
        serial: get(r, 1)?,
        fingerprint: get(r, 2)?,
        issuer_id: get(r, 3)?,
        subject: get(r, 4)?,
        not_after: get(r, 5)?,
        recorded_at: get(r, 6)?,
        der: hex::encode(der),
        revoked_at: get(r, 8)?,
        revocation_reason: get(r, 9)?,
    })
}

/// Records `r` unless its fingerprint is recorded already.
pub fn record(tx: &Tx<'_>, r: &DeskCaRecord) -> Result<(), StoreError> {
    const OP: &str = "recording a desk CA certificate";
    let der = hex::decode(&r.der).map_err(|_| StoreError::Backend {
        operation: OP.into(),
        detail: format!("desk CA certificate {} is not hex", r.serial),
    })?;
    tx.execute(
        OP,
        "INSERT INTO desk_cas (desk, serial, fingerprint, issuer_id, subject, not_after, \
         recorded_at, der) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (fingerprint) DO NOTHING",
        &[
            &r.desk,
            &r.serial,
            &r.fingerprint,
            &r.issuer_id,
            &r.subject,
            &r.not_after,
            &tx.now,
            &der,
        ],
    )?;
    Ok(())
}

/// Every desk CA certificate, oldest first.
pub fn all(tx: &Tx<'_>) -> Result<Vec<DeskCaRecord>, StoreError> {
    tx.query(
        "reading the desk CA certificates",
        &format!("{SELECT} ORDER BY id"),
        &[],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// The revoked desk CA whose issuer key id is `issuer_id`, if any.
pub fn revoked_issuer(tx: &Tx<'_>, issuer_id: &str) -> Result<Option<DeskCaRecord>, StoreError> {
    tx.query_opt(
        "checking the issuing CA's revocation",
        &format!("{SELECT} WHERE issuer_id = $1 AND revoked_at IS NOT NULL ORDER BY id LIMIT 1"),
        &[&issuer_id],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// Revokes the CA certificates of `desk` not yet revoked (the rules of
/// [`cardline_issuance::ca::desk_ca_to_revoke`]) and audits it as `ca.desk_revoke`. The rows
/// are locked first, so two administrators revoking at once do not both succeed.
pub fn revoke(
    tx: &Tx<'_>,
    desk: &str,
    reason: RevocationReason,
) -> Result<Vec<DeskCaRecord>, StoreError> {
    tx.execute(
        "locking the desk CA certificates",
        "SELECT 1 FROM desk_cas WHERE desk = $1 FOR UPDATE",
        &[&desk],
    )?;
    let every = all(tx)?;
    let open = cardline_issuance::ca::desk_ca_to_revoke(desk, &every)?;
    for r in &open {
        tx.execute(
            "revoking a desk CA certificate",
            "UPDATE desk_cas SET revoked_at = $1, revocation_reason = $2 WHERE fingerprint = $3",
            &[&tx.now, &reason.as_str(), &r.fingerprint],
        )?;
    }
    tx.audit(
        "ca.desk_revoke",
        None,
        None,
        None,
        None,
        Some(&cardline_issuance::ca::desk_ca_revoke_note(
            desk, reason, &open,
        )),
    )?;
    Ok(open
        .into_iter()
        .map(|r| DeskCaRecord {
            revoked_at: Some(tx.now.clone()),
            revocation_reason: Some(reason.as_str().into()),
            ..r.clone()
        })
        .collect())
}
