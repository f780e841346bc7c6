//! Panel encodings (spec §1.6): YMC dye panels for `Db`, and the `Dbc` line compression of
//! 1-bit K/O panels, byte-identical in line format to the Evolis Windows driver.

use cardline_device::image::MONO_STRIDE;
use cardline_device::{ColorPanel, MonoPanel, PANEL_HEIGHT, PANEL_WIDTH};

/// Grey levels of a colour panel (§1.6 table: 32/64/128 levels = 5/6/7 bits per dot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorLevels {
    /// 32 levels, 5 bits per dot.
    L32,
    /// 64 levels, 6 bits per dot.
    #[default]
    L64,
    /// 128 levels, 7 bits per dot.
    L128,
}

impl ColorLevels {
    /// The level count sent as the `Db` parameter.
    pub fn count(self) -> u16 {
        match self {
            ColorLevels::L32 => 32,
            ColorLevels::L64 => 64,
            ColorLevels::L128 => 128,
        }
    }

    /// Bits per dot.
    pub fn bits(self) -> u32 {
        match self {
            ColorLevels::L32 => 5,
            ColorLevels::L64 => 6,
            ColorLevels::L128 => 7,
        }
    }

    /// From a level count; `None` unless 32, 64 or 128.
    pub fn from_count(levels: u16) -> Option<ColorLevels> {
        match levels {
            32 => Some(ColorLevels::L32),
            64 => Some(ColorLevels::L64),
            128 => Some(ColorLevels::L128),
            _ => None,
        }
    }

    /// Bytes of one uncompressed panel (§1.6: 411 480 / 493 776 / 576 072).
    pub fn panel_bytes(self) -> usize {
        PANEL_WIDTH * PANEL_HEIGHT * self.bits() as usize / 8
    }

    /// Quantises an 8-bit dye density (0 = no dye) to this many levels, rounding.
    pub fn quantise(self, density: u8) -> u32 {
        let max = u32::from(self.count()) - 1;
        (u32::from(density) * max + 127) / 255
    }
}

/// The Y, M and C panels of a colour image, each packed MSB-first, continuous across dots
/// (§1.6). Y = 255 − B, M = 255 − G, C = 255 − R.
pub fn encode_color(panel: &ColorPanel, levels: ColorLevels) -> [Vec<u8>; 3] {
    color_levels(panel, levels).map(|values| pack_levels(&values, levels))
}

/// Packs one quantised level per dot (the output of [`color_levels`]) MSB-first at the
/// panel's bit depth: the `Db` payload of one Y, M or C panel.
///
/// Eight dots at a time: 8 × 5/6/7 bits are exactly 5/6/7 bytes, so every group starts on a
/// byte boundary (a line of 648 dots is 81 groups) and needs no carry between groups.
pub fn pack_levels(values: &[u8], levels: ColorLevels) -> Vec<u8> {
    let bits = levels.bits() as usize;
    let mask = (1u64 << bits) - 1;
    let mut out = vec![0u8; (values.len() * bits).div_ceil(8)];
    let mut groups = out.chunks_mut(bits);
    for dots in values.chunks(8) {
        let mut acc = 0u64;
        for &v in dots {
            acc = (acc << bits) | (u64::from(v) & mask);
        }
        acc <<= 64 - bits * dots.len(); // MSB-first: the first dot in the top bits
        let group = groups.next().expect("one output group per 8 dots");
        let n = group.len();
        group.copy_from_slice(&acc.to_be_bytes()[..n]);
    }
    out
}

/// The `Dbc` payload of one Y, M or C panel (spec §1.6 "Dbc compression for Y/M/C", the
/// A5013 guide's wording — **not verified on a real printer**, hence opt-in):
/// `values` holds one quantised level per dot (0..levels), line by line.
///
/// Per line: a byte with MSB 0 is one dot (value in the low 5/6/7 bits); a byte with MSB 1
/// starts a run (value in the low bits, the next byte is the count, and each spare high bit
/// between the value and the MSB that is set adds 256 — max 767 / 511 / 255 dots at 5 / 6 / 7
/// bits); a run of count 0 blanks the rest of the line. Runs never cross a line end, and a
/// count byte of 0 is only ever sent to blank the rest of a line.
pub fn compress_color(values: &[u8], levels: ColorLevels) -> Vec<u8> {
    let mut out = Vec::new();
    for line in values.chunks(PANEL_WIDTH) {
        compress_color_line(line, levels, &mut out);
    }
    out
}

/// Appends the run-length form of one line of levels (see [`compress_color`]).
pub(crate) fn compress_color_line(line: &[u8], levels: ColorLevels, out: &mut Vec<u8>) {
    let bits = levels.bits();
    let max_run = 255 + 256 * (7 - bits) as usize;
    let used = line.iter().rposition(|&v| v != 0).map_or(0, |i| i + 1);
    let mut x = 0;
    while x < used {
        let v = line[x];
        let run = run_length(&line[x..used], v);
        x += run;
        let mut left = run;
        while left > 0 {
            if left < 3 {
                out.extend(std::iter::repeat_n(v, left));
                break;
            }
            let mut n = left.min(max_run);
            if n > 255 && n.is_multiple_of(256) {
                n -= 1; // keep the count byte non-zero
            }
            let (extra, count) = (n / 256, n % 256);
            let spare_bits = ((1u8 << extra) - 1) << bits;
            out.push(0x80 | spare_bits | v);
            out.push(count as u8);
            left -= n;
        }
    }
    if used < PANEL_WIDTH {
        out.extend_from_slice(&[0x80, 0x00]);
    }
}

