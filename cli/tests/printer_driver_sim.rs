//! The real Evolis driver over real links (serial on a pseudo-terminal, TCP) against the
//! simulated printer: full jobs, what the simulator received, and every injected fault surfacing
//! as the right typed error.

use std::time::Duration;

use cardline_device::{
    CardImage, CardPosition, CardPrinter, CardSide, ColorPanel, JobPhase, LinkError, MonoPanel,
    Overlay, PrinterError,
};
use cardline_evolis::{ColorLevels, EvolisConfig, EvolisPrinter};
use cardline_link::{SerialSettings, TcpLink};
use cardline_sim::faults::{PrinterFaultPlan, ScriptedFault};
use cardline_sim::printer::{
    PtyEndpoint, SimCardPosition, SimPrinter, SimPrinterConfig, SimPrinterHandle, TcpEndpoint,
};

fn config() -> EvolisConfig {
    EvolisConfig {
        poll_interval: Duration::from_millis(2),
        reply_timeout_cap: Some(Duration::from_secs(2)),
        ..EvolisConfig::default()
    }
}

fn sim_with(faults: &[&str]) -> SimPrinterHandle {
    let faults: Vec<ScriptedFault> = faults.iter().map(|f| f.parse().unwrap()).collect();
    SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig {
        faults: PrinterFaultPlan::scripted(faults),
        ..SimPrinterConfig::default()
    }))
}

/// The driver on TCP to a fresh simulated printer with `faults`.
fn over_tcp(faults: &[&str]) -> (EvolisPrinter<TcpLink>, SimPrinterHandle, TcpEndpoint) {
    let sim = sim_with(faults);
    let endpoint = TcpEndpoint::start(sim.clone(), "127.0.0.1:0").unwrap();
    let link = TcpLink::connect(&endpoint.addr().to_string(), Duration::from_secs(2)).unwrap();
    let printer = EvolisPrinter::connect(link, config()).unwrap();
    (printer, sim, endpoint)
}

fn colour_card() -> CardImage {
    let mut rgb = ColorPanel::filled([255, 255, 255]);
    let mut black = MonoPanel::blank();
    for y in 100..300 {
        for x in 50..600 {
            rgb.set(x, y, [(x / 3) as u8, 64, 200]);
        }
        black.set(y, y, true);
    }
    CardImage {
        front: CardSide {
            color: Some(rgb),
            black: Some(black),
            overlay: Overlay::Full,
        },
        back: None,
        label: None,
    }
}

#[test]
fn park_print_eject_over_a_pseudo_terminal() {
    let sim = sim_with(&[]);
    let pty = match PtyEndpoint::start(sim.clone()) {
        Ok(p) => p,
        Err(e) => {
            cardline_device::skipped!("no pseudo-terminal ({e})");
            return;
        }
    };
    let link = SerialSettings::new(pty.path().to_str().unwrap())
        .open()
        .unwrap();
    let mut printer = EvolisPrinter::connect(link, config()).unwrap();
    assert!(printer.status().unwrap().is_ready());

    printer.park_for_encoding().unwrap();
    assert_eq!(sim.card_at_contact_station(), Some(1));
    assert_eq!(
        printer.status().unwrap().position,
        Some(CardPosition::ContactStation)
    );

    let card = colour_card();
    printer.print(&card).unwrap();
    assert!(matches!(
        sim.state().card,
        Some((1, SimCardPosition::PrintPosition))
    ));
    printer.eject().unwrap();
    assert_eq!(sim.state().card, None);

    // What the simulator decoded is what the driver meant to print.
    let printed = sim.last_printed().unwrap();
    assert_eq!(printed.card_number, 1);
    assert_eq!(printed.front.black.as_ref(), card.front.black.as_ref());
    assert_eq!(printed.front.overlay.as_ref(), Some(&MonoPanel::full()));
    let y = printed.front.yellow.as_ref().unwrap();
    assert_eq!(y.levels(), usize::from(ColorLevels::L64.count()));
    // Dot (300, 200): RGB (100, 64, 200) → Y = 255 − 200 = 55 → 55·63/255 ≈ 14.
    assert_eq!(y.value(300, 200), 14);
    assert_eq!(printed.front.cyan.as_ref().unwrap().value(300, 200), 38); // 155·63/255
    assert_eq!(y.value(10, 10), 0);
}

#[test]
fn duplex_job_and_reject_over_tcp() {
    let (mut printer, sim, _tcp) = over_tcp(&[]);
    let mut card = colour_card();
    card.back = Some(CardSide {
        color: None,
        black: Some(MonoPanel::full()),
        overlay: Overlay::None,
    });
    printer.print(&card).unwrap();
    printer.eject().unwrap();
    let printed = sim.last_printed().unwrap();
    assert_eq!(
        printed.back.as_ref().unwrap().black.as_ref(),
        Some(&MonoPanel::full())
    );

    printer.park_for_encoding().unwrap();
    printer.reject().unwrap();
    let state = sim.state();
    assert_eq!(state.reject_box, 1);
    assert_eq!(state.card, None);
}

