//! Evolis: the driver's reply and status parsing against a hostile printer, the simulator's
//! print-stream parser, and the round trip driver job → simulator.

use std::sync::LazyLock;
use std::time::Duration;

use arbitrary::Unstructured;
use cardline_device::{
    CardImage, CardPrinter, CardSide, ColorPanel, MonoPanel, Overlay, PrinterLink,
};
use cardline_evolis::commands::{
    Answer, Command, Identity, ReadCardPosition, ReadCardsInserted, ReadIdentity, ReadRejectBox,
    ReadRibbon, ReadRibbonType, ReadSensor, RibbonQuantity, Sensor,
};
use cardline_evolis::frame::{MAX_REPLY, Reply, ReplyAssembler};
use cardline_evolis::{ColorLevels, EvolisConfig, EvolisPrinter, Fault};
use cardline_sim::printer::frame::{FrameEvent, FrameParser, MAX_BMP, MAX_HEADER, MAX_PAYLOAD};
use cardline_sim::printer::{SimPrinter, SimPrinterConfig, SimPrinterHandle};

use crate::images::{card_image, first_mono_difference, max_color_error};
use crate::links::{HostileLink, Recording, SEGMENT};
use crate::props::{chunks, clear_message, clear_printer_error};
use crate::target::{Target, fixture_files};

const MIB: u64 = 1024 * 1024;

/// Printer replies: driver session and status against a hostile printer.
pub static REPLIES: Target = Target {
    name: "evolis_replies",
    entry: "cardline_evolis::EvolisPrinter over a PrinterLink (connect, status, park_for_encoding, print, eject, reject, resync); frame::ReplyAssembler, frame::Reply::classify, every status command's parse",
    extra_seeds: reply_seeds,
    dictionary: &[
        b"OK\r",
        b"\r",
        b"\0\0\0",
        b"\n",
        b"\xff",
        b"ERR ",
        b"ERR COVER OPEN\r",
        b"ERR FEEDER EMPTY\r",
        b"ERR RIBBON END\r",
        b"ERR RIB DETECTION\r",
        b"ERR CARD JAM\r",
        b"ERR NEED CLEANING\r",
        b"ERROR CDE\r",
        b"ERROR PARAMETERS\r",
        b"SMART CARD\r",
        b"NO CARD\r",
        b"CARD\r",
        b"5,00 Volts\r",
        b"0,17 Volts\r",
        b"-1\r",
        b"nan V\r",
        b"1e309\r",
        b"18446744073709551616\r",
        b"ymcko\r",
        b"Primacy 2 Duplex\r",
    ],
    max_len: 600,
    memory_limit: 16 * MIB,
    work_limit: (60_000, 64),
    bounded_cases: 1000,
    check: check_replies,
};

/// The simulator's print-stream parser.
pub static STREAM: Target = Target {
    name: "evolis_stream",
    entry: "cardline_sim::printer::SimPrinter::feed (whole and in chunks) and frame::FrameParser::push",
    extra_seeds: stream_seeds,
    dictionary: &[
        b"\x1b",
        b"\r",
        b";",
        b"\0\0",
        b"\x1bSs\r",
        b"\x1bSe\r",
        b"\x1bSr\r",
        b"\x1bSv\r",
        b"\x1bSis\r",
        b"\x1bPr;ymcko\r",
        b"\x1bPr;k\r",
        b"\x1bDb;k;2;",
        b"\x1bDb;y;64;",
        b"\x1bDbc;k;2;",
        b"\x1bDbc;c;64;",
        b"\x1bDbc;y;32;10;",
        b"\x1bDbp;k;2;0;",
        b"\x1bDbpc;",
        b"\x1bDbmp;k;0;0;",
        b"BM",
        b"\x1bPsc;2;44;3\r",
        b"\x1bPsc\r",
        b"\x1bSrs\r",
        b"\x1bPneab;A;1\r",
        b"\x1bSer\r",
        b"\x1bRlr;p\r",
        b"\x1bRse;o\r",
        b"\x1bRrt;count\r",
        b"\x1bPem;2\r",
        b"4294967295",
        b"82296",
        b"83312",
        b"\x80\x00",
        b"\xff",
        b"\x51",
    ],
    max_len: 4096,
    memory_limit: MAX_BMP as u64 + MAX_PAYLOAD as u64 + 48 * MIB,
    work_limit: (20_000, 48),
    bounded_cases: 1000,
    check: check_stream,
};

