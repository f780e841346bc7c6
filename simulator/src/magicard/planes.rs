//! Image planes (docs/magicard-protocol.md §3): 672 dots × 1016 lines, the card in portrait.
//!
//! Three layouts, told apart by the header (`X-GP-8`) and the plane length:
//! 8-bit (one byte per dot, the amount of ink), native colour (6 bits per dot stored as six
//! bit-planes of 84 bytes per line, bit 0 first, first dot in the most significant bit) and
//! native black (1 bit per dot, 84 bytes per line). Every plane is decoded into an [`InkPlane`]
//! of amounts 0..=255.

/// Dots across a plane (the print head).
pub const DOTS: usize = 672;
/// Lines in a plane (the card's long edge).
pub const LINES: usize = 1016;
/// Bytes of an 8-bit plane (`X-GP-8`), also the largest plane accepted.
pub const EIGHT_BIT_PLANE: usize = DOTS * LINES;
/// Bytes of one bit-row (one bit of every dot of a line).
pub const BIT_ROW: usize = DOTS / 8;
/// Bytes of a native 6-bit colour plane.
pub const COLOR_PLANE_6BIT: usize = 6 * BIT_ROW * LINES;
/// Bytes of a native 1-bit black plane.
pub const MONO_PLANE_1BIT: usize = BIT_ROW * LINES;

/// Which plane a `SZ*` token and a terminator name (the complement colour's letter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlaneLetter {
    /// `B`: yellow.
    B,
    /// `G`: magenta.
    G,
    /// `R`: cyan.
    R,
    /// `K`: black.
    K,
}

impl PlaneLetter {
    /// The letter from its character.
    pub fn from_char(c: char) -> Option<Self> {
        match c {
            'B' => Some(Self::B),
            'G' => Some(Self::G),
            'R' => Some(Self::R),
            'K' => Some(Self::K),
            _ => None,
        }
    }

    /// The character on the wire.
    pub fn as_char(self) -> char {
        match self {
            Self::B => 'B',
            Self::G => 'G',
            Self::R => 'R',
            Self::K => 'K',
        }
    }
}

/// How a plane's bytes are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaneFormat {
    /// One byte per dot, 0 = no ink, 255 = full.
    Eight,
    /// Six bit-planes per line (native colour), 0..=63.
    Six,
    /// One bit per dot (native black).
    Mono1,
}

/// A decoded plane: the amount of ink (0 = none, 255 = full) of every dot, line by line.
#[derive(Clone, PartialEq, Eq)]
pub struct InkPlane {
    amounts: Vec<u8>,
}

impl std::fmt::Debug for InkPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "InkPlane({DOTS}x{LINES}, {} dots inked)",
            self.count_inked()
        )
    }
}

impl InkPlane {
    /// Decodes `bytes` of the given layout (their length was checked against the header).
    pub fn decode(format: PlaneFormat, bytes: &[u8]) -> Self {
        let amounts = match format {
            PlaneFormat::Eight => bytes.to_vec(),
            PlaneFormat::Six => {
                let mut out = vec![0u8; DOTS * LINES];
                for (line, chunk) in bytes.chunks_exact(6 * BIT_ROW).enumerate() {
                    for dot in 0..DOTS {
                        let mut v = 0u32;
                        for bit in 0..6 {
                            if stripe_bit(&chunk[bit * BIT_ROW..(bit + 1) * BIT_ROW], dot) {
                                v |= 1 << bit;
                            }
                        }
                        out[line * DOTS + dot] = ((v * 255 + 31) / 63) as u8;
                    }
                }
                out
            }
            PlaneFormat::Mono1 => {
                let mut out = vec![0u8; DOTS * LINES];
                for (line, row) in bytes.chunks_exact(BIT_ROW).enumerate() {
                    for dot in 0..DOTS {
                        if stripe_bit(row, dot) {
                            out[line * DOTS + dot] = 255;
                        }
                    }
                }
                out
            }
        };
        Self { amounts }
    }

    /// The amount of ink at `dot` of `line`.
    pub fn get(&self, line: usize, dot: usize) -> u8 {
        self.amounts[line * DOTS + dot]
    }

    /// Dots with any ink.
    pub fn count_inked(&self) -> usize {
        self.amounts.iter().filter(|a| **a > 0).count()
    }

    /// Mean amount over the whole plane (0..=255).
    pub fn mean(&self) -> f64 {
        self.amounts.iter().map(|a| f64::from(*a)).sum::<f64>() / self.amounts.len() as f64
    }
}

/// Bit of `dot` in a bit-row: the first dot is the most significant bit of the first byte.
fn stripe_bit(row: &[u8], dot: usize) -> bool {
    row[dot / 8] & (0x80 >> (dot % 8)) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_geometry() {
        assert_eq!(EIGHT_BIT_PLANE, 682_752);
        assert_eq!(COLOR_PLANE_6BIT, 512_064);
        assert_eq!(MONO_PLANE_1BIT, 85_344);
    }

    #[test]
    fn six_bit_planes_put_bit_zero_first_and_the_first_dot_in_the_msb() {
        let mut bytes = vec![0u8; COLOR_PLANE_6BIT];
        // line 2, dot 0 = 63 (all six bit-rows), dot 9 = 1 (bit-row 0 only), dot 671 = 32 (bit 5)
        let line = 2 * 6 * BIT_ROW;
        for bit in 0..6 {
            bytes[line + bit * BIT_ROW] |= 0x80;
        }
        bytes[line + 1] |= 0x40;
        bytes[line + 5 * BIT_ROW + 83] |= 0x01;
        let p = InkPlane::decode(PlaneFormat::Six, &bytes);
        assert_eq!(p.get(2, 0), 255);
        assert_eq!(p.get(2, 9), 4); // 1 of 63
        assert_eq!(p.get(2, 671), 130); // 32 of 63
        assert_eq!(p.count_inked(), 3);
    }

    #[test]
    fn one_bit_black_is_full_or_nothing() {
        let mut bytes = vec![0u8; MONO_PLANE_1BIT];
        bytes[BIT_ROW * 1015 + 83] = 0x01;
        let p = InkPlane::decode(PlaneFormat::Mono1, &bytes);
        assert_eq!(p.get(1015, 671), 255);
        assert_eq!(p.count_inked(), 1);
    }
}
