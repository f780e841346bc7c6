//! Drawing surfaces in design coordinates, and the rotation from the landscape design into the
//! printer's portrait panels.
//!
//! The printer takes panels 648 dots across the head × 1016 lines. The landscape design is turned
//! 90° clockwise (as the Evolis drivers do: the design's top edge runs down the panel's right
//! side), so design (x, y) is panel (647 − y, x) and design (0, 0) is the panel's top-right dot.

use cardline_device::image::{
    CardSide, ColorPanel, MONO_STRIDE, MonoPanel, Overlay, PANEL_HEIGHT, PANEL_WIDTH,
};

use super::design::{DESIGN_HEIGHT, DESIGN_WIDTH, OverlayKind, Rect, Rgb, WHITE};

/// Panel dot `(x, y)` for design dot `(x, y)`.
pub fn design_to_panel(x: u32, y: u32) -> (usize, usize) {
    (PANEL_WIDTH - 1 - y as usize, x as usize)
}

/// Design dot `(x, y)` for panel dot `(x, y)`.
pub fn panel_to_design(px: usize, py: usize) -> (u32, u32) {
    (py as u32, (PANEL_WIDTH - 1 - px) as u32)
}

/// Mixes `color` over `dst` with `coverage` in 0..=1 (anti-aliased text edges).
pub fn blend(dst: Rgb, color: Rgb, coverage: f32) -> Rgb {
    let a = (coverage.clamp(0.0, 1.0) * 255.0).round() as u16;
    let mix = |d: u8, c: u8| ((u16::from(d) * (255 - a) + u16::from(c) * a + 127) / 255) as u8;
    [
        mix(dst[0], color[0]),
        mix(dst[1], color[1]),
        mix(dst[2], color[2]),
    ]
}

/// Coverage at or above which a dot of resin black is printed.
pub const BLACK_THRESHOLD: f32 = 0.5;

/// A surface the card face is drawn on, addressed in design coordinates.
pub trait Canvas {
    /// Blends `color` with `coverage` into the colour layer at design (x, y).
    fn blend(&mut self, x: u32, y: u32, color: Rgb, coverage: f32);
    /// Prints (or clears) a resin black dot at design (x, y).
    fn set_black(&mut self, x: u32, y: u32, on: bool);
}

/// Fills a rectangle of the colour layer.
pub fn fill_color(canvas: &mut dyn Canvas, r: Rect, color: Rgb) {
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            canvas.blend(x, y, color, 1.0);
        }
    }
}

/// Fills a rectangle of the resin black layer.
pub fn fill_black(canvas: &mut dyn Canvas, r: Rect) {
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            canvas.set_black(x, y, true);
        }
    }
}

/// A landscape canvas (1016 × 648): colour layer plus resin black layer.
#[derive(Clone)]
pub struct DesignCanvas {
    color: image::RgbImage,
    black: Vec<bool>,
}

impl DesignCanvas {
    /// A white canvas with nothing black.
    pub fn white() -> Self {
        Self::from_image(image::RgbImage::from_pixel(
            DESIGN_WIDTH,
            DESIGN_HEIGHT,
            image::Rgb(WHITE),
        ))
    }

    /// A canvas whose colour layer starts as `img` (must be 1016 × 648).
    pub fn from_image(img: image::RgbImage) -> Self {
        assert_eq!(img.dimensions(), (DESIGN_WIDTH, DESIGN_HEIGHT));
        Self {
            color: img,
            black: vec![false; (DESIGN_WIDTH * DESIGN_HEIGHT) as usize],
        }
    }

    /// The colour layer.
    pub fn color(&self) -> &image::RgbImage {
        &self.color
    }

    /// Whether design (x, y) has resin black.
    pub fn is_black(&self, x: u32, y: u32) -> bool {
        self.black[(y * DESIGN_WIDTH + x) as usize]
    }

    /// Rotates the colour layer into a portrait [`ColorPanel`].
    pub fn color_panel(&self) -> ColorPanel {
        let mut rgb = vec![0u8; PANEL_WIDTH * PANEL_HEIGHT * 3];
        for (x, y, p) in self.color.enumerate_pixels() {
            let (px, py) = design_to_panel(x, y);
            let i = (py * PANEL_WIDTH + px) * 3;
            rgb[i..i + 3].copy_from_slice(&p.0);
        }
        ColorPanel::from_rgb(rgb).expect("panel size")
    }

    /// Rotates the black layer into a portrait [`MonoPanel`].
    pub fn black_panel(&self) -> MonoPanel {
        let mut bits = vec![0u8; MONO_STRIDE * PANEL_HEIGHT];
        for (i, _) in self.black.iter().enumerate().filter(|(_, b)| **b) {
            let (x, y) = (i as u32 % DESIGN_WIDTH, i as u32 / DESIGN_WIDTH);
            let (px, py) = design_to_panel(x, y);
            bits[py * MONO_STRIDE + px / 8] |= 0x80 >> (px % 8);
        }
        MonoPanel::from_bits(bits).expect("panel size")
    }

    /// The printer's side: colour (omitted when all white), black (omitted when empty), overlay.
    pub fn to_side(&self, overlay: OverlayKind) -> CardSide {
        let color = self.color_panel();
        let black = self.black_panel();
        CardSide {
            color: (!color.is_white()).then_some(color),
            black: (black.count_set() > 0).then_some(black),
            overlay: overlay_panel(overlay),
        }
    }
}

impl Canvas for DesignCanvas {
    fn blend(&mut self, x: u32, y: u32, color: Rgb, coverage: f32) {
        if x < DESIGN_WIDTH && y < DESIGN_HEIGHT {
            let p = self.color.get_pixel_mut(x, y);
            p.0 = blend(p.0, color, coverage);
        }
    }

    fn set_black(&mut self, x: u32, y: u32, on: bool) {
        if x < DESIGN_WIDTH && y < DESIGN_HEIGHT {
            self.black[(y * DESIGN_WIDTH + x) as usize] = on;
        }
    }
}

/// A canvas that draws straight into portrait panels (used per card on copies of the prepared
/// static panels, so no rotation pass is needed).
pub struct PanelCanvas<'a> {
    /// The colour panel.
    pub color: &'a mut ColorPanel,
    /// The resin black panel.
    pub black: &'a mut MonoPanel,
    /// Set when anything was blended into the colour panel.
    pub color_touched: bool,
}

impl Canvas for PanelCanvas<'_> {
    fn blend(&mut self, x: u32, y: u32, color: Rgb, coverage: f32) {
        if x < DESIGN_WIDTH && y < DESIGN_HEIGHT {
            let (px, py) = design_to_panel(x, y);
            let old = self.color.get(px, py);
            self.color.set(px, py, blend(old, color, coverage));
            self.color_touched = true;
        }
    }

    fn set_black(&mut self, x: u32, y: u32, on: bool) {
        if x < DESIGN_WIDTH && y < DESIGN_HEIGHT {
            let (px, py) = design_to_panel(x, y);
            self.black.set(px, py, on);
        }
    }
}

/// The overlay panel for a side.
pub fn overlay_panel(kind: OverlayKind) -> Overlay {
    match kind {
        OverlayKind::Full => Overlay::Full,
        OverlayKind::None => Overlay::None,
        OverlayKind::Masked(hole) => {
            let mut mask = MonoPanel::full();
            for y in hole.y..hole.y + hole.height {
                for x in hole.x..hole.x + hole.width {
                    let (px, py) = design_to_panel(x, y);
                    mask.set(px, py, false);
                }
            }
            Overlay::Masked(mask)
        }
    }
}
