//! The job flow of `EvolisPrinter` against a scripted link: park, print (mono, colour, duplex,
//! raw), eject, reject, jams per phase.

mod support;

use cardline_device::{
    CardImage, CardPrinter, CardSide, ColorPanel, JobPhase, MonoPanel, Overlay, PanelGeometry,
    PrinterError,
};
use cardline_evolis::{ColorLevels, EvolisConfig, EvolisPrinter};
use support::{fast, finish, session};

#[test]
fn park_polls_until_the_card_is_at_the_contact_station() {
    let link = session("Zenius")
        .command("Sis", "OK")
        .command("Rlr;p", "OK")
        .command("Rlr;p", "CARD")
        .command("Rlr;p", "SMART CARD");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    p.park_for_encoding().unwrap();
    finish(p);
}

#[test]
fn park_gives_up_after_the_bounded_wait() {
    let mut link = session("Zenius").command("Sis", "OK");
    for _ in 0..200 {
        link = link.command("Rlr;p", "CARD");
    }
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let e = p.park_for_encoding().unwrap_err();
    assert!(
        matches!(&e, PrinterError::NotPositioned { last_seen, .. } if last_seen.contains("PrintPosition")),
        "{e:?}"
    );
    assert!(e.is_card_fault());
}

#[test]
fn park_reports_feed_faults() {
    let link = session("Zenius").command("Sis", "ERR FEEDER EMPTY");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    assert!(matches!(
        p.park_for_encoding(),
        Err(PrinterError::FeederEmpty)
    ));
    let link = session("Zenius")
        .command("Sis", "OK")
        .command("Rlr;p", "ERR CARD JAM");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    assert!(matches!(
        p.park_for_encoding(),
        Err(PrinterError::Jam {
            phase: JobPhase::Parking
        })
    ));
}

fn mono_card() -> CardImage {
    let mut black = MonoPanel::blank();
    black.set(10, 10, true);
    CardImage {
        front: CardSide {
            color: None,
            black: Some(black),
            overlay: Overlay::Full,
        },
        back: None,
        label: None,
    }
}

#[test]
fn mono_front_with_overlay_uses_ko_ribbon_and_dbc() {
    // K: 1015 blank lines (2 bytes) + one line with 2 bytes of data (3 bytes) = 2033.
    let k_len = "\x1bDbc;k;2;2033;".len() + 2033 + 1;
    // A full overlay is smaller raw (82 296) than compressed (83 312): sent as Db.
    let o_len = "\x1bDb;o;2;".len() + 82_296 + 1;
    let link = session("Zenius")
        .command("Pneab;E", "OK")
        .command("Pr;ko", "OK")
        .command("Ss", "OK")
        .command("Sr", "OK")
        .download("Dbc;k;2;2033;", k_len, "OK")
        .download("Db;o;2;", o_len, "OK")
        .command("Se", "OK")
        .command("Pneab;A;1", "OK")
        .command("Se", "OK");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    p.print(&mono_card()).unwrap();
    p.eject().unwrap();
    finish(p);
}

#[test]
fn raw_mode_sends_db_k_2_with_82296_bytes() {
    let len = "\x1bDb;k;2;".len() + 82_296 + 1;
    let mut card = mono_card();
    card.front.overlay = Overlay::None;
    let link = session("Zenius")
        .command("Pneab;E", "OK")
        .command("Pr;k", "OK")
        .command("Ss", "OK")
        .command("Sr", "OK")
        .download("Db;k;2;", len, "OK")
        .command("Se", "OK");
    let config = EvolisConfig {
        compress_mono: false,
        ..fast()
    };
    let mut p = EvolisPrinter::connect(link, config).unwrap();
    let before = p.bytes_sent();
    p.print(&card).unwrap();
    assert_eq!(p.bytes_sent() - before, (9 + 6 + 4 + 4 + len + 4) as u64);
    finish(p);
}

#[test]
fn colour_duplex_sends_ymc_then_k_then_o_per_side() {
    let levels = ColorLevels::L32;
    let ymc_len = |p: &str| format!("\x1bDb;{p};32;").len() + levels.panel_bytes() + 1;
    let mut k = MonoPanel::blank();
    k.set(0, 0, true);
    let front = CardSide {
        color: Some(ColorPanel::filled([0, 128, 255])),
        black: Some(k),
        overlay: Overlay::Full,
    };
    let back = CardSide {
        color: None,
        black: Some(MonoPanel::full()),
        overlay: Overlay::Masked(MonoPanel::blank()),
    };
    let link = session("Primacy 2 Duplex")
        .command("Pneab;E", "OK")
        .command("Pr;ymcko", "OK")
        .command("Ss", "OK")
        .command("Sr", "OK")
        .download("Db;y;32;", ymc_len("y"), "OK")
        .download("Db;m;32;", ymc_len("m"), "OK")
        .download("Db;c;32;", ymc_len("c"), "OK")
        .download("Dbc;k;2;2032;", "\x1bDbc;k;2;2032;".len() + 2032 + 1, "OK")
        .download("Db;o;2;", "\x1bDb;o;2;".len() + 82_297, "OK")
        .command("Sv", "OK")
        .download("Db;k;2;", "\x1bDb;k;2;".len() + 82_297, "OK")
        .download("Dbc;o;2;2032;", "\x1bDbc;o;2;2032;".len() + 2033, "OK")
        .command("Se", "OK");
    let config = EvolisConfig {
        color_levels: levels,
        compress_color: false, // raw `Db` colour: the run-length form is checked elsewhere
        ..fast()
    };
    let mut p = EvolisPrinter::connect(link, config).unwrap();
    let r = p.print(&CardImage {
        front,
        back: Some(back),
        label: None,
    });
    assert!(r.is_ok(), "{r:?} {:?}", p.link().mismatch());
    finish(p);
}

