//! Streams Gutenprint makes with other PPD options than the five fixtures (overcoat, overcoat
//! hole, HoloKote, resin black, reject bad cards, duplex on the Tango 2E, the Tango 2E model):
//! the simulated Magicard accepts each, reads its header options, and prints the source image.
//! Generated at test time when Gutenprint is installed; skipped visibly otherwise.

mod magicard_gutenprint;
mod magicard_images;
mod magicard_support;

use cardline_sim::magicard::{
    MagicardPosition, MagicardPrintedCard, MagicardSide, SimMagicardConfig, SimMagicardState,
};
use magicard_gutenprint::Gutenprint;
use magicard_images::{FACE_REGION, FACE_WHOLE, Grey, face_agreement};
use magicard_support::*;

/// Sends `stream` to a fresh simulated printer over its link; returns the replies, the card and
/// the printer's state after it.
fn print(stream: &[u8]) -> (Vec<String>, MagicardPrintedCard, SimMagicardState) {
    let printer = handle(SimMagicardConfig::default());
    let mut link = printer.link();
    let replies = over_link(&mut link, stream);
    let card = printer.last_printed().expect("a card printed");
    (replies, card, printer.state())
}

fn face_source() -> Grey {
    Grey::from_png_fitted(&fixtures_dir().join("source-face.png"))
}

/// Asserts a printed side shows `source` (see `FACE_WHOLE`, `FACE_REGION`).
fn assert_shows(side: &MagicardSide, source: &Grey, what: &str) {
    let (whole, worst) = face_agreement(&Grey::from_rgb(&side.to_rgb()), source);
    assert!(
        whole < FACE_WHOLE && worst < FACE_REGION,
        "{what}: differs by {whole:.1} (worst region {worst:.1})"
    );
}

/// A single-sided Rio 2E face card with the given job options.
fn rio_face(g: &Gutenprint, options: &str) -> Vec<u8> {
    let ppd = g.ppd("magicard-rio-2e");
    let raster = g.raster(&ppd, &fixtures_dir().join("source-face.png"), &[]);
    g.stream(&ppd, &raster, options)
}

#[test]
fn overcoat_is_read_and_laid_as_one_more_panel() {
    let Some(g) = Gutenprint::find("overcoat") else {
        return;
    };
    let (replies, card, state) = print(&rio_face(&g, "StpLaminate=On"));
    assert_eq!(replies, ["PRT,OK"]);
    let front = card.front.unwrap();
    assert!(front.header.overcoat && !front.header.holokote);
    assert!(front.header.tokens.iter().any(|t| t == "OVRON"));
    assert_eq!(state.counters.panels_printed, 4, "Y, M, C and the overcoat");
    assert_shows(&front, &face_source(), "overcoat");
}

#[test]
fn an_overcoat_hole_over_the_chip_is_read() {
    let Some(g) = Gutenprint::find("overcoat-hole") else {
        return;
    };
    let (replies, card, _) = print(&rio_face(&g, "StpLaminate=On StpOvercoatHole=SmartCard"));
    assert_eq!(replies, ["PRT,OK"]);
    let front = card.front.unwrap();
    assert_eq!(front.header.overcoat_holes, [[90, 295, 260, 450]]);
    assert_shows(&front, &face_source(), "overcoat hole");
}

#[test]
fn holokote_is_read() {
    let Some(g) = Gutenprint::find("holokote") else {
        return;
    };
    let (replies, card, _) = print(&rio_face(&g, "StpLaminate=On StpHolokote=UltraSecure"));
    assert_eq!(replies, ["PRT,OK"]);
    let front = card.front.unwrap();
    assert!(front.header.holokote && front.header.overcoat);
    assert_shows(&front, &face_source(), "holokote");
}

#[test]
fn resin_black_and_reject_bad_cards_are_read() {
    let Some(g) = Gutenprint::find("resin-black") else {
        return;
    };
    let (replies, card, _) = print(&rio_face(&g, "StpBlackType=Resin StpRejectBad=True"));
    assert_eq!(replies, ["PRT,OK"]);
    let front = card.front.unwrap();
    assert!(front.header.extract_black, "X-GP-RK");
    assert!(front.header.reject_faulty, "REJON");
    assert_shows(&front, &face_source(), "resin black");
}

#[test]
fn the_tango_2e_model_prints_the_same_face() {
    let Some(g) = Gutenprint::find("tango-2e") else {
        return;
    };
    let ppd = g.ppd("magicard-tango-2e");
    let raster = g.raster(&ppd, &fixtures_dir().join("source-face.png"), &[]);
    let (replies, card, state) = print(&g.stream(&ppd, &raster, ""));
    assert_eq!(replies, ["PRT,OK"]);
    assert_eq!(state.card, Some((1, MagicardPosition::Print)));
    assert_shows(&card.front.unwrap(), &face_source(), "tango 2e");
}

#[test]
fn a_duplex_card_is_two_jobs_front_then_back_on_the_same_card() {
    let Some(g) = Gutenprint::find("duplex") else {
        return;
    };
    let ppd = g.ppd("magicard-tango-2e");
    let duplex = ["Duplex=DuplexNoTumble"];
    let front = g.raster(&ppd, &fixtures_dir().join("source-bars.png"), &duplex);
    let back = g.raster(&ppd, &fixtures_dir().join("source-face.png"), &duplex);
    let stream = g.stream(
        &ppd,
        &Gutenprint::two_pages(&front, &back),
        "Duplex=DuplexNoTumble",
    );
    let (replies, card, state) = print(&stream);
    assert_eq!(replies, ["PRT,OK", "PRT,OK"], "one reply per page job");
    assert_eq!(card.card_number, 1, "both sides on the first card");
    assert_eq!(state.card, Some((1, MagicardPosition::Print)));
    let (front, back) = (card.front.unwrap(), card.back.unwrap());
    assert!(front.header.duplex && front.header.page == 1);
    assert_eq!(front.header.back_format.as_deref(), Some("C"));
    assert!(back.header.duplex && back.header.page == 2);
    // Gutenprint sends the back page turned by 180° (measured); the device prints what it gets
    assert_shows(&back, &face_source().rotated_180(), "back, as sent");
    let (upright, _) = face_agreement(&Grey::from_rgb(&back.to_rgb()), &face_source());
    assert!(upright > 30.0, "the back is not upright: {upright:.1}");
    // the front shows the bars: yellow on the left, white on the right
    assert_eq!(front.pixel(60, 300), [255, 255, 0]);
    assert_eq!(front.pixel(950, 300), [255, 255, 255]);
}
