//! From cardline's RGB to Magicard's native 6-bit ink levels.
//!
//! A colour dot (R, G, B) becomes three ink amounts in 8 bits — yellow `255 − B`, magenta
//! `255 − G`, cyan `255 − R` (subtractive complements, as Gutenprint's 8-bit planes carry them:
//! 0 = no ink, 255 = full) — and each is scaled linearly to 6 bits with rounding:
//! `level = round(ink × 63 / 255)`, 0‥63. No gamma curve and no colour correction are applied:
//! the amount of ink is proportional to the darkness of the channel, exactly as in the 8-bit
//! planes Gutenprint hands to its backend (docs/printer-driver.md, "Magicard colour
//! conversion").

/// The highest 6-bit ink level (full ink).
pub const MAX_LEVEL: u8 = 63;

/// The 6-bit ink level for an 8-bit channel value (255 = white = no ink).
pub const fn ink_level(channel: u8) -> u8 {
    let ink = 255 - channel as u32;
    ((ink * MAX_LEVEL as u32 + 127) / 255) as u8
}

/// The three ink levels (Y, M, C) of an RGB dot.
pub const fn ymc_levels(rgb: [u8; 3]) -> [u8; 3] {
    [ink_level(rgb[2]), ink_level(rgb[1]), ink_level(rgb[0])]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_is_no_ink_black_is_full_and_the_scale_rounds() {
        assert_eq!(ink_level(255), 0);
        assert_eq!(ink_level(0), 63);
        assert_eq!(ink_level(128), 31); // 127 × 63 / 255 = 31.4
        assert_eq!(ink_level(127), 32); // 128 × 63 / 255 = 31.6
        assert_eq!(ink_level(253), 0); // 2 × 63 / 255 = 0.49
        assert_eq!(ink_level(252), 1); // 3 × 63 / 255 = 0.74
        assert_eq!(ymc_levels([255, 0, 255]), [0, 63, 0]); // magenta
        assert_eq!(ymc_levels([255, 255, 0]), [63, 0, 0]); // yellow
        for c in 0..=255u8 {
            let exact = (255.0 - f64::from(c)) * 63.0 / 255.0;
            assert!((f64::from(ink_level(c)) - exact).abs() <= 0.5, "{c}");
        }
    }
}
