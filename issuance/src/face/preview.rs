//! PNG pictures of card sides for people: the printer's portrait panels turned back into the
//! landscape card, colour with the resin black on top (the clear overlay is not shown).

use std::path::{Path, PathBuf};

use cardline_device::image::{CardSide, PANEL_HEIGHT, PANEL_WIDTH};

use super::canvas::{DesignCanvas, panel_to_design};
use super::design::{DESIGN_HEIGHT, DESIGN_WIDTH};

/// A PNG could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write card picture {}: {source}", path.display())]
pub struct PreviewError {
    /// The file that could not be written.
    pub path: PathBuf,
    /// Why.
    pub source: image::ImageError,
}

/// The landscape picture (1016 × 648) of a printed side.
pub fn side_picture(side: &CardSide) -> image::RgbImage {
    let mut img = image::RgbImage::from_pixel(DESIGN_WIDTH, DESIGN_HEIGHT, image::Rgb([255; 3]));
    for py in 0..PANEL_HEIGHT {
        for px in 0..PANEL_WIDTH {
            let (x, y) = panel_to_design(px, py);
            let black = side.black.as_ref().is_some_and(|k| k.get(px, py));
            let rgb = if black {
                [0, 0, 0]
            } else if let Some(c) = &side.color {
                c.get(px, py)
            } else {
                continue;
            };
            img.put_pixel(x, y, image::Rgb(rgb));
        }
    }
    img
}

/// The landscape picture of a design canvas (colour with resin black on top).
pub fn design_picture(canvas: &DesignCanvas) -> image::RgbImage {
    let mut img = canvas.color().clone();
    for (x, y, p) in img.enumerate_pixels_mut() {
        if canvas.is_black(x, y) {
            p.0 = [0, 0, 0];
        }
    }
    img
}

/// Writes a picture as PNG.
pub fn write_png(img: &image::RgbImage, path: &Path) -> Result<(), PreviewError> {
    img.save_with_format(path, image::ImageFormat::Png)
        .map_err(|source| PreviewError {
            path: path.to_owned(),
            source,
        })
}

/// Writes the landscape picture of a printed side as PNG.
pub fn write_side_png(side: &CardSide, path: &Path) -> Result<(), PreviewError> {
    write_png(&side_picture(side), path)
}
