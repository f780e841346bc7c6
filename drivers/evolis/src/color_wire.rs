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
    encode_rows(panel, levels, run_length, None)
}

/// The last colour panel a printer sent and its run-length payloads row by row, so that the
/// rows of the next card that are the same — a template's background, bands and logos:
/// everything but the per-card data — are copied instead of quantised and encoded again.
///
/// A batch of cards of one design sends the same colour side again and again (the variable
/// data usually goes on the black panel): the default temporary card's colour side costs
/// 1.3 ms to encode and 0.1 ms to compare and copy (docs/PERFORMANCE.md). The payloads are
/// byte for byte those of [`color_payloads`]; a row is reused only when its dots are equal,
/// never on a hash — or, when the panel is a clone of the last one
/// ([`ColorPanel::shares_dots`]: the cards of one design share their prepared colour side),
/// all of them without comparing. Holds a clone of the last panel and its payloads.
#[derive(Default)]
pub struct ColorRowCache {
    /// How the cached payloads were made; `None` while empty.
    made: Option<ColorLevels>,
    /// The last panel encoded with run-length payloads (a clone: it shares the caller's dots).
    last: Option<ColorPanel>,
    /// Its Y, M, C payloads (meaningless for a dye that went raw).
    payloads: [Vec<u8>; 3],
    /// Where each row's bytes start in `payloads` (one more entry: the end).
    starts: [Vec<u32>; 3],
    /// Dyes that went raw (photographic content): nothing of them is reused.
    raw: [bool; 3],
    /// Rows of the last pass copied from the cache for at least one dye.
    reused: usize,
}

impl std::fmt::Debug for ColorRowCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColorRowCache")
            .field("made", &self.made)
            .field("rows_reused", &self.reused)
            .finish()
    }
}

impl ColorRowCache {
    /// Like [`color_payloads`], reusing the rows equal to the last panel's; then remembers
    /// `panel`. Raw payloads (`run_length` off) are made without the cache.
    pub fn payloads(
        &mut self,
        panel: &ColorPanel,
        levels: ColorLevels,
        run_length: bool,
    ) -> [ColorPayload; 3] {
        if !run_length {
            return encode_rows(panel, levels, false, None);
        }
        encode_rows(panel, levels, true, Some(self))
    }

    /// Rows of the last panel whose bytes were copied from the one before (for at least one of
    /// Y, M, C).
    pub fn rows_reused(&self) -> usize {
        self.reused
    }

    /// Whether the cached panel can serve `panel` encoded at `levels`.
    fn serves(&self, panel: &ColorPanel, levels: ColorLevels) -> bool {
        self.made == Some(levels)
            && self
                .last
                .as_ref()
                .is_some_and(|l| l.rgb().len() == panel.rgb().len())
    }
}

