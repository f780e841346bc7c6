//! The job flow of `EvolisPrinter` against a scripted link: every command sequence and every
//! status / fault mapping of `docs/printer-driver.md`.

use cardline_device::{
    CardImage, CardPosition, CardPrinter, CardSide, ColorPanel, JobPhase, LinkError, MonoPanel,
    Overlay, PrinterError,
};
use cardline_evolis::{ColorLevels, EvolisConfig, EvolisPrinter, FAULT_REPLIES, ScriptedLink};
use std::time::Duration;

fn session(model: &str) -> ScriptedLink {
    ScriptedLink::new()
        .command("Pem;2", "OK")
        .command("Rtp", model)
        .command("Rsn", "SN42")
        .command("Rfv", "1.0.3")
}

fn fast() -> EvolisConfig {
    EvolisConfig {
        park_timeout: Duration::from_millis(30),
        poll_interval: Duration::from_millis(1),
        ..EvolisConfig::default()
    }
}

fn finish(p: EvolisPrinter<ScriptedLink>) {
    let link = p.link();
    assert!(
        link.finished(),
        "mismatch: {:?}, {} exchanges left",
        link.mismatch(),
        link.remaining()
    );
}

/// Status script with one reply per query, in the driver's order.
fn status_script(link: ScriptedLink, replies: [&str; 8]) -> ScriptedLink {
    let queries = [
        "Rlr;p",
        "Rse;o",
        "Rse;f",
        "Rlr;h",
        "Rr",
        "Rrt;count",
        "Rrt;qty",
        "Rco;c",
    ];
    queries
        .iter()
        .zip(replies)
        .fold(link, |l, (q, r)| l.command(q, r))
}

#[test]
fn connect_reads_identity_and_capabilities() {
    let p = EvolisPrinter::connect(session("Primacy 2 Duplex"), fast()).unwrap();
    assert_eq!(p.identity().model.as_deref(), Some("Primacy 2 Duplex"));
    assert_eq!(p.identity().serial.as_deref(), Some("SN42"));
    assert_eq!(p.identity().firmware.as_deref(), Some("1.0.3"));
    assert!(p.capabilities().duplex);
    assert!(p.describe().contains("Primacy 2 Duplex"));
    finish(p);
}

#[test]
fn connect_tolerates_unknown_identity_queries() {
    let link = ScriptedLink::new()
        .command("Pem;2", "OK")
        .command("Rtp", "ERROR CDE")
        .command("Rsn", "ERROR CDE")
        .command("Rfv", "2.1");
    let p = EvolisPrinter::connect(link, fast()).unwrap();
    assert_eq!(p.identity().model, None);
    assert_eq!(p.identity().firmware.as_deref(), Some("2.1"));
    finish(p);
}

#[test]
fn ready_status_maps_every_field() {
    let link = status_script(
        session("Zenius"),
        [
            "SMART CARD",
            "5,00 Volts",
            "5,00 Volts",
            "NO CARD",
            "ymcko",
            "187",
            "200",
            "4321",
        ],
    );
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let s = p.status().unwrap();
    assert_eq!(s.position, Some(CardPosition::ContactStation));
    assert!(!s.cover_open && !s.feeder_empty && !s.reject_box_full);
    assert_eq!(s.ribbon.kind.as_deref(), Some("ymcko"));
    assert_eq!(s.ribbon.remaining, Some(187));
    assert_eq!(s.ribbon.capacity, Some(200));
    assert_eq!(s.total_cards, Some(4321));
    assert_eq!(s.model.as_deref(), Some("Zenius"));
    assert!(s.is_ready(), "{s:?}");
    finish(p);
}

#[test]
fn sensor_and_box_faults_show_in_status() {
    let link = status_script(
        session("Zenius"),
        [
            "OK",
            "0,00 Volts",
            "0,00 Volts",
            "CARD",
            "k",
            "0",
            "100",
            "ERROR CDE",
        ],
    );
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let s = p.status().unwrap();
    assert_eq!(s.position, Some(CardPosition::NoCard));
    assert!(s.cover_open && s.feeder_empty && s.reject_box_full);
    assert_eq!(s.faults, vec!["ribbon_out".to_string()]);
    assert_eq!(s.total_cards, None);
    assert!(!s.is_ready());
    finish(p);
}

