//! [`CardImage`]: what goes on a card, already split into printer panels.
//!
//! Panels are in the printer's orientation, portrait: [`PanelGeometry::dots`] across the print
//! head (the card's short edge) × [`PanelGeometry::lines`] along the card. The default geometry,
//! [`PanelGeometry::ID1_300_DPI`], is 648 × 1016 dots at 300 dpi (an ISO/IEC 7810 ID-1 card,
//! Evolis); a printer whose printable area differs says so in its
//! [`PrinterCapabilities`](crate::PrinterCapabilities) (a Magicard prints 641 × 1016), and the
//! card face is rendered at that geometry. A card face designed in landscape is rotated into
//! this orientation by whoever renders it.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};

/// Dots across a panel of the default geometry (the short edge of the card, in the print
/// head's direction).
pub const PANEL_WIDTH: usize = 648;
/// Lines in a panel of the default geometry (the long edge of the card).
pub const PANEL_HEIGHT: usize = 1016;
/// Bytes in one bit-packed line of a [`MonoPanel`] of the default geometry.
pub const MONO_STRIDE: usize = PANEL_WIDTH / 8;

/// The size of a printer's panels: dots across the head × lines along the card, and the
/// resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct PanelGeometry {
    /// Dots across the print head (a panel's width; the landscape card's rows).
    pub dots: usize,
    /// Lines along the card (a panel's height; the landscape card's columns).
    pub lines: usize,
    /// Dots per inch, the same in both directions.
    pub dpi: u16,
}

/// Most dots or lines a panel may have (a CR80 card at 600 dpi is 1 300 × 2 030).
pub const MAX_PANEL_SIDE: usize = 4096;

impl PanelGeometry {
    /// An ID-1 card at 300 dpi, 648 × 1016 dots: the default, and Evolis's panels.
    pub const ID1_300_DPI: PanelGeometry = PanelGeometry {
        dots: PANEL_WIDTH,
        lines: PANEL_HEIGHT,
        dpi: 300,
    };

    /// A geometry, checked: 1 to [`MAX_PANEL_SIDE`] dots and lines, a resolution of at least
    /// 1 dpi.
    pub fn new(dots: usize, lines: usize, dpi: u16) -> Result<PanelGeometry, String> {
        let side = 1..=MAX_PANEL_SIDE;
        if !side.contains(&dots) || !side.contains(&lines) || dpi == 0 {
            return Err(format!(
                "panel geometry {dots} × {lines} dots at {dpi} dpi: expected 1–{MAX_PANEL_SIDE} dots and lines and at least 1 dpi"
            ));
        }
        Ok(PanelGeometry { dots, lines, dpi })
    }

    /// Bytes in one bit-packed line of a [`MonoPanel`] of this geometry.
    pub fn mono_stride(&self) -> usize {
        self.dots.div_ceil(8)
    }

    /// Dots in a panel.
    pub fn area(&self) -> usize {
        self.dots * self.lines
    }
}

impl Default for PanelGeometry {
    fn default() -> Self {
        PanelGeometry::ID1_300_DPI
    }
}

impl std::fmt::Display for PanelGeometry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} × {} dots at {} dpi", self.dots, self.lines, self.dpi)
    }
}

/// A 1-bit panel (resin black `K` or overlay `O`): bit set = dot printed. Lines are bit-packed,
/// most significant bit first, [`PanelGeometry::mono_stride`] bytes per line.
#[derive(Clone, PartialEq, Eq)]
pub struct MonoPanel {
    geometry: PanelGeometry,
    bits: Vec<u8>,
}

impl MonoPanel {
    /// A panel of the default geometry with no dot printed.
    pub fn blank() -> Self {
        Self::blank_at(PanelGeometry::ID1_300_DPI)
    }

    /// A panel of `geometry` with no dot printed.
    pub fn blank_at(geometry: PanelGeometry) -> Self {
        Self {
            geometry,
            bits: vec![0; geometry.mono_stride() * geometry.lines],
        }
    }

    /// A panel of the default geometry with every dot printed.
    pub fn full() -> Self {
        Self::full_at(PanelGeometry::ID1_300_DPI)
    }

    /// A panel of `geometry` with every dot printed (padding bits past the last dot of a line
    /// stay clear).
    pub fn full_at(geometry: PanelGeometry) -> Self {
        let mut p = Self::blank_at(geometry);
        let stride = geometry.mono_stride();
        let mut line = vec![0xFF; stride];
        if !geometry.dots.is_multiple_of(8) {
            line[stride - 1] = 0xFF << (8 - geometry.dots % 8);
        }
        for y in 0..geometry.lines {
            p.bits[y * stride..(y + 1) * stride].copy_from_slice(&line);
        }
        p
    }

