//! The effective options, key by key, with where each value came from (`options show`).

use serde::Serialize;
use toml::Value;

use super::Options;

/// Where an effective value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The built-in default.
    Default,
    /// The profile file.
    File,
}

impl Source {
    /// `default` or `file`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::File => "file",
        }
    }
}

/// One effective value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EffectiveOption {
    /// Dotted key (`numbering.digits`).
    pub key: String,
    /// The value.
    pub value: Value,
    /// Where it came from.
    pub source: Source,
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

/// Every effective value, in file order.
pub fn list(o: &Options) -> Vec<EffectiveOption> {
    let mut out = Vec::new();
    let mut push = |key: String, value: Value| {
        let source = if o.file_keys.contains(&key) {
            Source::File
        } else {
            Source::Default
        };
        out.push(EffectiveOption { key, value, source });
    };
    push("pin_length".into(), Value::Integer(o.pin_length.into()));
    push("puk_length".into(), Value::Integer(o.puk_length.into()));
    push(
        "card_profile".into(),
        Value::String(o.card_profile.name().into()),
    );
    push("encode".into(), Value::Boolean(o.encode));
    push("certificates".into(), strings(&o.certificates));
    push(
        "validity_days".into(),
        Value::Integer(o.validity_days.into()),
    );
    push(
        "face_template".into(),
        Value::String(o.face_template.clone()),
    );
    push(
        "numbering.prefix".into(),
        Value::String(o.numbering.prefix.clone()),
    );
    push(
        "numbering.digits".into(),
        Value::Integer(o.numbering.digits.into()),
    );
    push(
        "pin_letters.include_puk".into(),
        Value::Boolean(o.pin_letters_include_puk),
    );
    for (name, p) in &o.certificate_profiles {
        let k = |f: &str| format!("certificate_profiles.{name}.{f}");
        push(k("slot"), Value::String(p.slot.to_string()));
        push(k("algorithm"), Value::String(p.algorithm.name().into()));
        push(k("subject"), Value::String(p.subject.clone()));
        push(k("key_usage"), strings(&p.key_usage));
        push(k("extended_key_usage"), strings(&p.extended_key_usage));
    }
    out
}
