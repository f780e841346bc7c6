//! Round trip: a card goes through the driver's job encoder and comes back through the
//! independent stream decoder of `support::decoder` (which shares no code with the driver); the
//! rebuilt landscape image must match the card dot for dot, within the 6-bit rounding.

mod support;

use cardline_device::{CardImage, CardSide, ColorPanel, MonoPanel, Overlay};
use cardline_magicard::{JobSettings, PrintJob};
use support::decoder::{
    DOTS, LINES, dots_native_black, levels_native_color, parse_stream, to_landscape,
};

/// A small deterministic generator (xorshift64), so the image is varied but reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A card with random colours on every dot and random resin black dots, in landscape terms.
fn random_card(seed: u64) -> (CardImage, Vec<[u8; 3]>, Vec<bool>) {
    let mut rng = Rng(seed);
    let mut color = ColorPanel::filled([255, 255, 255]);
    let mut black = MonoPanel::blank();
    let mut rgb_of = vec![[0u8; 3]; 1016 * 648];
    let mut k_of = vec![false; 1016 * 648];
    for y in 0..648 {
        for x in 0..1016 {
            let r = rng.next();
            let rgb = [r as u8, (r >> 8) as u8, (r >> 16) as u8];
            let k = (r >> 24).is_multiple_of(7);
            // Landscape (x, y) is panel (647 − y, x).
            color.set(647 - y, x, rgb);
            black.set(647 - y, x, k);
            rgb_of[y * 1016 + x] = rgb;
            k_of[y * 1016 + x] = k;
        }
    }
    let card = CardImage {
        front: CardSide {
            color: Some(color),
            black: Some(black),
            overlay: Overlay::Full,
        },
        back: None,
        label: None,
    };
    (card, rgb_of, k_of)
}

#[test]
fn random_card_survives_encoder_and_independent_decoder() {
    let seed = 0x5EED_CA4D;
    let (card, rgb_of, k_of) = random_card(seed);
    let settings = JobSettings {
        driver_version: "test".into(),
        timestamp: 1,
        duplex: false,
    };
    let job = PrintJob::build(&card, &settings).unwrap();
    let pages = parse_stream(&job.bytes());
    assert_eq!(pages.len(), 1, "seed {seed:#x}");
    let page = &pages[0];
    let y = levels_native_color(page.plane('B').unwrap());
    let m = levels_native_color(page.plane('G').unwrap());
    let c = levels_native_color(page.plane('R').unwrap());
    let k = dots_native_black(page.plane('K').unwrap());
    let mut checked = 0;
    for line in 0..LINES {
        for dot in 0..DOTS {
            let i = line * DOTS + dot;
            let Some((x, yy)) = to_landscape(line, dot) else {
                assert_eq!(
                    (y[i], m[i], c[i], k[i]),
                    (0, 0, 0, false),
                    "margin {line},{dot}"
                );
                continue;
            };
            let [r, g, b] = rgb_of[yy * 1016 + x];
            // Ink = 255 − channel, on a 0‥63 scale: the decoded level is within half a step.
            for (level, channel, name) in
                [(y[i], b, "yellow"), (m[i], g, "magenta"), (c[i], r, "cyan")]
            {
                let exact = f32::from(255 - channel) * 63.0 / 255.0;
                assert!(
                    (f32::from(level) - exact).abs() <= 0.5,
                    "{name} at landscape ({x},{yy}): level {level}, channel {channel} (seed {seed:#x})"
                );
            }
            assert_eq!(k[i], k_of[yy * 1016 + x], "K at ({x},{yy})");
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        1016 * 641,
        "every printed landscape dot was compared once"
    );
}
