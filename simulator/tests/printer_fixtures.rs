//! The real Evolis Windows driver streams (../shared/fixtures/evolis-windows-driver) fed to the
//! simulated printer: each is accepted command by command and rebuilds the expected card.
//! Expected dot counts were computed with an independent decoder (a Python one-off over the
//! same files), not with the simulator.

mod printer_support;

use cardline_device::MonoPanel;
use cardline_sim::printer::{SimPrinter, SimPrinterConfig};
use printer_support::{fixture, replies, temp_dir};

/// The commands of every fixture stream, in order.
const STREAM_COMMANDS: usize = 10;

fn print_fixture(
    name: &str,
    png_dir: Option<&std::path::Path>,
) -> Option<(SimPrinter, Vec<String>)> {
    let Some(stream) = fixture(name) else {
        cardline_device::skipped!("fixture {name} not found under ../shared/fixtures");
        return None;
    };
    let mut p = SimPrinter::new(SimPrinterConfig {
        png_dir: png_dir.map(Into::into),
        ..SimPrinterConfig::default()
    });
    let out = p.feed(&stream);
    Some((p, replies(&out)))
}

fn black_of(p: &SimPrinter) -> MonoPanel {
    let card = p.last_printed().expect("a card was printed");
    assert!(card.back.is_none(), "fixtures are single-sided");
    card.front.black.clone().expect("K panel received")
}

fn dots_in(panel: &MonoPanel, xs: std::ops::Range<usize>, ys: std::ops::Range<usize>) -> usize {
    ys.flat_map(|y| xs.clone().map(move |x| (x, y)))
        .filter(|&(x, y)| panel.get(x, y))
        .count()
}

#[test]
fn every_command_of_every_stream_is_accepted() {
    for name in [
        "card-black.prn",
        "card-white.prn",
        "card-gradient.prn",
        "evolis-card-text.prn",
    ] {
        let Some((p, replies)) = print_fixture(name, None) else {
            return;
        };
        assert_eq!(replies, vec!["OK"; STREAM_COMMANDS], "{name}");
        let s = p.state();
        assert_eq!(s.counters.cards_printed, 1, "{name}");
        assert_eq!(s.counters.cards_ejected, 1, "{name}: Se ejects by default");
        assert_eq!(s.card, None, "{name}");
        assert_eq!(s.counters.panels_printed, 1, "{name}: K only");
    }
}

#[test]
fn black_card_has_every_dot_inside_its_frame() {
    let dir = temp_dir("fixture-black");
    let Some((p, _)) = print_fixture("card-black.prn", Some(&dir)) else {
        return;
    };
    let k = black_of(&p);
    assert_eq!(k.count_set(), 656_383);
    // the driver draws a dotted frame on lines 0, 1, 1015 and the first column byte
    let inner = dots_in(&k, 8..648, 2..1015);
    assert_eq!(inner, 640 * 1013, "interior is solid black");
    assert_eq!(k.line(0)[5], 0x55);
    let png = dir.join("card-00001-front.png");
    let img = image::open(&png).expect("PNG written").to_rgb8();
    assert_eq!(img.dimensions(), (648, 1016));
    assert_eq!(img.get_pixel(300, 500).0, [0, 0, 0]);
    assert_eq!(p.last_printed().unwrap().png_files, vec![png]);
}

#[test]
fn white_card_has_no_dot_inside_its_frame() {
    let Some((p, _)) = print_fixture("card-white.prn", None) else {
        return;
    };
    let k = black_of(&p);
    assert_eq!(k.count_set(), 3_827);
    assert_eq!(dots_in(&k, 8..640, 3..1011), 0, "interior is white");
}

#[test]
fn gradient_darkens_towards_the_top_and_the_right() {
    let dir = temp_dir("fixture-gradient");
    let Some((p, _)) = print_fixture("card-gradient.prn", Some(&dir)) else {
        return;
    };
    let k = black_of(&p);
    assert_eq!(k.count_set(), 412_789);
    let rows: Vec<usize> = (0..8)
        .map(|b| dots_in(&k, 0..648, b * 127..(b + 1) * 127))
        .collect();
    assert!(rows.windows(2).all(|w| w[0] > w[1]), "row bands {rows:?}");
    let cols: Vec<usize> = (0..8)
        .map(|b| dots_in(&k, b * 81..(b + 1) * 81, 0..1016))
        .collect();
    assert!(
        cols.windows(2).all(|w| w[0] < w[1]),
        "column bands {cols:?}"
    );
    assert!(dir.join("card-00001-front.png").exists());
}

#[test]
fn text_card_is_sparse_ink_spread_over_the_card() {
    let dir = temp_dir("fixture-text");
    let Some((p, _)) = print_fixture("evolis-card-text.prn", Some(&dir)) else {
        return;
    };
    let k = black_of(&p);
    assert_eq!(k.count_set(), 84_881);
    let rows: Vec<usize> = (0..8)
        .map(|b| dots_in(&k, 0..648, b * 127..(b + 1) * 127))
        .collect();
    assert!(
        rows.iter().all(|&n| n > 5_000 && n < 20_000),
        "row bands {rows:?}"
    );
    assert!(dir.join("card-00001-front.png").exists());
}

#[test]
fn byte_by_byte_delivery_gives_the_same_card() {
    let Some(stream) = fixture("evolis-card-text.prn") else {
        cardline_device::skipped!("fixture evolis-card-text.prn not found");
        return;
    };
    let mut whole = SimPrinter::new(SimPrinterConfig::default());
    whole.feed(&stream);
    let mut split = SimPrinter::new(SimPrinterConfig::default());
    let mut out = Vec::new();
    for chunk in stream.chunks(7) {
        out.extend(split.feed(chunk));
    }
    assert_eq!(replies(&out), vec!["OK"; STREAM_COMMANDS]);
    assert_eq!(
        whole.last_printed().unwrap().front,
        split.last_printed().unwrap().front
    );
}
