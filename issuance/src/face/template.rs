//! Parsing a card face template (TOML) into a [`FaceTemplate`], with errors that name the file,
//! line, key, value and the fix.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use super::design::*;
use super::error::{InvalidEntry, InvalidKind, TemplateError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    front: RawSide,
    back: Option<RawSide>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSide {
    background: Option<Spanned<String>>,
    background_image: Option<Spanned<String>>,
    overlay: Option<Spanned<String>>,
    overlay_hole: Option<RawRect>,
    #[serde(default, rename = "box")]
    boxes: Vec<RawBox>,
    #[serde(default)]
    text: Vec<RawText>,
    barcode: Option<RawBarcode>,
    qr: Option<RawQr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRect {
    x: Spanned<i64>,
    y: Spanned<i64>,
    width: Spanned<i64>,
    height: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBox {
    x: Spanned<i64>,
    y: Spanned<i64>,
    width: Spanned<i64>,
    height: Spanned<i64>,
    color: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    text: Spanned<String>,
    x: Spanned<i64>,
    y: Spanned<i64>,
    size: Spanned<f64>,
    color: Option<Spanned<String>>,
    align: Option<Spanned<String>>,
    #[serde(default)]
    bold: bool,
    max_width: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBarcode {
    x: Spanned<i64>,
    y: Spanned<i64>,
    width: Spanned<i64>,
    height: Spanned<i64>,
    data: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQr {
    x: Spanned<i64>,
    y: Spanned<i64>,
    size: Spanned<i64>,
    data: Option<Spanned<String>>,
    ecc: Option<Spanned<String>>,
}

/// Reads and validates a template file; a background image path is relative to its folder.
pub fn parse_template_file(path: &Path) -> Result<FaceTemplate, TemplateError> {
    let source = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
        path: path.to_owned(),
        source,
    })?;
    let fallback = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse_template(&source, path, path.parent(), &fallback)
}

/// Parses and validates template text. `file` is used in error messages, `base_dir` resolves
/// `background_image` paths (none for a built-in template), `default_name` is used when the
/// template has no `name` key.
pub fn parse_template(
    source: &str,
    file: &Path,
    base_dir: Option<&Path>,
    default_name: &str,
) -> Result<FaceTemplate, TemplateError> {
    let ctx = Ctx {
        source,
        file: file.to_owned(),
        base_dir: base_dir.map(Path::to_owned),
    };
    let raw: RawTemplate = toml::from_str(source).map_err(|e| ctx.convert_toml_error(&e))?;
    Ok(FaceTemplate {
        name: raw.name.unwrap_or_else(|| default_name.to_owned()),
        front: ctx.side("front", raw.front, OverlayKind::Masked(CHIP_AREA))?,
        back: raw
            .back
            .map(|b| ctx.side("back", b, OverlayKind::Full))
            .transpose()?,
    })
}

struct Ctx<'a> {
    source: &'a str,
    file: PathBuf,
    base_dir: Option<PathBuf>,
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.source.len());
        self.source[..offset]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    fn line_text(&self, line: usize) -> &str {
        self.source.lines().nth(line - 1).unwrap_or("")
    }

    fn invalid<T>(
        &self,
        span: std::ops::Range<usize>,
        kind: InvalidKind,
        key: String,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Result<T, TemplateError> {
        let value = self
            .source
            .get(span.clone())
            .unwrap_or("")
            .trim()
            .to_owned();
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
    fn convert_toml_error(&self, e: &toml::de::Error) -> TemplateError {
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
                Some(list) => format!("remove it or use one of {list}"),
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
                message,
            };
        };
        TemplateError::Invalid(Box::new(InvalidEntry {
            file: self.file.clone(),
            line,
            kind,
            key,
            value,
            detail: message,
            fix,
        }))
    }

    fn color(&self, key: &str, v: &Spanned<String>) -> Result<Rgb, TemplateError> {
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

    fn coord(&self, key: &str, v: &Spanned<i64>, max: u32) -> Result<u32, TemplateError> {
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

    fn extent(
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

    fn rect(
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

    fn pattern(&self, key: &str, v: &Spanned<String>) -> Result<TextPattern, TemplateError> {
        TextPattern::parse(v.get_ref()).or_else(|detail| {
            self.invalid(
                v.span(),
                InvalidKind::UnknownPlaceholder,
                key.to_owned(),
                detail,
                "use {card_number}, {valid_until}, {issued} or {order}; write {{ and }} for literal braces",
            )
        })
    }

    fn choice<T: Copy>(
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

    fn side(
        &self,
        name: &str,
        raw: RawSide,
        default_overlay: OverlayKind,
    ) -> Result<SideDesign, TemplateError> {
        let background = match (&raw.background, &raw.background_image) {
            (Some(_), Some(img)) => {
                return self.invalid(
                    img.span(),
                    InvalidKind::BadChoice,
                    format!("{name}.background_image"),
                    "a side has either a background colour or a background image",
                    "remove `background` or `background_image`",
                );
            }
            (Some(c), None) => Background::Color(self.color(&format!("{name}.background"), c)?),
            (None, Some(img)) => Background::Image(self.background_image(name, img)?),
            (None, None) => Background::Color(WHITE),
        };
        let mut boxes = Vec::new();
        for (i, b) in raw.boxes.iter().enumerate() {
            let key = format!("{name}.box[{i}]");
            boxes.push(BoxElement {
                rect: self.rect(&key, (&b.x, &b.y, &b.width, &b.height))?,
                color: self.color(&format!("{key}.color"), &b.color)?,
            });
        }
        let mut texts = Vec::new();
        for (i, t) in raw.text.iter().enumerate() {
            texts.push(self.text(&format!("{name}.text[{i}]"), t)?);
        }
        let default_data = || TextPattern::parse("{card_number}").expect("valid pattern");
        let barcode = match &raw.barcode {
            None => None,
            Some(b) => {
                let key = format!("{name}.barcode");
                Some(BarcodeElement {
                    rect: self.rect(&key, (&b.x, &b.y, &b.width, &b.height))?,
                    data: match &b.data {
                        Some(d) => self.pattern(&format!("{key}.data"), d)?,
                        None => default_data(),
                    },
                })
            }
        };
        let qr = match &raw.qr {
            None => None,
            Some(q) => {
                let key = format!("{name}.qr");
                let x = self.coord(&format!("{key}.x"), &q.x, DESIGN_WIDTH - 1)?;
                let y = self.coord(&format!("{key}.y"), &q.y, DESIGN_HEIGHT - 1)?;
                let size = self.extent(&format!("{key}.size"), &q.size, x, DESIGN_WIDTH)?;
                self.extent(&format!("{key}.size"), &q.size, y, DESIGN_HEIGHT)?;
                let levels = [
                    ("L", QrEcc::L),
                    ("M", QrEcc::M),
                    ("Q", QrEcc::Q),
                    ("H", QrEcc::H),
                ];
                Some(QrElement {
                    x,
                    y,
                    size,
                    data: match &q.data {
                        Some(d) => self.pattern(&format!("{key}.data"), d)?,
                        None => default_data(),
                    },
                    ecc: match &q.ecc {
                        Some(e) => self.choice(&format!("{key}.ecc"), e, &levels)?,
                        None => QrEcc::M,
                    },
                })
            }
        };
        let hole = match &raw.overlay_hole {
            Some(r) => self.rect(
                &format!("{name}.overlay_hole"),
                (&r.x, &r.y, &r.width, &r.height),
            )?,
            None => CHIP_AREA,
        };
        let overlay = match &raw.overlay {
            None => match default_overlay {
                OverlayKind::Masked(_) => OverlayKind::Masked(hole),
                other => other,
            },
            Some(v) => {
                let kinds = [
                    ("full", OverlayKind::Full),
                    ("masked", OverlayKind::Masked(hole)),
                    ("none", OverlayKind::None),
                ];
                self.choice(&format!("{name}.overlay"), v, &kinds)?
            }
        };
        Ok(SideDesign {
            background,
            boxes,
            texts,
            barcode,
            qr,
            overlay,
        })
    }

    fn text(&self, key: &str, t: &RawText) -> Result<TextElement, TemplateError> {
        let size = *t.size.get_ref();
        if !(4.0..=400.0).contains(&size) {
            return self.invalid(
                t.size.span(),
                InvalidKind::OutsideCard,
                format!("{key}.size"),
                "font size is in dots (42 dots ≈ 10 pt) and must be 4..=400",
                "use e.g. size = 42",
            );
        }
        let aligns = [
            ("left", Align::Left),
            ("center", Align::Center),
            ("right", Align::Right),
        ];
        Ok(TextElement {
            pattern: self.pattern(&format!("{key}.text"), &t.text)?,
            x: self.coord(&format!("{key}.x"), &t.x, DESIGN_WIDTH)?,
            y: self.coord(&format!("{key}.y"), &t.y, DESIGN_HEIGHT)?,
            size: size as f32,
            color: match &t.color {
                Some(c) => self.color(&format!("{key}.color"), c)?,
                None => BLACK,
            },
            align: match &t.align {
                Some(a) => self.choice(&format!("{key}.align"), a, &aligns)?,
                None => Align::Left,
            },
            bold: t.bold,
            max_width: match &t.max_width {
                Some(w) => Some(self.extent(&format!("{key}.max_width"), w, 0, DESIGN_WIDTH)?),
                None => None,
            },
        })
    }

    fn background_image(
        &self,
        side: &str,
        v: &Spanned<String>,
    ) -> Result<Arc<image::RgbImage>, TemplateError> {
        let key = format!("{side}.background_image");
        let Some(dir) = &self.base_dir else {
            return self.invalid(
                v.span(),
                InvalidKind::BadImage,
                key,
                "a built-in template cannot refer to image files",
                "copy the template to <home>/faces/<name>.toml and put the PNG next to it",
            );
        };
        let path = dir.join(v.get_ref());
        match image::open(&path) {
            Ok(img) => {
                let rgb = img.to_rgb8();
                let rgb = if rgb.dimensions() == (DESIGN_WIDTH, DESIGN_HEIGHT) {
                    rgb
                } else {
                    image::imageops::resize(&rgb, DESIGN_WIDTH, DESIGN_HEIGHT, image::imageops::FilterType::Triangle)
                };
                Ok(Arc::new(rgb))
            }
            Err(e) => self.invalid(
                v.span(),
                InvalidKind::BadImage,
                key,
                format!("cannot load {}: {e}", path.display()),
                "give the path of a PNG file, relative to the template's folder (1016 × 648 is best)",
            ),
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
