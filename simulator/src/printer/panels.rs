//! Panel bitmaps as the printer receives them (spec §1.6): raw `Db` packing and the `Dbc`
//! compressions, decoded from the device side.
//!
//! * Geometry: 648 dots × 1016 lines, line by line.
//! * Raw: `bpp` bits per dot (1 for 2 levels, 5/6/7/8 for 32/64/128/256), MSB first, packed
//!   continuously across dots and lines.
//! * `Dbc` K/O: per line a count byte: `0x00` blank line, `0xFF` full line, `N` in 1..=81 =
//!   N bytes of the bit-packed line follow, the rest is blank.
//! * `Dbc` Y/M/C (guide wording, no trace available): a byte with MSB 0 is one dot (value in the
//!   low bits); MSB 1 starts a run (value in the low bits, next byte = count, each spare high
//!   bit adds 256 to the count); a run of count 0 blanks the rest of the line.

use cardline_device::image::MONO_STRIDE;
use cardline_device::{MonoPanel, PANEL_HEIGHT, PANEL_WIDTH};

const DOTS: usize = PANEL_WIDTH * PANEL_HEIGHT;
/// Dots per panel in the A5013 guide's size table (its sizes do not match 648 × 1016).
const GUIDE_DOTS: usize = 676_992;

/// One of the five panels of a YMCKO ribbon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PanelKind {
    /// Yellow dye.
    Yellow,
    /// Magenta dye.
    Magenta,
    /// Cyan dye.
    Cyan,
    /// Resin black.
    Black,
    /// Overlay varnish.
    Overlay,
}

impl PanelKind {
    /// Parses the panel letter of `Db`/`Dbc`/`Wcb` (`y m c k o`).
    pub fn from_letter(s: &str) -> Option<Self> {
        Some(match s {
            "y" => Self::Yellow,
            "m" => Self::Magenta,
            "c" => Self::Cyan,
            "k" => Self::Black,
            "o" => Self::Overlay,
            _ => return None,
        })
    }

    /// True for K and O (1-bit panels).
    pub fn is_mono(self) -> bool {
        matches!(self, Self::Black | Self::Overlay)
    }
}

/// Bits per dot for a level count, `None` for an unsupported count.
pub fn bits_per_dot(levels: usize) -> Option<usize> {
    Some(match levels {
        2 => 1,
        32 => 5,
        64 => 6,
        128 => 7,
        256 => 8,
        _ => return None,
    })
}

/// Bytes of an uncompressed 648 × 1016 panel.
pub fn raw_panel_len(levels: usize) -> Option<usize> {
    bits_per_dot(levels).map(|b| (DOTS * b).div_ceil(8))
}

/// Bytes of an uncompressed panel in the A5013 guide's table (accepted too).
pub fn guide_panel_len(levels: usize) -> Option<usize> {
    bits_per_dot(levels).map(|b| (GUIDE_DOTS * b).div_ceil(8))
}

/// Bytes of `lines` uncompressed lines (`Dbp`).
pub fn raw_lines_len(levels: usize, lines: usize) -> Option<usize> {
    (lines <= PANEL_HEIGHT)
        .then_some(())
        .and(bits_per_dot(levels))
        .map(|b| (lines * PANEL_WIDTH * b).div_ceil(8))
}

/// Why a panel could not be decoded. The printer answers `ERROR PARAMETERS`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PanelError {
    /// The level count is not one the printer supports for this panel.
    #[error("unsupported level count {levels} for this panel")]
    Levels {
        /// The level count received.
        levels: usize,
    },
    /// The payload is shorter than the geometry needs.
    #[error("payload too short: {got} bytes, need {need}")]
    Short {
        /// Bytes received.
        got: usize,
        /// Bytes needed.
        need: usize,
    },
    /// A compressed line is malformed.
    #[error("compressed data malformed at line {line}, offset {offset}")]
    Compressed {
        /// The panel line.
        line: usize,
        /// Byte offset in the payload.
        offset: usize,
    },
    /// The compressed data holds more than 1016 lines.
    #[error("compressed data continues after line {PANEL_HEIGHT}")]
    TooManyLines,
    /// A partial download starts outside the panel.
    #[error("start line {start} outside the panel")]
    StartLine {
        /// The start line received.
        start: usize,
    },
}

/// A colour panel: one dye density value per dot, `0..levels`.
#[derive(Clone, PartialEq, Eq)]
pub struct DensityPanel {
    levels: usize,
    values: Vec<u8>,
}

