//! How `MagicardPrinter` treats replies: every error code of `docs/magicard-protocol.md` §5 as a
//! typed error with the right class, refusals, protocol errors, timeouts, padding, split and
//! stale replies, against a scripted link.

mod support;

use cardline_device::{CardPrinter, JobPhase, LinkError, PrinterError};
use cardline_magicard::{KNOWN_FAULTS, MagicardFault, MagicardPrinter, ScriptedLink};
use support::{fast, finish, session};

/// The error `EJT` fails with when the printer answers `reply`.
fn eject_error(reply: &str) -> PrinterError {
    let link = session("Rio Pro").command("EJT", reply);
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    let e = p.eject().unwrap_err();
    finish(&p);
    e
}

#[test]
fn every_code_of_the_table_is_its_typed_error() {
    let ej = JobPhase::Ejecting;
    for fault in KNOWN_FAULTS {
        let code = fault.code();
        if fault == MagicardFault::CleaningOverdue {
            continue; // a warning: see `cleaning_warning_counts_as_done`
        }
        let e = eject_error(&format!("ERR,{code}"));
        let (ok, class) = match code {
            1025 => (matches!(e, PrinterError::FeederEmpty), "operator"),
            1026 | 1027 => (
                matches!(e, PrinterError::Jam { phase } if phase == ej),
                "card",
            ),
            1037 => (
                matches!(e, PrinterError::MagStripeVerify { phase } if phase == ej),
                "card",
            ),
            1038 => (matches!(e, PrinterError::CoverOpen), "operator"),
            1042 => (matches!(e, PrinterError::RibbonOut), "operator"),
            1046 => (matches!(e, PrinterError::RibbonMissing), "operator"),
            9001 => (matches!(e, PrinterError::HeadOverheat), "transient"),
            3001 => (matches!(e, PrinterError::RejectBoxFull), "operator"),
            3002 => (
                matches!(e, PrinterError::EncoderContact { phase } if phase == ej),
                "setup",
            ),
            other => panic!("code {other} of the table is not tested"),
        };
        assert!(ok, "ERR,{code} → {e:?}");
        let got = match (
            e.is_transient(),
            e.needs_operator(),
            e.is_card_fault(),
            e.needs_setup_check(),
        ) {
            (true, false, false, false) => "transient",
            (false, true, false, false) => "operator",
            (false, false, true, false) => "card",
            (false, false, false, true) => "setup",
            (false, false, false, false) => "station",
            other => panic!("ERR,{code}: two classes at once {other:?}"),
        };
        assert_eq!(e.fault(), fault.fault(), "ERR,{code}");
        assert_eq!(got, class, "ERR,{code}: {e}");
    }
}

#[test]
fn a_jam_carries_the_phase_of_the_command_that_reported_it() {
    let link = session("Rio Pro").command("CHPDOWN", "ERR,1026");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    assert!(matches!(
        p.park_for_encoding(),
        Err(PrinterError::Jam {
            phase: JobPhase::Parking
        })
    ));
    let link = session("Rio Pro").command("RJT", "ERR,1027");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    assert!(matches!(
        p.reject(),
        Err(PrinterError::Jam {
            phase: JobPhase::Rejecting
        })
    ));
}

#[test]
fn unknown_codes_keep_their_number_and_stop_the_station() {
    let e = eject_error("ERR,4711");
    let text = e.to_string();
    assert!(text.contains("4711") && text.contains("EJT"), "{text}");
    assert!(!e.is_transient() && !e.needs_operator() && !e.is_card_fault());
    assert!(!e.needs_setup_check());
    assert_eq!(
        e.fault(),
        Some(cardline_device::PrinterFault::Unknown("4711".into()))
    );
}

#[test]
fn unknown_command_and_other_err_texts_are_refusals() {
    for reply in ["ERR,UNKNOWN", "ERR,JAMMED", "ERR"] {
        match eject_error(reply) {
            PrinterError::Refused { command, reply: r } => {
                assert_eq!(command, "EJT");
                assert_eq!(r, reply);
            }
            other => panic!("{reply}: {other:?}"),
        }
    }
}

