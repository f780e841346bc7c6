//! The real Magicard driver (`cardline-magicard`) against the simulated Magicard and against
//! Gutenprint, the ground truth nobody here wrote:
//!
//! - for each fixture PNG, the driver's own stream is accepted by the simulator (`PRT,OK`) and
//!   prints what Gutenprint's stream for the same PNG prints (same rotation, same ink per
//!   region), with the header tokens both send in the same order; the differences are the
//!   documented ones (docs/printer-driver.md, "cardline's stream vs Gutenprint's");
//! - a duplex card is two jobs each answered `PRT,OK`: the driver reads exactly one reply per
//!   frame it sends, the back lies turned by 180° as Gutenprint's does;
//! - the driver's chip hole in the overcoat covers the place Gutenprint's `SmartCard` hole does.
//!
//! Tests that need Gutenprint (Debian `cups cups-filters printer-driver-gutenprint`) skip
//! visibly without it. The driver and the simulator share no code: each reads
//! docs/magicard-protocol.md on its own.

mod magicard_gutenprint;
mod magicard_images;
mod magicard_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardline_device::{
    CardImage, CardPrinter, CardSide, ColorPanel, LinkError, MonoPanel, Overlay, PanelGeometry,
    PrinterLink,
};
use cardline_magicard::{JobSettings, MagicardConfig, MagicardPrinter, PrintJob};
use cardline_sim::magicard::{MagicardSide, SimMagicardConfig, SimMagicardHandle};
use magicard_gutenprint::Gutenprint;
use magicard_images::{FACE_REGION, FACE_WHOLE, Grey, face_agreement};
use magicard_support::*;

const NAMES: [&str; 5] = ["black", "white", "gradient", "bars", "face"];

/// The Magicard's own panel geometry (the 641 printed rows).
fn native() -> PanelGeometry {
    PanelGeometry::new(641, 1016, 300).unwrap()
}

fn source_png(name: &str) -> Option<image::RgbImage> {
    let path = fixtures_dir().join(format!("source-{name}.png"));
    if !path.exists() {
        cardline_device::skipped!(
            "Magicard fixtures not found at {}",
            fixtures_dir().display()
        );
        return None;
    }
    Some(image::open(&path).unwrap().to_rgb8())
}

/// A landscape 1016 × 648 picture as one colour side at `geometry`: at the native geometry its
/// 648 rows are fitted into 641 by the nearest row, as Gutenprint fits a page (and as cardline's
/// face renderer does); at the ID-1 geometry it is dot for dot (the driver crops rows 641‥647).
fn side_from_png(img: &image::RgbImage, geometry: PanelGeometry) -> CardSide {
    let mut color = ColorPanel::filled_at(geometry, [255; 3]);
    for py in 0..geometry.lines {
        for px in 0..geometry.dots {
            let row = geometry.dots - 1 - px;
            let sy = ((2 * row + 1) * 648 / (2 * geometry.dots)).min(647);
            color.set(px, py, img.get_pixel(py as u32, sy as u32).0);
        }
    }
    CardSide {
        color: Some(color),
        black: None,
        overlay: Overlay::None,
    }
}

fn settings(duplex: bool) -> JobSettings {
    JobSettings {
        driver_version: "0.1.0".into(),
        timestamp: 0x6B0B_EE42,
        duplex,
    }
}

/// Sends `stream` to a fresh simulated Magicard; returns its replies and the printed front.
fn print_stream(stream: &[u8]) -> (Vec<String>, MagicardSide) {
    let printer = handle(SimMagicardConfig::default());
    let mut link = printer.link();
    let replies = over_link(&mut link, stream);
    let card = printer.last_printed().expect("a card printed");
    (replies, card.front.expect("a front"))
}

/// Header tokens that differ between the two drivers by design (docs/printer-driver.md).
fn differs_by_design(token: &str) -> bool {
    ["VER", "TDT", "ICC", "X-GP-", "SZ"]
        .iter()
        .any(|p| token.starts_with(p))
}

