//! The card flows of `MagicardPrinter` against a scripted printer: park → print → eject,
//! park → reject, printing from standby, duplex, the park timeout, status with each fault, and
//! reconnection.

mod support;

use cardline_device::{
    CardImage, CardPosition, CardPrinter, CardSide, ColorPanel, JobPhase, MonoPanel, Overlay,
    PrinterError, PrinterFault,
};
use cardline_magicard::{MagicardConfig, MagicardPrinter, ScriptedLink, is_magicard};
use support::decoder::parse_stream;
use support::{fast, finish, session};

fn card() -> CardImage {
    let mut black = MonoPanel::blank();
    black.set(100, 100, true);
    CardImage {
        front: CardSide {
            color: Some(ColorPanel::filled([200, 100, 50])),
            black: Some(black),
            overlay: Overlay::Full,
        },
        back: None,
        label: None,
    }
}

#[test]
fn park_then_print_lifts_the_contacts_first_then_eject() {
    let link = session("Rio Pro 360")
        .command("CHPDOWN", "OK")
        .status("POS", "STANDBY")
        .status("POS", "CONTACTS")
        .status("POS", "CONTACTS")
        .command("CHPUP", "OK")
        .job("PRT,OK")
        .command("EJT", "OK");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    p.park_for_encoding().unwrap();
    p.print(&card()).unwrap();
    p.eject().unwrap();
    finish(&p);
    let job = p.link().jobs().next().expect("one job sent");
    let pages = parse_stream(job);
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].token("IMF"), Some("BGRK"));
    assert_eq!(pages[0].token("VER"), Some(env!("CARGO_PKG_VERSION")));
    let tdt = u32::from_str_radix(pages[0].token("TDT").unwrap(), 16).unwrap();
    assert!(
        tdt > 1_700_000_000,
        "TDT is the current Unix time: {tdt:#x}"
    );
    assert!(p.bytes_sent() as usize > job.len());
}

#[test]
fn a_card_in_standby_is_printed_without_moving_the_contacts() {
    let link = session("Rio Pro").status("POS", "STANDBY").job("PRT,OK");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    p.print(&card()).unwrap();
    finish(&p);
}

#[test]
fn park_then_reject() {
    let link = session("Rio Pro")
        .command("CHPDOWN", "OK")
        .status("POS", "CONTACTS")
        .command("RJT", "OK");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    p.park_for_encoding().unwrap();
    p.reject().unwrap();
    finish(&p);
}

#[test]
fn park_gives_up_after_the_bounded_wait() {
    let mut link = session("Rio Pro").command("CHPDOWN", "OK");
    for _ in 0..500 {
        link = link.status("POS", "STANDBY");
    }
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    let e = p.park_for_encoding().unwrap_err();
    assert!(
        matches!(&e, PrinterError::NotPositioned { wanted, last_seen, .. }
            if wanted == "smart-card contacts" && last_seen.contains("PrintPosition")),
        "{e:?}"
    );
    assert!(e.is_card_fault());
}

#[test]
fn contacts_that_do_not_engage_are_a_setup_check_not_the_cards_fault() {
    let link = session("Rio Pro").command("CHPDOWN", "ERR,3002");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    let e = p.park_for_encoding().unwrap_err();
    assert!(
        !e.is_card_fault() && !e.is_transient() && !e.needs_operator(),
        "{e:?}"
    );
    assert!(
        matches!(
            e,
            PrinterError::EncoderContact {
                phase: JobPhase::Parking
            }
        ),
        "{e:?}"
    );
    assert!(e.needs_setup_check());
}

#[test]
fn a_duplex_card_whose_front_fails_sends_no_back() {
    let mut duplex_card = card();
    duplex_card.back = Some(CardSide::default());
    let link = session("Rio Pro 360 Duo")
        .status("POS", "STANDBY")
        .job("ERR,1027");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    let e = p.print(&duplex_card).unwrap_err();
    assert!(matches!(e, PrinterError::Jam { .. }), "{e:?}");
    finish(&p);
    assert_eq!(p.link().jobs().count(), 1);
}

#[test]
fn print_faults_are_typed() {
    for (reply, check) in [
        (
            "ERR,1026",
            (|e: &PrinterError| {
                matches!(
                    e,
                    PrinterError::Jam {
                        phase: JobPhase::Printing
                    }
                )
            }) as fn(&PrinterError) -> bool,
        ),
        ("ERR,1042", |e| matches!(e, PrinterError::RibbonOut)),
        ("ERR,9001", |e| matches!(e, PrinterError::HeadOverheat)),
        ("OK", |e| matches!(e, PrinterError::Protocol { .. })),
    ] {
        let link = session("Rio Pro").status("POS", "STANDBY").job(reply);
        let mut p = MagicardPrinter::connect(link, fast()).unwrap();
        let e = p.print(&card()).unwrap_err();
        assert!(check(&e), "{reply}: {e:?}");
    }
}

