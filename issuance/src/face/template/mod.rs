//! Parsing a card face template (TOML) into a [`FaceTemplate`], with errors that name the file,
//! line, key, value and the fix.

use std::path::Path;
use std::sync::Arc;

use toml::Spanned;

mod asset;
mod checks;
mod raw;

use super::design::*;
use super::error::{InvalidKind, TemplateError};
pub use asset::MAX_IMAGE_SIDE;
use checks::Ctx;
pub use checks::{MAX_NAME_CHARS, MAX_TEXT_CHARS, parse_color};
use raw::*;

/// Reads and validates a template file; a background image path is relative to its folder. A
/// file larger than [`TOML_FILE_LIMIT`](crate::file_limits::TOML_FILE_LIMIT) is refused unread.
pub fn parse_template_file(path: &Path) -> Result<FaceTemplate, TemplateError> {
    let limit = crate::file_limits::TOML_FILE_LIMIT;
    let read = crate::file_limits::read_text(path, limit, "a card face template");
    let source = read.map_err(|source| TemplateError::Read {
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
    let name = match raw.name {
        Some(n) => ctx.name(&n)?,
        None => default_name.to_owned(),
    };
    Ok(FaceTemplate {
        name,
        front: ctx.side("front", raw.front, OverlayKind::Masked(CHIP_AREA))?,
        back: raw
            .back
            .map(|b| ctx.side("back", b, OverlayKind::Full))
            .transpose()?,
    })
}

impl Ctx<'_> {
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
        match asset::load_background(&path) {
            Ok(rgb) => Ok(Arc::new(rgb)),
            Err(refused) => self.invalid(
                v.span(),
                InvalidKind::BadImage,
                key,
                refused.detail,
                refused.fix,
            ),
        }
    }
}