/// Driver job → simulator: what the simulator rebuilds matches the image.
pub static ROUND_TRIP: Target = Target {
    name: "evolis_round_trip",
    entry: "EvolisPrinter::print over SimPrinterLink, then SimPrinter::last_printed → PrintedSide::to_card_side",
    extra_seeds: Vec::new,
    dictionary: &[],
    max_len: 256,
    memory_limit: 96 * MIB,
    work_limit: (400_000, 0),
    bounded_cases: 40,
    check: check_round_trip,
};

fn quick_config() -> EvolisConfig {
    EvolisConfig {
        park_timeout: Duration::ZERO,
        poll_interval: Duration::ZERO,
        ..EvolisConfig::default()
    }
}

/// A small card for the print step of the hostile-printer target (built once).
static SMALL_CARD: LazyLock<CardImage> = LazyLock::new(|| {
    let mut color = ColorPanel::filled([255, 255, 255]);
    let mut black = MonoPanel::blank();
    for y in 100..140 {
        for x in 100..300 {
            color.set(x, y, [200, 30, 30]);
            black.set(x, y + 200, true);
        }
    }
    CardImage {
        front: CardSide {
            color: Some(color),
            black: Some(black),
            overlay: Overlay::Full,
        },
        back: Some(CardSide {
            color: None,
            black: Some(MonoPanel::blank()),
            overlay: Overlay::None,
        }),
        label: None,
    }
});

fn check_replies(input: &[u8]) -> Result<(), String> {
    // The reply assembler and every reply parser on the raw bytes.
    let mut assembler = ReplyAssembler::default();
    for piece in chunks(input) {
        assembler.push(piece);
        while let Some(reply) = assembler.next_reply() {
            match reply {
                Ok(text) => judge_reply(&text)?,
                Err(long) if long.start.len() > 64 => {
                    return Err(format!(
                        "overlong reply kept {} bytes of its start",
                        long.start.len()
                    ));
                }
                Err(_) => {}
            }
        }
    }
    assembler.discard();
    // The driver against a printer answering with the input.
    let (link, counters) = HostileLink::new(input);
    // Building a print job costs far more than parsing replies: one input in eight prints.
    let outcome = drive(link, input.len().is_multiple_of(8));
    let counters = counters.lock().unwrap_or_else(|e| e.into_inner()).clone();
    HostileLink::check_budget(&counters, 400)?;
    outcome
}

fn judge_reply(text: &str) -> Result<(), String> {
    if text.len() > MAX_REPLY {
        return Err(format!("a reply of {} bytes passed MAX_REPLY", text.len()));
    }
    if let Reply::Fault(f) = Reply::classify(text)
        && Fault::from_reply(f.reply()) != Some(f)
    {
        return Err(format!(
            "fault {f:?} does not round-trip through `{}`",
            f.reply()
        ));
    }
    let trimmed = text.trim();
    let answers = [Answer::Ok, Answer::Value(trimmed)];
    for a in answers {
        let _ = ReadCardPosition.parse(a);
        let _ = ReadRejectBox.parse(a);
        let _ = ReadSensor(Sensor::Cover).parse(a);
        let _ = ReadRibbon(RibbonQuantity::Remaining).parse(a);
        let _ = ReadRibbonType.parse(a);
        let _ = ReadCardsInserted.parse(a);
        let _ = ReadIdentity(Identity::Model).parse(a);
    }
    Ok(())
}

/// One driver operation of the hostile-printer session.
type Step<P> = dyn Fn(&mut P) -> Result<(), cardline_device::PrinterError>;

fn drive<L: PrinterLink>(link: L, with_print: bool) -> Result<(), String> {
    let mut printer = match EvolisPrinter::connect(link, quick_config()) {
        Ok(p) => p,
        Err(e) => return clear_printer_error(&e),
    };
    if printer.describe().trim().is_empty() {
        return Err("describe() is empty".into());
    }
    match printer.status() {
        Ok(s) => {
            let mut names: Vec<String> = s.faults.iter().map(|f| f.to_string()).collect();
            names.sort();
            names.dedup();
            if names.len() != s.faults.len() {
                return Err(format!("a fault is listed twice: {:?}", s.faults));
            }
            if s.ribbon.remaining == Some(0)
                && !s.faults.contains(&cardline_device::PrinterFault::RibbonOut)
            {
                return Err("ribbon at 0 prints without ribbon_out".into());
            }
        }
        Err(e) => clear_printer_error(&e)?,
    }
    let steps: [&Step<EvolisPrinter<L>>; 5] = [
        &|p| p.park_for_encoding(),
        &|p| p.print(&SMALL_CARD),
        &|p| p.eject(),
        &|p| p.reject(),
        &|p| p.resync().map(|_| ()),
    ];
    for (i, step) in steps.into_iter().enumerate() {
        if i == 1 && !with_print {
            continue;
        }
        if let Err(e) = step(&mut printer) {
            clear_printer_error(&e)?;
        }
    }
    Ok(())
}

