//! Ground truth from outside the project: the five Gutenprint 5.3.4 streams for a Magicard Rio
//! 2E (../shared/fixtures/magicard-gutenprint/) go to the simulated printer through its link, as
//! a host would send them, and the card it rebuilds is compared with the PNG each stream was
//! made from. Nobody here wrote those streams, so this checks the simulator's reading of the
//! format (plane order, 8-bit amounts, the rotation of docs/magicard-protocol.md §3).

mod magicard_images;
mod magicard_support;

use cardline_sim::magicard::{MagicardSide, SimMagicardConfig};
use magicard_images::{FACE_REGION, FACE_WHOLE, Grey, face_agreement};
use magicard_support::*;

/// Prints fixture `card-<name>.prn` through the in-process link (then ejects it) and returns
/// the printed front with the grey levels of the printed and of the source card; `None` (and a
/// visible `skipped:`) when the fixture is missing.
fn print_fixture(name: &str) -> Option<(MagicardSide, Grey, Grey)> {
    let dir = fixtures_dir();
    let Ok(stream) = std::fs::read(dir.join(format!("card-{name}.prn"))) else {
        cardline_device::skipped!("fixture card-{name}.prn not found in {}", dir.display());
        return None;
    };
    let out = temp_dir(&format!("fixture-{name}"));
    let printer = handle(SimMagicardConfig {
        png_dir: Some(out.clone()),
        ..SimMagicardConfig::default()
    });
    let mut link = printer.link();
    assert_eq!(over_link(&mut link, &stream), ["PRT,OK"], "card-{name}.prn");
    assert_eq!(over_link(&mut link, &command("EJT")), ["OK"]);
    let card = printer.last_printed().expect("a card was printed");
    let front = card.front.expect("a front side");
    assert!(card.back.is_none());
    // the PNG written is the landscape card, dot for dot
    assert_eq!(card.png_files, [out.join("card-00001-front.png")]);
    let png = image::open(&card.png_files[0]).expect("PNG").to_rgb8();
    assert_eq!(png.dimensions(), (1016, 648));
    assert_eq!(png.as_raw(), &front.to_rgb(), "PNG = rebuilt card");
    let _ = std::fs::remove_dir_all(&out);
    let printed = Grey::from_rgb(&front.to_rgb());
    let source = Grey::from_png_fitted(&dir.join(format!("source-{name}.png")));
    Some((front, printed, source))
}

#[test]
fn the_black_card_is_dark_all_over() {
    let Some((side, printed, _)) = print_fixture("black") else {
        return;
    };
    let dark = printed.fraction_below(64.0);
    assert!(dark > 0.99, "dark fraction {dark}");
    assert!(side.yellow.is_some() && side.magenta.is_some() && side.cyan.is_some());
    assert!(
        side.black.is_none(),
        "Gutenprint sends composite black (IMFBGR)"
    );
    // the unprinted rows 641‥647 stay white
    assert_eq!(side.pixel(500, 645), [255, 255, 255]);
}

#[test]
fn the_white_card_has_nothing_printed() {
    let Some((side, printed, _)) = print_fixture("white") else {
        return;
    };
    let inked = printed.fraction_below(250.0);
    assert!(inked < 0.001, "inked fraction {inked}");
    assert_eq!(side.cyan.as_ref().unwrap().count_inked(), 0);
}

#[test]
fn the_gradient_is_half_dark_and_lightens_from_left_to_right() {
    let Some((_, printed, source)) = print_fixture("gradient") else {
        return;
    };
    let dark = printed.fraction_below(128.0);
    assert!((0.4..=0.6).contains(&dark), "dark fraction {dark}");
    let bands: Vec<f64> = (0..16)
        .map(|i| printed.darkness(i * 63, (i + 1) * 63))
        .collect();
    for pair in bands.windows(2) {
        assert!(pair[1] <= pair[0] + 0.01, "not monotonic: {bands:.3?}");
    }
    assert!(bands[0] > 0.85 && bands[15] < 0.15, "{bands:.3?}");
    // and it follows the source band by band
    for (i, band) in bands.iter().enumerate() {
        let s = source.darkness(i * 63, (i + 1) * 63);
        assert!((band - s).abs() < 0.1, "band {i}: {band} vs {s}");
    }
}

#[test]
fn the_bars_come_out_in_order_yellow_magenta_cyan_red_green_blue_black_white() {
    let Some((side, _, _)) = print_fixture("bars") else {
        return;
    };
    let expected: [(&str, [u8; 3]); 8] = [
        ("yellow", [255, 255, 0]),
        ("magenta", [255, 0, 255]),
        ("cyan", [0, 255, 255]),
        ("red", [255, 0, 0]),
        ("green", [0, 255, 0]),
        ("blue", [0, 0, 255]),
        ("black", [0, 0, 0]),
        ("white", [255, 255, 255]),
    ];
    for (i, (name, want)) in expected.iter().enumerate() {
        // the interior of bar i (127 dots wide), away from its edges
        let mut sum = [0f64; 3];
        let mut n = 0.0;
        for x in (127 * i + 10..127 * i + 117).step_by(3) {
            for y in (20..620).step_by(3) {
                let px = side.pixel(x, y);
                for c in 0..3 {
                    sum[c] += f64::from(px[c]);
                }
                n += 1.0;
            }
        }
        let mean = sum.map(|s| s / n);
        for c in 0..3 {
            assert!(
                (mean[c] - f64::from(want[c])).abs() < 40.0,
                "bar {i} should be {name} {want:?}, is {mean:.0?}"
            );
        }
    }
}

#[test]
fn the_face_agrees_with_its_source_region_by_region() {
    let Some((_, printed, source)) = print_fixture("face") else {
        return;
    };
    let (whole, worst) = face_agreement(&printed, &source);
    eprintln!("face: mean absolute difference {whole:.1}, worst region {worst:.1}");
    assert!(whole < FACE_WHOLE, "whole card differs by {whole:.1}");
    assert!(worst < FACE_REGION, "a region differs by {worst:.1}");
    // the measure tells a wrong orientation apart
    for (what, wrong) in [
        ("mirrored", source.mirrored()),
        ("upside down", source.rotated_180()),
    ] {
        let (w, _) = face_agreement(&printed, &wrong);
        assert!(w > 30.0, "{what}: {w:.1}");
    }
    let bars = Grey::from_png_fitted(&fixtures_dir().join("source-bars.png"));
    assert!(face_agreement(&printed, &bars).0 > 30.0);
}

#[test]
fn every_fixture_is_accepted_byte_by_byte_too() {
    // the same stream cut into 1-byte and odd-sized pieces gives the same card
    let Ok(stream) = std::fs::read(fixtures_dir().join("card-bars.prn")) else {
        cardline_device::skipped!("fixture card-bars.prn not found");
        return;
    };
    let mut whole = printer();
    assert_eq!(replies(&whole.feed(&stream)), ["PRT,OK"]);
    let mut pieces = printer();
    let mut out = Vec::new();
    for chunk in stream[..4096].chunks(1).chain(stream[4096..].chunks(7919)) {
        out.extend(pieces.feed(chunk));
    }
    assert_eq!(replies(&out), ["PRT,OK"]);
    assert_eq!(
        whole.last_printed().unwrap().front,
        pieces.last_printed().unwrap().front
    );
}
