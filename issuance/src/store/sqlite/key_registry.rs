//! The office's key registry: one key id per kind (the management-key master), registered once
//! for the whole database and compared with every desk's key after that.

use rusqlite::{OptionalExtension, params};

use super::backend;
use super::writer::Writer;
use crate::store::{KeyRegistrant, StoreError, check_registered_key};

/// Checks `key_id` against the registered key of `kind`, or registers it (audited
/// `key.register`) when the database has none yet; true when this call registered it. A
/// different registered key is [`StoreError::KeyReplaced`]. `registrant` is asked only when
/// the key is registered.
pub fn check_or_register(
    w: &Writer<'_>,
    kind: &str,
    key_id: &str,
    registrant: impl FnOnce() -> Result<KeyRegistrant, StoreError>,
) -> Result<bool, StoreError> {
    let registered: Option<(String, String)> = w
        .conn
        .prepare_cached("SELECT key_id, registered_at FROM key_registry WHERE kind = ?1")
        .and_then(|mut st| {
            st.query_row([kind], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(backend("reading the key registry"))?;
    if let Some(found) = registered {
        return check_registered_key(kind, key_id, found).map(|()| false);
    }
    let who = registrant()?;
    w.conn
        .execute(
            "INSERT INTO key_registry (kind, key_id, registered_at, registered_by) \
             VALUES (?1, ?2, ?3, ?4)",
            params![kind, key_id, w.now, w.operator()],
        )
        .map_err(backend("registering a key in the key registry"))?;
    w.audit(
        "key.register",
        who.card.as_deref(),
        who.order,
        None,
        None,
        Some(&who.reason(kind, key_id)),
    )?;
    Ok(true)
}