fn reply_seeds() -> Vec<Vec<u8>> {
    let session = [
        "OK",
        "Primacy 2 Duplex",
        "P2D0000001",
        "1.2.3", // connect
        "SMART CARD",
        "5,00 Volts",
        "4,90 Volts",
        "NO CARD",
        "ymcko",
        "187",
        "200",
        "1234", // status
        "OK",
        "SMART CARD", // park
        "OK",
        "OK",
        "OK",
        "OK",
        "OK",
        "OK",
        "OK",
        "OK",
        "OK",
        "OK",
        "OK", // print
        "OK",
        "OK",
        "OK",
        "OK",
        "OK", // eject, reject
    ];
    let join = |replies: &[&str], pad: &[u8]| {
        replies
            .iter()
            .map(|r| [r.as_bytes(), b"\r", pad].concat())
            .collect::<Vec<_>>()
            .join(&SEGMENT)
    };
    let mut faults = session.to_vec();
    faults[4] = "ERR COVER OPEN";
    faults[9] = "OK";
    faults[13] = "ERR FEEDER JAM";
    faults[16] = "ERR RIBBON END";
    vec![
        join(&session, b""),
        join(&session, b"\0\0\0\0\n"),
        join(&faults, b""),
        join(
            &[
                "OK",
                "ERROR CDE",
                "ERROR PARAMETERS",
                "ERR BUSY",
                "0,17 Volts",
                "ERR NEED CLEANING",
            ],
            b"",
        ),
    ]
}

/// What the Evolis driver sends for a few cards (recorded from the driver over the simulator).
fn driver_jobs() -> Vec<Vec<u8>> {
    let mut jobs = Vec::new();
    let configs = [
        (ColorLevels::L64, true, true),
        (ColorLevels::L32, false, true),
        (ColorLevels::L128, true, false),
    ];
    for (i, (levels, mono, color)) in configs.into_iter().enumerate() {
        let image = card_image(&mut Unstructured::new(&[i as u8 * 37 + 5; 96]), true, true)
            .expect("an image from fixed bytes");
        let handle = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
        let link = Recording::new(handle.link());
        let config = EvolisConfig {
            color_levels: levels,
            compress_mono: mono,
            compress_color: color,
            ..quick_config()
        };
        let Ok(mut printer) = EvolisPrinter::connect(link, config) else {
            continue;
        };
        let _ = printer.status();
        let _ = printer.park_for_encoding();
        let _ = printer.print(&image);
        let _ = printer.eject();
        jobs.push(printer.link().sent.clone());
    }
    jobs
}

fn stream_seeds() -> Vec<Vec<u8>> {
    let mut seeds = fixture_files("evolis-windows-driver", ".prn");
    seeds.extend(driver_jobs());
    seeds
}

fn printer() -> SimPrinter {
    SimPrinter::new(SimPrinterConfig {
        keep_printed: 2,
        ..SimPrinterConfig::default()
    })
}

fn check_stream(input: &[u8]) -> Result<(), String> {
    // The frame parser alone: every event accounted for, problems explained.
    let mut parser = FrameParser::new();
    let mut events = 0usize;
    let mut problem = Ok(());
    for piece in chunks(input) {
        parser.push(piece, &mut |e| {
            events += 1;
            match e {
                FrameEvent::Command(f) => {
                    // at most MAX_HEADER bytes, each invalid UTF-8 byte shown as U+FFFD (3 bytes)
                    if f.name.len() > 3 * MAX_HEADER {
                        problem = Err(format!("a command name of {} bytes", f.name.len()));
                    }
                }
                FrameEvent::Malformed(p) => {
                    if problem.is_ok() {
                        problem = clear_message("FrameProblem", &p.to_string(), None);
                    }
                }
            }
        });
    }
    problem?;
    if events > input.len() + 1 {
        return Err(format!("{events} events from {} bytes", input.len()));
    }
    // The printer: the same replies whether the bytes come at once or in pieces.
    let mut whole = printer();
    let at_once = whole.feed(input);
    let mut pieces = printer();
    let mut in_pieces = Vec::new();
    for piece in chunks(input) {
        in_pieces.extend(pieces.feed(piece));
    }
    if at_once != in_pieces {
        return Err(format!(
            "replies differ when the stream is fed in pieces: {:?} vs {:?}",
            String::from_utf8_lossy(&at_once),
            String::from_utf8_lossy(&in_pieces)
        ));
    }
    if !at_once.is_empty() && at_once.last() != Some(&b'\r') {
        return Err("a reply does not end with CR".into());
    }
    let replies = at_once.iter().filter(|b| **b == b'\r').count();
    if replies > input.len() + 1 {
        return Err(format!("{replies} replies to {} bytes", input.len()));
    }
    let s = whole.state();
    if s.reject_box > s.reject_box_capacity {
        return Err(format!(
            "reject box holds {} of {}",
            s.reject_box, s.reject_box_capacity
        ));
    }
    if s.feeder > SimPrinterConfig::default().feeder_cards {
        return Err(format!("feeder grew to {}", s.feeder));
    }
    if whole.state() != pieces.state() {
        return Err("the printer's state differs when the stream is fed in pieces".into());
    }
    Ok(())
}

