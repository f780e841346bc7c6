//! Named option profiles, kept in the store so every desk sees the same ones: the
//! administrator keeps several (`visitor-print-only`, `contractor-piv`), one is the default;
//! an order records the profile it is produced with. Every change is validated before it is
//! saved and logged key by key (who, when, from which value to which), and audited.
//!
//! A profile's text is the options TOML of docs/foundation.md. A home made before profiles
//! moved into the store kept `options.toml`; it becomes the `default` profile once.

use serde::{Deserialize, Serialize};

use super::{DEFAULT_PROFILE_TEXT, Options, OptionsError};
use crate::store::{Actor, Store, StoreError};

/// The profile a new home starts with.
pub const DEFAULT_PROFILE: &str = "default";

/// Longest profile name.
pub const MAX_NAME_LEN: usize = 64;

/// A stored profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRecord {
    /// Its name.
    pub name: String,
    /// Its options text (TOML).
    pub toml: String,
    /// True for the profile orders get unless they name another.
    pub is_default: bool,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
    /// Who changed it last.
    pub updated_by: String,
}

impl ProfileRecord {
    /// Its options, validated.
    pub fn options(&self) -> Result<Options, OptionsError> {
        Options::from_toml(&self.toml, &format!("options profile `{}`", self.name))
    }
}

/// One logged change of one option.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionChange {
    /// Log sequence.
    pub id: i64,
    /// The profile.
    pub profile: String,
    /// The dotted key (`pin_length`, `certificate_profiles.piv-auth.subject`), or `profile`
    /// for a profile created, made the default, or imported.
    pub key: String,
    /// The value before (TOML), `None` when the key was not set.
    pub old_value: Option<String>,
    /// The value after (TOML), `None` when the key was removed.
    pub new_value: Option<String>,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub operator: String,
}

/// A change to record with a save: key, old value, new value.
pub type Change = (String, Option<String>, Option<String>);

/// Errors of profile handling, each with its fix.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// No such profile.
    #[error("no option profile `{name}` (known: {known})")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The profiles there are.
        known: String,
    },
    /// A name that is not allowed.
    #[error("profile name `{0}` is not allowed: 1–64 letters, digits, `-` or `_`")]
    BadName(String),
    /// The profile exists already.
    #[error(
        "option profile `{0}` exists already: change it with `cardline options set --profile {0} KEY VALUE`"
    )]
    Exists(String),
    /// A key the options do not have, or a value that does not parse.
    #[error("{0}")]
    BadKey(String),
    /// The change would leave the profile invalid: nothing was saved.
    #[error("the change was not saved: {0}")]
    Invalid(#[from] OptionsError),
    /// The numbering would write numbers cards of another prefix already carry.
    #[error(
        "numbering.prefix `{prefix}` with {digits} digits writes numbers of {len} characters \
         like those of the prefix `{existing}` already in use, so a number could be issued twice: \
         choose a prefix that neither starts nor is the start of `{existing}`"
    )]
    NumberingCollision {
        /// The new prefix.
        prefix: String,
        /// Its digits.
        digits: u8,
        /// The number length.
        len: usize,
        /// The prefix in use it collides with.
        existing: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Refuses options whose numbering could issue a number cards of another scheme carry.
pub fn check_numbering(store: &dyn Store, options: &Options) -> Result<(), ProfileError> {
    let in_use = store.numbering_schemes()?;
    if let Some(other) = options.numbering.collides_with(&in_use) {
        return Err(ProfileError::NumberingCollision {
            prefix: options.numbering.prefix.clone(),
            digits: options.numbering.digits,
            len: options.numbering.number_len(),
            existing: other.prefix.clone(),
        });
    }
    Ok(())
}

/// Checks a profile name.
pub fn check_name(name: &str) -> Result<(), ProfileError> {
    let ok = (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ProfileError::BadName(crate::requests::shorten(name)))
    }
}