    /// Builds a panel of the default geometry from bit-packed lines; `None` unless `bits` is
    /// exactly `MONO_STRIDE * PANEL_HEIGHT` bytes.
    pub fn from_bits(bits: Vec<u8>) -> Option<Self> {
        Self::from_bits_at(PanelGeometry::ID1_300_DPI, bits)
    }

    /// Builds a panel of `geometry` from bit-packed lines; `None` unless `bits` is exactly
    /// `geometry.mono_stride() * geometry.lines` bytes.
    pub fn from_bits_at(geometry: PanelGeometry, bits: Vec<u8>) -> Option<Self> {
        (bits.len() == geometry.mono_stride() * geometry.lines).then_some(Self { geometry, bits })
    }

    /// The panel's geometry.
    pub fn geometry(&self) -> PanelGeometry {
        self.geometry
    }

    /// The bit-packed lines.
    pub fn bits(&self) -> &[u8] {
        &self.bits
    }

    /// One bit-packed line ([`PanelGeometry::mono_stride`] bytes).
    pub fn line(&self, y: usize) -> &[u8] {
        let stride = self.geometry.mono_stride();
        &self.bits[y * stride..(y + 1) * stride]
    }

    /// Whether the dot at (`x`, `y`) is printed.
    pub fn get(&self, x: usize, y: usize) -> bool {
        self.bits[y * self.geometry.mono_stride() + x / 8] & (0x80 >> (x % 8)) != 0
    }

    /// Sets or clears the dot at (`x`, `y`).
    pub fn set(&mut self, x: usize, y: usize, on: bool) {
        let byte = &mut self.bits[y * self.geometry.mono_stride() + x / 8];
        let mask = 0x80 >> (x % 8);
        if on {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }

    /// Number of printed dots.
    pub fn count_set(&self) -> usize {
        self.bits.iter().map(|b| b.count_ones() as usize).sum()
    }
}

impl std::fmt::Debug for MonoPanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MonoPanel({}x{}, {} dots set)",
            self.geometry.dots,
            self.geometry.lines,
            self.count_set()
        )
    }
}

/// A colour panel set: 8-bit RGB per dot, row-major, `dots * lines * 3` bytes.
/// The driver converts it to the printer's Y, M and C panels (Y = 255 − B and so on).
///
/// Cloning is cheap: clones share their dots until one of them is changed (copy on write), so
/// the cards of one design share their prepared colour side (1.9 MB) and a driver can tell a
/// panel it has already encoded ([`ColorPanel::shares_dots`]) without comparing it. What
/// drivers derive from the dots (their wire encoding, [`ColorPanel::derived`]) is shared the
/// same way: 64 printers starting an order of one design encode its colour side once.
#[derive(Clone)]
pub struct ColorPanel {
    geometry: PanelGeometry,
    dots: Arc<Dots>,
}

/// A derived value and the key it was made under.
type Derived = (String, Arc<dyn Any + Send + Sync>);

/// The dots of a colour panel and what was derived from them.
struct Dots {
    rgb: Vec<u8>,
    /// Values derived from `rgb`, by key; emptied at any change of `rgb`.
    derived: Mutex<Vec<Derived>>,
}

impl Dots {
    fn new(rgb: Vec<u8>) -> Arc<Dots> {
        Arc::new(Dots {
            rgb,
            derived: Mutex::default(),
        })
    }
}

impl Clone for Dots {
    /// A copy of the dots (the first change of a shared panel): nothing derived yet.
    fn clone(&self) -> Dots {
        Dots {
            rgb: self.rgb.clone(),
            derived: Mutex::default(),
        }
    }
}

impl PartialEq for ColorPanel {
    fn eq(&self, other: &ColorPanel) -> bool {
        self.geometry == other.geometry && self.dots.rgb == other.dots.rgb
    }
}

impl Eq for ColorPanel {}

impl ColorPanel {
    /// A panel of the default geometry filled with one colour.
    pub fn filled(rgb: [u8; 3]) -> Self {
        Self::filled_at(PanelGeometry::ID1_300_DPI, rgb)
    }

    /// A panel of `geometry` filled with one colour.
    pub fn filled_at(geometry: PanelGeometry, rgb: [u8; 3]) -> Self {
        let mut v = Vec::with_capacity(geometry.area() * 3);
        for _ in 0..geometry.area() {
            v.extend_from_slice(&rgb);
        }
        Self {
            geometry,
            dots: Dots::new(v),
        }
    }

    /// Builds a panel of the default geometry from RGB bytes; `None` unless the length is
    /// `PANEL_WIDTH * PANEL_HEIGHT * 3`.
    pub fn from_rgb(rgb: Vec<u8>) -> Option<Self> {
        Self::from_rgb_at(PanelGeometry::ID1_300_DPI, rgb)
    }

