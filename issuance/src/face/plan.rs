//! Rendering a template to the printer's [`CardImage`]: [`PreparedFace`] draws the static parts
//! once per order, then each card only adds its variable fields onto copies of the prepared
//! panels. A face is prepared for one [`PanelGeometry`], the printer's (see [`PanelMap`]).
//!
//! Drawing order on a side (both paths): background, boxes, static texts, static codes, then the
//! variable texts in template order, the variable barcode and the variable QR code.

use std::sync::{Mutex, PoisonError};

use cardline_device::PanelGeometry;
use cardline_device::image::{CardImage, CardSide, ColorPanel, MonoPanel, Overlay};

use super::canvas::{Canvas, DesignCanvas, PanelCanvas, fill_black, fill_color, overlay_panel_at};
use super::codes::{draw_barcode, draw_qr};
use super::design::{BLACK, Background, CardFields, FaceTemplate, SideDesign, TextElement};
use super::error::FaceError;
use super::panel_map::PanelMap;
use super::text::draw_text;

/// Draws the parts of a side that are the same on every card.
fn draw_static(canvas: &mut dyn Canvas, side: &SideDesign) -> Result<(), FaceError> {
    for b in &side.boxes {
        if b.color == BLACK {
            fill_black(canvas, b.rect);
        } else {
            fill_color(canvas, b.rect, b.color);
        }
    }
    let none = CardFields::default();
    for t in side.texts.iter().filter(|t| t.pattern.is_static()) {
        draw_text(canvas, t, &t.pattern.expand(&none));
    }
    if let Some(b) = side.barcode.as_ref().filter(|b| b.data.is_static()) {
        draw_barcode(canvas, b, &b.data.expand(&none))?;
    }
    if let Some(q) = side.qr.as_ref().filter(|q| q.data.is_static()) {
        draw_qr(canvas, q, &q.data.expand(&none))?;
    }
    Ok(())
}

/// Draws the parts of a side that depend on the card.
fn draw_variable(
    canvas: &mut dyn Canvas,
    side: &SideDesign,
    fields: &CardFields,
) -> Result<(), FaceError> {
    for t in side.texts.iter().filter(|t| !t.pattern.is_static()) {
        draw_text(canvas, t, &t.pattern.expand(fields));
    }
    draw_variable_codes(canvas, side, fields)
}

/// Draws the variable barcode and QR code of a side (both in resin black).
fn draw_variable_codes(
    canvas: &mut dyn Canvas,
    side: &SideDesign,
    fields: &CardFields,
) -> Result<(), FaceError> {
    if let Some(b) = side.barcode.as_ref().filter(|b| !b.data.is_static()) {
        draw_barcode(canvas, b, &b.data.expand(fields))?;
    }
    if let Some(q) = side.qr.as_ref().filter(|q| !q.data.is_static()) {
        draw_qr(canvas, q, &q.data.expand(fields))?;
    }
    Ok(())
}

fn background_canvas(side: &SideDesign) -> DesignCanvas {
    match &side.background {
        Background::Color(c) => {
            let mut canvas = DesignCanvas::white();
            if *c != super::design::WHITE {
                canvas = DesignCanvas::from_image(image::RgbImage::from_pixel(
                    super::design::DESIGN_WIDTH,
                    super::design::DESIGN_HEIGHT,
                    image::Rgb(*c),
                ));
            }
            canvas
        }
        Background::Image(img) => DesignCanvas::from_image((**img).clone()),
    }
}

/// Renders one side completely in landscape, the way a person sees it.
pub fn render_design(side: &SideDesign, fields: &CardFields) -> Result<DesignCanvas, FaceError> {
    let mut canvas = background_canvas(side);
    draw_static(&mut canvas, side)?;
    draw_variable(&mut canvas, side, fields)?;
    Ok(canvas)
}

/// Renders a whole card in one pass at the default geometry, without preparation (the
/// reference for [`PreparedFace`]).
pub fn render_full(template: &FaceTemplate, fields: &CardFields) -> Result<CardImage, FaceError> {
    render_full_at(template, fields, PanelGeometry::ID1_300_DPI)
}

/// Renders a whole card in one pass at `geometry` (the reference for
/// [`PreparedFace::new_at`]).
pub fn render_full_at(
    template: &FaceTemplate,
    fields: &CardFields,
    geometry: PanelGeometry,
) -> Result<CardImage, FaceError> {
    let map = PanelMap::new(geometry);
    let front = render_design(&template.front, fields)?.to_side_at(template.front.overlay, &map);
    let back = match &template.back {
        Some(b) => Some(render_design(b, fields)?.to_side_at(b.overlay, &map)),
        None => None,
    };
    Ok(CardImage {
        front,
        back,
        label: None,
    })
}

struct PreparedSide {
    design: SideDesign,
    color: ColorPanel,
    color_white: bool,
    black: MonoPanel,
    overlay: Overlay,
    /// The colour panel of the last card and the texts drawn on it: the cards of an order
    /// whose colour texts read the same (`ORDER {order}`, the variable data being in resin
    /// black) share one panel, neither copied nor drawn again, and a printer driver knows it
    /// without comparing ([`ColorPanel::shares_dots`]).
    last_color: Mutex<Option<ColorMemo>>,
}

