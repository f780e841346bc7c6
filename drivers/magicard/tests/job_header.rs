//! The header of cardline's jobs against expected token lists (`docs/magicard-protocol.md` §2).

mod support;

use cardline_device::{CardImage, CardSide, ColorPanel, MonoPanel, Overlay};
use cardline_magicard::{JobSettings, PrintJob};
use support::decoder::parse_stream;

fn settings(duplex: bool) -> JobSettings {
    JobSettings {
        driver_version: "0.1.0".into(),
        timestamp: 0x6B0BEE42,
        duplex,
    }
}

/// The shape of cardline's default temporary card: a colour background, resin black text and
/// codes, varnish everywhere except the chip (landscape x 94‥260, y 200‥366).
fn default_card() -> CardImage {
    let mut black = MonoPanel::blank();
    black.set(300, 500, true);
    let mut overlay = MonoPanel::full();
    for y in 200..366 {
        for x in 94..260 {
            overlay.set(647 - y, x, false);
        }
    }
    CardImage {
        front: CardSide {
            color: Some(ColorPanel::filled([230, 240, 255])),
            black: Some(black),
            overlay: Overlay::Masked(overlay),
        },
        back: None,
        label: None,
    }
}

#[test]
fn default_card_header_is_the_expected_token_list() {
    let job = PrintJob::build(&default_card(), &settings(false)).unwrap();
    let pages = parse_stream(&job.bytes());
    assert_eq!(pages.len(), 1);
    let expected = [
        "NOC1",
        "VER0.1.0",
        "LANENG",
        "TDT6B0BEE42",
        "REJOFF",
        "ESS1",
        "KEE",
        "RT2",
        "DPXOFF",
        "PAG1",
        "SLWON",
        "IMFBGRK",
        "XCO0",
        "YCO0",
        "WID1016",
        "HGT642",
        "OVRON",
        "NNNOFF",
        "USFOFF",
        "PCT0",
        "0",
        "1025",
        "641",
        "NCT94",
        "276",
        "260",
        "442",
        "DDD50",
        "SZB512064",
        "SZG512064",
        "SZR512064",
        "SZK85344",
    ];
    assert_eq!(pages[0].tokens, expected);
    assert_eq!(
        pages[0].planes.iter().map(|(l, _)| *l).collect::<String>(),
        "BGRK"
    );
    // 64 guards, SOH, header, FS, 3 × (512 064 + 3), 85 344 + 3, ETX.
    let header_len = expected.join(",").len() + 1;
    assert_eq!(
        job.bytes().len(),
        64 + 1 + header_len + 1 + 3 * 512_067 + 85_347 + 1
    );
}

#[test]
fn colour_only_black_only_and_bare_sides_choose_their_format() {
    let color_only = CardImage {
        front: CardSide {
            color: Some(ColorPanel::filled([0, 0, 0])),
            black: None,
            overlay: Overlay::None,
        },
        back: None,
        label: None,
    };
    let p = &parse_stream(
        &PrintJob::build(&color_only, &settings(false))
            .unwrap()
            .bytes(),
    )[0];
    assert_eq!(p.token("IMF"), Some("BGR"));
    assert_eq!(p.token("OVR"), Some("OFF"));
    assert_eq!(p.token("SZK"), None);
    assert!(p.token("NCT").is_none());

    let black_only = CardImage {
        front: CardSide {
            color: None,
            black: Some(MonoPanel::full()),
            overlay: Overlay::Full,
        },
        back: None,
        label: None,
    };
    let p = &parse_stream(
        &PrintJob::build(&black_only, &settings(false))
            .unwrap()
            .bytes(),
    )[0];
    assert_eq!(p.token("IMF"), Some("K"));
    assert_eq!(p.token("OVR"), Some("ON"));
    assert_eq!(p.planes.len(), 1);
    assert_eq!(p.token("SZK"), Some("85344"));
}

#[test]
fn duplex_card_is_front_page_then_back_page() {
    let mut card = default_card();
    card.back = Some(CardSide {
        color: None,
        black: Some(MonoPanel::full()),
        overlay: Overlay::None,
    });
    let job = PrintJob::build(&card, &settings(true)).unwrap();
    let pages = parse_stream(&job.bytes());
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].token("DPX"), Some("ON"));
    assert_eq!(pages[0].token("BAC"), Some("K"));
    assert_eq!(pages[0].token("PAG"), Some("1"));
    assert_eq!(pages[1].token("DPX"), Some("ON"));
    assert_eq!(pages[1].token("BAC"), None);
    assert_eq!(pages[1].token("PAG"), Some("2"));
    assert_eq!(pages[1].token("IMF"), Some("K"));
    assert_eq!(pages[1].token("OVR"), Some("OFF"));
    let k = support::decoder::dots_native_black(pages[1].plane('K').unwrap());
    // Every printed dot of every line is black; the margins are not.
    assert_eq!(k.iter().filter(|&&d| d).count(), 1016 * 641);
}

#[test]
fn the_back_page_is_turned_by_180_degrees_as_gutenprint_sends_it() {
    let mut card = default_card();
    let mut k = MonoPanel::blank();
    k.set(647, 0, true); // landscape (0, 0): the back's top-left corner
    card.back = Some(CardSide {
        color: None,
        black: Some(k.clone()),
        overlay: Overlay::None,
    });
    let job = PrintJob::build(&card, &settings(true)).unwrap();
    let pages = parse_stream(&job.bytes());
    let dots = |page: usize| -> Vec<(usize, usize)> {
        let k = support::decoder::dots_native_black(pages[page].plane('K').unwrap());
        (0..k.len())
            .filter(|i| k[*i])
            .map(|i| support::decoder::to_landscape(i / 672, i % 672).unwrap())
            .collect()
    };
    // Read upright, the back's corner dot is at the opposite corner of the printed area.
    assert_eq!(dots(1), [(1015, 640)]);
    // The same side as a front page is not turned.
    let front = CardImage {
        front: CardSide {
            color: None,
            black: Some(k),
            overlay: Overlay::None,
        },
        back: None,
        label: None,
    };
    let pages = parse_stream(&PrintJob::build(&front, &settings(false)).unwrap().bytes());
    let k = support::decoder::dots_native_black(pages[0].plane('K').unwrap());
    let set: Vec<usize> = (0..k.len()).filter(|i| k[*i]).collect();
    assert_eq!(
        set.iter()
            .map(|i| support::decoder::to_landscape(i / 672, i % 672).unwrap())
            .collect::<Vec<_>>(),
        [(0, 0)]
    );
}