#[test]
fn the_drivers_stream_for_each_fixture_png_prints_what_gutenprints_prints() {
    for name in NAMES {
        let Some(img) = source_png(name) else { return };
        let gutenprint = std::fs::read(fixtures_dir().join(format!("card-{name}.prn"))).unwrap();
        let (replies, theirs) = print_stream(&gutenprint);
        assert_eq!(replies, ["PRT,OK"], "{name}: Gutenprint's stream");
        let mut figures = Vec::new();
        for (geometry, what) in [
            (native(), "native 641"),
            (PanelGeometry::ID1_300_DPI, "ID-1 648"),
        ] {
            let card = CardImage {
                front: side_from_png(&img, geometry),
                back: None,
                label: None,
            };
            let job = PrintJob::build(&card, &settings(false)).unwrap();
            let (replies, ours) = print_stream(&job.bytes());
            assert_eq!(replies, ["PRT,OK"], "{name} {what}: the driver's stream");
            assert!(!ours.header.eight_bit && theirs.header.eight_bit);
            let (whole, worst) = face_agreement(
                &Grey::from_rgb(&ours.to_rgb()),
                &Grey::from_rgb(&theirs.to_rgb()),
            );
            figures.push(format!("{what}: {whole:.2} whole, {worst:.2} worst region"));
            if geometry == native() {
                assert!(
                    whole < FACE_WHOLE && worst < FACE_REGION,
                    "{name} {what}: differs from Gutenprint's card by {whole:.1} (worst region {worst:.1})"
                );
                // The header tokens both send, in the same order.
                let common = |tokens: &[String]| -> Vec<String> {
                    tokens
                        .iter()
                        .filter(|t| !differs_by_design(t))
                        .cloned()
                        .collect()
                };
                assert_eq!(
                    common(&ours.header.tokens),
                    common(&theirs.header.tokens),
                    "{name}: header tokens"
                );
                // A wrong rotation could not pass: the picture turned around is far off.
                let upside_down = Grey::from_rgb(&ours.to_rgb()).rotated_180();
                let (far, _) = face_agreement(&upside_down, &Grey::from_rgb(&theirs.to_rgb()));
                if matches!(name, "bars" | "gradient" | "face") {
                    assert!(far > 20.0, "{name}: turned around still agrees ({far:.1})");
                }
            }
        }
        // Grey-level differences on 8 × 8 blocks (0‥255), e.g. for docs/printer-driver.md.
        eprintln!("{name}: driver vs Gutenprint: {}", figures.join("; "));
    }
}

/// A link that counts the frames sent and the replies (`2C 03`) received through it.
struct Counting<L> {
    inner: L,
    counts: Arc<Mutex<(usize, usize, u8)>>,
}