impl std::fmt::Debug for DensityPanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DensityPanel({} levels)", self.levels)
    }
}

impl DensityPanel {
    /// A panel with no dye.
    pub fn blank(levels: usize) -> Self {
        Self {
            levels,
            values: vec![0; DOTS],
        }
    }

    /// The level count it was sent with.
    pub fn levels(&self) -> usize {
        self.levels
    }

    /// The raw value (0..levels) at (`x`, `y`).
    pub fn value(&self, x: usize, y: usize) -> u8 {
        self.values[y * PANEL_WIDTH + x]
    }

    /// The density at (`x`, `y`) scaled to 0..=255.
    pub fn density(&self, x: usize, y: usize) -> u8 {
        let max = (self.levels - 1).max(1) as u32;
        ((self.value(x, y) as u32 * 255 + max / 2) / max) as u8
    }

    /// Number of dots with any dye.
    pub fn count_inked(&self) -> usize {
        self.values.iter().filter(|v| **v != 0).count()
    }
}

/// A decoded panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodedPanel {
    /// K or O (1 bit per dot).
    Mono(MonoPanel),
    /// Y, M or C.
    Density(DensityPanel),
}

/// Reads `bpp`-bit values MSB first from `data`, continuously.
fn unpack(data: &[u8], bpp: usize, count: usize, out: &mut [u8]) {
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut bytes = data.iter();
    let mask = (1u32 << bpp) - 1;
    for slot in out.iter_mut().take(count) {
        while bits < bpp {
            acc = (acc << 8) | *bytes.next().unwrap_or(&0) as u32;
            bits += 8;
        }
        bits -= bpp;
        *slot = ((acc >> bits) & mask) as u8;
        acc &= (1 << bits) - 1;
    }
}

/// Decodes an uncompressed `Db` payload (standard or guide size).
pub fn decode_raw(kind: PanelKind, levels: usize, data: &[u8]) -> Result<DecodedPanel, PanelError> {
    let bpp = check_levels(kind, levels)?;
    let need = raw_panel_len(levels).unwrap_or(0);
    if data.len() < need {
        return Err(PanelError::Short {
            got: data.len(),
            need,
        });
    }
    if kind.is_mono() {
        let bits = data[..DOTS / 8].to_vec();
        return Ok(DecodedPanel::Mono(
            MonoPanel::from_bits(bits).expect("exact size"),
        ));
    }
    let mut panel = DensityPanel::blank(levels);
    unpack(data, bpp, DOTS, &mut panel.values);
    Ok(DecodedPanel::Density(panel))
}

/// Writes `lines` uncompressed lines from `start` into `panel` (`Dbp`).
pub fn decode_raw_lines(
    panel: &mut DensityPanel,
    start: usize,
    lines: usize,
    data: &[u8],
) -> Result<(), PanelError> {
    let bpp = bits_per_dot(panel.levels).ok_or(PanelError::Levels {
        levels: panel.levels,
    })?;
    if start + lines > PANEL_HEIGHT {
        return Err(PanelError::StartLine { start });
    }
    let from = start * PANEL_WIDTH;
    unpack(data, bpp, lines * PANEL_WIDTH, &mut panel.values[from..]);
    Ok(())
}

fn check_levels(kind: PanelKind, levels: usize) -> Result<usize, PanelError> {
    match bits_per_dot(levels) {
        Some(1) if kind.is_mono() => Ok(1),
        Some(b) if !kind.is_mono() => Ok(b),
        _ => Err(PanelError::Levels { levels }),
    }
}

/// Decodes a `Dbc` K/O payload (line count bytes, spec §1.6).
pub fn decode_mono_dbc(data: &[u8]) -> Result<MonoPanel, PanelError> {
    let mut bits = vec![0u8; MONO_STRIDE * PANEL_HEIGHT];
    let mut at = 0;
    let mut line = 0;
    while at < data.len() {
        if line == PANEL_HEIGHT {
            return Err(PanelError::TooManyLines);
        }
        let count = data[at] as usize;
        let dst = &mut bits[line * MONO_STRIDE..(line + 1) * MONO_STRIDE];
        at += 1;
        match count {
            0 => {}
            0xFF => dst.fill(0xFF),
            n if n <= MONO_STRIDE => {
                let Some(src) = data.get(at..at + n) else {
                    return Err(PanelError::Short {
                        got: data.len(),
                        need: at + n,
                    });
                };
                dst[..n].copy_from_slice(src);
                at += n;
            }
            _ => {
                return Err(PanelError::Compressed {
                    line,
                    offset: at - 1,
                });
            }
        }
        line += 1;
    }
    Ok(MonoPanel::from_bits(bits).expect("exact size"))
}

