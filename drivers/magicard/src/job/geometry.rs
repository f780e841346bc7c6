//! Plane geometry and the rotation between cardline's panels and Magicard's planes
//! (`docs/magicard-protocol.md` §3).
//!
//! Three coordinate systems meet here:
//!
//! * the **landscape card** as a person sees it: column *x* ∈ 0‥1015 from the left, row
//!   *y* ∈ 0‥647 from the top (1016 × 648 dots at 300 dpi);
//! * cardline's **panels** ([`cardline_device::CardImage`]): 648 dots × 1016 lines, the landscape
//!   card turned 90° clockwise, so landscape (x, y) is panel dot `647 − y` of panel line `x` (the
//!   convention of the card face renderer, `issuance/src/face/canvas.rs` `design_to_panel`);
//! * Magicard's **planes**: 672 dots × 1016 lines, landscape (x, y) is plane dot `15 + y` of
//!   plane line `1015 − x`, for y ∈ 0‥640 \[FIX\]. Dots 0‥14 and 656‥671 are margin; landscape rows
//!   641‥647 fall beyond the printable height (`HGT642`) and are not sent.

/// Lines of a plane (the long edge of the card).
pub const LINES: usize = 1016;
/// Dots of a plane line (across the head).
pub const DOTS: usize = 672;
/// Bytes of one bit stripe of a line: 672 dots, one bit each.
pub const STRIPE_BYTES: usize = DOTS / 8;
/// Bits per dot of a colour plane in the native format.
pub const COLOR_BITS: usize = 6;
/// Bytes of one native colour line: 6 stripes of 84 bytes.
pub const COLOR_LINE_BYTES: usize = COLOR_BITS * STRIPE_BYTES;
/// Bytes of one native colour plane (`SZB`/`SZG`/`SZR`).
pub const COLOR_PLANE_BYTES: usize = LINES * COLOR_LINE_BYTES;
/// Bytes of one native black plane (`SZK`): 1 bit per dot.
pub const BLACK_PLANE_BYTES: usize = LINES * STRIPE_BYTES;
/// The plane dot of landscape row 0.
pub const FIRST_DOT: usize = 15;
/// Landscape rows that are printed (0‥640).
pub const PRINTED_ROWS: usize = 641;
/// Width of the landscape card in dots.
pub const CARD_WIDTH: usize = 1016;
/// Height of the landscape card in dots.
pub const CARD_HEIGHT: usize = 648;

/// Plane (line, dot) of landscape (x, y); `None` for a row beyond the printable height.
pub fn landscape_to_plane(x: usize, y: usize) -> Option<(usize, usize)> {
    (x < CARD_WIDTH && y < PRINTED_ROWS).then(|| (LINES - 1 - x, FIRST_DOT + y))
}

/// Landscape (x, y) of a panel dot (px, py) of a [`cardline_device::CardImage`].
pub fn panel_to_landscape(px: usize, py: usize) -> (usize, usize) {
    (py, CARD_HEIGHT - 1 - px)
}

/// Panel dot (px, py) printed at plane (line, dot); `None` for a margin dot.
pub fn plane_to_panel(line: usize, dot: usize) -> Option<(usize, usize)> {
    if line >= LINES || !(FIRST_DOT..FIRST_DOT + PRINTED_ROWS).contains(&dot) {
        return None;
    }
    let (x, y) = (LINES - 1 - line, dot - FIRST_DOT);
    Some((CARD_HEIGHT - 1 - y, x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_contract() {
        assert_eq!(COLOR_LINE_BYTES, 504);
        assert_eq!(COLOR_PLANE_BYTES, 512_064);
        assert_eq!(BLACK_PLANE_BYTES, 85_344);
    }

    #[test]
    fn corners_map_as_in_the_fixtures() {
        // The card's left edge is the last line; its top row is dot 15.
        assert_eq!(landscape_to_plane(0, 0), Some((1015, 15)));
        assert_eq!(landscape_to_plane(1015, 640), Some((0, 655)));
        assert_eq!(landscape_to_plane(0, 641), None);
        // Panel (647, 0) is landscape (0, 0); panel (7, 1015) is landscape (1015, 640).
        assert_eq!(plane_to_panel(1015, 15), Some((647, 0)));
        assert_eq!(plane_to_panel(0, 655), Some((7, 1015)));
        assert_eq!(plane_to_panel(0, 14), None);
        assert_eq!(plane_to_panel(0, 656), None);
        for (px, py) in [(647, 0), (7, 1015), (300, 500)] {
            let (x, y) = panel_to_landscape(px, py);
            let (line, dot) = landscape_to_plane(x, y).unwrap();
            assert_eq!(plane_to_panel(line, dot), Some((px, py)));
        }
    }
}