impl<L: PrinterLink> PrinterLink for Counting<L> {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        self.counts.lock().unwrap().0 += 1;
        self.inner.send(bytes, timeout)
    }
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let n = self.inner.recv(buf, timeout)?;
        let mut c = self.counts.lock().unwrap();
        for &b in &buf[..n] {
            if c.2 == 0x2C && b == 0x03 {
                c.1 += 1;
            }
            c.2 = b;
        }
        Ok(n)
    }
    fn reset(&mut self) -> Result<(), LinkError> {
        self.inner.reset()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[test]
fn a_duplex_card_is_two_jobs_each_answered_and_the_back_lies_as_gutenprints() {
    let (Some(bars), Some(face)) = (source_png("bars"), source_png("face")) else {
        return;
    };
    let printer: SimMagicardHandle = handle(SimMagicardConfig {
        model: "Rio Pro 360 Duo".into(),
        ..SimMagicardConfig::default()
    });
    let counts = Arc::new(Mutex::new((0, 0, 0)));
    let link = Counting {
        inner: printer.link(),
        counts: counts.clone(),
    };
    let config = MagicardConfig {
        reply_timeout_cap: Some(Duration::from_secs(5)),
        ..MagicardConfig::default()
    };
    let mut driver = MagicardPrinter::connect(link, config).unwrap();
    assert!(driver.capabilities().duplex, "a Duo prints both sides");
    let card = CardImage {
        front: side_from_png(&bars, native()),
        back: Some(side_from_png(&face, native())),
        label: None,
    };
    driver.print(&card).unwrap();
    driver.eject().unwrap();
    assert!(driver.status().unwrap().is_ready());
    let (frames, replies, _) = *counts.lock().unwrap();
    assert_eq!(
        replies, frames,
        "one reply per frame sent, none left over or missing"
    );
    let state = printer.state();
    assert_eq!(state.counters.jobs, 2, "the front job and the back job");
    assert_eq!(state.counters.cards_printed, 1, "one card");
    assert_eq!(state.counters.cards_fed, 1);
    assert_eq!(state.card, None, "ejected");
    let printed = printer.last_printed().unwrap();
    let (front, back) = (printed.front.unwrap(), printed.back.unwrap());
    assert!(front.header.duplex && front.header.page == 1);
    assert_eq!(front.header.back_format.as_deref(), Some("C"));
    assert!(back.header.duplex && back.header.page == 2);
    assert_eq!(
        front.pixel(60, 300),
        [255, 255, 0],
        "the yellow bar on the left"
    );
    assert_eq!(
        front.pixel(950, 300),
        [255, 255, 255],
        "the white bar on the right"
    );
    let face_grey = Grey::from_png_fitted(&fixtures_dir().join("source-face.png"));
    let (turned, worst) = face_agreement(&Grey::from_rgb(&back.to_rgb()), &face_grey.rotated_180());
    assert!(
        turned < FACE_WHOLE && worst < FACE_REGION,
        "the back as sent is the face turned by 180°: {turned:.1} ({worst:.1})"
    );

    // Gutenprint's duplex card for the same pictures lies the same way.
    let Some(g) = Gutenprint::find("duplex cross") else {
        return;
    };
    let ppd = g.ppd("magicard-tango-2e");
    let duplex = ["Duplex=DuplexNoTumble"];
    let front_ras = g.raster(&ppd, &fixtures_dir().join("source-bars.png"), &duplex);
    let back_ras = g.raster(&ppd, &fixtures_dir().join("source-face.png"), &duplex);
    let stream = g.stream(
        &ppd,
        &Gutenprint::two_pages(&front_ras, &back_ras),
        "Duplex=DuplexNoTumble",
    );
    let theirs = handle(SimMagicardConfig::default());
    let replies = over_link(&mut theirs.link(), &stream);
    assert_eq!(
        replies,
        ["PRT,OK", "PRT,OK"],
        "Gutenprint: one reply per page job"
    );
    let their_back = theirs.last_printed().unwrap().back.unwrap();
    let (whole, worst) = face_agreement(
        &Grey::from_rgb(&back.to_rgb()),
        &Grey::from_rgb(&their_back.to_rgb()),
    );
    eprintln!("duplex back: driver vs Gutenprint {whole:.2} whole, {worst:.2} worst region");
    assert!(
        whole < FACE_WHOLE && worst < FACE_REGION,
        "the driver's back and Gutenprint's differ by {whole:.1} ({worst:.1})"
    );
}

#[test]
fn the_drivers_chip_hole_covers_what_gutenprints_smartcard_hole_covers() {
    let Some(face) = source_png("face") else {
        return;
    };
    // cardline's chip area (design x 94‥260, y 200‥366) left clear of overcoat, its rows
    // fitted into the 641 printed ones as the face renderer fits them.
    let mut mask = MonoPanel::full_at(native());
    for row in 0..641usize {
        let design_row = (2 * row + 1) * 648 / (2 * 641);
        if (200..366).contains(&design_row) {
            for x in 94..260usize {
                mask.set(640 - row, x, false);
            }
        }
    }
    let mut side = side_from_png(&face, native());
    side.overlay = Overlay::Masked(mask);
    let card = CardImage {
        front: side,
        back: None,
        label: None,
    };
    let (replies, ours) = print_stream(&PrintJob::build(&card, &settings(false)).unwrap().bytes());
    assert_eq!(replies, ["PRT,OK"]);
    assert!(ours.header.overcoat);
    assert_eq!(ours.header.overcoat_holes.len(), 1);
    let Some(g) = Gutenprint::find("overcoat hole cross") else {
        return;
    };
    let ppd = g.ppd("magicard-rio-2e");
    let raster = g.raster(&ppd, &fixtures_dir().join("source-face.png"), &[]);
    let stream = g.stream(&ppd, &raster, "StpLaminate=On StpOvercoatHole=SmartCard");
    let (replies, theirs) = print_stream(&stream);
    assert_eq!(replies, ["PRT,OK"]);
    let (a, b) = (
        ours.header.overcoat_holes[0],
        theirs.header.overcoat_holes[0],
    );
    let area = |h: [u32; 4]| f64::from((h[2] - h[0]) * (h[3] - h[1]));
    let overlap = [
        a[0].max(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].min(b[3]),
    ];
    let shared = if overlap[0] < overlap[2] && overlap[1] < overlap[3] {
        area(overlap)
    } else {
        0.0
    };
    let ratio = shared / (area(a) + area(b) - shared);
    eprintln!("overcoat holes: driver {a:?}, Gutenprint {b:?}, overlap {ratio:.2} of the union");
    assert!(ratio > 0.75, "the holes {a:?} and {b:?} overlap {ratio:.2}");
}
