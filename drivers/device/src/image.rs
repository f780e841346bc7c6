//! [`CardImage`]: what goes on a card, already split into printer panels.
//!
//! Panels are in the printer's orientation: [`PANEL_WIDTH`] × [`PANEL_HEIGHT`] dots
//! (648 × 1016 at 300 dpi, an ISO/IEC 7810 ID-1 card in portrait). A card face designed in
//! landscape is rotated into this orientation by whoever renders it.

/// Dots across a panel (the short edge of the card, in the print head's direction).
pub const PANEL_WIDTH: usize = 648;
/// Lines in a panel (the long edge of the card).
pub const PANEL_HEIGHT: usize = 1016;
/// Bytes in one bit-packed line of a [`MonoPanel`].
pub const MONO_STRIDE: usize = PANEL_WIDTH / 8;

/// A 1-bit panel (resin black `K` or overlay `O`): bit set = dot printed. Lines are bit-packed,
/// most significant bit first, [`MONO_STRIDE`] bytes per line.
#[derive(Clone, PartialEq, Eq)]
pub struct MonoPanel {
    bits: Vec<u8>,
}

impl MonoPanel {
    /// A panel with no dot printed.
    pub fn blank() -> Self {
        Self {
            bits: vec![0; MONO_STRIDE * PANEL_HEIGHT],
        }
    }

    /// A panel with every dot printed.
    pub fn full() -> Self {
        Self {
            bits: vec![0xFF; MONO_STRIDE * PANEL_HEIGHT],
        }
    }

    /// Builds a panel from bit-packed lines; `None` unless `bits` is exactly
    /// `MONO_STRIDE * PANEL_HEIGHT` bytes.
    pub fn from_bits(bits: Vec<u8>) -> Option<Self> {
        (bits.len() == MONO_STRIDE * PANEL_HEIGHT).then_some(Self { bits })
    }

    /// The bit-packed lines.
    pub fn bits(&self) -> &[u8] {
        &self.bits
    }

    /// One bit-packed line (`MONO_STRIDE` bytes).
    pub fn line(&self, y: usize) -> &[u8] {
        &self.bits[y * MONO_STRIDE..(y + 1) * MONO_STRIDE]
    }

    /// Whether the dot at (`x`, `y`) is printed.
    pub fn get(&self, x: usize, y: usize) -> bool {
        self.bits[y * MONO_STRIDE + x / 8] & (0x80 >> (x % 8)) != 0
    }

    /// Sets or clears the dot at (`x`, `y`).
    pub fn set(&mut self, x: usize, y: usize, on: bool) {
        let byte = &mut self.bits[y * MONO_STRIDE + x / 8];
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
        write!(f, "MonoPanel({} dots set)", self.count_set())
    }
}

/// A colour panel set: 8-bit RGB per dot, row-major, `PANEL_WIDTH * PANEL_HEIGHT * 3` bytes.
/// The driver converts it to the printer's Y, M and C panels (Y = 255 − B and so on).
#[derive(Clone, PartialEq, Eq)]
pub struct ColorPanel {
    rgb: Vec<u8>,
}

impl ColorPanel {
    /// A panel filled with one colour.
    pub fn filled(rgb: [u8; 3]) -> Self {
        let mut v = Vec::with_capacity(PANEL_WIDTH * PANEL_HEIGHT * 3);
        for _ in 0..PANEL_WIDTH * PANEL_HEIGHT {
            v.extend_from_slice(&rgb);
        }
        Self { rgb: v }
    }

    /// Builds a panel from RGB bytes; `None` unless the length is `PANEL_WIDTH * PANEL_HEIGHT * 3`.
    pub fn from_rgb(rgb: Vec<u8>) -> Option<Self> {
        (rgb.len() == PANEL_WIDTH * PANEL_HEIGHT * 3).then_some(Self { rgb })
    }

    /// The RGB bytes.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// The colour of the dot at (`x`, `y`).
    pub fn get(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * PANEL_WIDTH + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Sets the colour of the dot at (`x`, `y`).
    pub fn set(&mut self, x: usize, y: usize, rgb: [u8; 3]) {
        let i = (y * PANEL_WIDTH + x) * 3;
        self.rgb[i..i + 3].copy_from_slice(&rgb);
    }

    /// True when every dot is white (the colour panels need not be printed at all).
    pub fn is_white(&self) -> bool {
        self.rgb.iter().all(|&b| b == 0xFF)
    }
}

impl std::fmt::Debug for ColorPanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ColorPanel({}x{})", PANEL_WIDTH, PANEL_HEIGHT)
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
    fn panels_reject_wrong_sizes() {
        assert!(MonoPanel::from_bits(vec![0; 10]).is_none());
        assert!(ColorPanel::from_rgb(vec![0; 10]).is_none());
        assert!(ColorPanel::filled([255, 255, 255]).is_white());
        assert!(!ColorPanel::filled([255, 0, 255]).is_white());
    }
}
