//! Reading a profile file: TOML with spans, so every problem can name its line.

use std::collections::BTreeMap;
use std::ops::Range;

use cardline_device::{KeyAlgorithm, PivSlot};
use serde::Deserialize;
use toml::Spanned;

use super::check::{self, digits_rule, pin_rule, puk_rule, slot_rule, validity_rule};
use super::{CardProfile, CertificateProfile, Options, OptionsError, Problem};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    pin_length: Option<Spanned<i64>>,
    puk_length: Option<Spanned<i64>>,
    card_profile: Option<Spanned<String>>,
    encode: Option<Spanned<bool>>,
    certificates: Option<Spanned<Vec<String>>>,
    validity_days: Option<Spanned<i64>>,
    face_template: Option<Spanned<String>>,
    numbering: Option<RawNumbering>,
    pin_letters: Option<RawPinLetters>,
    certificate_profiles: Option<BTreeMap<String, Spanned<RawCertificateProfile>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumbering {
    prefix: Option<Spanned<String>>,
    digits: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPinLetters {
    include_puk: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCertificateProfile {
    slot: Option<Spanned<String>>,
    algorithm: Option<Spanned<String>>,
    subject: Option<Spanned<String>>,
    key_usage: Option<Spanned<Vec<String>>>,
    extended_key_usage: Option<Spanned<Vec<String>>>,
}

/// Collects values, their lines and problems while a file is converted.
struct Reader<'a> {
    text: &'a str,
    lines: BTreeMap<String, usize>,
    problems: Vec<Problem>,
    options: Options,
}

impl<'a> Reader<'a> {
    fn line_of(&self, span: &Range<usize>) -> usize {
        line_at(self.text, span.start)
    }

    /// Records that `key` was set in the file at `span`.
    fn seen(&mut self, key: &str, span: &Range<usize>) {
        let line = self.line_of(span);
        self.lines.insert(key.to_string(), line);
        self.options.file_keys.insert(key.to_string());
    }

    fn problem(&mut self, key: &str, span: &Range<usize>, message: String) {
        let value = self.text.get(span.clone()).map(|v| v.trim().to_string());
        let line = self.line_of(span);
        self.problems
            .push(Problem::new(Some(line), key, value, message));
    }

    /// An integer setting that must fit `T` (else reported with `rule`).
    fn int<T: TryFrom<i64>>(
        &mut self,
        key: &str,
        v: Option<Spanned<i64>>,
        rule: String,
    ) -> Option<T> {
        let v = v?;
        self.seen(key, &v.span());
        match T::try_from(*v.get_ref()) {
            Ok(x) => Some(x),
            Err(_) => {
                self.problem(key, &v.span(), rule);
                None
            }
        }
    }

    fn string(&mut self, key: &str, v: Option<Spanned<String>>) -> Option<(String, Range<usize>)> {
        let v = v?;
        self.seen(key, &v.span());
        let span = v.span();
        Some((v.into_inner(), span))
    }

    fn list(&mut self, key: &str, v: Option<Spanned<Vec<String>>>) -> Option<Vec<String>> {
        let v = v?;
        self.seen(key, &v.span());
        Some(v.into_inner())
    }
}

/// 1-based line of byte offset `at`.
fn line_at(text: &str, at: usize) -> usize {
    text.get(..at).unwrap_or(text).matches('\n').count() + 1
}

/// Parses and validates profile text.
pub fn parse(text: &str, file: &str) -> Result<Options, OptionsError> {
    let raw: RawOptions = toml::from_str(text).map_err(|e| OptionsError::Invalid {
        file: file.into(),
        problems: vec![Problem::new(
            e.span().map(|s| line_at(text, s.start)),
            "",
            None,
            e.message().trim().to_string(),
        )],
    })?;
    let mut r = Reader {
        text,
        lines: BTreeMap::new(),
        problems: Vec::new(),
        options: Options {
            source_file: Some(file.into()),
            ..Options::default()
        },
    };
    if let Some((name, span)) = r.string("card_profile", raw.card_profile) {
        match CardProfile::parse(&name) {
            Some(p) => r.options.card_profile = p,
            None => r.problem(
                "card_profile",
                &span,
                "unknown card profile: allowed \"piv\", \"generic-6-8\"".into(),
            ),
        }
    }
    if let Some(v) = r.int("pin_length", raw.pin_length, pin_rule()) {
        r.options.pin_length = v;
    }
    let puk = puk_rule(r.options.card_profile);
    if let Some(v) = r.int("puk_length", raw.puk_length, puk) {
        r.options.puk_length = v;
    }
    if let Some(v) = r.int("validity_days", raw.validity_days, validity_rule()) {
        r.options.validity_days = v;
    }
    if let Some(v) = raw.encode {
        r.seen("encode", &v.span());
        r.options.encode = v.into_inner();
    }
    if let Some(v) = r.list("certificates", raw.certificates) {
        r.options.certificates = v;
    } else if !r.options.encode {
        // `encode = false` alone means no certificates: the default list applies only to
        // encoded cards. Naming certificates with `encode = false` stays an error.
        r.options.certificates.clear();
    }
    if let Some((v, _)) = r.string("face_template", raw.face_template) {
        r.options.face_template = v;
    }
    if let Some(n) = raw.numbering {
        if let Some((v, _)) = r.string("numbering.prefix", n.prefix) {
            r.options.numbering.prefix = v;
        }
        if let Some(v) = r.int("numbering.digits", n.digits, digits_rule()) {
            r.options.numbering.digits = v;
        }
    }
    if let Some(v) = raw.pin_letters.and_then(|p| p.include_puk) {
        r.seen("pin_letters.include_puk", &v.span());
        r.options.pin_letters_include_puk = v.into_inner();
    }
    for (name, table) in raw.certificate_profiles.unwrap_or_default() {
        read_profile(&mut r, name, table);
    }
    let Reader {
        lines,
        mut problems,
        options,
        ..
    } = r;
    problems.extend(check::check(&options, &lines));
    problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
    // A value the reader already refused is not reported again by the checks.
    let mut reported = std::collections::HashSet::new();
    problems.retain(|p| reported.insert((p.line, p.key.clone())));
    if problems.is_empty() {
        Ok(options)
    } else {
        Err(OptionsError::Invalid {
            file: file.into(),
            problems,
        })
    }
}

/// One `[certificate_profiles.NAME]` table: a new profile, or changes to a built-in one.
fn read_profile(r: &mut Reader<'_>, name: String, table: Spanned<RawCertificateProfile>) {
    let key = format!("certificate_profiles.{name}");
    let table_span = table.span();
    r.seen(&key, &table_span);
    let raw = table.into_inner();
    let known = r.options.certificate_profiles.get(&name).cloned();
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid_name {
        r.problem(
            &key,
            &table_span,
            format!(
                "profile name `{}` is not allowed: allowed ASCII letters, digits, `-` or `_`",
                super::error::shown(&name)
            ),
        );
    }
    let mut p = known.clone().unwrap_or_else(|| CertificateProfile {
        key_usage: vec!["digitalSignature".into()],
        extended_key_usage: Vec::new(),
        ..CertificateProfile::piv_auth()
    });
    match r.string(&format!("{key}.slot"), raw.slot) {
        Some((s, span)) => match PivSlot::parse(&s) {
            Some(slot) => p.slot = slot,
            None => {
                r.problem(&format!("{key}.slot"), &span, slot_rule());
                p.slot = PivSlot(0); // not a slot: keeps it out of the slot clash check
            }
        },
        None if known.is_none() => r.problem(
            &key,
            &table_span,
            "missing `slot` (9a, 9c, 9d, 9e, 82–95)".into(),
        ),
        None => {}
    }
    match r.string(&format!("{key}.algorithm"), raw.algorithm) {
        Some((s, span)) => match KeyAlgorithm::parse(&s) {
            Some(a) => p.algorithm = a,
            None => r.problem(
                &format!("{key}.algorithm"),
                &span,
                "unknown key algorithm: allowed \"p256\", \"p384\", \"rsa2048\"".into(),
            ),
        },
        None if known.is_none() => r.problem(
            &key,
            &table_span,
            "missing `algorithm` (p256, p384, rsa2048)".into(),
        ),
        None => {}
    }
    if let Some((s, _)) = r.string(&format!("{key}.subject"), raw.subject) {
        p.subject = s;
    }
    if let Some(v) = r.list(&format!("{key}.key_usage"), raw.key_usage) {
        p.key_usage = v;
    }
    if let Some(v) = r.list(&format!("{key}.extended_key_usage"), raw.extended_key_usage) {
        p.extended_key_usage = v;
    }
    if valid_name {
        r.options.certificate_profiles.insert(name, p);
    }
}
