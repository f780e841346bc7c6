//! The rules of a valid options profile, applied to typed values; `lines` maps dotted keys to
//! the line they were written on (empty for options built in code).

use std::collections::{BTreeMap, HashMap};

use super::error::shown;
use super::{CardProfile, Options, Problem, VALIDITY_DAYS};
use crate::ca::limits;
use crate::numbering::{MAX_DIGITS, MAX_PREFIX_LEN, MIN_DIGITS};

/// Longest face template name.
pub const MAX_FACE_TEMPLATE_LEN: usize = 64;

/// Everything wrong with `o`, in key order.
pub fn check(o: &Options, lines: &BTreeMap<String, usize>) -> Vec<Problem> {
    let line = |key: &str| lookup(lines, key);
    let mut problems = Vec::new();
    let mut bad = |key: &str, value: String, message: String| {
        problems.push(Problem::new(line(key), key, Some(value), message));
    };

    if !o.card_profile.pin_lengths().contains(&o.pin_length) {
        bad("pin_length", o.pin_length.to_string(), pin_rule());
    }
    if !o.card_profile.puk_lengths().contains(&o.puk_length) {
        bad(
            "puk_length",
            o.puk_length.to_string(),
            puk_rule(o.card_profile),
        );
    }
    if !VALIDITY_DAYS.contains(&o.validity_days) {
        bad(
            "validity_days",
            o.validity_days.to_string(),
            validity_rule(),
        );
    }
    if !(MIN_DIGITS..=MAX_DIGITS).contains(&o.numbering.digits) {
        bad(
            "numbering.digits",
            o.numbering.digits.to_string(),
            digits_rule(),
        );
    }
    if !prefix_ok(&o.numbering.prefix) {
        bad(
            "numbering.prefix",
            quote(&o.numbering.prefix),
            prefix_rule(),
        );
    }
    if !face_template_ok(&o.face_template) {
        bad("face_template", quote(&o.face_template), face_rule());
    }

    let certs = quote_list(&o.certificates);
    if !o.encode && !o.certificates.is_empty() {
        let at = line("encode")
            .map(|l| format!(" at line {l}"))
            .unwrap_or_default();
        bad(
            "certificates",
            certs.clone(),
            format!(
                "certificates need encoding on: `encode = false`{at}; set `encode = true` or `certificates = []`"
            ),
        );
    }
    let mut seen: HashMap<&str, ()> = HashMap::new();
    let mut slots: HashMap<u8, &str> = HashMap::new();
    for name in &o.certificates {
        if seen.insert(name.as_str(), ()).is_some() {
            bad(
                "certificates",
                certs.clone(),
                format!("`{}` is listed twice", shown(name)),
            );
            continue;
        }
        let Some(profile) = o.certificate_profiles.get(name) else {
            let known: Vec<&str> = o.certificate_profiles.keys().map(String::as_str).collect();
            bad(
                "certificates",
                certs.clone(),
                format!(
                    "unknown certificate profile `{}`: allowed {} (define more under [certificate_profiles.NAME])",
                    shown(name),
                    shown(&known.join(", "))
                ),
            );
            continue;
        };
        if !profile.slot.is_valid() {
            continue; // reported with the profile
        }
        if let Some(other) = slots.insert(profile.slot.0, name) {
            bad(
                "certificates",
                certs.clone(),
                format!(
                    "`{}` and `{}` both use slot {}: one key per slot",
                    shown(other),
                    shown(name),
                    profile.slot
                ),
            );
        }
    }
    // What the card and the CA can hold, for the longest card number the numbering makes.
    if o.encode && (MIN_DIGITS..=MAX_DIGITS).contains(&o.numbering.digits) {
        let longest = o
            .numbering
            .format(10u64.pow(u32::from(o.numbering.digits)) - 1);
        for name in &o.certificates {
            let Some(profile) = o.certificate_profiles.get(name) else {
                continue;
            };
            let spec = profile.to_spec(name);
            if spec.validate().is_err() {
                continue; // reported with the profile below
            }
            let key = format!("certificate_profiles.{name}.subject");
            if let Err(why) = limits::check_subject_bounds(&spec, &longest) {
                bad(&key, quote(&profile.subject), why);
                continue;
            }
            match limits::largest_certificate_len(&spec, &longest) {
                Ok(len) if len > limits::PIV_MAX_CERTIFICATE_LEN => bad(
                    &key,
                    quote(&profile.subject),
                    format!(
                        "its certificate would be up to {len} bytes; a PIV card holds {} \
                         (the card would refuse it after encoding, 6A84): shorten the subject",
                        limits::PIV_MAX_CERTIFICATE_LEN
                    ),
                ),
                Ok(_) => {}
                Err(why) => bad(&key, quote(&profile.subject), why),
            }
        }
    }
    for (name, profile) in &o.certificate_profiles {
        let key = format!("certificate_profiles.{name}");
        if !profile.slot.is_valid() {
            bad(
                &format!("{key}.slot"),
                quote(&profile.slot.to_string()),
                slot_rule(),
            );
        }
        if let Err(e) = profile.to_spec(name).validate() {
            let field = if e.to_string().contains("subject") {
                "subject"
            } else if e.to_string().contains("extended key usage") {
                "extended_key_usage"
            } else {
                "key_usage"
            };
            let value = match field {
                "subject" => quote(&profile.subject),
                "extended_key_usage" => quote_list(&profile.extended_key_usage),
                _ => quote_list(&profile.key_usage),
            };
            bad(&format!("{key}.{field}"), value, e.to_string());
        }
    }
    problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    problems
}

/// The line of `key`, else of its nearest parent table.
fn lookup(lines: &BTreeMap<String, usize>, key: &str) -> Option<usize> {
    let mut k = key;
    loop {
        if let Some(l) = lines.get(k) {
            return Some(*l);
        }
        k = k.rsplit_once('.')?.0;
    }
}

pub fn pin_rule() -> String {
    "out of range: allowed 6–8 digits (PIV card edge)".into()
}

pub fn puk_rule(profile: CardProfile) -> String {
    match profile {
        CardProfile::Piv => "not allowed: allowed 8 digits for card_profile \"piv\" (6–8 only with card_profile = \"generic-6-8\")".into(),
        CardProfile::Generic6To8 => "out of range: allowed 6–8 digits for card_profile \"generic-6-8\"".into(),
    }
}

pub fn validity_rule() -> String {
    format!(
        "out of range: allowed {}–{} days",
        VALIDITY_DAYS.start(),
        VALIDITY_DAYS.end()
    )
}

pub fn digits_rule() -> String {
    format!("out of range: allowed {MIN_DIGITS}–{MAX_DIGITS} digits")
}

pub fn prefix_rule() -> String {
    format!("not allowed: allowed 0–{MAX_PREFIX_LEN} ASCII letters, digits or `-`")
}

pub fn face_rule() -> String {
    format!(
        "not allowed: allowed a template name of 1–{MAX_FACE_TEMPLATE_LEN} ASCII letters, digits, `-` or `_` (built in: temporary, temporary-duplex)"
    )
}

pub fn slot_rule() -> String {
    "not a PIV key slot: allowed 9a, 9c, 9d, 9e, 82–95".into()
}

fn prefix_ok(prefix: &str) -> bool {
    prefix.len() <= MAX_PREFIX_LEN
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn face_template_ok(name: &str) -> bool {
    (1..=MAX_FACE_TEMPLATE_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A string as a TOML literal.
pub fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A list of strings as a TOML array.
pub fn quote_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| quote(s))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
