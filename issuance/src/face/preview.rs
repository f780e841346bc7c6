//! PNG pictures of card sides for people: the printer's portrait panels turned back into the
//! landscape card, colour with the resin black on top (the clear overlay is not shown).

use std::path::{Path, PathBuf};

use cardline_device::PanelGeometry;
use cardline_device::image::CardSide;

use super::canvas::DesignCanvas;

/// A PNG could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write card picture {}: {source}", path.display())]
pub struct PreviewError {
    /// The file that could not be written.
    pub path: PathBuf,
    /// Why.
    pub source: image::ImageError,
}

/// The landscape picture of a printed side, one pixel per panel dot: 1016 × 648 at the default
/// geometry, `lines` × `dots` at another (a Magicard side is 1016 × 641).
pub fn side_picture(side: &CardSide) -> image::RgbImage {
    let g = side
        .panel_geometries()
        .next()
        .unwrap_or(PanelGeometry::ID1_300_DPI);
    let mut img = image::RgbImage::from_pixel(g.lines as u32, g.dots as u32, image::Rgb([255; 3]));
    for py in 0..g.lines {
        for px in 0..g.dots {
            let (x, y) = (py as u32, (g.dots - 1 - px) as u32);
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
