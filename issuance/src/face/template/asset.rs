//! Loading a template's background image through bounds: the file's byte size
//! ([`IMAGE_FILE_LIMIT`]) and its pixel size ([`MAX_IMAGE_SIDE`]), both checked before the
//! pixels are decoded, so a huge file or a small "decompression bomb" PNG is refused with a
//! clear message instead of exhausting memory.

use std::io::Cursor;
use std::path::Path;

use crate::file_limits::{IMAGE_FILE_LIMIT, human_size, read_bytes, too_large};

use super::super::design::{DESIGN_HEIGHT, DESIGN_WIDTH};

/// Largest width or height, in pixels, of a template's image: four times the card's width
/// (1016 dots). Bigger pictures gain nothing (they are scaled to 1016 × 648) and cost memory.
pub const MAX_IMAGE_SIDE: u32 = 4 * DESIGN_WIDTH;

/// Most memory the image decoder may allocate: a [`MAX_IMAGE_SIDE`]² picture with 16-bit RGBA.
const MAX_DECODE_ALLOC: u64 = MAX_IMAGE_SIDE as u64 * MAX_IMAGE_SIDE as u64 * 8;

/// Why an image was refused: the detail and the fix of an [`InvalidKind::BadImage`](
/// super::super::error::InvalidKind::BadImage) entry.
pub(super) struct Refused {
    pub(super) detail: String,
    pub(super) fix: String,
}

/// Reads, checks and decodes `path`, scaled to the card (1016 × 648).
pub(super) fn load_background(path: &Path) -> Result<image::RgbImage, Refused> {
    let fix_size = format!(
        "use a PNG of the card's size, {DESIGN_WIDTH} × {DESIGN_HEIGHT} pixels (at most {} and {MAX_IMAGE_SIDE} pixels a side)",
        human_size(IMAGE_FILE_LIMIT)
    );
    let bytes = read_bytes(path, IMAGE_FILE_LIMIT, "a card face image").map_err(|e| {
        if too_large(&e).is_some() {
            Refused {
                detail: format!("{} is larger than {}", path.display(), human_size(IMAGE_FILE_LIMIT)),
                fix: fix_size.clone(),
            }
        } else {
            Refused {
                detail: format!("cannot load {}: {e}", path.display()),
                fix: "give the path of a PNG file, relative to the template's folder (1016 × 648 is best)".into(),
            }
        }
    })?;
    let undecodable = |e: image::ImageError| Refused {
        detail: format!("cannot load {}: {e}", path.display()),
        fix: "give the path of a PNG file, relative to the template's folder (1016 × 648 is best)"
            .into(),
    };
    let reader = || {
        image::ImageReader::new(Cursor::new(bytes.as_slice()))
            .with_guessed_format()
            .map_err(|e| undecodable(image::ImageError::IoError(e)))
    };
    let (w, h) = reader()?.into_dimensions().map_err(undecodable)?;
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE {
        return Err(Refused {
            detail: format!(
                "{} is {w} × {h} pixels, more than {MAX_IMAGE_SIDE} pixels a side",
                path.display()
            ),
            fix: fix_size,
        });
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut decoder = reader()?;
    decoder.limits(limits);
    let rgb = decoder.decode().map_err(undecodable)?.to_rgb8();
    Ok(if rgb.dimensions() == (DESIGN_WIDTH, DESIGN_HEIGHT) {
        rgb
    } else {
        image::imageops::resize(
            &rgb,
            DESIGN_WIDTH,
            DESIGN_HEIGHT,
            image::imageops::FilterType::Triangle,
        )
    })
}