/// Decodes a `Dbc` Y/M/C payload (pixel run-length, spec §1.6) starting at line `start`.
pub fn decode_color_dbc(
    panel: &mut DensityPanel,
    start: usize,
    data: &[u8],
) -> Result<(), PanelError> {
    let bpp = match bits_per_dot(panel.levels) {
        Some(b @ 5..=7) => b,
        _ => {
            return Err(PanelError::Levels {
                levels: panel.levels,
            });
        }
    };
    if start >= PANEL_HEIGHT {
        return Err(PanelError::StartLine { start });
    }
    let value_mask = (1u8 << bpp) - 1;
    let spare_bits = 7 - bpp;
    let mut dot = start * PANEL_WIDTH;
    let mut at = 0;
    while at < data.len() {
        let b = data[at];
        at += 1;
        if dot >= DOTS {
            return Err(PanelError::TooManyLines);
        }
        let value = b & value_mask;
        if b & 0x80 == 0 {
            panel.values[dot] = value;
            dot += 1;
            continue;
        }
        let Some(&count_byte) = data.get(at) else {
            return Err(PanelError::Short {
                got: data.len(),
                need: at + 1,
            });
        };
        at += 1;
        let extra = ((b >> bpp) & ((1u8 << spare_bits) - 1)).count_ones() as usize * 256;
        let count = count_byte as usize + extra;
        let line_end = (dot / PANEL_WIDTH + 1) * PANEL_WIDTH;
        if count == 0 {
            panel.values[dot..line_end].fill(0);
            dot = line_end;
            continue;
        }
        if dot + count > DOTS {
            return Err(PanelError::Compressed {
                line: dot / PANEL_WIDTH,
                offset: at - 2,
            });
        }
        panel.values[dot..dot + count].fill(value);
        dot += count;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_spec_table() {
        assert_eq!(raw_panel_len(2), Some(82_296));
        assert_eq!(raw_panel_len(32), Some(411_480));
        assert_eq!(raw_panel_len(64), Some(493_776));
        assert_eq!(raw_panel_len(128), Some(576_072));
        assert_eq!(guide_panel_len(2), Some(84_624));
        assert_eq!(guide_panel_len(128), Some(592_368));
        assert_eq!(raw_panel_len(3), None);
    }

    #[test]
    fn unpack_five_bits_msb_first() {
        // values 1, 2, 31 → 00001 00010 11111 (pad 0) = 0000_1000 1011_1110
        let mut out = [0u8; 3];
        unpack(&[0x08, 0xBE], 5, 3, &mut out);
        assert_eq!(out, [1, 2, 31]);
    }

    #[test]
    fn mono_dbc_line_kinds() {
        let mut data = vec![0x00, 0xFF, 0x02, 0x80, 0x01];
        data.extend(std::iter::repeat_n(0x00, PANEL_HEIGHT - 3));
        let p = decode_mono_dbc(&data).unwrap();
        assert_eq!(p.line(0), &[0u8; 81][..]);
        assert_eq!(p.line(1), &[0xFFu8; 81][..]);
        assert!(p.get(0, 2) && p.get(15, 2) && !p.get(14, 2));
        assert_eq!(p.count_set(), 648 + 2);
        assert!(decode_mono_dbc(&[82]).is_err());
        assert!(decode_mono_dbc(&vec![0u8; PANEL_HEIGHT + 1]).is_err());
    }

    #[test]
    fn color_dbc_runs_and_line_blank() {
        let mut p = DensityPanel::blank(64);
        // 6-bit: run of value 5 with spare bit set → count 10 + 256 = 266; single dot 7;
        // then blank rest of the line
        decode_color_dbc(&mut p, 0, &[0x80 | 0x40 | 5, 10, 7, 0x80, 0]).unwrap();
        assert_eq!(p.value(265, 0), 5);
        assert_eq!(p.value(266, 0), 7);
        assert_eq!(p.value(267, 0), 0);
        assert_eq!(p.count_inked(), 267);
        assert_eq!(p.density(0, 0) as u32, (5 * 255 + 31) / 63);
    }
}
