//! The native plane encoder on small synthetic images: a known landscape dot lands on known bit
//! positions (`docs/magicard-protocol.md` §3), checked with byte offsets computed here by hand.

use cardline_device::{ColorPanel, MonoPanel};
use cardline_magicard::job::planes::{Turn, encode_black, encode_color};

/// Panel dot (px, py) of landscape (x, y): cardline's panels are the landscape card turned 90°
/// clockwise (issuance's `design_to_panel`).
fn panel(x: usize, y: usize) -> (usize, usize) {
    (647 - y, x)
}

/// Every set bit of a plane as (byte offset, bit from the top).
fn set_bits(plane: &[u8]) -> Vec<(usize, u8)> {
    let mut out = Vec::new();
    for (i, &b) in plane.iter().enumerate() {
        for bit in 0..8 {
            if b & (0x80 >> bit) != 0 {
                out.push((i, bit));
            }
        }
    }
    out
}

#[test]
fn black_corners_land_on_the_documented_lines_and_dots() {
    let mut k = MonoPanel::blank();
    for (x, y) in [(0, 0), (1015, 0), (0, 640), (1015, 640), (508, 321)] {
        let (px, py) = panel(x, y);
        k.set(px, py, true);
    }
    // Rows 641‥647 are beyond HGT642: not printed.
    let (px, py) = panel(3, 645);
    k.set(px, py, true);
    let bits = set_bits(&encode_black(&k, Turn::Upright));
    // line = 1015 − x, dot = 15 + y; byte = line × 84 + dot / 8, bit = dot % 8.
    let at = |line: usize, dot: usize| (line * 84 + dot / 8, (dot % 8) as u8);
    let mut expected = vec![
        at(1015, 15),
        at(0, 15),
        at(1015, 655),
        at(0, 655),
        at(507, 336),
    ];
    expected.sort();
    assert_eq!(bits, expected);
    assert_eq!(at(1015, 15), (85_261, 7));
}

#[test]
fn colour_levels_split_into_bit_stripes_per_ink() {
    let mut c = ColorPanel::filled([255, 255, 255]);
    // (x 2, y 0): pure yellow = R 255, G 255, B 0 → yellow level 63, nothing else.
    let (px, py) = panel(2, 0);
    c.set(px, py, [255, 255, 0]);
    // (x 2, y 1): cyan ink level 1 (R = 252: 3 × 63 / 255 = 0.74 → 1).
    let (px, py) = panel(2, 1);
    c.set(px, py, [252, 255, 255]);
    // (x 2, y 2): magenta level 32 (G = 125: 130 × 63 / 255 = 32.1 → 32 = bit 5 only).
    let (px, py) = panel(2, 2);
    c.set(px, py, [255, 125, 255]);
    let [y, m, cyan] = encode_color(&c, Turn::Upright);
    // Line 1013 starts at byte 1013 × 504; stripe j at + j × 84; dots 15, 16, 17 are byte 1 and
    // byte 2 of the stripe (bits 7, 0 and 1).
    let line = 1013 * 504;
    assert_eq!(
        set_bits(&y),
        (0..6).map(|j| (line + j * 84 + 1, 7)).collect::<Vec<_>>()
    );
    assert_eq!(set_bits(&cyan), vec![(line + 2, 0)]);
    assert_eq!(set_bits(&m), vec![(line + 5 * 84 + 2, 1)]);
}

#[test]
fn a_white_card_is_all_zero_and_a_black_card_fills_only_the_printed_dots() {
    let [y, m, c] = encode_color(&ColorPanel::filled([255, 255, 255]), Turn::Upright);
    assert!(y.iter().chain(&m).chain(&c).all(|&b| b == 0));
    let [y, _, _] = encode_color(&ColorPanel::filled([0, 0, 0]), Turn::Upright);
    for line in [0, 500, 1015] {
        for stripe in 0..6 {
            let s = &y[line * 504 + stripe * 84..line * 504 + (stripe + 1) * 84];
            // Dots 15‥655 set: byte 1 = 0b0000_0001, bytes 2‥81 full, byte 81 = dots 648‥655.
            assert_eq!(s[0], 0);
            assert_eq!(s[1], 0x01);
            assert!(s[2..82].iter().all(|&b| b == 0xFF));
            assert_eq!(s[82], 0);
            assert_eq!(s[83], 0);
        }
    }
}
