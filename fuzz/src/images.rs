//! Card images built from fuzz bytes (through `arbitrary`'s [`Unstructured`]), for the round
//! trips driver job → simulator: flat colours, rectangles, photographic noise, black dots and
//! overlays, on one or two sides.

use arbitrary::{Result, Unstructured};
use cardline_device::image::MONO_STRIDE;
use cardline_device::{
    CardImage, CardSide, ColorPanel, MonoPanel, Overlay, PANEL_HEIGHT, PANEL_WIDTH,
};

/// A rectangle in panel dots, clipped to the panel.
fn rect(u: &mut Unstructured<'_>) -> Result<(usize, usize, usize, usize)> {
    let x = u.int_in_range(0..=PANEL_WIDTH - 1)?;
    let y = u.int_in_range(0..=PANEL_HEIGHT - 1)?;
    let w = u.int_in_range(1..=PANEL_WIDTH - x)?;
    let h = u.int_in_range(1..=PANEL_HEIGHT - y)?;
    Ok((x, y, w, h))
}

/// A small deterministic generator for noise (xorshift64).
fn noise(seed: u64) -> impl Iterator<Item = u64> {
    let mut s = seed | 1;
    std::iter::repeat_with(move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    })
}

fn color_panel(u: &mut Unstructured<'_>) -> Result<ColorPanel> {
    let background: [u8; 3] = u.arbitrary()?;
    let mut rgb: Vec<u8> = background.repeat(PANEL_WIDTH * PANEL_HEIGHT);
    let mut paint = |x: usize, y: usize, c: [u8; 3]| {
        let i = (y * PANEL_WIDTH + x) * 3;
        rgb[i..i + 3].copy_from_slice(&c);
    };
    for _ in 0..u.int_in_range(0..=5)? {
        let (x, y, w, h) = rect(u)?;
        let c: [u8; 3] = u.arbitrary()?;
        let photo = u.ratio(1, 8)?;
        let mut dots = noise(u.arbitrary()?);
        for yy in y..y + h {
            for xx in x..x + w {
                if photo {
                    let n = dots.next().unwrap_or(0);
                    paint(xx, yy, [n as u8, (n >> 8) as u8, (n >> 16) as u8]);
                } else {
                    paint(xx, yy, c);
                }
            }
        }
    }
    Ok(ColorPanel::from_rgb(rgb).expect("panel size"))
}

fn mono_panel(u: &mut Unstructured<'_>) -> Result<MonoPanel> {
    let mut bits = vec![0u8; MONO_STRIDE * PANEL_HEIGHT];
    let mut set = |x: usize, y: usize| bits[y * MONO_STRIDE + x / 8] |= 0x80 >> (x % 8);
    for _ in 0..u.int_in_range(0..=5)? {
        let (x, y, w, h) = rect(u)?;
        let sparse = u.ratio(1, 4)?;
        let mut dots = noise(u.arbitrary()?);
        for yy in y..y + h {
            for xx in x..x + w {
                if !sparse || dots.next().unwrap_or(0).is_multiple_of(3) {
                    set(xx, yy);
                }
            }
        }
    }
    Ok(MonoPanel::from_bits(bits).expect("panel size"))
}

/// A full overlay with one rectangular hole (what every printer family can print).
fn holed_mask(u: &mut Unstructured<'_>) -> Result<MonoPanel> {
    let mut mask = MonoPanel::full();
    let (x, y, w, h) = rect(u)?;
    for yy in y..y + h {
        for xx in x..x + w {
            mask.set(xx, yy, false);
        }
    }
    Ok(mask)
}

fn side(u: &mut Unstructured<'_>, any_mask: bool) -> Result<CardSide> {
    let color = if u.ratio(3, 4)? {
        Some(color_panel(u)?)
    } else {
        None
    };
    let black = if u.ratio(2, 3)? {
        Some(mono_panel(u)?)
    } else {
        None
    };
    let overlay = match u.int_in_range(0..=2)? {
        0 => Overlay::None,
        1 => Overlay::Full,
        _ if any_mask => Overlay::Masked(mono_panel(u)?),
        _ => Overlay::Masked(holed_mask(u)?),
    };
    Ok(CardSide {
        color,
        black,
        overlay,
    })
}

/// A card image; a back side only when `duplex` allows it; masked overlays of any shape with
/// `any_mask`, else a full overlay with one rectangular hole.
pub fn card_image(u: &mut Unstructured<'_>, duplex: bool, any_mask: bool) -> Result<CardImage> {
    let front = side(u, any_mask)?;
    let back = if duplex && u.ratio(1, 3)? {
        Some(side(u, any_mask)?)
    } else {
        None
    };
    Ok(CardImage {
        front,
        back,
        label: None,
    })
}

/// The largest difference of one channel between two colour panels over the dots `keep`
/// accepts, with the first dot where it occurs.
pub fn max_color_error(
    a: &ColorPanel,
    b: &ColorPanel,
    keep: impl Fn(usize, usize) -> bool,
) -> (u8, Option<(usize, usize)>) {
    let mut worst = (0u8, None);
    for y in 0..PANEL_HEIGHT {
        for x in 0..PANEL_WIDTH {
            if !keep(x, y) {
                continue;
            }
            let (p, q) = (a.get(x, y), b.get(x, y));
            for c in 0..3 {
                let d = p[c].abs_diff(q[c]);
                if d > worst.0 {
                    worst = (d, Some((x, y)));
                }
            }
        }
    }
    worst
}

/// The first dot `keep` accepts where two mono panels differ.
pub fn first_mono_difference(
    a: &MonoPanel,
    b: &MonoPanel,
    keep: impl Fn(usize, usize) -> bool,
) -> Option<(usize, usize)> {
    (0..PANEL_HEIGHT)
        .flat_map(|y| (0..PANEL_WIDTH).map(move |x| (x, y)))
        .find(|&(x, y)| keep(x, y) && a.get(x, y) != b.get(x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_vary_with_the_bytes() {
        let a = card_image(&mut Unstructured::new(&[7; 64]), true, true).unwrap();
        let b = card_image(&mut Unstructured::new(&[200; 64]), true, true).unwrap();
        assert_ne!(a, b);
        for fill in [0u8, 7, 200, 255] {
            let simplex = card_image(&mut Unstructured::new(&[fill; 64]), false, false).unwrap();
            assert!(simplex.back.is_none(), "no back side unless duplex");
        }
    }
}
