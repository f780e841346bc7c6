//! The office's key registry: one key id per kind (the management-key master), registered once
//! for the whole database and compared with every desk's key after that.

use rusqlite::{OptionalExtension, params};

use super::backend;
use super::writer::Writer;
use crate::model::OrderId;
use crate::store::StoreError;

/// Who registers a key, for the audit entry: an attempt (its card and order) or a desk that
/// starts (neither).
pub struct Registrant {
    /// The card of the attempt that registers it.
    pub card: Option<String>,
    /// The order of that card.
    pub order: Option<OrderId>,
    /// Why, for the audit entry (after the key id).
    pub note: &'static str,
}

/// Checks `key_id` against the registered key of `kind`, or registers it (audited
/// `key.register`) when the database has none yet; true when this call registered it. A
/// different registered key is [`StoreError::KeyReplaced`]. `registrant` is asked only when
/// the key is registered.
pub fn check_or_register(
    w: &Writer<'_>,
    kind: &str,
    key_id: &str,
    registrant: impl FnOnce() -> Result<Registrant, StoreError>,
) -> Result<bool, StoreError> {
    let registered: Option<(String, String)> = w
        .conn
        .prepare_cached("SELECT key_id, registered_at FROM key_registry WHERE kind = ?1")
        .and_then(|mut st| {
            st.query_row([kind], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(backend("reading the key registry"))?;
    match registered {
        Some((id, since)) if id != key_id => Err(StoreError::KeyReplaced {
            kind: kind.into(),
            registered: id,
            found: key_id.into(),
            since,
        }),
        Some(_) => Ok(false),
        None => {
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
                Some(&format!("{kind} key id {key_id} ({})", who.note)),
            )?;
            Ok(true)
        }
    }
}
