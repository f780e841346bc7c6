//! The native plane format (`docs/magicard-protocol.md` §3): colour planes of 6 bits per dot
//! stored as 6 bit-stripes per line, black planes of 1 bit per dot.
//!
//! Line *l* of a colour plane is 504 bytes: stripe *j* (84 bytes, *j* = 0‥5) holds bit *j* of
//! the ink level of each of the 672 dots, the first dot in the most significant bit of the
//! stripe's first byte. A black line is one such stripe of the dot-printed bits.

use super::geometry::{
    BLACK_PLANE_BYTES, COLOR_BITS, COLOR_LINE_BYTES, COLOR_PLANE_BYTES, FIRST_DOT, LINES,
    PRINTED_ROWS, STRIPE_BYTES, plane_to_panel,
};
use super::ink::ymc_levels;
use cardline_device::{ColorPanel, MonoPanel};

/// A plane of a job, in the order the planes are sent (§3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plane {
    /// Yellow: letter `B` (the complement of blue), size `SZB`.
    Yellow,
    /// Magenta: letter `G`, size `SZG`.
    Magenta,
    /// Cyan: letter `R`, size `SZR`.
    Cyan,
    /// Resin black: letter `K`, size `SZK`.
    Black,
}

impl Plane {
    /// The plane's letter in its size token and terminator.
    pub fn letter(self) -> char {
        match self {
            Plane::Yellow => 'B',
            Plane::Magenta => 'G',
            Plane::Cyan => 'R',
            Plane::Black => 'K',
        }
    }

    /// The terminator sent after the plane: `1C <letter> 3A` (not counted in its size).
    pub fn terminator(self) -> [u8; 3] {
        [0x1C, self.letter() as u8, b':']
    }
}

/// Sets bit `dot` (MSB first) of a stripe.
fn set_dot(stripe: &mut [u8], dot: usize) {
    stripe[dot / 8] |= 0x80 >> (dot % 8);
}

/// Which way a page's image lies on its planes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// As §3 says: landscape (x, y) on plane line 1015 − x, dot 15 + y (the front).
    Upright,
    /// Turned by 180° within the printed area: landscape (x, y) on plane line x, dot 655 − y —
    /// how Gutenprint sends the back page of a duplex card (\[FIX\], docs/magicard-protocol.md
    /// §7), so cardline's back pages lie as Gutenprint's do.
    Turned,
}

impl Turn {
    /// The plane position whose content is shown at (`line`, `dot`) when turned (its own
    /// position when upright); margins stay margins.
    pub fn source(self, line: usize, dot: usize) -> (usize, usize) {
        match self {
            Turn::Upright => (line, dot),
            Turn::Turned if (FIRST_DOT..FIRST_DOT + PRINTED_ROWS).contains(&dot) => {
                (LINES - 1 - line, 2 * FIRST_DOT + PRINTED_ROWS - 1 - dot)
            }
            Turn::Turned => (LINES - 1 - line, dot),
        }
    }
}

/// The panel dots of plane line `line` for a panel `dots` wide, laid `turn`: `(plane dot,
/// panel x, panel y)` for every printed dot.
fn line_dots(line: usize, dots: usize, turn: Turn) -> impl Iterator<Item = (usize, usize, usize)> {
    (FIRST_DOT..FIRST_DOT + PRINTED_ROWS).filter_map(move |dot| {
        let (from_line, from_dot) = turn.source(line, dot);
        let (px, py) = plane_to_panel(from_line, from_dot, dots)?;
        Some((dot, px, py))
    })
}

/// Encodes a colour panel into the native yellow, magenta and cyan planes, rotated (§3) and
/// converted to ink levels ([`super::ink`]). The panel is 641 dots wide (every dot printed)
/// or 648 (rows 641‥647 cropped), as [`super::geometry::check_image`] allows.
pub fn encode_color(panel: &ColorPanel, turn: Turn) -> [Vec<u8>; 3] {
    let mut planes = [
        vec![0u8; COLOR_PLANE_BYTES],
        vec![0u8; COLOR_PLANE_BYTES],
        vec![0u8; COLOR_PLANE_BYTES],
    ];
    let dots = panel.geometry().dots;
    for line in 0..LINES {
        let at = line * COLOR_LINE_BYTES;
        for (dot, px, py) in line_dots(line, dots, turn) {
            let levels = ymc_levels(panel.get(px, py));
            for (plane, level) in planes.iter_mut().zip(levels) {
                if level == 0 {
                    continue;
                }
                let out = &mut plane[at..at + COLOR_LINE_BYTES];
                for bit in 0..COLOR_BITS {
                    if level & (1 << bit) != 0 {
                        set_dot(&mut out[bit * STRIPE_BYTES..(bit + 1) * STRIPE_BYTES], dot);
                    }
                }
            }
        }
    }
    planes
}

