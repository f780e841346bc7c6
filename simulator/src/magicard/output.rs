//! What the simulated Magicard put on a card, rebuilt in landscape by the rotation of
//! docs/magicard-protocol.md §3 and written as PNG.
//!
//! The landscape card is 1016 × 648 dots. Its column `x` is plane line `1015 − x`; its row `y`
//! is dot `15 + y` of that line, for `y` in 0‥640. Rows 641‥647 lie beyond the printable height
//! and stay white. Colour is rebuilt as white card minus dye (R = 255 − C, G = 255 − M,
//! B = 255 − Y); black (K) dots are printed on top; overcoat and HoloKote are invisible.

use std::path::{Path, PathBuf};

use cardline_device::{CardSide, ColorPanel, MonoPanel, Overlay, PANEL_HEIGHT, PANEL_WIDTH};

use super::header::JobHeader;
use super::planes::{InkPlane, LINES};

/// Width of the landscape card (dots).
pub const CARD_WIDTH: usize = 1016;
/// Height of the landscape card (dots).
pub const CARD_HEIGHT: usize = 648;
/// Plane dot of landscape row 0.
pub const FIRST_DOT: usize = 15;
/// Landscape rows that are printed (0‥640).
pub const PRINTABLE_ROWS: usize = 641;

/// One printed side: the planes received for it and the header that announced them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MagicardSide {
    /// Yellow dye (`B`).
    pub yellow: Option<InkPlane>,
    /// Magenta dye (`G`).
    pub magenta: Option<InkPlane>,
    /// Cyan dye (`R`).
    pub cyan: Option<InkPlane>,
    /// Resin black (`K`): a dot is printed where the amount is at least 128.
    pub black: Option<InkPlane>,
    /// The job header (overcoat, HoloKote, holes, page …).
    pub header: JobHeader,
}

impl MagicardSide {
    /// Panels the ribbon laid on this side: the planes received, plus the overcoat when asked.
    pub fn panel_count(&self) -> usize {
        self.color_panel_count()
            + usize::from(self.black.is_some())
            + usize::from(self.header.overcoat)
    }

    /// Colour (Y, M, C) panels received.
    pub fn color_panel_count(&self) -> usize {
        [&self.yellow, &self.magenta, &self.cyan]
            .iter()
            .filter(|p| p.is_some())
            .count()
    }

    /// True when the resin black dot at plane (`line`, `dot`) is printed.
    pub fn black_at(&self, line: usize, dot: usize) -> bool {
        self.black.as_ref().is_some_and(|k| k.get(line, dot) >= 128)
    }

    /// The landscape colour of card dot (`x`, `y`).
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        if y >= PRINTABLE_ROWS {
            return [255, 255, 255];
        }
        let (line, dot) = (LINES - 1 - x, FIRST_DOT + y);
        if self.black_at(line, dot) {
            return [0, 0, 0];
        }
        let ink = |p: &Option<InkPlane>| p.as_ref().map_or(0, |p| p.get(line, dot));
        [
            255 - ink(&self.cyan),
            255 - ink(&self.magenta),
            255 - ink(&self.yellow),
        ]
    }

    /// The landscape card as RGB bytes (1016 × 648, row-major).
    pub fn to_rgb(&self) -> Vec<u8> {
        let mut rgb = Vec::with_capacity(CARD_WIDTH * CARD_HEIGHT * 3);
        for y in 0..CARD_HEIGHT {
            for x in 0..CARD_WIDTH {
                rgb.extend_from_slice(&self.pixel(x, y));
            }
        }
        rgb
    }

    /// The side in cardline's portrait panel orientation (a landscape design dot (x, y) is panel
    /// dot (647 − y, x), docs/card-face.md), so tests can compare it with the `CardSide` the
    /// driver was given: colour from the dye planes, black from `K`, overlay from `OVR`.
    pub fn to_card_side(&self) -> CardSide {
        let mut color = (self.color_panel_count() > 0).then(|| ColorPanel::filled([255; 3]));
        let mut black = self.black.as_ref().map(|_| MonoPanel::blank());
        for py in 0..PANEL_HEIGHT {
            for px in 0..PANEL_WIDTH {
                let (x, y) = (py, PANEL_WIDTH - 1 - px);
                if y >= PRINTABLE_ROWS {
                    continue;
                }
                let (line, dot) = (LINES - 1 - x, FIRST_DOT + y);
                if let Some(k) = &mut black {
                    k.set(px, py, self.black_at(line, dot));
                }
                if let Some(c) = &mut color {
                    let ink = |p: &Option<InkPlane>| p.as_ref().map_or(0, |p| p.get(line, dot));
                    c.set(
                        px,
                        py,
                        [
                            255 - ink(&self.cyan),
                            255 - ink(&self.magenta),
                            255 - ink(&self.yellow),
                        ],
                    );
                }
            }
        }
        CardSide {
            color,
            black,
            overlay: if self.header.overcoat {
                Overlay::Full
            } else {
                Overlay::None
            },
        }
    }

    /// Writes the landscape side as a PNG file.
    pub fn write_png(&self, path: &Path) -> Result<(), image::ImageError> {
        let img = image::RgbImage::from_raw(CARD_WIDTH as u32, CARD_HEIGHT as u32, self.to_rgb())
            .expect("card size");
        img.save_with_format(path, image::ImageFormat::Png)
    }
}

/// One card the simulated Magicard printed on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MagicardPrintedCard {
    /// Printed-card counter (1 = first card printed since power-on); names the PNG files.
    pub job: u32,
    /// Which card from the hopper it was (1 = first card fed).
    pub card_number: u32,
    /// The front (a `PAG1` job), if printed.
    pub front: Option<MagicardSide>,
    /// The back (a `PAG2` job), if printed.
    pub back: Option<MagicardSide>,
    /// PNG files written for this card.
    pub png_files: Vec<PathBuf>,
}

impl MagicardPrintedCard {
    /// The PNG file name of one side: `card-00001-front.png`. When it is taken the file gets
    /// `-2`, `-3` … before `.png` (files are never overwritten).
    pub fn png_name(job: u32, back: bool) -> String {
        format!("{}.png", Self::png_stem(job, back))
    }

    /// The PNG file name of one side without `.png`: `card-00001-front`.
    pub fn png_stem(job: u32, back: bool) -> String {
        format!("card-{job:05}-{}", if back { "back" } else { "front" })
    }
}
