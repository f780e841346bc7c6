//! The strict parser of `sim://NAME?key=value&…` (keys and ranges in the module docs of
//! [`crate::sim`]). Any input gives parameters or an error, never a panic.

use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use cardline_sim::faults::{FaultSyntaxError, ScriptedFault};
use cardline_sim::magicard::{MagicardFault, MagicardFaultSyntaxError};

use super::{KNOWN_KEYS, SimFamily, SimLink, SimParams};

/// How many characters of a bad value an error repeats.
const ECHO_CHARS: usize = 80;
/// Most characters in a simulated station's name.
const NAME_CHARS: usize = 64;
/// Most scripted faults in one URI.
const MAX_FAULTS: usize = 100;
/// Most mute chips in one URI.
const MAX_MUTE_CHIPS: usize = 1000;

const TIME_SCALE: RangeInclusive<f64> = 0.0..=10.0;
const SUPPLY: RangeInclusive<u64> = 0..=10_000_000;
const KEEP: RangeInclusive<u64> = 0..=256;
const KEYGEN_MS: RangeInclusive<u64> = 0..=60_000;
const POLL_MS: RangeInclusive<u64> = 1..=10_000;
const REPLY_TIMEOUT_MS: RangeInclusive<u64> = 50..=600_000;

/// A `sim://` URI that is not valid; each variant names what is wrong and what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimUriError {
    /// The URI does not start with `sim://`.
    #[error("`{uri}` is not a simulated station: expected sim://NAME?key=value&…")]
    NotSim {
        /// The URI (cut when long).
        uri: String,
    },
    /// The name is empty, too long or has characters other than letters, digits, `-`, `_`, `.`.
    #[error(
        "sim:// station name `{name}`: expected 1–64 letters, digits, `-`, `_` or `.`, e.g. sim://station-1"
    )]
    BadName {
        /// The name (cut when long).
        name: String,
    },
    /// A query item is not `key=value`.
    #[error("sim:// parameter `{item}` has no value: write key=value (known keys: {known})")]
    NotKeyValue {
        /// The item (cut when long).
        item: String,
        /// The known keys.
        known: String,
    },
    /// The key is not one of the known keys.
    #[error("unknown sim:// parameter `{key}` (known keys: {known})")]
    UnknownKey {
        /// The key (cut when long).
        key: String,
        /// The known keys.
        known: String,
    },
    /// The key appears twice.
    #[error("sim:// parameter `{key}` is given twice: give it once")]
    Duplicate {
        /// The key.
        key: &'static str,
    },
    /// The value is not allowed for its key.
    #[error("sim:// parameter {key} = `{value}`: {allowed}")]
    BadValue {
        /// The key.
        key: &'static str,
        /// The value (cut when long).
        value: String,
        /// What is allowed.
        allowed: String,
    },
}

fn echo(value: &str) -> String {
    match value.char_indices().nth(ECHO_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

fn known() -> String {
    KNOWN_KEYS.join(", ")
}

fn bad(key: &'static str, value: &str, allowed: impl Into<String>) -> SimUriError {
    SimUriError::BadValue {
        key,
        value: echo(value),
        allowed: allowed.into(),
    }
}

/// A whole number in `range`.
fn whole(key: &'static str, value: &str, range: RangeInclusive<u64>) -> Result<u64, SimUriError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            let (lo, hi) = (range.start(), range.end());
            bad(
                key,
                value,
                format!("expected a whole number from {lo} to {hi}"),
            )
        })
}

/// A comma-separated list of at most `max` items, each parsed by `item`.
fn list<T>(
    key: &'static str,
    value: &str,
    max: usize,
    item: impl Fn(&str) -> Result<T, SimUriError>,
) -> Result<Vec<T>, SimUriError> {
    let items: Vec<&str> = value.split(',').filter(|s| !s.is_empty()).collect();
    if items.len() > max {
        return Err(bad(
            key,
            value,
            format!("at most {max} comma-separated items"),
        ));
    }
    items.into_iter().map(item).collect()
}

fn fault(text: &str) -> Result<ScriptedFault, SimUriError> {
    text.parse::<ScriptedFault>().map_err(|_| {
        let syntax = FaultSyntaxError { text: echo(text) }.to_string();
        bad("faults", text, syntax)
    })
}