/// How many leading dots of `dots` equal `v`, eight at a time while whole words match.
fn run_length(dots: &[u8], v: u8) -> usize {
    let word = u64::from_ne_bytes([v; 8]);
    let mut n = 0;
    for chunk in dots.chunks_exact(8) {
        let w = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
        if w != word {
            break;
        }
        n += 8;
    }
    n + dots[n..].iter().take_while(|&&d| d == v).count()
}

/// One quantised level per dot for each of Y, M and C (the input of [`compress_color`] and
/// [`pack_levels`]), by table lookup: one 256-entry RGB value → dye level table per panel.
pub fn color_levels(panel: &ColorPanel, levels: ColorLevels) -> [Vec<u8>; 3] {
    let n = PANEL_WIDTH * PANEL_HEIGHT;
    let mut out = [vec![0u8; n], vec![0u8; n], vec![0u8; n]];
    quantise_dots(panel.rgb(), &dye_table(levels), &mut out);
    out
}

/// RGB dots → their Y, M and C levels through `dye` (see [`dye_table`]); `out` holds one
/// level slice per dye, as long as the dots (a whole panel or one line).
pub(crate) fn quantise_dots<T: AsMut<[u8]>>(rgb: &[u8], dye: &[u8; 256], out: &mut [T; 3]) {
    let [y, m, c] = out;
    let dots = rgb
        .chunks_exact(3)
        .zip(y.as_mut().iter_mut())
        .zip(m.as_mut().iter_mut())
        .zip(c.as_mut().iter_mut());
    for (((px, y), m), c) in dots {
        *y = dye[usize::from(px[2])];
        *m = dye[usize::from(px[1])];
        *c = dye[usize::from(px[0])];
    }
}

/// RGB value (0–255) → quantised dye level (Y from B, M from G, C from R).
pub(crate) fn dye_table(levels: ColorLevels) -> [u8; 256] {
    let mut dye = [0u8; 256];
    for (v, d) in dye.iter_mut().enumerate() {
        *d = levels.quantise(255 - v as u8) as u8;
    }
    dye
}