/// A colour panel rendered for the texts `texts` (the side's variable colour texts, expanded).
struct ColorMemo {
    texts: Vec<String>,
    panel: ColorPanel,
    /// Whether the side prints colour at all with these texts.
    used: bool,
}

impl PreparedSide {
    fn new(design: &SideDesign, map: &PanelMap) -> Result<Self, FaceError> {
        let mut canvas = background_canvas(design);
        draw_static(&mut canvas, design)?;
        let color = canvas.color_panel_at(map);
        Ok(Self {
            design: design.clone(),
            color_white: color.is_white(),
            color,
            black: canvas.black_panel_at(map),
            overlay: overlay_panel_at(design.overlay, map),
            last_color: Mutex::new(None),
        })
    }

    /// Draws the variable parts like [`draw_variable`]: the texts in colour onto (a copy of)
    /// the prepared colour panel, the black texts and codes onto a copy of the black one. The
    /// two never touch each other's panel, so the order between them does not matter.
    fn render(&self, fields: &CardFields, map: &PanelMap) -> Result<CardSide, FaceError> {
        let (in_color, in_black): (Vec<_>, Vec<_>) = self
            .design
            .texts
            .iter()
            .filter(|t| !t.pattern.is_static())
            .partition(|t| t.color != BLACK);
        let texts = in_color
            .iter()
            .map(|t| t.pattern.expand(fields).into_owned())
            .collect();
        let (color, color_used) = self.color_for(&in_color, texts, map);
        let mut black = self.black.clone();
        // Black elements never blend colour: this clone stays shared and is dropped.
        let mut untouched = color.clone();
        let mut canvas = PanelCanvas {
            color: &mut untouched,
            black: &mut black,
            map,
            color_touched: false,
        };
        for t in in_black {
            draw_text(&mut canvas, t, &t.pattern.expand(fields));
        }
        draw_variable_codes(&mut canvas, &self.design, fields)?;
        debug_assert!(!canvas.color_touched, "black elements drew in colour");
        Ok(CardSide {
            color: color_used.then_some(color),
            black: (black.count_set() > 0).then_some(black),
            overlay: self.overlay.clone(),
        })
    }

    /// The colour panel with `texts` drawn by `elements` (the last card's when they read the
    /// same), and whether the side prints colour.
    fn color_for(
        &self,
        elements: &[&TextElement],
        texts: Vec<String>,
        map: &PanelMap,
    ) -> (ColorPanel, bool) {
        let memo = || {
            self.last_color
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(m) = memo().as_ref().filter(|m| m.texts == texts) {
            return (m.panel.clone(), m.used);
        }
        let mut color = self.color.clone();
        let mut scratch = MonoPanel::blank_at(map.geometry());
        let mut canvas = PanelCanvas {
            color: &mut color,
            black: &mut scratch,
            map,
            color_touched: false,
        };
        for (t, text) in elements.iter().zip(&texts) {
            draw_text(&mut canvas, t, text);
        }
        let used = !self.color_white || (canvas.color_touched && !color.is_white());
        *memo() = Some(ColorMemo {
            texts,
            panel: color.clone(),
            used,
        });
        (color, used)
    }
}

/// A template with its static parts already rendered into printer panels of one geometry:
/// build it once per order (and printer geometry), then call [`PreparedFace::render`] for each
/// card.
pub struct PreparedFace {
    template: FaceTemplate,
    map: PanelMap,
    front: PreparedSide,
    back: Option<PreparedSide>,
}

impl PreparedFace {
    /// Renders the static parts of both sides at the default geometry (648 × 1016, Evolis).
    /// Fails only when a code without placeholders does not fit its box.
    pub fn new(template: &FaceTemplate) -> Result<Self, FaceError> {
        Self::new_at(template, PanelGeometry::ID1_300_DPI)
    }

    /// Renders the static parts of both sides at `geometry`, the printer's
    /// ([`PrinterCapabilities::geometry`](cardline_device::PrinterCapabilities::geometry)).
    pub fn new_at(template: &FaceTemplate, geometry: PanelGeometry) -> Result<Self, FaceError> {
        let map = PanelMap::new(geometry);
        Ok(Self {
            template: template.clone(),
            front: PreparedSide::new(&template.front, &map)?,
            back: template
                .back
                .as_ref()
                .map(|b| PreparedSide::new(b, &map))
                .transpose()?,
            map,
        })
    }

    /// The template this face was prepared from.
    pub fn template(&self) -> &FaceTemplate {
        &self.template
    }

    /// The geometry of the panels it renders.
    pub fn geometry(&self) -> PanelGeometry {
        self.map.geometry()
    }

    /// The printer image for one card: the prepared panels plus this card's fields.
    pub fn render(&self, fields: &CardFields) -> Result<CardImage, FaceError> {
        Ok(CardImage {
            front: self.front.render(fields, &self.map)?,
            back: self
                .back
                .as_ref()
                .map(|b| b.render(fields, &self.map))
                .transpose()?,
            label: None,
        })
    }
}

impl std::fmt::Debug for PreparedFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedFace")
            .field("template", &self.template.name)
            .field("duplex", &self.back.is_some())
            .field("geometry", &self.map.geometry())
            .finish()
    }
}
