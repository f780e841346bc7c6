//! The Y, M and C panels of a card side as they go on the wire, in one pass over the image.
//!
//! Line by line: each line of RGB dots is quantised into three line buffers that stay in the
//! first-level cache, and each buffer is appended at once to its panel's run-length `Dbc`
//! payload (or bit-packed `Db` payload). No whole-panel intermediate is allocated. A panel
//! whose run-length form grows to the raw size (photographic content) is re-encoded raw, so
//! the result is always the smaller of the two, byte-identical to
//! [`compress_color`](crate::panels::compress_color) / [`pack_levels`] over
//! [`color_levels`](crate::panels::color_levels).

use cardline_device::{ColorPanel, PANEL_WIDTH};

use crate::panels::{ColorLevels, compress_color_line, dye_table, pack_levels, quantise_dots};

/// One Y, M or C panel's payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColorPayload {
    /// Bit-packed levels for `Db`.
    Raw(Vec<u8>),
    /// Run-length levels for `Dbc`.
    RunLength(Vec<u8>),
}

impl ColorPayload {
    /// The payload bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            ColorPayload::Raw(b) | ColorPayload::RunLength(b) => b,
        }
    }
}

/// Y, M and C payloads of `panel` (Y = 255 − B, M = 255 − G, C = 255 − R); run-length where
/// `run_length` is asked for and smaller than raw, raw otherwise.
pub fn color_payloads(
    panel: &ColorPanel,
    levels: ColorLevels,
    run_length: bool,
) -> [ColorPayload; 3] {
    let dye = dye_table(levels);
    let raw_len = levels.panel_bytes();
    let mut raw = [!run_length; 3];
    let mut out: [Vec<u8>; 3] =
        std::array::from_fn(|_| Vec::with_capacity(if run_length { 32 * 1024 } else { raw_len }));
    let mut lines = [[0u8; PANEL_WIDTH]; 3];
    let rows = panel.rgb().chunks_exact(PANEL_WIDTH * 3);
    for (y, row) in rows.enumerate() {
        quantise_dots(row, &dye, &mut lines);
        for dye_index in 0..3 {
            let line = &lines[dye_index];
            let payload = &mut out[dye_index];
            if raw[dye_index] {
                payload.extend_from_slice(&pack_levels(line, levels));
                continue;
            }
            compress_color_line(line, levels, payload);
            if payload.len() >= raw_len {
                // Not worth it: this panel goes raw, from its first line.
                raw[dye_index] = true;
                payload.clear();
                payload.reserve(raw_len);
                for earlier in panel.rgb().chunks_exact(PANEL_WIDTH * 3).take(y + 1) {
                    let mut again = [[0u8; PANEL_WIDTH]; 3];
                    quantise_dots(earlier, &dye, &mut again);
                    payload.extend_from_slice(&pack_levels(&again[dye_index], levels));
                }
            }
        }
    }
    std::array::from_fn(|i| {
        let bytes = std::mem::take(&mut out[i]);
        if raw[i] {
            ColorPayload::Raw(bytes)
        } else {
            ColorPayload::RunLength(bytes)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panels::{color_levels, compress_color};

    fn payloads_the_long_way(panel: &ColorPanel, levels: ColorLevels) -> [ColorPayload; 3] {
        color_levels(panel, levels).map(|v| {
            let rle = compress_color(&v, levels);
            if rle.len() < levels.panel_bytes() {
                ColorPayload::RunLength(rle)
            } else {
                ColorPayload::Raw(pack_levels(&v, levels))
            }
        })
    }

    #[test]
    fn one_pass_matches_levels_then_compress_or_pack() {
        // A card with a flat background, a gradient band and a noisy (photographic) block in
        // yellow only: Y goes raw, M and C stay run-length.
        let mut p = ColorPanel::filled([255, 255, 255]);
        for y in 0..1016 {
            for x in 0..648 {
                let noise = ((x * 7919 + y * 104_729) % 251) as u8;
                p.set(x, y, [255, 255, noise]);
            }
        }
        for y in 100..200 {
            for x in 0..648 {
                p.set(x, y, [(x % 256) as u8, 40, (y % 256) as u8]);
            }
        }
        for levels in [ColorLevels::L32, ColorLevels::L64, ColorLevels::L128] {
            let fast = color_payloads(&p, levels, true);
            assert_eq!(fast, payloads_the_long_way(&p, levels), "{levels:?}");
            assert!(
                matches!(fast[0], ColorPayload::Raw(_)),
                "noisy yellow goes raw"
            );
            assert!(matches!(fast[1], ColorPayload::RunLength(_)));
            let raw = color_payloads(&p, levels, false);
            let expected = color_levels(&p, levels).map(|v| pack_levels(&v, levels));
            for (got, want) in raw.iter().zip(&expected) {
                assert_eq!(got, &ColorPayload::Raw(want.clone()));
            }
        }
    }
}