fn check_round_trip(input: &[u8]) -> Result<(), String> {
    let mut u = Unstructured::new(input);
    let image = card_image(&mut u, true, true).map_err(|e| e.to_string())?;
    let levels = [ColorLevels::L32, ColorLevels::L64, ColorLevels::L128]
        [u.int_in_range(0..=2usize).unwrap_or(1)];
    let config = EvolisConfig {
        color_levels: levels,
        compress_mono: u.arbitrary().unwrap_or(true),
        compress_color: u.arbitrary().unwrap_or(true),
        ..quick_config()
    };
    let handle = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig {
        keep_printed: 1,
        ..SimPrinterConfig::default()
    }));
    let mut printer = EvolisPrinter::connect(handle.link(), config)
        .map_err(|e| format!("connect to the simulator: {e}"))?;
    printer
        .print(&image)
        .map_err(|e| format!("print on the simulator: {e}"))?;
    printer.eject().map_err(|e| format!("eject: {e}"))?;
    let card = handle
        .last_printed()
        .ok_or("the simulator printed nothing")?;
    let max = u32::from(levels.count()) - 1;
    // Quantising to `levels` and back moves a channel by at most half a step, rounded up.
    let tolerance = (255 / (2 * max) + 1) as u8;
    compare_side("front", &image.front, &card.front.to_card_side(), tolerance)?;
    match (&image.back, &card.back) {
        (None, None) => Ok(()),
        (Some(sent), Some(printed)) => {
            compare_side("back", sent, &printed.to_card_side(), tolerance)
        }
        (None, Some(_)) => Err("a back side was printed that was not sent".into()),
        (Some(sent), None) => {
            if sent.color.is_none() && sent.black.is_none() && sent.overlay == Overlay::None {
                Ok(())
            } else {
                Err("the back side was not printed".into())
            }
        }
    }
}

fn compare_side(
    which: &str,
    sent: &CardSide,
    printed: &CardSide,
    tolerance: u8,
) -> Result<(), String> {
    match (&sent.color, &printed.color) {
        (Some(a), Some(b)) => {
            let (err, at) = max_color_error(a, b, |_, _| true);
            if err > tolerance {
                return Err(format!(
                    "{which}: colour differs by {err} (> {tolerance}) at {at:?}: sent {:?}, printed {:?}",
                    at.map(|(x, y)| a.get(x, y)),
                    at.map(|(x, y)| b.get(x, y))
                ));
            }
        }
        (None, None) => {}
        (a, b) => {
            return Err(format!(
                "{which}: colour sent {}, printed {}",
                a.is_some(),
                b.is_some()
            ));
        }
    }
    match (&sent.black, &printed.black) {
        (Some(a), Some(b)) => {
            if let Some(at) = first_mono_difference(a, b, |_, _| true) {
                return Err(format!("{which}: resin black differs at {at:?}"));
            }
        }
        (None, None) => {}
        (a, b) => {
            return Err(format!(
                "{which}: black sent {}, printed {}",
                a.is_some(),
                b.is_some()
            ));
        }
    }
    let overlay_ok = match (&sent.overlay, &printed.overlay) {
        (Overlay::Masked(m), Overlay::Full) => m.count_set() == m.bits().len() * 8,
        (Overlay::Masked(m), Overlay::None) => m.count_set() == 0,
        (a, b) => a == b,
    };
    if !overlay_ok {
        return Err(format!(
            "{which}: overlay sent {:?}, printed {:?}",
            sent.overlay, printed.overlay
        ));
    }
    Ok(())
}
