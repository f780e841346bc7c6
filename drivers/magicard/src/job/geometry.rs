//! Plane geometry and the rotation between cardline's panels and Magicard's planes
//! (`docs/magicard-protocol.md` §3).
//!
//! Three coordinate systems meet here:
//!
//! * the **landscape card** as a person sees it: column *x* ∈ 0‥1015 from the left, row
//!   *y* ∈ 0‥647 from the top (1016 × 648 dots at 300 dpi);
//! * cardline's **panels** ([`cardline_device::CardImage`]): *W* dots × 1016 lines, the landscape
//!   card turned 90° clockwise, so landscape (x, y) is panel dot `W − 1 − y` of panel line `x`
//!   (the convention of the card face renderer, `issuance/src/face/canvas.rs`). *W* is 641 for a
//!   card face rendered at the Magicard's own geometry ([`NATIVE`], what
//!   [`capabilities_for_model`](crate::capabilities_for_model) announces: every row is printed),
//!   or 648 for the ID-1 default ([`PanelGeometry::ID1_300_DPI`]: landscape rows 641‥647 fall
//!   beyond the printable height `HGT642` and are not sent);
//! * Magicard's **planes**: 672 dots × 1016 lines, landscape (x, y) is plane dot `15 + y` of
//!   plane line `1015 − x`, for y ∈ 0‥640 \[FIX\]. Dots 0‥14 and 656‥671 are margin.

use cardline_device::{CardImage, PanelGeometry, PrinterError};

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
/// Height of the landscape card in dots (the ID-1 default geometry).
pub const CARD_HEIGHT: usize = 648;

/// The Magicard's own panel geometry: the 641 printed rows × 1016 lines at 300 dpi.
pub const NATIVE: PanelGeometry = PanelGeometry {
    dots: PRINTED_ROWS,
    lines: LINES,
    dpi: 300,
};

/// Checks that every panel of `image` has a geometry the driver maps: [`NATIVE`] (one to one)
/// or the ID-1 default (rows 641‥647 cropped). Anything else is refused before a byte is sent.
pub fn check_image(image: &CardImage) -> Result<(), PrinterError> {
    match image.geometry() {
        Ok(None) => Ok(()),
        Ok(Some(g)) if g == NATIVE || g == PanelGeometry::ID1_300_DPI => Ok(()),
        Ok(Some(g)) => Err(PrinterError::Unsupported {
            what: format!(
                "print panels of {g} (a Magicard prints {NATIVE}, and takes {} cropped to it): render the card face at the printer's geometry",
                PanelGeometry::ID1_300_DPI
            ),
        }),
        Err(why) => Err(PrinterError::Unsupported {
            what: format!("print a card whose panels disagree: {why}"),
        }),
    }
}

/// Plane (line, dot) of landscape (x, y); `None` for a row beyond the printable height.
pub fn landscape_to_plane(x: usize, y: usize) -> Option<(usize, usize)> {
    (x < CARD_WIDTH && y < PRINTED_ROWS).then(|| (LINES - 1 - x, FIRST_DOT + y))
}

/// Landscape (x, y) of a panel dot (px, py) of a panel `dots` wide.
pub fn panel_to_landscape(px: usize, py: usize, dots: usize) -> (usize, usize) {
    (py, dots - 1 - px)
}

/// Panel dot (px, py) of a panel `dots` wide printed at plane (line, dot); `None` for a
/// margin dot.
pub fn plane_to_panel(line: usize, dot: usize, dots: usize) -> Option<(usize, usize)> {
    if line >= LINES || !(FIRST_DOT..FIRST_DOT + PRINTED_ROWS.min(dots)).contains(&dot) {
        return None;
    }
    let (x, y) = (LINES - 1 - line, dot - FIRST_DOT);
    Some((dots - 1 - y, x))
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
        let id1 = CARD_HEIGHT;
        assert_eq!(plane_to_panel(1015, 15, id1), Some((647, 0)));
        assert_eq!(plane_to_panel(0, 655, id1), Some((7, 1015)));
        assert_eq!(plane_to_panel(0, 14, id1), None);
        assert_eq!(plane_to_panel(0, 656, id1), None);
        for (px, py) in [(647, 0), (7, 1015), (300, 500)] {
            let (x, y) = panel_to_landscape(px, py, id1);
            let (line, dot) = landscape_to_plane(x, y).unwrap();
            assert_eq!(plane_to_panel(line, dot, id1), Some((px, py)));
        }
        // A native panel (641 dots) prints every dot: panel dot 0 is the last printed row.
        let native = NATIVE.dots;
        assert_eq!(plane_to_panel(1015, 15, native), Some((640, 0)));
        assert_eq!(plane_to_panel(0, 655, native), Some((0, 1015)));
        assert_eq!(plane_to_panel(0, 656, native), None);
        let printed = (0..LINES)
            .flat_map(|l| (0..DOTS).map(move |d| (l, d)))
            .filter(|(l, d)| plane_to_panel(*l, *d, native).is_some())
            .count();
        assert_eq!(printed, NATIVE.area());
    }
}