/// Encodes a resin black panel into the native black plane (1 bit per dot, rotated as §3,
/// and turned by 180° for a `Turned` page).
pub fn encode_black(panel: &MonoPanel, turn: Turn) -> Vec<u8> {
    let mut plane = vec![0u8; BLACK_PLANE_BYTES];
    let dots = panel.geometry().dots;
    for line in 0..LINES {
        let out = &mut plane[line * STRIPE_BYTES..(line + 1) * STRIPE_BYTES];
        for (dot, px, py) in line_dots(line, dots, turn) {
            if panel.get(px, py) {
                set_dot(out, dot);
            }
        }
    }
    plane
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::geometry::landscape_to_plane;

    #[test]
    fn one_black_dot_lands_on_one_bit() {
        let mut k = MonoPanel::blank();
        // Panel (647, 0) is the landscape top-left: plane line 1015, dot 15.
        k.set(647, 0, true);
        let plane = encode_black(&k, Turn::Upright);
        let set: Vec<usize> = (0..plane.len() * 8)
            .filter(|i| plane[i / 8] & (0x80 >> (i % 8)) != 0)
            .collect();
        assert_eq!(set, vec![1015 * 672 + 15]);
    }

    #[test]
    fn a_colour_level_is_spread_over_the_six_stripes() {
        let mut c = ColorPanel::filled([255, 255, 255]);
        // Landscape (10, 20): R = 255 (no cyan), G = 0 (magenta 63), B = 128 (yellow 31 = 0b011111).
        let (px, py) = (647 - 20, 10);
        c.set(px, py, [255, 0, 128]);
        let [y, m, cyan] = encode_color(&c, Turn::Upright);
        let (line, dot) = landscape_to_plane(10, 20).unwrap();
        assert_eq!((line, dot), (1005, 35));
        let bit = |plane: &[u8], stripe: usize| {
            plane[line * 504 + stripe * 84 + dot / 8] & (0x80 >> (dot % 8)) != 0
        };
        for stripe in 0..6 {
            assert_eq!(bit(&y, stripe), stripe < 5, "yellow stripe {stripe}");
            assert!(bit(&m, stripe), "magenta stripe {stripe}");
            assert!(!bit(&cyan, stripe));
        }
        assert_eq!(y.iter().map(|b| b.count_ones()).sum::<u32>(), 5);
        assert_eq!(m.iter().map(|b| b.count_ones()).sum::<u32>(), 6);
        assert!(cyan.iter().all(|&b| b == 0));
    }

    #[test]
    fn a_native_panel_prints_its_first_and_last_dot() {
        use crate::job::geometry::NATIVE;
        let mut k = MonoPanel::blank_at(NATIVE);
        k.set(0, 0, true); // landscape (0, 640): the last printed row, plane dot 655
        k.set(640, 1015, true); // landscape (1015, 0): plane line 0, dot 15
        let set = |plane: Vec<u8>| -> Vec<usize> {
            (0..plane.len() * 8)
                .filter(|i| plane[i / 8] & (0x80 >> (i % 8)) != 0)
                .collect()
        };
        assert_eq!(
            set(encode_black(&k, Turn::Upright)),
            vec![15, 1015 * 672 + 655]
        );
        // Turned by 180°: landscape (0, 640) lands where (1015, 0) would, and the reverse.
        let mut one = MonoPanel::blank_at(NATIVE);
        one.set(0, 0, true);
        assert_eq!(set(encode_black(&one, Turn::Turned)), vec![15]);
        assert_eq!(
            Turn::Turned.source(3, 14),
            (1012, 14),
            "margins stay margins"
        );
    }

    #[test]
    fn terminators_name_the_plane() {
        assert_eq!(Plane::Yellow.terminator(), *b"\x1cB:");
        assert_eq!(Plane::Black.terminator(), *b"\x1cK:");
    }
}