#[test]
fn missing_ribbon_and_stuck_card_show_in_status() {
    let link = session("Zenius")
        .command("Rlr;p", "ERR CARD JAM")
        .command("Rse;o", "5,00 Volts")
        .command("Rse;f", "5,00 Volts")
        .command("Rlr;h", "NO CARD")
        .command("Rr", "ymcko")
        .command("Rrt;count", "ERR RIB DETECTION")
        .command("Rco;c", "12");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let s = p.status().unwrap();
    assert_eq!(s.position, None);
    assert_eq!(
        s.faults,
        vec!["card_jam".to_string(), "ribbon_missing".to_string()]
    );
    assert_eq!(s.ribbon.kind, None);
    finish(p);
}

#[test]
fn fault_replies_to_status_queries_set_flags() {
    let link = session("Zenius")
        .command("Rlr;p", "ERR COVER OPEN")
        .command("Rse;o", "ERR BUSY")
        .command("Rse;f", "ERR FEEDER EMPTY")
        .command("Rlr;h", "ERR REJECT BOX FULL")
        .command("Rr", "ERR HEAD TEMP")
        .command("Rrt;count", "ERR RIBBON END")
        .command("Rrt;qty", "10")
        .command("Rco;c", "1");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let s = p.status().unwrap();
    assert!(s.cover_open && s.feeder_empty && s.reject_box_full);
    assert_eq!(s.faults, vec!["busy", "head_overheat", "ribbon_out"]);
    finish(p);
}

