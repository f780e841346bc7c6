//! Checking single template values (colours, positions, placeholders, choices) and turning
//! TOML errors into [`TemplateError`]s with line, key, value and fix.

use std::path::PathBuf;

use cardline_device::echo::{self, ECHO_LIMIT};
use toml::Spanned;

use super::super::design::*;
use super::super::error::{InvalidEntry, InvalidKind, TemplateError};

/// Longest template `name`, in characters (the options' `face_template` allows 64 too).
pub const MAX_NAME_CHARS: usize = 64;

/// Longest text pattern (a text line, barcode or QR data), in characters: a card line of the
/// smallest font holds about 200 characters, a QR code of a card number far fewer.
pub const MAX_TEXT_CHARS: usize = 256;

/// Longest parser message repeated in an error (it may quote a key of the file).
const MAX_DETAIL_CHARS: usize = 300;

pub(super) struct Ctx<'a> {
    pub(super) source: &'a str,
    pub(super) file: PathBuf,
    pub(super) base_dir: Option<PathBuf>,
}

impl Ctx<'_> {
    pub(super) fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.source.len());
        self.source[..offset]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    pub(super) fn line_text(&self, line: usize) -> &str {
        self.source.lines().nth(line - 1).unwrap_or("")
    }

    pub(super) fn invalid<T>(
        &self,
        span: std::ops::Range<usize>,
        kind: InvalidKind,
        key: String,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Result<T, TemplateError> {
        let value = echo::text(
            self.source.get(span.clone()).unwrap_or("").trim(),
            ECHO_LIMIT,
        );
        Err(TemplateError::Invalid(Box::new(InvalidEntry {
            file: self.file.clone(),
            line: self.line_of(span.start),
            kind,
            key,
            value,
            detail: detail.into(),
            fix: fix.into(),
        })))
    }

    /// Turns a TOML/serde error into a template error with line, key and value.
    pub(super) fn convert_toml_error(&self, e: &toml::de::Error) -> TemplateError {
        let message = e.message().trim().to_owned();
        let start = e.span().map(|s| s.start).unwrap_or(0);
        let line = self.line_of(start);
        let text = self.line_text(line);
        let (line_key, line_value) = match text.split_once('=') {
            Some((k, v)) => (k.trim().to_owned(), v.trim().to_owned()),
            None => (text.trim().to_owned(), String::new()),
        };
        let quoted = message.split('`').nth(1).map(str::to_owned);
        let (kind, key, value, fix) = if message.starts_with("unknown field") {
            let expected = message.split_once("expected").map(|x| x.1.trim());
            let fix = match expected {
                Some(list) => format!("remove it or use {list}"),
                None => "remove it".to_owned(),
            };
            (
                InvalidKind::UnknownKey,
                quoted.unwrap_or(line_key),
                line_value,
                fix,
            )
        } else if message.starts_with("missing field") {
            let key = quoted.unwrap_or_default();
            let fix = if key == "front" {
                "add a `[front]` section describing the front of the card".to_owned()
            } else {
                format!("add `{key} = …` to the table that starts on line {line}")
            };
            (InvalidKind::MissingKey, key, String::new(), fix)
        } else if message.starts_with("invalid type") {
            let expected = message
                .rsplit_once("expected")
                .map(|x| x.1.trim().to_owned());
            let fix = format!(
                "write {}",
                expected.unwrap_or_else(|| "a value of the right type".into())
            );
            (InvalidKind::WrongType, line_key, line_value, fix)
        } else {
            let column = start
                - self.source[..start.min(self.source.len())]
                    .rfind('\n')
                    .map(|i| i + 1)
                    .unwrap_or(0)
                + 1;
            return TemplateError::Syntax {
                file: self.file.clone(),
                line,
                column,
                message: echo::text(&message, MAX_DETAIL_CHARS),
            };
        };
        TemplateError::Invalid(Box::new(InvalidEntry {
            file: self.file.clone(),
            line,
            kind,
            key: echo::text(&key, ECHO_LIMIT),
            value: echo::text(&value, ECHO_LIMIT),
            detail: echo::text(&message, MAX_DETAIL_CHARS),
            fix: echo::text(&fix, MAX_DETAIL_CHARS),
        }))
    }

    pub(super) fn color(&self, key: &str, v: &Spanned<String>) -> Result<Rgb, TemplateError> {
        parse_color(v.get_ref()).map_or_else(
            || {
                self.invalid(
                    v.span(),
                    InvalidKind::BadColor,
                    key.to_owned(),
                    "colours are written #RRGGBB",
                    "write e.g. \"#000000\" for black or \"#1F4E79\" for dark blue",
                )
            },
            Ok,
        )
    }

    pub(super) fn coord(
        &self,
        key: &str,
        v: &Spanned<i64>,
        max: u32,
    ) -> Result<u32, TemplateError> {
        let n = *v.get_ref();
        if (0..=i64::from(max)).contains(&n) {
            Ok(n as u32)
        } else {
            self.invalid(
                v.span(),
                InvalidKind::OutsideCard,
                key.to_owned(),
                format!(
                    "must be within 0..={max} (the card is {DESIGN_WIDTH} × {DESIGN_HEIGHT} dots)"
                ),
                format!("use a value between 0 and {max}"),
            )
        }
    }

    pub(super) fn extent(
        &self,
        key: &str,
        v: &Spanned<i64>,
        start: u32,
        max: u32,
    ) -> Result<u32, TemplateError> {
        let n = *v.get_ref();
        if n >= 1 && start as i64 + n <= i64::from(max) {
            Ok(n as u32)
        } else {
            self.invalid(
                v.span(),
                InvalidKind::OutsideCard,
                key.to_owned(),
                format!("must be at least 1 and end within the card ({start} + size ≤ {max})"),
                format!(
                    "use a value between 1 and {}",
                    max.saturating_sub(start).max(1)
                ),
            )
        }
    }

    pub(super) fn rect(
        &self,
        key: &str,
        (x, y, w, h): (&Spanned<i64>, &Spanned<i64>, &Spanned<i64>, &Spanned<i64>),
    ) -> Result<Rect, TemplateError> {
        let x = self.coord(&format!("{key}.x"), x, DESIGN_WIDTH - 1)?;
        let y = self.coord(&format!("{key}.y"), y, DESIGN_HEIGHT - 1)?;
        Ok(Rect {
            x,
            y,
            width: self.extent(&format!("{key}.width"), w, x, DESIGN_WIDTH)?,
            height: self.extent(&format!("{key}.height"), h, y, DESIGN_HEIGHT)?,
        })
    }

    /// The template's `name`: 1–[`MAX_NAME_CHARS`] characters, no control characters.
    pub(super) fn name(&self, v: &Spanned<String>) -> Result<String, TemplateError> {
        let name = v.get_ref();
        let chars = name.chars().count();
        if (1..=MAX_NAME_CHARS).contains(&chars) && !name.chars().any(char::is_control) {
            return Ok(name.clone());
        }
        self.invalid(
            v.span(),
            InvalidKind::TooLong,
            "name".to_owned(),
            format!("a template name has 1–{MAX_NAME_CHARS} characters and no control characters ({chars} given)"),
            "write a short name, e.g. name = \"visitor\"",
        )
    }

    pub(super) fn pattern(
        &self,
        key: &str,
        v: &Spanned<String>,
    ) -> Result<TextPattern, TemplateError> {
        let chars = v.get_ref().chars().count();
        if chars > MAX_TEXT_CHARS {
            return self.invalid(
                v.span(),
                InvalidKind::TooLong,
                key.to_owned(),
                format!("{chars} characters, more than the {MAX_TEXT_CHARS} a card line or code can hold"),
                format!("shorten it to at most {MAX_TEXT_CHARS} characters"),
            );
        }
        TextPattern::parse(v.get_ref()).or_else(|detail| {
            self.invalid(
                v.span(),
                InvalidKind::UnknownPlaceholder,
                key.to_owned(),
                echo::text(&detail, MAX_DETAIL_CHARS),
                "use {card_number}, {valid_until}, {issued} or {order}; write {{ and }} for literal braces",
            )
        })
    }

    pub(super) fn choice<T: Copy>(
        &self,
        key: &str,
        v: &Spanned<String>,
        choices: &[(&str, T)],
    ) -> Result<T, TemplateError> {
        match choices.iter().find(|(n, _)| *n == v.get_ref().as_str()) {
            Some((_, t)) => Ok(*t),
            None => {
                let names: Vec<String> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
                self.invalid(
                    v.span(),
                    InvalidKind::BadChoice,
                    key.to_owned(),
                    "not one of the allowed words",
                    format!("write one of {}", names.join(", ")),
                )
            }
        }
    }
}

/// Parses `#RRGGBB` (case-insensitive).
pub fn parse_color(s: &str) -> Option<Rgb> {
    let hex = s.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}