    /// Builds a panel of `geometry` from RGB bytes; `None` unless the length is
    /// `dots * lines * 3`.
    pub fn from_rgb_at(geometry: PanelGeometry, rgb: Vec<u8>) -> Option<Self> {
        (rgb.len() == geometry.area() * 3).then(|| Self {
            geometry,
            dots: Dots::new(rgb),
        })
    }

    /// The panel's geometry.
    pub fn geometry(&self) -> PanelGeometry {
        self.geometry
    }

    /// The RGB bytes.
    pub fn rgb(&self) -> &[u8] {
        &self.dots.rgb
    }

    /// The colour of the dot at (`x`, `y`).
    pub fn get(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.geometry.dots + x) * 3;
        let rgb = &self.dots.rgb;
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    }

    /// Sets the colour of the dot at (`x`, `y`) (the first change to a shared panel copies it).
    pub fn set(&mut self, x: usize, y: usize, rgb: [u8; 3]) {
        let i = (y * self.geometry.dots + x) * 3;
        let dots = Arc::make_mut(&mut self.dots);
        let derived = dots
            .derived
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if !derived.is_empty() {
            derived.clear();
        }
        dots.rgb[i..i + 3].copy_from_slice(&rgb);
    }

    /// The value derived from these dots under `key` — a driver's wire encoding, the key
    /// naming the driver and every setting the encoding depends on — made by `make` once for
    /// all the clones that share the dots: the first caller makes it while the others wait,
    /// then they all get it. Forgotten at the first change of the dots.
    ///
    /// # Panics
    /// When a value of another type was derived under the same `key`.
    pub fn derived<T: Any + Send + Sync>(
        &self,
        key: &str,
        make: impl FnOnce(&ColorPanel) -> T,
    ) -> Arc<T> {
        let mut derived = self
            .dots
            .derived
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let value = match derived.iter().find(|(k, _)| k == key) {
            Some((_, v)) => v.clone(),
            None => {
                let v: Arc<dyn Any + Send + Sync> = Arc::new(make(self));
                derived.push((key.to_string(), v.clone()));
                v
            }
        };
        value
            .downcast::<T>()
            .unwrap_or_else(|_| panic!("a value of another type was derived under `{key}`"))
    }

    /// True when `other` is a clone of this panel that neither has changed since: the same
    /// dots, known without comparing them.
    pub fn shares_dots(&self, other: &ColorPanel) -> bool {
        Arc::ptr_eq(&self.dots, &other.dots)
    }

    /// True when every dot is white (the colour panels need not be printed at all).
    pub fn is_white(&self) -> bool {
        self.dots.rgb.iter().all(|&b| b == 0xFF)
    }
}

impl std::fmt::Debug for ColorPanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ColorPanel({}x{})",
            self.geometry.dots, self.geometry.lines
        )
    }
}

/// The overlay (clear protective varnish) of one side.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Overlay {
    /// No overlay panel.
    None,
    /// Varnish over the whole side.
    #[default]
    Full,
    /// Varnish where the mask has dots set (e.g. leaving the chip contacts free).
    Masked(MonoPanel),
}

/// One side of a card: optional colour panels, optional resin black, and the overlay.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CardSide {
    /// Colour content (YMC), `None` for a monochrome side.
    pub color: Option<ColorPanel>,
    /// Resin black content (sharp text, barcodes), `None` when nothing is black.
    pub black: Option<MonoPanel>,
    /// Overlay varnish.
    pub overlay: Overlay,
}

/// A card to print: the front and an optional back.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CardImage {
    /// The front side.
    pub front: CardSide,
    /// The back side, for duplex printers.
    pub back: Option<CardSide>,
    /// What the card is (the production card number, `TMP000000018`), for logs and
    /// simulators (a simulated printer names its PNG after it); printers ignore it. Not a
    /// secret: it is printed on the card.
    pub label: Option<String>,
}

impl CardSide {
    /// The geometries of this side's panels (colour, black, overlay mask), in that order.
    pub fn panel_geometries(&self) -> impl Iterator<Item = PanelGeometry> + '_ {
        let mask = match &self.overlay {
            Overlay::Masked(m) => Some(m.geometry()),
            _ => None,
        };
        self.color
            .as_ref()
            .map(ColorPanel::geometry)
            .into_iter()
            .chain(self.black.as_ref().map(MonoPanel::geometry))
            .chain(mask)
    }
}