/// The one pass over `panel`'s rows; with a cache, rows equal to the cached panel's copy its
/// bytes, and the cache then holds `panel`.
fn encode_rows(
    panel: &ColorPanel,
    levels: ColorLevels,
    run_length: bool,
    mut cache: Option<&mut ColorRowCache>,
) -> [ColorPayload; 3] {
    const ROW: usize = PANEL_WIDTH * 3;
    let dye = dye_table(levels);
    let raw_len = levels.panel_bytes();
    let mut raw = [!run_length; 3];
    let mut out: [Vec<u8>; 3] =
        std::array::from_fn(|_| Vec::with_capacity(if run_length { 32 * 1024 } else { raw_len }));
    let rows = panel.rgb().len() / ROW;
    let mut starts: [Vec<u32>; 3] = std::array::from_fn(|_| {
        let mut v = Vec::with_capacity(if cache.is_some() { rows + 1 } else { 0 });
        v.push(0);
        v
    });
    let reuse = cache.as_deref().is_some_and(|c| c.serves(panel, levels));
    let last = match cache.as_deref_mut() {
        Some(c) => {
            // Serves nothing until this pass completes (a panic half-way leaves it empty).
            c.made = None;
            c.last.take().filter(|_| reuse)
        }
        None => None,
    };
    let shared = last.as_ref().is_some_and(|l| l.shares_dots(panel));
    let mut lines = [[0u8; PANEL_WIDTH]; 3];
    let mut reused = 0;
    for (y, row) in panel.rgb().chunks_exact(ROW).enumerate() {
        let same = shared
            || last
                .as_ref()
                .is_some_and(|l| &l.rgb()[y * ROW..(y + 1) * ROW] == row);
        let mut quantised = false;
        let mut copied = false;
        for dye_index in 0..3 {
            let payload = &mut out[dye_index];
            let copy = match cache.as_deref() {
                Some(c) if same && !raw[dye_index] && !c.raw[dye_index] => {
                    let s = &c.starts[dye_index];
                    Some(&c.payloads[dye_index][s[y] as usize..s[y + 1] as usize])
                }
                _ => None,
            };
            if let Some(bytes) = copy {
                payload.extend_from_slice(bytes);
                copied = true;
            } else {
                if !quantised {
                    quantise_dots(row, &dye, &mut lines);
                    quantised = true;
                }
                let line = &lines[dye_index];
                if raw[dye_index] {
                    payload.extend_from_slice(&pack_levels(line, levels));
                    continue;
                }
                compress_color_line(line, levels, payload);
            }
            if payload.len() >= raw_len {
                // Not worth it: this panel goes raw, from its first line.
                raw[dye_index] = true;
                payload.clear();
                payload.reserve(raw_len);
                for earlier in panel.rgb().chunks_exact(ROW).take(y + 1) {
                    let mut again = [[0u8; PANEL_WIDTH]; 3];
                    quantise_dots(earlier, &dye, &mut again);
                    payload.extend_from_slice(&pack_levels(&again[dye_index], levels));
                }
                continue;
            }
            if cache.is_some() {
                starts[dye_index].push(payload.len() as u32);
            }
        }
        reused += usize::from(copied);
    }
    if let Some(c) = cache {
        c.last = Some(panel.clone());
        c.made = Some(levels);
        c.reused = reused;
        c.raw = raw;
        for i in 0..3 {
            c.payloads[i].clear();
            if !raw[i] {
                c.payloads[i].extend_from_slice(&out[i]);
            }
        }
        c.starts = starts;
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

    /// A flat card with a band and a block of "text" whose pattern follows `seed`.
    fn card(seed: u32) -> ColorPanel {
        let mut p = ColorPanel::filled([250, 250, 245]);
        for y in 40..160 {
            for x in 0..648 {
                p.set(x, y, [20, (x % 200) as u8, 120]);
            }
        }
        for y in 500..540 {
            for x in 100..400 {
                let on = (x as u32 * 31 + y as u32 * 17 + seed * 101) % 7 < 3;
                p.set(x, y, if on { [0, 0, 0] } else { [250, 250, 245] });
            }
        }
        p
    }

    /// `card(seed)` with yellow noise over rows `rows` (Y goes raw when they are many).
    fn noisy(seed: u32, rows: std::ops::Range<usize>) -> ColorPanel {
        let mut p = card(seed);
        for y in rows {
            for x in 0..648 {
                let noise = ((x * 7919 + y * 104_729) % 251) as u8;
                p.set(x, y, [250, 250, noise]);
            }
        }
        p
    }

    #[test]
    fn the_row_cache_gives_the_bytes_of_a_fresh_encoding() {
        let mut cache = ColorRowCache::default();
        let l = ColorLevels::L64;
        let steps = [
            (card(1), l, 0),                // empty cache: nothing reused
            (card(1), l, 1016),             // the same side again: every row
            (card(2), l, 1016 - 40),        // the text block changed
            (card(2), ColorLevels::L32, 0), // other levels: nothing
            (card(3), ColorLevels::L32, 1016 - 40),
            (noisy(3, 0..1016), ColorLevels::L32, 0), // Y goes raw
            (noisy(3, 0..1016), ColorLevels::L32, 1016), // M, C copied, Y encoded again
            (card(3), ColorLevels::L32, 0),           // Y back to run-length
            (noisy(4, 300..310), ColorLevels::L32, 1016 - 50),
        ];
        for (i, (panel, levels, _)) in steps.iter().enumerate() {
            let expected = color_payloads(panel, *levels, true);
            assert_eq!(cache.payloads(panel, *levels, true), expected, "step {i}");
        }
        // Which rows were copied: replay, checking the counts.
        let mut cache = ColorRowCache::default();
        let mut counts = Vec::new();
        for (panel, levels, _) in &steps {
            cache.payloads(panel, *levels, true);
            counts.push(cache.rows_reused());
        }
        let want: Vec<usize> = steps.iter().map(|s| s.2).collect();
        assert_eq!(counts, want);
        let fresh = color_payloads(&card(5), l, false);
        assert_eq!(
            cache.payloads(&card(5), l, false),
            fresh,
            "raw asked: no cache"
        );
    }

    #[test]
    fn a_clone_of_the_last_panel_is_reused_whole_and_a_changed_one_row_by_row() {
        let l = ColorLevels::L64;
        let mut cache = ColorRowCache::default();
        let prepared = card(7);
        let fresh = color_payloads(&prepared, l, true);
        assert_eq!(cache.payloads(&prepared, l, true), fresh);
        assert_eq!(cache.payloads(&prepared.clone(), l, true), fresh);
        assert_eq!(cache.rows_reused(), 1016);
        let mut changed = prepared.clone();
        for x in 0..648 {
            changed.set(x, 900, [0, 0, 0]);
        }
        assert!(!changed.shares_dots(&prepared));
        assert_eq!(
            cache.payloads(&changed, l, true),
            color_payloads(&changed, l, true)
        );
        assert_eq!(cache.rows_reused(), 1015);
        assert_eq!(cache.payloads(&prepared, l, true), fresh);
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