#[test]
fn nonsense_replies_are_protocol_errors() {
    assert!(matches!(eject_error("DONE"), PrinterError::Protocol { .. }));
    // A status answer for another key is not taken for this one.
    let link = session("Rio Pro")
        .command("CHPDOWN", "OK")
        .command("STA,POS", "STA,LID,CLOSED");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    match p.park_for_encoding() {
        Err(PrinterError::Protocol { command, reply }) => {
            assert_eq!(command, "STA,POS");
            assert_eq!(reply, "STA,LID,CLOSED");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cleaning_warning_counts_as_done() {
    let link = session("Rio Pro").command("EJT", "ERR,2048");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    p.eject().unwrap();
    finish(&p);
}

#[test]
fn silent_printer_times_out_transiently() {
    let link = session("Rio Pro").silent("EJT");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    let e = p.eject().unwrap_err();
    assert!(
        matches!(e, PrinterError::Link(LinkError::Timeout { .. })),
        "{e:?}"
    );
    assert!(e.is_transient());
}

#[test]
fn padding_noise_and_split_replies_are_reassembled() {
    use cardline_magicard::frame::command_frame;
    let link = ScriptedLink::new()
        .chunked(1)
        .expect(
            &command_frame("STA,MDL"),
            b"\0\0\x01STA,MDL,Enduro+,\x03\0\0",
        )
        .expect(&command_frame("STA,MSR"), b"junk\x01STA,MSR,M1,\x03")
        .expect(&command_frame("STA,VRS"), b"\x01STA,VRS,2.0.1,\x03");
    let p = MagicardPrinter::connect(link, fast()).unwrap();
    assert_eq!(p.identity().model.as_deref(), Some("Enduro+"));
    assert_eq!(p.identity().serial.as_deref(), Some("M1"));
    assert_eq!(p.identity().firmware.as_deref(), Some("2.0.1"));
    finish(&p);
}

#[test]
fn stale_replies_are_dropped_before_the_next_command() {
    // The printer answers STA,MDL twice; the duplicate must not be taken for STA,MSR's answer.
    use cardline_magicard::frame::command_frame;
    let link = ScriptedLink::new()
        .expect(
            &command_frame("STA,MDL"),
            b"\x01STA,MDL,Rio,\x03\x01STA,MDL,Rio,\x03",
        )
        .status("MSR", "S1")
        .status("VRS", "F1");
    let p = MagicardPrinter::connect(link, fast()).unwrap();
    assert_eq!(p.identity().serial.as_deref(), Some("S1"));
}

#[test]
fn identity_queries_a_printer_refuses_stay_empty() {
    let link = ScriptedLink::new()
        .status("MDL", "Tango 2E")
        .command("STA,MSR", "ERR,UNKNOWN")
        .status("VRS", "");
    let p = MagicardPrinter::connect(link, fast()).unwrap();
    assert_eq!(p.identity().model.as_deref(), Some("Tango 2E"));
    assert_eq!(p.identity().serial, None);
    assert_eq!(p.identity().firmware, None);
}

#[test]
fn a_fault_while_connecting_fails_the_connect() {
    let link = ScriptedLink::new().command("STA,MDL", "ERR,1038");
    assert!(matches!(
        MagicardPrinter::connect(link, fast()),
        Err(PrinterError::CoverOpen)
    ));
}

#[test]
fn a_flood_in_any_reply_fails_the_command_with_the_limit() {
    use cardline_magicard::MAX_REPLY_BYTES;
    use cardline_magicard::frame::command_frame;
    let flood = [&b"\x01STA,POS,"[..], &vec![b'A'; 2 * MAX_REPLY_BYTES]].concat();
    let link = session("Rio Pro").expect(&command_frame("STA,POS"), &flood);
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    match p.status() {
        Err(PrinterError::Protocol { command, reply }) => {
            assert_eq!(command, "STA,POS");
            assert!(reply.contains("1024 bytes"), "{reply}");
        }
        other => panic!("status must not swallow a flood: {other:?}"),
    }
}
