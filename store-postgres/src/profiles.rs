//! Named option profiles and their change log.

use cardline_issuance::options::profiles::{Change, OptionChange, ProfileRecord};
use cardline_issuance::store::StoreError;
use postgres::Row;

use crate::rows::get;
use crate::tx::Tx;

const SELECT: &str = "SELECT name, toml, is_default, updated_at, updated_by FROM option_profiles";

/// The advisory lock that makes saves of profiles one at a time (the default moves between
/// rows).
const PROFILES_LOCK: i64 = 0x434C_4E32;

fn from_row(r: &Row) -> Result<ProfileRecord, StoreError> {
    Ok(ProfileRecord {
        name: get(r, 0)?,
        toml: get(r, 1)?,
        is_default: get(r, 2)?,
        updated_at: get(r, 3)?,
        updated_by: get(r, 4)?,
    })
}

/// Every profile.
pub fn all(tx: &Tx<'_>) -> Result<Vec<ProfileRecord>, StoreError> {
    tx.query(
        "listing option profiles",
        &format!("{SELECT} ORDER BY name"),
        &[],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// One profile.
pub fn one(tx: &Tx<'_>, name: &str) -> Result<Option<ProfileRecord>, StoreError> {
    tx.query_opt(
        "reading an option profile",
        &format!("{SELECT} WHERE name = $1"),
        &[&name],
    )?
    .map(|r| from_row(&r))
    .transpose()
}

/// Inserts or replaces a profile, logs and audits its changes.
pub fn save(
    tx: &Tx<'_>,
    name: &str,
    toml: &str,
    make_default: bool,
    changes: &[Change],
) -> Result<ProfileRecord, StoreError> {
    const OP: &str = "saving an option profile";
    tx.execute(OP, "SELECT pg_advisory_xact_lock($1)", &[&PROFILES_LOCK])?;
    if make_default {
        tx.execute(
            OP,
            "UPDATE option_profiles SET is_default = false WHERE is_default AND name <> $1",
            &[&name],
        )?;
    }
    let keep_default = one(tx, name)?.is_some_and(|p| p.is_default);
    tx.execute(
        OP,
        "INSERT INTO option_profiles (name, toml, is_default, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO UPDATE SET toml = excluded.toml, \
         is_default = excluded.is_default, updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by",
        &[
            &name,
            &toml,
            &(make_default || keep_default),
            &tx.now,
            &tx.operator(),
        ],
    )?;
    for (key, old, new) in changes {
        tx.execute(
            OP,
            "INSERT INTO option_changes (profile, key, old_value, new_value, at, operator) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&name, key, old, new, &tx.now, &tx.operator()],
        )?;
        let reason = format!(
            "profile {name}: {key} {} → {}",
            old.as_deref().unwrap_or("(unset)"),
            new.as_deref().unwrap_or("(unset)")
        );
        tx.audit("options.change", None, None, None, None, Some(&reason))?;
    }
    one(tx, name)?.ok_or_else(|| StoreError::Backend {
        operation: OP.into(),
        detail: format!("profile {name} vanished"),
    })
}

/// The change log, newest `limit` entries, oldest first.
pub fn log(
    tx: &Tx<'_>,
    profile: Option<&str>,
    limit: Option<u32>,
) -> Result<Vec<OptionChange>, StoreError> {
    let mut out: Vec<OptionChange> = tx
        .query(
            "reading the options log",
            "SELECT id, profile, key, old_value, new_value, at, operator FROM option_changes \
             WHERE ($1::text IS NULL OR profile = $1) ORDER BY id DESC LIMIT $2",
            &[&profile, &limit.map(i64::from)],
        )?
        .iter()
        .map(|r| {
            Ok(OptionChange {
                id: get(r, 0)?,
                profile: get(r, 1)?,
                key: get(r, 2)?,
                old_value: get(r, 3)?,
                new_value: get(r, 4)?,
                at: get(r, 5)?,
                operator: get(r, 6)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    out.reverse();
    Ok(out)
}