fn unknown(store: &dyn Store, name: &str) -> ProfileError {
    let known = store
        .option_profiles()
        .map(|ps| {
            ps.into_iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    ProfileError::Unknown {
        name: name.to_string(),
        known,
    }
}

/// The default profile, creating it from the built-in defaults when the store has none yet.
pub fn default_profile(store: &dyn Store, actor: &Actor) -> Result<ProfileRecord, ProfileError> {
    if let Some(p) = store.option_profiles()?.into_iter().find(|p| p.is_default) {
        return Ok(p);
    }
    import_text(store, DEFAULT_PROFILE, DEFAULT_PROFILE_TEXT, actor)
}

/// A profile by name (`None`: the default one).
pub fn profile(
    store: &dyn Store,
    name: Option<&str>,
    actor: &Actor,
) -> Result<ProfileRecord, ProfileError> {
    match name {
        None => default_profile(store, actor),
        Some(n) => store.option_profile(n)?.ok_or_else(|| unknown(store, n)),
    }
}

/// The options of a profile (`None`: the default one), validated.
pub fn options(
    store: &dyn Store,
    name: Option<&str>,
    actor: &Actor,
) -> Result<(ProfileRecord, Options), ProfileError> {
    let p = profile(store, name, actor)?;
    let o = p.options()?;
    Ok((p, o))
}

/// Saves `text` as profile `name` (new; the default when it is the first), after validating
/// it; logged as a `profile` change and audited.
pub fn import_text(
    store: &dyn Store,
    name: &str,
    text: &str,
    actor: &Actor,
) -> Result<ProfileRecord, ProfileError> {
    check_name(name)?;
    if store.option_profile(name)?.is_some() {
        return Err(ProfileError::Exists(name.to_string()));
    }
    let options = Options::from_toml(text, &format!("options profile `{name}`"))?;
    check_numbering(store, &options)?;
    let first = store.option_profiles()?.is_empty();
    let change: Change = ("profile".into(), None, Some("created".into()));
    Ok(store.save_option_profile(name, text, first, &[change], actor)?)
}

/// Creates profile `name` as a copy of `from` (`None`: the default profile).
pub fn create_from(
    store: &dyn Store,
    name: &str,
    from: Option<&str>,
    actor: &Actor,
) -> Result<ProfileRecord, ProfileError> {
    let source = profile(store, from, actor)?;
    import_text(store, name, &source.toml, actor)
}

/// Makes `name` the default profile.
pub fn make_default(store: &dyn Store, name: &str, actor: &Actor) -> Result<(), ProfileError> {
    let p = store
        .option_profile(name)?
        .ok_or_else(|| unknown(store, name))?;
    if p.is_default {
        return Ok(());
    }
    let change: Change = ("profile".into(), None, Some("made the default".into()));
    store.save_option_profile(name, &p.toml, true, &[change], actor)?;
    Ok(())
}

/// Replaces the text of profile `name` (`options edit`): validated first, each changed key
/// logged. Returns the changes (none when the text says the same).
pub fn replace(
    store: &dyn Store,
    name: &str,
    text: &str,
    actor: &Actor,
) -> Result<Vec<Change>, ProfileError> {
    let old = store
        .option_profile(name)?
        .ok_or_else(|| unknown(store, name))?;
    let new_options = Options::from_toml(text, &format!("options profile `{name}`"))?;
    check_numbering(store, &new_options)?;
    let old_options = old.options()?;
    let changes = diff(&old_options, &new_options);
    if changes.is_empty() && old.toml == text {
        return Ok(changes);
    }
    store.save_option_profile(name, text, old.is_default, &changes, actor)?;
    Ok(changes)
}

/// Sets one key of profile `name` (`options set KEY VALUE`): `value` is read as a TOML value
/// (`8`, `true`, `["a", "b"]`, `"text"`), or taken as text when it is not one.
pub fn set(
    store: &dyn Store,
    name: &str,
    key: &str,
    value: &str,
    actor: &Actor,
) -> Result<Vec<Change>, ProfileError> {
    let old = store
        .option_profile(name)?
        .ok_or_else(|| unknown(store, name))?;
    let text = set_value(&old.toml, key, value)?;
    replace(store, name, &text, actor)
}

/// The changes between two option sets: every effective key whose value differs.
pub fn diff(old: &Options, new: &Options) -> Vec<Change> {
    let before: std::collections::BTreeMap<String, String> = old
        .effective_with_sources()
        .into_iter()
        .map(|e| (e.key, e.value.to_string()))
        .collect();
    let after: std::collections::BTreeMap<String, String> = new
        .effective_with_sources()
        .into_iter()
        .map(|e| (e.key, e.value.to_string()))
        .collect();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| (k.clone(), before.get(k).cloned(), after.get(k).cloned()))
        .collect()
}

/// `text` with the dotted `key` set to `value`, comments and layout kept.
pub fn set_value(text: &str, key: &str, value: &str) -> Result<String, ProfileError> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        ProfileError::BadKey(format!("the profile does not parse: {e}"))
    })?;
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(ProfileError::BadKey(format!(
            "`{}` is not a key: write it dotted, e.g. pin_length or numbering.prefix",
            crate::requests::shorten(key)
        )));
    }
    let parsed: toml_edit::Value = format!("v = {value}")
        .parse::<toml_edit::DocumentMut>()
        .ok()
        .and_then(|d| d.get("v").and_then(|i| i.as_value()).cloned())
        .unwrap_or_else(|| toml_edit::Value::from(value));
    let (last, tables) = parts.split_last().expect("a key has a part");
    let mut table = doc.as_table_mut();
    for t in tables {
        let entry = table
            .entry(t)
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
        table = entry.as_table_mut().ok_or_else(|| {
            ProfileError::BadKey(format!("`{t}` in `{key}` is a value, not a table"))
        })?;
    }
    match table.get_mut(last).and_then(|item| item.as_value_mut()) {
        // Replace the value in place: the key, its comments and the line's comment stay.
        Some(existing) => {
            let decor = existing.decor().clone();
            *existing = parsed;
            *existing.decor_mut() = decor;
        }
        None => {
            table.insert(last, toml_edit::Item::Value(parsed));
        }
    }
    Ok(doc.to_string())
}