fn magicard_fault(text: &str) -> Result<MagicardFault, SimUriError> {
    text.parse::<MagicardFault>().map_err(|_| {
        let syntax = MagicardFaultSyntaxError { text: echo(text) }.to_string();
        bad("faults", text, format!("{syntax} (family=magicard)"))
    })
}

fn mute_chip(text: &str) -> Result<u32, SimUriError> {
    text.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        bad(
            "mute_chips",
            text,
            format!(
                "expected card numbers from 1 to {} (1 = first card fed)",
                u32::MAX
            ),
        )
    })
}

pub(super) fn time_scale(value: &str) -> Result<f64, SimUriError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && TIME_SCALE.contains(v))
        .ok_or_else(|| {
            bad(
                "time_scale",
                value,
                format!(
                    "expected a number from {} to {} (0 = instant, 1 = real speed, 0.01 = a hundred times faster)",
                    TIME_SCALE.start(),
                    TIME_SCALE.end()
                ),
            )
        })
}

fn check_name(name: &str) -> Result<(), SimUriError> {
    let ok = (1..=NAME_CHARS).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(SimUriError::BadName { name: echo(name) })
    }
}

pub(super) fn parse(uri: &str) -> Result<SimParams, SimUriError> {
    let rest = uri
        .strip_prefix("sim://")
        .ok_or_else(|| SimUriError::NotSim { uri: echo(uri) })?;
    let (name, query) = rest.split_once('?').unwrap_or((rest, ""));
    check_name(name)?;
    let mut p = SimParams::new(name);
    let mut seen = BTreeSet::new();
    // Faults are read once the family is known (the keys come in any order).
    let mut faults: Option<&str> = None;
    for item in query.split('&').filter(|s| !s.is_empty()) {
        let Some((key, value)) = item.split_once('=') else {
            return Err(SimUriError::NotKeyValue {
                item: echo(item),
                known: known(),
            });
        };
        let Some(key) = KNOWN_KEYS.iter().copied().find(|k| *k == key) else {
            return Err(SimUriError::UnknownKey {
                key: echo(key),
                known: known(),
            });
        };
        if !seen.insert(key) {
            return Err(SimUriError::Duplicate { key });
        }
        match key {
            "family" => {
                p.family = match value {
                    "evolis" => SimFamily::Evolis,
                    "magicard" => SimFamily::Magicard,
                    _ => return Err(bad(key, value, "expected evolis or magicard")),
                }
            }
            "faults" => faults = Some(value),
            "mute_chips" => p.mute_chips = list(key, value, MAX_MUTE_CHIPS, mute_chip)?,
            "time_scale" => p.time_scale = time_scale(value)?,
            "feeder" => p.feeder = whole(key, value, SUPPLY)? as u32,
            "ribbon" => p.ribbon = whole(key, value, SUPPLY)? as u32,
            "seed" => {
                let seed = value.parse::<u64>().map_err(|_| {
                    bad(
                        key,
                        value,
                        format!("expected a whole number from 0 to {}", u64::MAX),
                    )
                })?;
                p.seed = Some(seed);
            }
            "png_dir" if value.is_empty() => {
                return Err(bad(key, value, "expected a directory path"));
            }
            "png_dir" => p.png_dir = Some(PathBuf::from(value)),
            "pngs" => {
                p.pngs = match value {
                    "on" => true,
                    "off" => false,
                    _ => return Err(bad(key, value, "expected on or off")),
                }
            }
            "link" => {
                p.link = match value {
                    "pty" => SimLink::Pty,
                    "inproc" => SimLink::InProcess,
                    _ => return Err(bad(key, value, "expected pty or inproc")),
                }
            }
            "keep" => p.keep = Some(whole(key, value, KEEP)? as usize),
            "keygen_ms" => p.keygen_ms = Some(whole(key, value, KEYGEN_MS)?),
            "poll_ms" => p.poll_ms = Some(whole(key, value, POLL_MS)?),
            "reply_timeout_ms" => {
                p.reply_timeout_ms = Some(whole(key, value, REPLY_TIMEOUT_MS)?);
            }
            other => {
                return Err(SimUriError::UnknownKey {
                    key: other.to_string(),
                    known: known(),
                });
            }
        }
    }
    if let Some(value) = faults {
        match p.family {
            SimFamily::Evolis => p.faults = list("faults", value, MAX_FAULTS, fault)?,
            SimFamily::Magicard => {
                p.magicard_faults = list("faults", value, MAX_FAULTS, magicard_fault)?
            }
        }
    }
    Ok(p)
}
