//! What the simulated printer put on a card: the panels of each side, rebuilt as an RGB picture
//! (YMC dye composited, resin black on top, overlay ignored or tinted) and written as PNG.

use std::path::{Path, PathBuf};

use cardline_device::{CardSide, ColorPanel, MonoPanel, Overlay, PANEL_HEIGHT, PANEL_WIDTH};

use super::panels::{DensityPanel, PanelKind};

/// The panels one side of a card received in a sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrintedSide {
    /// Yellow dye.
    pub yellow: Option<DensityPanel>,
    /// Magenta dye.
    pub magenta: Option<DensityPanel>,
    /// Cyan dye.
    pub cyan: Option<DensityPanel>,
    /// Resin black.
    pub black: Option<MonoPanel>,
    /// Overlay varnish.
    pub overlay: Option<MonoPanel>,
}

impl PrintedSide {
    /// True when no panel was received.
    pub fn is_empty(&self) -> bool {
        self.panel_count() == 0
    }

    /// Number of panels received (each costs print time).
    pub fn panel_count(&self) -> usize {
        [
            self.yellow.is_some(),
            self.magenta.is_some(),
            self.cyan.is_some(),
            self.black.is_some(),
            self.overlay.is_some(),
        ]
        .iter()
        .filter(|p| **p)
        .count()
    }

    /// Number of colour panels received.
    pub fn color_panel_count(&self) -> usize {
        [&self.yellow, &self.magenta, &self.cyan]
            .iter()
            .filter(|p| p.is_some())
            .count()
    }

    /// The colour panel slot for `kind` (Y, M or C).
    pub fn density_mut(&mut self, kind: PanelKind) -> Option<&mut Option<DensityPanel>> {
        match kind {
            PanelKind::Yellow => Some(&mut self.yellow),
            PanelKind::Magenta => Some(&mut self.magenta),
            PanelKind::Cyan => Some(&mut self.cyan),
            _ => None,
        }
    }

    /// The mono panel slot for `kind` (K or O).
    pub fn mono_mut(&mut self, kind: PanelKind) -> Option<&mut Option<MonoPanel>> {
        match kind {
            PanelKind::Black => Some(&mut self.black),
            PanelKind::Overlay => Some(&mut self.overlay),
            _ => None,
        }
    }

    /// The side as RGB bytes (648 × 1016, row-major): white card, dye subtracted
    /// (R = 255 − C, G = 255 − M, B = 255 − Y), resin black on top; overlay dots get a faint
    /// blue tint when `tint_overlay`.
    pub fn to_rgb(&self, tint_overlay: bool) -> Vec<u8> {
        let mut rgb = vec![0xFFu8; PANEL_WIDTH * PANEL_HEIGHT * 3];
        for y in 0..PANEL_HEIGHT {
            for x in 0..PANEL_WIDTH {
                let i = (y * PANEL_WIDTH + x) * 3;
                let d = |p: &Option<DensityPanel>| p.as_ref().map_or(0, |p| p.density(x, y));
                let mut px = [
                    255 - d(&self.cyan),
                    255 - d(&self.magenta),
                    255 - d(&self.yellow),
                ];
                if tint_overlay && self.overlay.as_ref().is_some_and(|o| o.get(x, y)) {
                    px = [px[0].saturating_sub(24), px[1].saturating_sub(8), px[2]];
                }
                if self.black.as_ref().is_some_and(|k| k.get(x, y)) {
                    px = [0, 0, 0];
                }
                rgb[i..i + 3].copy_from_slice(&px);
            }
        }
        rgb
    }

    /// The side as the device seam's [`CardSide`] (colour rebuilt from the dye panels), so tests
    /// can compare what was printed with what was sent.
    pub fn to_card_side(&self) -> CardSide {
        let color = (self.color_panel_count() > 0).then(|| {
            let without_black = PrintedSide {
                black: None,
                overlay: None,
                ..self.clone()
            };
            ColorPanel::from_rgb(without_black.to_rgb(false)).expect("panel size")
        });
        let overlay = match &self.overlay {
            None => Overlay::None,
            Some(o) if o.count_set() == PANEL_WIDTH * PANEL_HEIGHT => Overlay::Full,
            Some(o) => Overlay::Masked(o.clone()),
        };
        CardSide {
            color,
            black: self.black.clone(),
            overlay,
        }
    }

    /// Writes the rebuilt side as a PNG file.
    pub fn write_png(&self, path: &Path, tint_overlay: bool) -> Result<(), image::ImageError> {
        let img = image::RgbImage::from_raw(
            PANEL_WIDTH as u32,
            PANEL_HEIGHT as u32,
            self.to_rgb(tint_overlay),
        )
        .expect("panel size");
        img.save_with_format(path, image::ImageFormat::Png)
    }
}

/// One card the simulated printer finished printing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrintedCard {
    /// Print job counter (1 = first job since power-on).
    pub job: u32,
    /// Which card from the feeder it was (1 = first card fed).
    pub card_number: u32,
    /// The front (recto).
    pub front: PrintedSide,
    /// The back (verso), when panels were sent for it.
    pub back: Option<PrintedSide>,
    /// PNG files written for this card (front, then back).
    pub png_files: Vec<PathBuf>,
}

impl PrintedCard {
    /// The PNG file name of one side: `card-00001-front.png`, named by job counter. When it is
    /// taken the file gets `-2`, `-3` … before `.png` (files are never overwritten).
    pub fn png_name(job: u32, back: bool) -> String {
        format!("{}.png", Self::png_stem(job, back))
    }

    /// The PNG file name of one side without `.png`: `card-00001-front`.
    pub fn png_stem(job: u32, back: bool) -> String {
        format!("card-{job:05}-{}", if back { "back" } else { "front" })
    }
}

/// The PNG files the printer wrote for one print job (front, then back), see
/// [`SimPrinter::last_pngs`](super::SimPrinter::last_pngs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenPngs {
    /// The print job (1 = first job since power-on).
    pub job: u32,
    /// Which card from the feeder it was (1 = first card fed).
    pub card_number: u32,
    /// The files, front then back.
    pub files: Vec<PathBuf>,
    /// The label they were renamed after, once
    /// [`label_pngs_since`](super::SimPrinter::label_pngs_since) named them.
    pub label: Option<String>,
}