#[test]
fn back_side_on_a_simplex_printer_is_unsupported() {
    let mut p = EvolisPrinter::connect(session("Zenius"), fast()).unwrap();
    let mut card = mono_card();
    card.back = Some(CardSide::default());
    assert!(matches!(
        p.print(&card),
        Err(PrinterError::Unsupported { .. })
    ));
    finish(p);
}

#[test]
fn panels_of_another_geometry_are_refused_before_anything_is_sent() {
    let mut p = EvolisPrinter::connect(session("Zenius"), fast()).unwrap();
    assert_eq!(p.capabilities().geometry, PanelGeometry::ID1_300_DPI);
    let magicard = PanelGeometry::new(641, 1016, 300).unwrap();
    let card = CardImage {
        front: CardSide {
            color: None,
            black: Some(MonoPanel::blank_at(magicard)),
            overlay: Overlay::None,
        },
        back: None,
        label: None,
    };
    match p.print(&card) {
        Err(PrinterError::Unsupported { what }) => {
            assert!(
                what.contains("641 × 1016") && what.contains("648 × 1016"),
                "{what}"
            );
        }
        other => panic!("{other:?}"),
    }
    finish(p);
}

#[test]
fn reject_goes_to_the_reject_box() {
    let link = session("Zenius")
        .command("Pneab;A;1", "OK")
        .command("Pcrm;D", "OK")
        .command("Ser", "OK");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    p.reject().unwrap();
    finish(p);
    let link = session("Zenius")
        .command("Pneab;A;1", "OK")
        .command("Pcrm;D", "OK")
        .command("Seb", "OK");
    let config = EvolisConfig {
        reject_box: cardline_evolis::commands::RejectBox::UnderFeeder,
        ..fast()
    };
    let mut p = EvolisPrinter::connect(link, config).unwrap();
    p.reject().unwrap();
    finish(p);
}

#[test]
fn jams_carry_the_phase_of_the_failing_step() {
    let card = CardImage {
        front: CardSide {
            overlay: Overlay::None,
            ..CardSide::default()
        },
        back: None,
        label: None,
    };
    let link = session("Zenius")
        .command("Pneab;E", "OK")
        .command("Pr;k", "OK")
        .command("Ss", "OK")
        .command("Sr", "OK")
        .command("Se", "ERR CARD JAM");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    assert!(matches!(
        p.print(&card),
        Err(PrinterError::Jam {
            phase: JobPhase::Printing
        })
    ));
    let link = session("Zenius")
        .command("Pneab;A;1", "OK")
        .command("Se", "ERR CARD JAM");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    assert!(matches!(
        p.eject(),
        Err(PrinterError::Jam {
            phase: JobPhase::Ejecting
        })
    ));
    let link = session("Zenius")
        .command("Pneab;A;1", "OK")
        .command("Pcrm;D", "OK")
        .command("Ser", "ERR CARD JAM");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    assert!(matches!(
        p.reject(),
        Err(PrinterError::Jam {
            phase: JobPhase::Rejecting
        })
    ));
}

#[test]
fn printers_sharing_a_colour_side_encode_it_for_their_own_settings() {
    // One prepared side, shared by the cards of two printers set to different levels: each
    // sends payloads of its own levels (the shared encoding is keyed by the settings).
    let side = ColorPanel::filled([0, 128, 255]);
    let image = || CardImage {
        front: CardSide {
            color: Some(side.clone()),
            black: None,
            overlay: Overlay::None,
        },
        back: None,
        label: None,
    };
    let script = |levels: ColorLevels| {
        let n = levels.count();
        let ymc = |p: &str| format!("\x1bDb;{p};{n};").len() + levels.panel_bytes() + 1;
        session("Primacy 2")
            .command("Pneab;E", "OK")
            .command("Pr;ymcko", "OK")
            .command("Ss", "OK")
            .command("Sr", "OK")
            .download(&format!("Db;y;{n};"), ymc("y"), "OK")
            .download(&format!("Db;m;{n};"), ymc("m"), "OK")
            .download(&format!("Db;c;{n};"), ymc("c"), "OK")
            .command("Se", "OK")
    };
    for levels in [ColorLevels::L32, ColorLevels::L64, ColorLevels::L32] {
        let config = EvolisConfig {
            color_levels: levels,
            compress_color: false,
            ..fast()
        };
        let mut p = EvolisPrinter::connect(script(levels), config).unwrap();
        let r = p.print(&image());
        assert!(r.is_ok(), "{levels:?}: {r:?} {:?}", p.link().mismatch());
        finish(p);
    }
}
