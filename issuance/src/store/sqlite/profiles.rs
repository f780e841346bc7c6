//! Named option profiles and their change log.

use rusqlite::{Connection, OptionalExtension, params};

use super::backend;
use super::writer::Writer;
use crate::options::profiles::{Change, OptionChange, ProfileRecord};
use crate::store::StoreError;

const SELECT: &str = "SELECT name, toml, is_default, updated_at, updated_by FROM option_profiles";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProfileRecord> {
    Ok(ProfileRecord {
        name: r.get(0)?,
        toml: r.get(1)?,
        is_default: r.get::<_, i64>(2)? == 1,
        updated_at: r.get(3)?,
        updated_by: r.get(4)?,
    })
}

/// Every profile.
pub fn all(conn: &Connection) -> Result<Vec<ProfileRecord>, StoreError> {
    conn.prepare(&format!("{SELECT} ORDER BY name"))
        .and_then(|mut st| st.query_map([], from_row)?.collect())
        .map_err(backend("listing option profiles"))
}

/// One profile.
pub fn one(conn: &Connection, name: &str) -> Result<Option<ProfileRecord>, StoreError> {
    conn.prepare_cached(&format!("{SELECT} WHERE name = ?1"))
        .and_then(|mut st| st.query_row([name], from_row).optional())
        .map_err(backend("reading an option profile"))
}

/// Inserts or replaces a profile, logs and audits its changes.
pub fn save(
    w: &Writer<'_>,
    name: &str,
    toml: &str,
    make_default: bool,
    changes: &[Change],
) -> Result<ProfileRecord, StoreError> {
    const OP: &str = "saving an option profile";
    if make_default {
        w.conn
            .execute(
                "UPDATE option_profiles SET is_default = 0 WHERE is_default = 1 AND name <> ?1",
                [name],
            )
            .map_err(backend(OP))?;
    }
    let keep_default: bool = one(w.conn, name)?.is_some_and(|p| p.is_default);
    w.conn
        .execute(
            "INSERT INTO option_profiles (name, toml, is_default, updated_at, updated_by) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET toml = excluded.toml, \
             is_default = excluded.is_default, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
            params![
                name,
                toml,
                i64::from(make_default || keep_default),
                w.now,
                w.operator()
            ],
        )
        .map_err(backend(OP))?;
    for (key, old, new) in changes {
        w.conn
            .prepare_cached(
                "INSERT INTO option_changes (profile, key, old_value, new_value, at, operator) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut st| st.execute(params![name, key, old, new, w.now, w.operator()]))
            .map_err(backend(OP))?;
        let reason = format!(
            "profile {name}: {key} {} → {}",
            old.as_deref().unwrap_or("(unset)"),
            new.as_deref().unwrap_or("(unset)")
        );
        w.audit("options.change", None, None, None, None, Some(&reason))?;
    }
    one(w.conn, name)?.ok_or_else(|| StoreError::Backend {
        operation: OP.into(),
        detail: format!("profile {name} vanished"),
    })
}

/// The change log, newest `limit` entries, oldest first.
pub fn log(
    conn: &Connection,
    profile: Option<&str>,
    limit: Option<u32>,
) -> Result<Vec<OptionChange>, StoreError> {
    let mut out: Vec<OptionChange> = conn
        .prepare(
            "SELECT id, profile, key, old_value, new_value, at, operator FROM option_changes \
             WHERE (?1 IS NULL OR profile = ?1) ORDER BY id DESC LIMIT ?2",
        )
        .and_then(|mut st| {
            st.query_map(params![profile, limit.map_or(-1, i64::from)], |r| {
                Ok(OptionChange {
                    id: r.get(0)?,
                    profile: r.get(1)?,
                    key: r.get(2)?,
                    old_value: r.get(3)?,
                    new_value: r.get(4)?,
                    at: r.get(5)?,
                    operator: r.get(6)?,
                })
            })?
            .collect()
        })
        .map_err(backend("reading the options log"))?;
    out.reverse();
    Ok(out)
}
