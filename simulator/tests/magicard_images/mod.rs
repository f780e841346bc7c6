//! Image measures for the Magicard fixture tests: grey levels of a landscape card, block
//! averages, mean absolute differences. Written for the tests, independent of the simulator.
#![allow(dead_code)]

use std::path::Path;

/// The thresholds, on 8 × 8-dot block averages of grey 0‥255 against the source fitted to the
/// 641 printable rows as Gutenprint fits it: the rebuilt face differs from its source only by
/// Gutenprint's colour conversion and resampling (measured: 2.7 over the whole card, at most 4.2
/// in one of the eight regions); the same face mirrored, turned upside down or replaced by the
/// bars differs by more than 30 (asserted in magicard_fixtures.rs). Limits of 6 (whole) and 10 (any region) leave
/// room for another Gutenprint build's rounding, and a wrong rotation, offset or plane order
/// cannot pass (a 7-row offset, cropping instead of fitting, already gives 11 and 21.5).
pub const FACE_WHOLE: f64 = 6.0;
pub const FACE_REGION: f64 = 10.0;

/// Width and printed height of the landscape card (rows 641‥647 are beyond `HGT642`).
pub const W: usize = 1016;
pub const PRINTED_ROWS: usize = 641;

/// A grey picture, `W` wide, row-major.
#[derive(Clone, Debug)]
pub struct Grey {
    pub rows: usize,
    pub px: Vec<f64>,
}

/// Luma (ITU-R BT.601) of an RGB dot, 0 (black) ..= 255 (white).
pub fn luma(rgb: [u8; 3]) -> f64 {
    0.299 * f64::from(rgb[0]) + 0.587 * f64::from(rgb[1]) + 0.114 * f64::from(rgb[2])
}

impl Grey {
    /// The printed rows of an RGB landscape card (1016 × 648 bytes × 3).
    pub fn from_rgb(rgb: &[u8]) -> Self {
        assert_eq!(rgb.len(), W * 648 * 3);
        let px = (0..PRINTED_ROWS * W)
            .map(|i| luma([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]]))
            .collect();
        Self {
            rows: PRINTED_ROWS,
            px,
        }
    }

    /// A 1016 × 648 source PNG as Gutenprint prints it: its 648 rows fitted into the 641
    /// printable ones (Gutenprint shrinks the page to the printable height, measured on
    /// `card-face`: the source's rows 132, 146, 576 print at 130.5, 144.5, 569.5 = × 641/648).
    pub fn from_png_fitted(path: &Path) -> Self {
        let img = image::open(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .to_rgb8();
        assert_eq!(img.dimensions(), (W as u32, 648), "{}", path.display());
        let mut px = Vec::with_capacity(PRINTED_ROWS * W);
        for y in 0..PRINTED_ROWS {
            let sy = (((y as f64 + 0.5) * 648.0 / PRINTED_ROWS as f64) as u32).min(647);
            px.extend((0..W as u32).map(|x| luma(img.get_pixel(x, sy).0)));
        }
        Self {
            rows: PRINTED_ROWS,
            px,
        }
    }

    pub fn at(&self, x: usize, y: usize) -> f64 {
        self.px[y * W + x]
    }

    /// Fraction of dots darker than `level`.
    pub fn fraction_below(&self, level: f64) -> f64 {
        self.px.iter().filter(|v| **v < level).count() as f64 / self.px.len() as f64
    }

    /// Mean darkness (0 = white, 1 = black) of columns `x0..x1`.
    pub fn darkness(&self, x0: usize, x1: usize) -> f64 {
        let mut sum = 0.0;
        for y in 0..self.rows {
            for x in x0..x1 {
                sum += 1.0 - self.at(x, y) / 255.0;
            }
        }
        sum / ((x1 - x0) * self.rows) as f64
    }

    /// Averages over `b` × `b` blocks (a downscaled picture), as rows of block values.
    pub fn blocks(&self, b: usize) -> Vec<Vec<f64>> {
        (0..self.rows / b)
            .map(|by| {
                (0..W / b)
                    .map(|bx| {
                        let mut s = 0.0;
                        for y in by * b..(by + 1) * b {
                            for x in bx * b..(bx + 1) * b {
                                s += self.at(x, y);
                            }
                        }
                        s / (b * b) as f64
                    })
                    .collect()
            })
            .collect()
    }

    /// The picture turned by 180°.
    pub fn rotated_180(&self) -> Self {
        Self {
            rows: self.rows,
            px: self.px.iter().rev().copied().collect(),
        }
    }

    /// The picture mirrored left to right.
    pub fn mirrored(&self) -> Self {
        let mut px = Vec::with_capacity(self.px.len());
        for y in 0..self.rows {
            px.extend((0..W).rev().map(|x| self.at(x, y)));
        }
        Self {
            rows: self.rows,
            px,
        }
    }
}

/// Mean absolute difference of two block pictures over block rows `r0..r1`, columns `c0..c1`.
pub fn mad(a: &[Vec<f64>], b: &[Vec<f64>], r0: usize, r1: usize, c0: usize, c1: usize) -> f64 {
    let mut s = 0.0;
    for r in r0..r1 {
        for c in c0..c1 {
            s += (a[r][c] - b[r][c]).abs();
        }
    }
    s / ((r1 - r0) * (c1 - c0)) as f64
}

/// The mean absolute difference of the whole picture and the worst of a 4 × 2 grid of
/// regions, on 8 × 8 block averages.
pub fn face_agreement(printed: &Grey, source: &Grey) -> (f64, f64) {
    let (a, b) = (printed.blocks(8), source.blocks(8));
    let (rows, cols) = (a.len(), a[0].len());
    let whole = mad(&a, &b, 0, rows, 0, cols);
    let mut worst: f64 = 0.0;
    for ry in 0..2 {
        for rx in 0..4 {
            let m = mad(
                &a,
                &b,
                ry * rows / 2,
                (ry + 1) * rows / 2,
                rx * cols / 4,
                (rx + 1) * cols / 4,
            );
            worst = worst.max(m);
        }
    }
    (whole, worst)
}
