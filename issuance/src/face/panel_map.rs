//! [`PanelMap`]: where the landscape design (1016 × 648 dots) lands on a printer's portrait
//! panels of any [`PanelGeometry`].
//!
//! The design is turned 90° clockwise (its top edge runs down the panel's right side) and, when
//! the printer's panel is not 648 dots × 1016 lines, resampled to it by the nearest design dot:
//! panel row *r* (counted from the design's top) shows design row
//! `⌊(r + ½) × 648 / dots⌋`, panel line *l* design column `⌊(l + ½) × 1016 / lines⌋`. A
//! Magicard's 641 printed rows thus drop 7 of the 648 design rows, spread evenly down the card
//! (rows 46, 138, 231, 323, 416, 509, 601), instead of cutting the bottom 7 off; Gutenprint
//! fits its page the same way (docs/magicard-protocol.md §3). At the ID-1 geometry the map is
//! the plain rotation: design (x, y) is panel (647 − y, x), dot for dot.

use cardline_device::PanelGeometry;

use super::design::{DESIGN_HEIGHT, DESIGN_WIDTH};

/// The design dot of every panel dot of one geometry, and back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelMap {
    geometry: PanelGeometry,
    /// Design row of panel row r (r = 0 is the design's top, panel dot `dots − 1`).
    rows: Vec<u32>,
    /// Design column of panel line l.
    cols: Vec<u32>,
    /// Panel row showing design row y, if any.
    row_of: Vec<Option<usize>>,
    /// Panel line showing design column x, if any.
    col_of: Vec<Option<usize>>,
}

/// The source index of destination `i` of `dst` when `src` items are fitted into `dst`.
fn nearest(i: usize, src: usize, dst: usize) -> usize {
    (((2 * i + 1) * src) / (2 * dst)).min(src - 1)
}

/// The destination showing each source index (the last one, when several do).
fn inverse(map: &[u32], src: usize) -> Vec<Option<usize>> {
    let mut inv = vec![None; src];
    for (dst, s) in map.iter().enumerate() {
        inv[*s as usize] = Some(dst);
    }
    inv
}

impl PanelMap {
    /// The map onto panels of `geometry`.
    pub fn new(geometry: PanelGeometry) -> PanelMap {
        let (h, w) = (DESIGN_HEIGHT as usize, DESIGN_WIDTH as usize);
        let rows: Vec<u32> = (0..geometry.dots)
            .map(|r| nearest(r, h, geometry.dots) as u32)
            .collect();
        let cols: Vec<u32> = (0..geometry.lines)
            .map(|l| nearest(l, w, geometry.lines) as u32)
            .collect();
        PanelMap {
            geometry,
            row_of: inverse(&rows, h),
            col_of: inverse(&cols, w),
            rows,
            cols,
        }
    }

    /// The panels' geometry.
    pub fn geometry(&self) -> PanelGeometry {
        self.geometry
    }

    /// True when every design dot has its own panel dot (the ID-1 geometry).
    pub fn is_identity(&self) -> bool {
        self.geometry.dots == DESIGN_HEIGHT as usize && self.geometry.lines == DESIGN_WIDTH as usize
    }

    /// The design dot shown at panel dot (`px`, `py`).
    pub fn design_of(&self, px: usize, py: usize) -> (u32, u32) {
        (self.cols[py], self.rows[self.geometry.dots - 1 - px])
    }

    /// The panel dot showing design dot (`x`, `y`); `None` for a dot the resampling drops (or
    /// outside the design).
    pub fn panel_of(&self, x: u32, y: u32) -> Option<(usize, usize)> {
        let line = (*self.col_of.get(x as usize)?)?;
        let row = (*self.row_of.get(y as usize)?)?;
        Some((self.geometry.dots - 1 - row, line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id1_map_is_the_plain_rotation() {
        let m = PanelMap::new(PanelGeometry::ID1_300_DPI);
        assert!(m.is_identity());
        for (x, y) in [(0, 0), (1015, 647), (94, 200), (500, 300)] {
            let (px, py) = m.panel_of(x, y).unwrap();
            assert_eq!((px, py), (647 - y as usize, x as usize));
            assert_eq!(m.design_of(px, py), (x, y));
        }
    }

    #[test]
    fn a_magicard_panel_drops_seven_rows_spread_down_the_card() {
        let g = PanelGeometry::new(641, 1016, 300).unwrap();
        let m = PanelMap::new(g);
        assert!(!m.is_identity());
        let dropped: Vec<u32> = (0..648).filter(|y| m.panel_of(0, *y).is_none()).collect();
        assert_eq!(dropped, [46, 138, 231, 323, 416, 509, 601]);
        // Top and bottom rows of the design are both printed: the top on the last dot.
        assert_eq!(m.panel_of(0, 0), Some((640, 0)));
        assert_eq!(m.panel_of(1015, 647), Some((0, 1015)));
        for px in 0..641 {
            let (x, y) = m.design_of(px, 7);
            assert_eq!(m.panel_of(x, y), Some((px, 7)));
        }
    }
}