/// The `Dbc` payload of a 1-bit panel (§1.6): per line, a count byte N and the first N bytes of
/// the 81-byte line, where N is the line length without trailing zero bytes, at least 1 — a blank
/// line is `01 00`, a full line `51` + 81 bytes. The Windows driver never uses the `00`/`FF`
/// markers, and neither does this encoder.
pub fn compress_mono(panel: &MonoPanel) -> Vec<u8> {
    let mut out = Vec::with_capacity(PANEL_HEIGHT * 2);
    for y in 0..PANEL_HEIGHT {
        let line = panel.line(y);
        let used = line.iter().rposition(|&b| b != 0).map_or(1, |i| i + 1);
        debug_assert!(used <= MONO_STRIDE);
        out.push(used as u8);
        out.extend_from_slice(&line[..used]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent reading of the guide's Y/M/C run-length format, for the round trip.
    fn expand_color(data: &[u8], levels: ColorLevels) -> Vec<u8> {
        let bits = levels.bits();
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            i += 1;
            let v = b & ((1 << bits) - 1);
            if b & 0x80 == 0 {
                out.push(v);
                continue;
            }
            let extra = ((b & 0x7F) >> bits).count_ones() as usize;
            let count = data[i] as usize + 256 * extra;
            i += 1;
            let n = if count == 0 {
                PANEL_WIDTH - out.len() % PANEL_WIDTH
            } else {
                count
            };
            out.extend(std::iter::repeat_n(v, n));
        }
        out
    }

    /// Bit-by-bit reference packer for the grouped one.
    fn pack_bit_by_bit(values: &[u8], bits: u32) -> Vec<u8> {
        let mut out = vec![0u8; (values.len() * bits as usize).div_ceil(8)];
        let mut at = 0usize;
        for &v in values {
            for b in (0..bits).rev() {
                if v >> b & 1 == 1 {
                    out[at / 8] |= 0x80 >> (at % 8);
                }
                at += 1;
            }
        }
        out
    }

    #[test]
    fn grouped_packing_matches_bit_by_bit_packing() {
        for levels in [ColorLevels::L32, ColorLevels::L64, ColorLevels::L128] {
            let max = levels.count() as usize;
            // A whole panel of varied values, and a length that is not a multiple of 8.
            let values: Vec<u8> = (0..PANEL_WIDTH * PANEL_HEIGHT)
                .map(|i| ((i * 2_654_435_761) >> 7) as u8 % max as u8)
                .collect();
            let packed = pack_levels(&values, levels);
            assert_eq!(packed.len(), levels.panel_bytes());
            assert_eq!(
                packed,
                pack_bit_by_bit(&values, levels.bits()),
                "{levels:?}"
            );
            let odd = &values[..13];
            assert_eq!(
                pack_levels(odd, levels),
                pack_bit_by_bit(odd, levels.bits())
            );
        }
    }

    #[test]
    fn colour_run_length_round_trips_at_every_depth() {
        for levels in [ColorLevels::L32, ColorLevels::L64, ColorLevels::L128] {
            let max = levels.count() as usize - 1;
            let mut values = vec![0u8; PANEL_WIDTH * PANEL_HEIGHT];
            for (i, v) in values.iter_mut().enumerate() {
                let (x, y) = (i % PANEL_WIDTH, i / PANEL_WIDTH);
                let value = match y % 5 {
                    0 => 0,                           // blank line
                    1 => max,                         // one run of 648 dots
                    2 => (x * 7 + y) % (max + 1),     // few runs
                    3 => usize::from(x < 300) * 3,    // run, then blank rest
                    _ => [9, 1, 2][(x / 256).min(2)], // runs of exactly 256
                };
                *v = value as u8;
            }
            let packed = compress_color(&values, levels);
            assert_eq!(expand_color(&packed, levels), values, "{levels:?}");
            assert!(
                packed.len() < values.len() / 4,
                "{levels:?}: {}",
                packed.len()
            );
        }
    }

    #[test]
    fn colour_runs_use_spare_bits_for_long_counts() {
        let mut values = vec![5u8; PANEL_WIDTH - 1];
        values.push(6);
        values.resize(PANEL_WIDTH * PANEL_HEIGHT, 0);
        // 647 dots of 5 at 6 bits (max run 511): 0xC5 (spare bit) 255 → 511, then 0x85 136.
        let packed = compress_color(&values, ColorLevels::L64);
        assert_eq!(&packed[..5], &[0xC5, 255, 0x85, 136, 6]);
        assert_eq!(&packed[5..7], &[0x80, 0]);
        let packed = compress_color(&values, ColorLevels::L128);
        assert_eq!(&packed[..7], &[0x85, 255, 0x85, 255, 0x85, 137, 6]);
        // Two spare bits: up to 767 → one run of 647 = 2 × 256 + 135.
        let packed = compress_color(&values, ColorLevels::L32);
        assert_eq!(&packed[..3], &[0x80 | 0x60 | 5, 135, 6]);
    }

    #[test]
    fn blank_and_full_panels_compress_like_the_windows_driver() {
        let blank = compress_mono(&MonoPanel::blank());
        assert_eq!(blank.len(), PANEL_HEIGHT * 2);
        assert!(blank.chunks(2).all(|l| l == [0x01, 0x00]));
        let full = compress_mono(&MonoPanel::full());
        assert_eq!(full.len(), 83_312);
        assert_eq!(full[0], 0x51);
        assert_eq!(full[82], 0x51);
    }

    #[test]
    fn trailing_zero_bytes_are_cut_leading_ones_kept() {
        let mut p = MonoPanel::blank();
        p.set(8 * 10 + 3, 0, true); // byte 10 of line 0
        let c = compress_mono(&p);
        assert_eq!(c[0], 11);
        assert_eq!(&c[1..11], &[0u8; 10]);
        assert_eq!(c[11], 0x10);
        assert_eq!(&c[12..14], &[0x01, 0x00]);
    }

    #[test]
    fn colour_sizes_match_the_spec_table() {
        assert_eq!(ColorLevels::L32.panel_bytes(), 411_480);
        assert_eq!(ColorLevels::L64.panel_bytes(), 493_776);
        assert_eq!(ColorLevels::L128.panel_bytes(), 576_072);
        for l in [ColorLevels::L32, ColorLevels::L64, ColorLevels::L128] {
            let [y, m, c] = encode_color(&ColorPanel::filled([255, 255, 255]), l);
            assert_eq!(y.len(), l.panel_bytes());
            assert!(y.iter().chain(&m).chain(&c).all(|&b| b == 0));
            assert_eq!(ColorLevels::from_count(l.count()), Some(l));
        }
    }

    #[test]
    fn colour_is_split_into_complementary_dyes_and_packed_msb_first() {
        // Pure blue: R=0 G=0 B=255 → Y=0, M=full, C=full.
        let [y, m, c] = encode_color(&ColorPanel::filled([0, 0, 255]), ColorLevels::L64);
        assert!(y.iter().all(|&b| b == 0));
        assert!(m.iter().all(|&b| b == 0xFF));
        assert!(c.iter().all(|&b| b == 0xFF));
        // One dot of half-density yellow at x=1 (6-bit): value 32 = 100000 at bits 6..11.
        let mut p = ColorPanel::filled([255, 255, 255]);
        p.set(1, 0, [255, 255, 127]);
        let [y, _, _] = encode_color(&p, ColorLevels::L64);
        assert_eq!(ColorLevels::L64.quantise(128), 32);
        assert_eq!(&y[..2], &[0b0000_0010, 0b0000_0000]);
        assert_eq!(ColorLevels::L32.quantise(255), 31);
        assert_eq!(ColorLevels::L128.quantise(0), 0);
    }
}