/// Imports a home's legacy `options.toml` as the `default` profile when the store holds no
/// profile yet; returns whether it did. The file is left in place.
pub fn import_legacy_file(
    store: &dyn Store,
    path: &std::path::Path,
    actor: &Actor,
) -> Result<bool, ProfileError> {
    if !store.option_profiles()?.is_empty() || !path.is_file() {
        return Ok(false);
    }
    let options = Options::load(path)?;
    let _ = options;
    let text =
        crate::file_limits::read_text(path, crate::file_limits::TOML_FILE_LIMIT, "an options file")
            .map_err(|source| OptionsError::Read {
                file: path.to_path_buf(),
                source,
            })?;
    import_text(store, DEFAULT_PROFILE, &text, actor)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_value_keeps_comments_and_creates_tables() {
        let text = "# the office's profile\npin_length = 6 # six digits\n";
        let out = set_value(text, "pin_length", "8").unwrap();
        assert!(
            out.contains("# the office's profile") && out.contains("pin_length = 8"),
            "{out}"
        );
        let out = set_value(&out, "numbering.prefix", "VIS").unwrap();
        assert!(
            out.contains("[numbering]") && out.contains("prefix = \"VIS\""),
            "{out}"
        );
        let out = set_value(&out, "certificates", "[]").unwrap();
        assert!(out.contains("certificates = []"), "{out}");
        assert!(set_value(&out, "pin_length.x", "1").is_err());
        assert!(set_value(&out, "a..b", "1").is_err());
    }

    #[test]
    fn diff_names_each_changed_key_with_both_values() {
        let a = Options::default();
        let b = Options::from_toml("pin_length = 8\nencode = false\n", "b").unwrap();
        let d = diff(&a, &b);
        assert!(
            d.contains(&("pin_length".into(), Some("6".into()), Some("8".into()))),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|(k, _, n)| k == "encode" && n.as_deref() == Some("false"))
        );
        assert!(
            d.iter()
                .any(|(k, _, n)| k == "certificates" && n.as_deref() == Some("[]"))
        );
        assert!(diff(&a, &a).is_empty());
    }
}