#[test]
fn every_injected_fault_surfaces_as_its_typed_error() {
    type Check = fn(&PrinterError) -> bool;
    let cases: &[(&str, &str, Check)] = &[
        ("jam@1:parking", "park", |e| {
            matches!(
                e,
                PrinterError::Jam {
                    phase: JobPhase::Parking
                }
            )
        }),
        ("jam@1:feeding", "park", |e| {
            matches!(
                e,
                PrinterError::Jam {
                    phase: JobPhase::Feeding
                }
            )
        }),
        ("jam@1:printing", "print", |e| {
            matches!(
                e,
                PrinterError::Jam {
                    phase: JobPhase::Printing
                }
            )
        }),
        ("jam@1:ejecting", "print+eject", |e| {
            matches!(
                e,
                PrinterError::Jam {
                    phase: JobPhase::Ejecting
                }
            )
        }),
        ("jam@1:rejecting", "park+reject", |e| {
            matches!(
                e,
                PrinterError::Jam {
                    phase: JobPhase::Rejecting
                }
            )
        }),
        ("ribbon-ends-after=0", "print", |e| {
            matches!(e, PrinterError::RibbonOut)
        }),
        ("no-ribbon", "print", |e| {
            matches!(e, PrinterError::RibbonMissing)
        }),
        ("cover-opens@1", "park", |e| {
            matches!(e, PrinterError::CoverOpen)
        }),
        ("feeder-empty-after=0", "park", |e| {
            matches!(e, PrinterError::FeederEmpty)
        }),
        ("reject-box-full", "park+reject", |e| {
            matches!(e, PrinterError::RejectBoxFull)
        }),
        ("head-temp@1", "print", |e| {
            matches!(e, PrinterError::HeadOverheat)
        }),
        ("mute@5", "status", |e| {
            matches!(e, PrinterError::Link(LinkError::Timeout { .. }))
        }),
    ];
    for (fault, action, check) in cases {
        let (mut printer, _sim, _tcp) = over_tcp(&[fault]);
        let card = colour_card();
        let result = match *action {
            "park" => printer.park_for_encoding(),
            "print" => printer.print(&card),
            "print+eject" => printer.print(&card).and_then(|_| printer.eject()),
            "park+reject" => printer.park_for_encoding().and_then(|_| printer.reject()),
            "status" => printer.status().map(|_| ()),
            _ => unreachable!(),
        };
        let e = result.expect_err(fault);
        assert!(check(&e), "{fault}: got {e:?}");
    }
}

#[test]
fn head_temperature_is_transient_and_the_retry_prints() {
    let (mut printer, sim, _tcp) = over_tcp(&["head-temp@1"]);
    let card = colour_card();
    let e = printer.print(&card).unwrap_err();
    assert!(e.is_transient(), "{e:?}");
    printer.print(&card).unwrap();
    printer.eject().unwrap();
    assert!(sim.last_printed().is_some());
}

#[test]
fn faults_show_in_status() {
    let (mut printer, sim, _tcp) = over_tcp(&["no-ribbon"]);
    let s = printer.status().unwrap();
    assert_eq!(s.faults, [cardline_device::PrinterFault::RibbonMissing]);
    assert!(!s.is_ready());
    sim.open_cover();
    assert!(printer.status().unwrap().cover_open);

    let (mut printer, _sim, _tcp) = over_tcp(&["feeder-empty-after=0", "reject-box-full"]);
    let s = printer.status().unwrap();
    assert!(s.feeder_empty && s.reject_box_full, "{s:?}");

    let (mut printer, _sim, _tcp) = over_tcp(&["ribbon-ends-after=0"]);
    let s = printer.status().unwrap();
    assert_eq!(s.ribbon.remaining, Some(0));
    assert!(s.has(&cardline_device::PrinterFault::RibbonOut), "{s:?}");

    let (mut printer, _sim, _tcp) = over_tcp(&["jam@1:parking"]);
    assert!(printer.park_for_encoding().is_err());
    let s = printer.status().unwrap();
    assert!(
        !s.is_ready(),
        "a jammed card must show in the status: {s:?}"
    );
}

#[test]
fn run_length_colour_decodes_in_the_simulator_like_raw_colour() {
    let card = colour_card();
    let mut decoded = Vec::new();
    for compress_color in [false, true] {
        let sim = sim_with(&[]);
        let endpoint = TcpEndpoint::start(sim.clone(), "127.0.0.1:0").unwrap();
        let link = TcpLink::connect(&endpoint.addr().to_string(), Duration::from_secs(2)).unwrap();
        let cfg = EvolisConfig {
            compress_color,
            ..config()
        };
        let mut printer = EvolisPrinter::connect(link, cfg).unwrap();
        let before = printer.bytes_sent();
        printer.print(&card).unwrap();
        println!(
            "colour card, compress_color={compress_color}: {} bytes",
            printer.bytes_sent() - before
        );
        let front = sim.last_printed().unwrap().front;
        decoded.push([
            front.yellow.unwrap(),
            front.magenta.unwrap(),
            front.cyan.unwrap(),
        ]);
    }
    assert!(
        decoded[0] == decoded[1],
        "the simulator rebuilt different Y/M/C panels"
    );
    assert!(decoded[1][2].count_inked() > 100_000);
}

#[test]
fn parking_polls_while_the_card_travels() {
    // Mechanics take (scaled) time: `Rlr;p` is polled until the card reaches the station.
    let sim = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig {
        time: cardline_sim::clock::TimeModel::scaled(0.02),
        ..SimPrinterConfig::default()
    }));
    let endpoint = TcpEndpoint::start(sim.clone(), "127.0.0.1:0").unwrap();
    let link = TcpLink::connect(&endpoint.addr().to_string(), Duration::from_secs(2)).unwrap();
    let mut printer = EvolisPrinter::connect(link, config()).unwrap();
    printer.park_for_encoding().unwrap();
    assert_eq!(sim.card_at_contact_station(), Some(1));
    // Pem;2 Rtp Rsn Rfv Sis and at least two Rlr;p polls.
    assert!(
        sim.state().commands > 6,
        "{} commands",
        sim.state().commands
    );
    printer.print(&colour_card()).unwrap();
    printer.eject().unwrap();
    assert_eq!(sim.state().card, None);
    assert_eq!(sim.state().counters.cards_printed, 1);
}