#[test]
fn a_back_side_needs_a_duplex_printer_and_goes_as_page_two() {
    let mut duplex_card = card();
    duplex_card.back = Some(CardSide {
        color: None,
        black: Some(MonoPanel::full()),
        overlay: Overlay::Full,
    });
    // Not duplex: refused before anything is sent.
    let mut p = MagicardPrinter::connect(session("Rio Pro"), fast()).unwrap();
    assert!(!p.capabilities().duplex);
    let e = p.print(&duplex_card).unwrap_err();
    assert!(matches!(e, PrinterError::Unsupported { .. }), "{e:?}");
    finish(&p);
    // Duplex by model name, and by configuration.
    for (model, config) in [
        ("Rio Pro 360 Duo", fast()),
        (
            "Enduro 3E",
            MagicardConfig {
                duplex: Some(true),
                ..fast()
            },
        ),
    ] {
        // Two jobs, each answered PRT,OK (as Gutenprint sends a duplex card).
        let link = session(model)
            .status("POS", "STANDBY")
            .job("PRT,OK")
            .job("PRT,OK");
        let mut p = MagicardPrinter::connect(link, config).unwrap();
        assert!(p.capabilities().duplex, "{model}");
        p.print(&duplex_card).unwrap();
        finish(&p);
        let jobs: Vec<_> = p.link().jobs().map(|j| parse_stream(j)).collect();
        assert!(
            jobs.iter().all(|pages| pages.len() == 1),
            "one page per job"
        );
        let tags: Vec<_> = jobs.iter().map(|pg| pg[0].token("PAG").unwrap()).collect();
        assert_eq!(tags, ["1", "2"]);
        assert_eq!(jobs[0][0].token("BAC"), Some("KO"));
    }
}

/// The status queries in the driver's order, each answered `STA,<key>,<value>` (or a raw reply
/// when the value starts with `ERR`).
fn status_script(link: ScriptedLink, values: [&str; 8]) -> ScriptedLink {
    let keys = ["POS", "ERR", "LID", "HOP", "RJB", "RIB", "DFR", "TCQ"];
    keys.iter().zip(values).fold(link, |l, (k, v)| {
        if v.starts_with("ERR,") {
            l.command(&format!("STA,{k}"), v)
        } else {
            l.status(k, v)
        }
    })
}

fn status_of(values: [&str; 8]) -> cardline_device::PrinterStatus {
    let link = status_script(session("Rio Pro"), values);
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    let s = p.status().unwrap();
    finish(&p);
    s
}

const READY: [&str; 8] = ["NONE", "0", "CLOSED", "OK", "OK", "YMCKO", "350", "1234"];

#[test]
fn status_of_a_ready_printer() {
    let s = status_of(READY);
    assert!(s.is_ready(), "{s:?}");
    assert_eq!(s.position, Some(CardPosition::NoCard));
    assert_eq!(s.model.as_deref(), Some("Rio Pro"));
    assert_eq!(s.serial.as_deref(), Some("MC0042"));
    assert_eq!(s.ribbon.kind.as_deref(), Some("ymcko"));
    assert_eq!(s.ribbon.remaining, Some(350));
    assert_eq!(s.total_cards, Some(1234));
}

#[test]
fn status_with_each_fault() {
    let with = |i: usize, v: &'static str| {
        let mut values = READY;
        values[i] = v;
        status_of(values)
    };
    // Error codes reported by STA,ERR.
    for (code, name) in [
        ("1026", "card_jam"),
        ("1027", "card_jam"),
        ("1037", "mag_verify_failed"),
        ("1042", "ribbon_out"),
        ("1046", "ribbon_missing"),
        ("9001", "head_overheat"),
        ("3002", "encoder_contact"),
        ("4711", "unknown_4711"),
    ] {
        let s = with(1, code);
        let names: Vec<String> = s.faults.iter().map(|f| f.to_string()).collect();
        assert_eq!(names, [name], "STA,ERR,{code}");
        assert!(!s.is_ready());
    }
    assert!(with(1, "1038").cover_open);
    assert!(with(1, "1025").feeder_empty);
    assert!(with(1, "3001").reject_box_full);
    let cleaning = with(1, "2048");
    assert!(
        cleaning.is_ready(),
        "cleaning overdue is a warning: {cleaning:?}"
    );
    // The sensors.
    assert!(with(2, "OPEN").cover_open);
    assert!(with(3, "EMPTY").feeder_empty);
    assert!(with(4, "FULL").reject_box_full);
    let no_ribbon = with(5, "NONE");
    assert_eq!(no_ribbon.faults, [PrinterFault::RibbonMissing]);
    assert_eq!(no_ribbon.ribbon.kind, None);
    assert_eq!(with(6, "0").faults, [PrinterFault::RibbonOut]);
    // A query answered with a fault records it; a refused one leaves its field empty.
    let jammed = with(0, "ERR,1026");
    assert_eq!(jammed.position, None);
    assert_eq!(jammed.faults, [PrinterFault::Jam]);
    let refused = with(7, "ERR,UNKNOWN");
    assert_eq!(refused.total_cards, None);
    assert!(refused.is_ready());
    // The sensors answered: known. A refused lid query leaves the cover unknown, not closed.
    assert!(refused.cover_known && refused.feeder_known);
    let lid_refused = with(2, "ERR,UNKNOWN");
    assert!(!lid_refused.cover_known && !lid_refused.cover_open);
    assert!(lid_refused.feeder_known);
    assert_eq!(
        with(0, "CONTACTS").position,
        Some(CardPosition::ContactStation)
    );
}

#[test]
fn reconnect_resets_the_link_and_the_printer() {
    let link = session("Rio Pro")
        .silent("EJT")
        .command("RST", "OK")
        .command("EJT", "OK");
    let mut p = MagicardPrinter::connect(link, fast()).unwrap();
    assert!(p.eject().is_err());
    p.reconnect().unwrap();
    p.eject().unwrap();
    finish(&p);
}

#[test]
fn describe_and_usb_ids() {
    let p = MagicardPrinter::connect(session("Enduro+"), fast()).unwrap();
    assert_eq!(p.describe(), "Magicard Enduro+ on scripted");
    assert!(p.capabilities().contact_station && p.capabilities().reject_box);
    assert!(is_magicard(cardline_magicard::MAGICARD_VENDOR_ID));
}
