//! The office's key registry: one key id per kind (the management-key master), registered once
//! for the whole database and compared with every desk's key after that. Two desks
//! registering at once: `ON CONFLICT DO NOTHING` makes the second compare with the first's.

use cardline_issuance::store::{KeyRegistrant, StoreError, check_registered_key};

use crate::rows::get;
use crate::tx::Tx;

const OP: &str = "checking the key registry";

fn registered(tx: &Tx<'_>, kind: &str) -> Result<Option<(String, String)>, StoreError> {
    tx.query_opt(
        OP,
        "SELECT key_id, registered_at FROM key_registry WHERE kind = $1",
        &[&kind],
    )?
    .map(|r| Ok((get(&r, 0)?, get(&r, 1)?)))
    .transpose()
}

/// Checks `key_id` against the registered key of `kind`, or registers it (audited
/// `key.register`) when the database has none yet; true when this call registered it. A
/// different registered key is [`StoreError::KeyReplaced`]. `registrant` is asked only when
/// the key is registered.
pub fn check_or_register(
    tx: &Tx<'_>,
    kind: &str,
    key_id: &str,
    registrant: impl FnOnce() -> Result<KeyRegistrant, StoreError>,
) -> Result<bool, StoreError> {
    let mut found = registered(tx, kind)?;
    if found.is_none() {
        let inserted = tx.execute(
            OP,
            "INSERT INTO key_registry (kind, key_id, registered_at, registered_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (kind) DO NOTHING",
            &[&kind, &key_id, &tx.now, &tx.operator()],
        )?;
        if inserted == 1 {
            let who = registrant()?;
            tx.audit(
                "key.register",
                who.card.as_deref(),
                who.order,
                None,
                None,
                Some(&who.reason(kind, key_id)),
            )?;
            return Ok(true);
        }
        found = registered(tx, kind)?;
    }
    match found {
        Some(found) => check_registered_key(kind, key_id, found).map(|()| false),
        None => Ok(false),
    }
}