impl CardImage {
    /// The geometry of the image's panels: `Ok(None)` when it has no panel at all (nothing but
    /// full or no overlay), an error naming both when two panels differ.
    pub fn geometry(&self) -> Result<Option<PanelGeometry>, String> {
        let mut all = self
            .front
            .panel_geometries()
            .chain(self.back.iter().flat_map(CardSide::panel_geometries));
        let Some(first) = all.next() else {
            return Ok(None);
        };
        match all.find(|g| *g != first) {
            Some(other) => Err(format!(
                "the card's panels have two geometries: {first} and {other}"
            )),
            None => Ok(Some(first)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_panel_bits_are_msb_first() {
        let mut p = MonoPanel::blank();
        p.set(0, 0, true);
        p.set(9, 1, true);
        assert_eq!(p.line(0)[0], 0x80);
        assert_eq!(p.line(1)[1], 0x40);
        assert!(p.get(9, 1) && !p.get(8, 1));
        assert_eq!(p.count_set(), 2);
        p.set(0, 0, false);
        assert_eq!(p.count_set(), 1);
    }

    #[test]
    fn a_cloned_colour_panel_shares_its_dots_until_one_changes() {
        let a = ColorPanel::filled([10, 20, 30]);
        let mut b = a.clone();
        assert!(a.shares_dots(&b) && b.shares_dots(&a));
        b.set(3, 4, [1, 2, 3]);
        assert!(!a.shares_dots(&b));
        assert_eq!(a.get(3, 4), [10, 20, 30], "the original is untouched");
        assert_eq!(b.get(3, 4), [1, 2, 3]);
        let c = ColorPanel::filled([10, 20, 30]);
        assert!(!a.shares_dots(&c) && a == c, "equal dots, not shared");
    }

    #[test]
    fn a_derived_value_is_made_once_for_the_clones_and_forgotten_at_a_change() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let made = AtomicUsize::new(0);
        let sum = |p: &ColorPanel| {
            made.fetch_add(1, Ordering::SeqCst);
            p.rgb().iter().map(|&b| u64::from(b)).sum::<u64>()
        };
        let a = ColorPanel::filled([1, 1, 1]);
        let mut b = a.clone();
        let dots = 648 * 1016 * 3;
        assert_eq!(*a.derived("sum", sum), dots);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let b = b.clone();
                s.spawn(move || assert_eq!(*b.derived("sum", sum), dots));
            }
        });
        assert_eq!(
            made.load(Ordering::SeqCst),
            1,
            "made once for all the clones"
        );
        assert_eq!(*a.derived("other key", |_| 7u64), 7);
        b.set(0, 0, [2, 1, 1]);
        assert_eq!(
            *b.derived("sum", sum),
            dots + 1,
            "made again after a change"
        );
        assert_eq!(*a.derived("sum", sum), dots, "the original keeps its own");
        assert_eq!(made.load(Ordering::SeqCst), 2);
        // A panel changed in place (no clone) forgets too.
        let mut c = ColorPanel::filled([1, 1, 1]);
        assert_eq!(*c.derived("sum", sum), dots);
        c.set(1, 1, [0, 1, 1]);
        assert_eq!(*c.derived("sum", sum), dots - 1);
    }

    #[test]
    fn panels_reject_wrong_sizes() {
        assert!(MonoPanel::from_bits(vec![0; 10]).is_none());
        assert!(ColorPanel::from_rgb(vec![0; 10]).is_none());
        assert!(ColorPanel::filled([255, 255, 255]).is_white());
        assert!(!ColorPanel::filled([255, 0, 255]).is_white());
        let g = PanelGeometry::new(641, 1016, 300).unwrap();
        assert!(MonoPanel::from_bits_at(g, vec![0; 81 * 1016]).is_some());
        assert!(MonoPanel::from_bits_at(g, vec![0; 82 * 1016]).is_none());
        assert!(ColorPanel::from_rgb_at(g, vec![0; 641 * 1016 * 3]).is_some());
        assert!(PanelGeometry::new(0, 1016, 300).is_err());
        assert!(PanelGeometry::new(641, 5000, 300).is_err());
    }

    #[test]
    fn panels_of_another_geometry_address_their_own_dots() {
        let g = PanelGeometry::new(641, 1016, 300).unwrap();
        let mut k = MonoPanel::blank_at(g);
        k.set(640, 1015, true);
        assert_eq!(k.line(1015)[80], 0x80);
        assert_eq!(k.count_set(), 1);
        let full = MonoPanel::full_at(g);
        assert_eq!(full.count_set(), 641 * 1016, "padding bits stay clear");
        let mut c = ColorPanel::filled_at(g, [255; 3]);
        c.set(640, 1015, [1, 2, 3]);
        assert_eq!(c.get(640, 1015), [1, 2, 3]);
        assert_eq!(c.rgb().len(), 641 * 1016 * 3);
        let mut card = CardImage::default();
        assert_eq!(card.geometry(), Ok(None));
        card.front.black = Some(k);
        assert_eq!(card.geometry(), Ok(Some(g)));
        card.front.color = Some(ColorPanel::filled([0; 3]));
        assert!(card.geometry().unwrap_err().contains("641 × 1016"));
    }
}
