//! Drawing surfaces in design coordinates, and the rotation from the landscape design into the
//! printer's portrait panels.
//!
//! The printer takes panels of its [`PanelGeometry`] (648 dots across the head × 1016 lines for
//! the ID-1 default, Evolis; 641 × 1016 for a Magicard). The landscape design is turned 90°
//! clockwise (as the Evolis drivers do: the design's top edge runs down the panel's right
//! side), so at the default geometry design (x, y) is panel (647 − y, x) and design (0, 0) is
//! the panel's top-right dot; at another geometry it is also resampled ([`PanelMap`]).

use cardline_device::PanelGeometry;
use cardline_device::image::{CardSide, ColorPanel, MonoPanel, Overlay, PANEL_WIDTH};

use super::design::{DESIGN_HEIGHT, DESIGN_WIDTH, OverlayKind, Rect, Rgb, WHITE};
use super::panel_map::PanelMap;

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

    /// Rotates the colour layer into a portrait [`ColorPanel`] of the default geometry.
    pub fn color_panel(&self) -> ColorPanel {
        self.color_panel_at(&PanelMap::new(PanelGeometry::ID1_300_DPI))
    }

    /// Rotates (and resamples) the colour layer into a portrait [`ColorPanel`] of `map`'s
    /// geometry.
    pub fn color_panel_at(&self, map: &PanelMap) -> ColorPanel {
        let g = map.geometry();
        let mut rgb = vec![0u8; g.area() * 3];
        for py in 0..g.lines {
            for px in 0..g.dots {
                let (x, y) = map.design_of(px, py);
                let i = (py * g.dots + px) * 3;
                rgb[i..i + 3].copy_from_slice(&self.color.get_pixel(x, y).0);
            }
        }
        ColorPanel::from_rgb_at(g, rgb).expect("panel size")
    }

    /// Rotates the black layer into a portrait [`MonoPanel`] of the default geometry.
    pub fn black_panel(&self) -> MonoPanel {
        self.black_panel_at(&PanelMap::new(PanelGeometry::ID1_300_DPI))
    }

    /// Rotates (and resamples) the black layer into a portrait [`MonoPanel`] of `map`'s
    /// geometry.
    pub fn black_panel_at(&self, map: &PanelMap) -> MonoPanel {
        let mut panel = MonoPanel::blank_at(map.geometry());
        for (i, _) in self.black.iter().enumerate().filter(|(_, b)| **b) {
            let (x, y) = (i as u32 % DESIGN_WIDTH, i as u32 / DESIGN_WIDTH);
            if let Some((px, py)) = map.panel_of(x, y) {
                panel.set(px, py, true);
            }
        }
        panel
    }

    /// The printer's side at the default geometry: colour (omitted when all white), black
    /// (omitted when empty), overlay.
    pub fn to_side(&self, overlay: OverlayKind) -> CardSide {
        self.to_side_at(overlay, &PanelMap::new(PanelGeometry::ID1_300_DPI))
    }

    /// The printer's side at `map`'s geometry.
    pub fn to_side_at(&self, overlay: OverlayKind, map: &PanelMap) -> CardSide {
        let color = self.color_panel_at(map);
        let black = self.black_panel_at(map);
        CardSide {
            color: (!color.is_white()).then_some(color),
            black: (black.count_set() > 0).then_some(black),
            overlay: overlay_panel_at(overlay, map),
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
/// static panels, so no rotation pass is needed). Design dots the map drops are not drawn, so
/// the result is the one of drawing on a [`DesignCanvas`] and resampling it.
pub struct PanelCanvas<'a> {
    /// The colour panel.
    pub color: &'a mut ColorPanel,
    /// The resin black panel.
    pub black: &'a mut MonoPanel,
    /// Where design dots land on the panels (their geometry).
    pub map: &'a PanelMap,
    /// Set when anything was blended into the colour panel.
    pub color_touched: bool,
}

impl Canvas for PanelCanvas<'_> {
    fn blend(&mut self, x: u32, y: u32, color: Rgb, coverage: f32) {
        if let Some((px, py)) = self.map.panel_of(x, y) {
            let old = self.color.get(px, py);
            self.color.set(px, py, blend(old, color, coverage));
            self.color_touched = true;
        }
    }

    fn set_black(&mut self, x: u32, y: u32, on: bool) {
        if let Some((px, py)) = self.map.panel_of(x, y) {
            self.black.set(px, py, on);
        }
    }
}

/// The overlay panel for a side, at the default geometry.
pub fn overlay_panel(kind: OverlayKind) -> Overlay {
    overlay_panel_at(kind, &PanelMap::new(PanelGeometry::ID1_300_DPI))
}

/// The overlay panel for a side, at `map`'s geometry: a masked overlay leaves clear every
/// panel dot that shows a design dot of the hole.
pub fn overlay_panel_at(kind: OverlayKind, map: &PanelMap) -> Overlay {
    match kind {
        OverlayKind::Full => Overlay::Full,
        OverlayKind::None => Overlay::None,
        OverlayKind::Masked(hole) => {
            let mut mask = MonoPanel::full_at(map.geometry());
            for y in hole.y..hole.y + hole.height {
                for x in hole.x..hole.x + hole.width {
                    if let Some((px, py)) = map.panel_of(x, y) {
                        mask.set(px, py, false);
                    }
                }
            }
            Overlay::Masked(mask)
        }
    }
}
