//! How `EvolisPrinter` treats replies: the fault vocabulary, refusals, protocol errors,
//! timeouts, NUL padding, stale replies and reconnection, against a scripted link.

mod support;

use cardline_device::{
    CardImage, CardPrinter, CardSide, ColorPanel, JobPhase, LinkError, Overlay, PrinterError,
};
use cardline_evolis::{EvolisConfig, EvolisPrinter, FAULT_REPLIES, ScriptedLink};
use support::{fast, finish, session};

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
        label: None,
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
