//! The overcoat (overlay) of a side: on, off, or on with one rectangular hole (`NCT`).
//!
//! A masked [`Overlay`] (varnish where the mask has dots set) becomes `OVRON` plus one
//! `NCT x1,y1,x2,y2` hole around the dots the mask leaves clear. The hole's coordinates follow
//! Magicard's own driver, which writes user holes as *left, bottom, left + width, bottom +
//! height* (\[DOC\]; its chip preset `NCT90,295,260,450` covers the ISO/IEC 7816-2 contacts only
//! with *y* counted upwards from the bottom edge): *x* is the landscape column from the left
//! edge, *y* counts rows upwards from the bottom of the 642-row frame of `HGT642` /
//! `PCT0,0,1025,641`, ends exclusive. The alignment of that frame with the image lines is
//! \[CL\] — not verified on a printer.

use super::geometry::{CARD_WIDTH, PRINTED_ROWS, panel_to_landscape};
use super::planes::Turn;
use cardline_device::{MonoPanel, Overlay, PrinterError};

/// Rows of the overcoat frame (`HGT642`).
const FRAME_ROWS: usize = 642;

/// A hole in the overcoat: `NCT x1,y1,x2,y2` (see the module doc for the coordinates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OvercoatHole {
    /// Left edge (landscape column).
    pub x1: usize,
    /// Bottom edge (rows from the bottom of the frame).
    pub y1: usize,
    /// Right edge, exclusive.
    pub x2: usize,
    /// Top edge, exclusive.
    pub y2: usize,
}

/// What the overcoat of one side does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overcoat {
    /// `OVROFF`.
    Off,
    /// `OVRON`.
    Full,
    /// `OVRON` and `NCT…`.
    WithHole(OvercoatHole),
}

impl Overcoat {
    /// The overcoat for a side's overlay on a page laid `turn` (a turned page's hole is turned
    /// with it). A mask whose clear dots are not one filled rectangle cannot be expressed with
    /// one `NCT` hole and is refused.
    pub fn for_overlay(overlay: &Overlay, turn: Turn) -> Result<Overcoat, PrinterError> {
        match overlay {
            Overlay::None => Ok(Overcoat::Off),
            Overlay::Full => Ok(Overcoat::Full),
            Overlay::Masked(mask) => Ok(match hole_of(mask, turn)? {
                Some(hole) => Overcoat::WithHole(hole),
                None => Overcoat::Full,
            }),
        }
    }

    /// True unless the overcoat is off.
    pub fn is_on(self) -> bool {
        self != Overcoat::Off
    }
}

/// The one rectangular hole of a mask (its clear dots within the printed rows), if any.
fn hole_of(mask: &MonoPanel, turn: Turn) -> Result<Option<OvercoatHole>, PrinterError> {
    // Bounding box of the clear dots, in landscape coordinates.
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    let mut clear = 0usize;
    let g = mask.geometry();
    for py in 0..g.lines {
        for px in 0..g.dots {
            let (x, y) = panel_to_landscape(px, py, g.dots);
            if y >= PRINTED_ROWS || mask.get(px, py) {
                continue;
            }
            let (x, y) = match turn {
                Turn::Upright => (x, y),
                Turn::Turned => (CARD_WIDTH - 1 - x, PRINTED_ROWS - 1 - y),
            };
            clear += 1;
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
        }
    }
    if clear == 0 {
        return Ok(None);
    }
    if clear != (x1 - x0) * (y1 - y0) {
        return Err(PrinterError::Unsupported {
            what: format!(
                "leave an overlay mask with {clear} clear dots that are not one rectangle \
                 (landscape x {x0}‥{x1}, y {y0}‥{y1}): a Magicard overcoat hole (NCT) is a \
                 rectangle; use one rectangular hole per side"
            ),
        });
    }
    Ok(Some(OvercoatHole {
        x1: x0,
        y1: FRAME_ROWS - y1,
        x2: x1,
        y2: FRAME_ROWS - y0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::geometry::CARD_HEIGHT;

    /// A full mask with a clear landscape rectangle [x0, x1) × [y0, y1).
    fn mask_with_hole(x0: usize, y0: usize, x1: usize, y1: usize) -> MonoPanel {
        let mut m = MonoPanel::full();
        for y in y0..y1 {
            for x in x0..x1 {
                m.set(CARD_HEIGHT - 1 - y, x, false);
            }
        }
        m
    }

    #[test]
    fn chip_hole_is_counted_from_the_bottom() {
        // cardline's default chip area: landscape x 94‥260, y 200‥366.
        let o = Overcoat::for_overlay(
            &Overlay::Masked(mask_with_hole(94, 200, 260, 366)),
            Turn::Upright,
        );
        assert_eq!(
            o.unwrap(),
            Overcoat::WithHole(OvercoatHole {
                x1: 94,
                y1: 276,
                x2: 260,
                y2: 442
            })
        );
    }

    #[test]
    fn a_native_mask_gives_the_same_hole() {
        use crate::job::geometry::NATIVE;
        let mut m = MonoPanel::full_at(NATIVE);
        for y in 200..366 {
            for x in 94..260 {
                m.set(NATIVE.dots - 1 - y, x, false);
            }
        }
        let o = Overcoat::for_overlay(&Overlay::Masked(m.clone()), Turn::Upright).unwrap();
        assert_eq!(
            o,
            Overcoat::WithHole(OvercoatHole {
                x1: 94,
                y1: 276,
                x2: 260,
                y2: 442
            })
        );
        // On a turned page the hole is turned with the picture: columns 1016 − 260 ‥ 1016 − 94,
        // landscape rows 640 − 365 ‥ 640 − 200 + 1, counted from the bottom of the frame.
        let turned = Overcoat::for_overlay(&Overlay::Masked(m), Turn::Turned).unwrap();
        assert_eq!(
            turned,
            Overcoat::WithHole(OvercoatHole {
                x1: 756,
                y1: 201,
                x2: 922,
                y2: 367
            })
        );
    }

    #[test]
    fn full_masks_and_overlays_have_no_hole_and_none_is_off() {
        let up = Turn::Upright;
        let full = Overlay::Masked(MonoPanel::full());
        assert_eq!(Overcoat::for_overlay(&full, up).unwrap(), Overcoat::Full);
        assert_eq!(
            Overcoat::for_overlay(&Overlay::Full, up).unwrap(),
            Overcoat::Full
        );
        assert_eq!(
            Overcoat::for_overlay(&Overlay::None, up).unwrap(),
            Overcoat::Off
        );
        assert!(!Overcoat::Off.is_on());
    }

    #[test]
    fn two_holes_are_refused_with_a_clear_reason() {
        let mut m = mask_with_hole(10, 10, 20, 20);
        m.set(CARD_HEIGHT - 1 - 100, 500, false);
        let e = Overcoat::for_overlay(&Overlay::Masked(m), Turn::Upright).unwrap_err();
        assert!(matches!(e, PrinterError::Unsupported { .. }));
        assert!(e.to_string().contains("101 clear dots"), "{e}");
    }
}