#[test]
fn spurious_ok_to_ribbon_count_is_retried() {
    let link = session("Zenius")
        .command("Rlr;p", "OK")
        .command("Rse;o", "5,00 Volts")
        .command("Rse;f", "5,00 Volts")
        .command("Rlr;h", "NO CARD")
        .command("Rr", "k")
        .command("Rrt;count", "OK")
        .command("Rrt;count", "OK")
        .command("Rrt;count", "99")
        .command("Rrt;qty", "100")
        .command("Rco;c", "1");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    assert_eq!(p.status().unwrap().ribbon.remaining, Some(99));
    finish(p);
}

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
        ..fast()
    };
    let mut p = EvolisPrinter::connect(link, config).unwrap();
    let r = p.print(&CardImage {
        front,
        back: Some(back),
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
fn every_vocabulary_fault_surfaces_from_an_action() {
    for (_, reply) in FAULT_REPLIES {
        let link = session("Zenius").command("Sis", reply);
        let mut p = EvolisPrinter::connect(link, fast()).unwrap();
        let e = p.park_for_encoding().unwrap_err();
        let expected = match *reply {
            "ERR COVER OPEN" => matches!(e, PrinterError::CoverOpen),
            "ERR FEEDER EMPTY" => matches!(e, PrinterError::FeederEmpty),
            "ERR RIBBON END" => matches!(e, PrinterError::RibbonOut),
            "ERR RIB DETECTION" => matches!(e, PrinterError::RibbonMissing),
            "ERR CARD JAM" => matches!(
                e,
                PrinterError::Jam {
                    phase: JobPhase::Parking
                }
            ),
            "ERR FEEDER JAM" => matches!(
                e,
                PrinterError::Jam {
                    phase: JobPhase::Feeding
                }
            ),
            "ERR REJECT BOX FULL" => matches!(e, PrinterError::RejectBoxFull),
            "ERR BUSY" => matches!(e, PrinterError::Busy),
            "ERR HEAD TEMP" => matches!(e, PrinterError::HeadOverheat),
            other => panic!("untested vocabulary entry {other}"),
        };
        assert!(expected, "{reply} → {e:?}");
    }
}

#[test]
fn refusals_and_unknown_errors_are_refused_with_command_and_reply() {
    for reply in ["ERROR CDE", "ERROR PARAMETERS", "ERR SOMETHING NEW"] {
        let link = session("Zenius").command("Sis", reply);
        let mut p = EvolisPrinter::connect(link, fast()).unwrap();
        match p.park_for_encoding() {
            Err(PrinterError::Refused { command, reply: r }) => {
                assert_eq!(command, "Sis");
                assert_eq!(r, reply);
            }
            other => panic!("{reply}: {other:?}"),
        }
    }
}

#[test]
fn nonsense_reply_to_an_action_is_a_protocol_error() {
    let link = session("Zenius").command("Sis", "CARD");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    assert!(matches!(
        p.park_for_encoding(),
        Err(PrinterError::Protocol { .. })
    ));
}

#[test]
fn cleaning_warning_counts_as_success() {
    let link = session("Zenius")
        .command("Pneab;A;1", "ERR NEED CLEANING")
        .command("Se", "OK");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    p.eject().unwrap();
    finish(p);
}

#[test]
fn silent_printer_times_out() {
    let link = session("Zenius").silent("Sis");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    let e = p.park_for_encoding().unwrap_err();
    assert!(
        matches!(e, PrinterError::Link(LinkError::Timeout { .. })),
        "{e:?}"
    );
    assert!(e.is_transient());
}

#[test]
fn nul_padding_and_split_replies_are_reassembled() {
    let link = ScriptedLink::new()
        .chunked(1)
        .expect(b"\x1bPem;2\r", b"\0\0\0OK\r\0\0")
        .expect(b"\x1bRtp\r", b"\r\0Primacy\r")
        .expect(b"\x1bRsn\r", b"X1\r\n")
        .expect(b"\x1bRfv\r", b"\0F1\r");
    let p = EvolisPrinter::connect(link, fast()).unwrap();
    assert_eq!(p.identity().model.as_deref(), Some("Primacy"));
    assert_eq!(p.identity().serial.as_deref(), Some("X1"));
    assert_eq!(p.identity().firmware.as_deref(), Some("F1"));
}

#[test]
fn stale_replies_are_dropped_before_the_next_command() {
    // The printer answers Rtp twice (a late duplicate); the duplicate must not be taken as the
    // answer to Rsn.
    let link = ScriptedLink::new()
        .command("Pem;2", "OK")
        .expect(b"\x1bRtp\r", b"Zenius\rZenius\r")
        .command("Rsn", "S1")
        .command("Rfv", "F1");
    let p = EvolisPrinter::connect(link, fast()).unwrap();
    assert_eq!(p.identity().serial.as_deref(), Some("S1"));
}

#[test]
fn reconnect_resets_the_link_and_reapplies_host_error_management() {
    let link = session("Zenius")
        .silent("Rlr;p")
        .command("Pem;2", "OK")
        .command("Rlr;p", "SMART CARD");
    let mut p = EvolisPrinter::connect(link, fast()).unwrap();
    assert!(p.status().is_err());
    p.reconnect().unwrap();
    let link = p.link();
    assert_eq!(link.remaining(), 1);
}

#[test]
fn colour_run_length_is_opt_in_and_used_when_smaller() {
    // Y = 0 everywhere (each line `80 00`), M and C one run per line (511 + 137 dots at 6 bits).
    let card = CardImage {
        front: CardSide {
            color: Some(ColorPanel::filled([0, 128, 255])),
            black: None,
            overlay: Overlay::None,
        },
        back: None,
    };
    let frame_len = |p: &str, n: usize| format!("\x1bDbc;{p};64;{n};").len() + n + 1;
    let link = session("Zenius")
        .command("Pneab;E", "OK")
        .command("Pr;ymcko", "OK")
        .command("Ss", "OK")
        .command("Sr", "OK")
        .download("Dbc;y;64;2032;", frame_len("y", 2032), "OK")
        .download("Dbc;m;64;4064;", frame_len("m", 4064), "OK")
        .download("Dbc;c;64;4064;", frame_len("c", 4064), "OK")
        .command("Se", "OK");
    let config = EvolisConfig {
        compress_color: true,
        ..fast()
    };
    let mut p = EvolisPrinter::connect(link, config).unwrap();
    let r = p.print(&card);
    assert!(r.is_ok(), "{r:?} {:?}", p.link().mismatch());
    let m = p
        .link()
        .sent()
        .iter()
        .find(|f| f.starts_with(b"\x1bDbc;m;64;4064;"))
        .unwrap();
    assert_eq!(&m[15..19], &[0xC0 | 31, 255, 0x80 | 31, 137]);
    finish(p);
}
