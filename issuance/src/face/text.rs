//! Text with the fonts shipped in `issuance/assets/fonts` (DejaVu Sans and DejaVu Sans Bold,
//! Bitstream Vera licence, see `LICENSE-DejaVu.txt` there), rasterised with `ab_glyph`.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use super::canvas::{BLACK_THRESHOLD, Canvas};
use super::design::{Align, BLACK, TextElement};

static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The shipped font: DejaVu Sans, or DejaVu Sans Bold.
pub fn font(bold: bool) -> &'static FontRef<'static> {
    static REGULAR: OnceLock<FontRef<'static>> = OnceLock::new();
    static BOLD: OnceLock<FontRef<'static>> = OnceLock::new();
    let (cell, bytes) = if bold {
        (&BOLD, BOLD_TTF)
    } else {
        (&REGULAR, REGULAR_TTF)
    };
    cell.get_or_init(|| FontRef::try_from_slice(bytes).expect("shipped font parses"))
}

/// Width in dots of `text` at `size` (kerning included).
pub fn text_width(bold: bool, size: f32, text: &str) -> f32 {
    let f = font(bold).as_scaled(PxScale::from(size));
    let mut caret = 0.0;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            caret += f.kern(p, id);
        }
        caret += f.h_advance(id);
        prev = Some(id);
    }
    caret
}

/// The size actually used: `el.size`, shrunk so the text fits `el.max_width`.
pub fn fitted_size(el: &TextElement, text: &str) -> f32 {
    match el.max_width {
        Some(max) => {
            let w = text_width(el.bold, el.size, text);
            if w > max as f32 {
                el.size * max as f32 / w
            } else {
                el.size
            }
        }
        None => el.size,
    }
}

/// Draws one text element. Pure black text goes to the resin black layer (a dot where the glyph
/// covers at least half of it); other colours are blended, anti-aliased, into the colour layer.
pub fn draw_text(canvas: &mut dyn Canvas, el: &TextElement, text: &str) {
    if text.is_empty() {
        return;
    }
    let size = fitted_size(el, text);
    let f = font(el.bold);
    let scaled = f.as_scaled(PxScale::from(size));
    let width = text_width(el.bold, size, text);
    let start = match el.align {
        Align::Left => el.x as f32,
        Align::Center => el.x as f32 - width / 2.0,
        Align::Right => el.x as f32 - width,
    };
    // Whole-dot start keeps the same text identical wherever it is rendered.
    let mut caret = start.round();
    let baseline = el.y as f32;
    let mut prev = None;
    let black = el.color == BLACK;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            caret += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(size, point(caret, baseline));
        caret += scaled.h_advance(id);
        prev = Some(id);
        let Some(outline) = f.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        let (ox, oy) = (bounds.min.x as i64, bounds.min.y as i64);
        outline.draw(|gx, gy, coverage| {
            let (x, y) = (ox + i64::from(gx), oy + i64::from(gy));
            if x < 0 || y < 0 || coverage <= 0.0 {
                return;
            }
            let (x, y) = (x as u32, y as u32);
            if black {
                if coverage >= BLACK_THRESHOLD {
                    canvas.set_black(x, y, true);
                }
            } else {
                canvas.blend(x, y, el.color, coverage);
            }
        });
    }
}
