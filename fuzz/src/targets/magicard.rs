//! Magicard: the driver's reply and status parsing against a hostile printer, the simulator's
//! stream parser (commands and print jobs), and the round trip driver job → simulator.

use std::sync::LazyLock;
use std::time::Duration;

use arbitrary::Unstructured;
use cardline_device::{
    CardImage, CardPrinter, CardSide, ColorPanel, MonoPanel, Overlay, PrinterError, PrinterLink,
};
use cardline_magicard::commands::{
    Answer, Command, CounterKey, IdentityKey, ReadCounter, ReadErrorCode, ReadHopper, ReadIdentity,
    ReadLid, ReadPosition, ReadRejectBox, ReadRibbon,
};
use cardline_magicard::frame::Reply;
use cardline_magicard::reply_reader::ReplyReader;
use cardline_magicard::{MAX_REPLY_BYTES, MagicardConfig, MagicardPrinter};
use cardline_sim::magicard::header::JobHeader;
use cardline_sim::magicard::stream::{MAX_HEADER, StreamEvent, StreamParser};
use cardline_sim::magicard::{SimMagicard, SimMagicardConfig, SimMagicardHandle};

use crate::images::{card_image, first_mono_difference, max_color_error};
use crate::links::{HostileLink, Recording, SEGMENT};
use crate::props::{chunks, clear_message, clear_printer_error};
use crate::target::{Target, fixture_files};

const MIB: u64 = 1024 * 1024;

/// Printer replies: driver session and status against a hostile printer.
pub static REPLIES: Target = Target {
    name: "magicard_replies",
    entry: "cardline_magicard::MagicardPrinter over a PrinterLink (connect, status, park_for_encoding, print, eject, reject); reply_reader::ReplyReader, frame::Reply::classify, every STA query's parse",
    extra_seeds: reply_seeds,
    dictionary: &[
        b"\x01",
        b",\x03",
        b"\x01OK,\x03",
        b"\0\0",
        b"\xff",
        b"\x01STA,POS,CONTACTS,\x03",
        b"\x01STA,POS,NONE,\x03",
        b"\x01STA,ERR,0,\x03",
        b"\x01STA,ERR,1026,\x03",
        b"\x01ERR,",
        b"\x01ERR,UNKNOWN,\x03",
        b"\x01ERR,2048,\x03",
        b"\x01ERR,99999999999,\x03",
        b"\x01STA,LID,OPEN,\x03",
        b"\x01STA,RIB,NONE,\x03",
        b"\x01STA,DFR,0,\x03",
        b"\x01STA,TCQ,18446744073709551616,\x03",
        b"\x01PRT,OK,\x03",
        b"STA,",
        b"MDL,",
    ],
    max_len: 600,
    memory_limit: 24 * MIB,
    work_limit: (60_000, 64),
    bounded_cases: 600,
    check: check_replies,
};

/// The simulator's stream parser.
pub static STREAM: Target = Target {
    name: "magicard_stream",
    entry: "cardline_sim::magicard::SimMagicard::feed (whole and in chunks), stream::StreamParser::push, header::JobHeader::parse",
    extra_seeds: stream_seeds,
    dictionary: &[
        b"\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01",
        b"\x01",
        b"\x1c\x03",
        b"\x03",
        b",",
        b"REQ,",
        b"REQ,STA,POS,\x1c\x03",
        b"REQ,CHPDOWN,\x1c\x03",
        b"REQ,EJT,\x1c\x03",
        b"REQ,RST,\x1c\x03",
        b"\x1cB:",
        b"\x1cG:",
        b"\x1cR:",
        b"\x1cK:",
        b",IMFBGR",
        b",IMFK",
        b",IMFBGRK",
        b",X-GP-8",
        b",SZB682752",
        b",SZK85344",
        b",SZB512064",
        b",PAG2",
        b",DPXON",
        b",OVRON",
        b",NCT90,295,260,450",
        b",NCT",
        b",SZK",
        b"4294967295",
    ],
    max_len: 4096,
    memory_limit: 160 * MIB,
    work_limit: (20_000, 48),
    bounded_cases: 300,
    check: check_stream,
};

/// Driver job → simulator: what the simulator rebuilds matches the image.
pub static ROUND_TRIP: Target = Target {
    name: "magicard_round_trip",
    entry: "MagicardPrinter::print over SimMagicardLink, then SimMagicard::last_printed → MagicardSide::to_card_side",
    extra_seeds: Vec::new,
    dictionary: &[],
    max_len: 256,
    memory_limit: 160 * MIB,
    work_limit: (400_000, 0),
    bounded_cases: 20,
    check: check_round_trip,
};

fn quick_config() -> MagicardConfig {
    MagicardConfig {
        park_timeout: Duration::ZERO,
        poll_interval: Duration::ZERO,
        ..MagicardConfig::default()
    }
}

static SMALL_CARD: LazyLock<CardImage> = LazyLock::new(|| {
    let mut color = ColorPanel::filled([255, 255, 255]);
    let mut black = MonoPanel::blank();
    for y in 100..140 {
        for x in 100..300 {
            color.set(x, y, [30, 200, 30]);
            black.set(x, y + 300, true);
        }
    }
    CardImage {
        front: CardSide {
            color: Some(color),
            black: Some(black),
            overlay: Overlay::Full,
        },
        back: None,
        label: None,
    }
});

fn check_replies(input: &[u8]) -> Result<(), String> {
    let mut reader = ReplyReader::default();
    for piece in chunks(input) {
        if let Err(overflow) = reader.push(piece) {
            clear_message("ReplyOverflow", &overflow.to_string(), Some("bytes"))?;
            if overflow.limit != MAX_REPLY_BYTES {
                return Err(format!("overflow at {} bytes", overflow.limit));
            }
        }
        while let Some(text) = reader.next_reply() {
            if text.len() > MAX_REPLY_BYTES {
                return Err(format!("a reply of {} bytes passed the limit", text.len()));
            }
            judge_reply(&text);
        }
    }
    reader.discard();
    let (link, counters) = HostileLink::new(input);
    // Building a print job costs far more than parsing replies: one input in eight prints.
    let outcome = drive(link, input.len().is_multiple_of(8));
    let counters = counters.lock().unwrap_or_else(|e| e.into_inner()).clone();
    HostileLink::check_budget(&counters, 400)?;
    outcome
}

/// Every reply parser on one reply (outputs may change with the fault vocabulary: only their
/// absence of panics is checked here).
fn judge_reply(text: &str) {
    let _ = Reply::classify(text);
    let trimmed = text.trim();
    for a in [Answer::Ok, Answer::Value(trimmed)] {
        let _ = ReadPosition.parse(a);
        let _ = ReadErrorCode.parse(a);
        let _ = ReadLid.parse(a);
        let _ = ReadHopper.parse(a);
        let _ = ReadRejectBox.parse(a);
        let _ = ReadRibbon.parse(a);
        let _ = ReadCounter(CounterKey::TotalCards).parse(a);
        let _ = ReadCounter(CounterKey::PanelsRemaining).parse(a);
        let _ = ReadIdentity(IdentityKey::Serial).parse(a);
    }
}

/// One driver operation of the hostile-printer session.
type Step<P> = dyn Fn(&mut P) -> Result<(), cardline_device::PrinterError>;

fn drive<L: PrinterLink>(link: L, with_print: bool) -> Result<(), String> {
    let mut printer = match MagicardPrinter::connect(link, quick_config()) {
        Ok(p) => p,
        Err(e) => return clear_printer_error(&e),
    };
    match printer.status() {
        Ok(s) => {
            let mut names: Vec<String> = s.faults.iter().map(|f| f.to_string()).collect();
            names.sort();
            names.dedup();
            if names.len() != s.faults.len() {
                return Err(format!("a fault is listed twice: {:?}", s.faults));
            }
        }
        Err(e) => clear_printer_error(&e)?,
    }
    let steps: [&Step<MagicardPrinter<L>>; 4] = [
        &|p| p.park_for_encoding(),
        &|p| p.print(&SMALL_CARD),
        &|p| p.eject(),
        &|p| p.reject(),
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

fn frame(text: &str) -> Vec<u8> {
    [b"\x01", text.as_bytes(), b",\x03"].concat()
}

fn reply_seeds() -> Vec<Vec<u8>> {
    let session = [
        "STA,MDL,Rio Pro 360",
        "STA,MSR,MC0000001",
        "STA,VRS,V2.1.0", // connect
        "STA,POS,NONE",
        "STA,ERR,0",
        "STA,LID,CLOSED",
        "STA,HOP,OK",
        "STA,RJB,OK",
        "STA,RIB,YMCKO",
        "STA,DFR,300",
        "STA,TCQ,12", // status
        "OK",
        "STA,POS,CONTACTS", // park
        "STA,POS,CONTACTS",
        "OK",
        "PRT,OK", // print
        "OK",
        "OK", // eject, reject
    ];
    let join = |replies: &[&str], pad: &[u8]| {
        replies
            .iter()
            .map(|r| [pad, &frame(r)].concat())
            .collect::<Vec<_>>()
            .join(&SEGMENT)
    };
    let mut faults = session.to_vec();
    faults[4] = "STA,ERR,1038";
    faults[11] = "ERR,1025";
    faults[15] = "ERR,1026";
    vec![
        join(&session, b""),
        join(&session, b"\0\0\0"),
        join(&faults, b""),
        join(
            &[
                "STA,MDL,",
                "ERR,UNKNOWN",
                "ERR,2048",
                "ERR,JAM",
                "STA,POS,FLIPPER",
            ],
            b"noise",
        ),
    ]
}

/// What the Magicard driver sends for a few cards (recorded from the driver over the simulator).
fn driver_jobs() -> Vec<Vec<u8>> {
    let mut jobs = Vec::new();
    for i in 0..2u8 {
        let image = card_image(&mut Unstructured::new(&[i * 71 + 3; 96]), false, false)
            .expect("an image from fixed bytes");
        let handle = SimMagicardHandle::new(SimMagicard::new(SimMagicardConfig::default()));
        let link = Recording::new(handle.link());
        let Ok(mut printer) = MagicardPrinter::connect(link, quick_config()) else {
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
    let mut seeds = fixture_files("magicard-gutenprint", ".prn");
    seeds.extend(driver_jobs());
    seeds
}

fn printer() -> SimMagicard {
    SimMagicard::new(SimMagicardConfig {
        keep_printed: 1,
        ..SimMagicardConfig::default()
    })
}

fn check_stream(input: &[u8]) -> Result<(), String> {
    let mut parser = StreamParser::new();
    let mut events = 0usize;
    let mut problem = Ok(());
    for piece in chunks(input) {
        parser.push(piece, &mut |e| {
            events += 1;
            let verdict = match &e {
                // at most MAX_HEADER bytes, each invalid UTF-8 byte shown as U+FFFD (3 bytes)
                StreamEvent::Command(text) if text.len() > 3 * MAX_HEADER => {
                    Err(format!("a command of {} bytes", text.len()))
                }
                StreamEvent::Malformed(m) => clear_message("StreamError", &m.to_string(), None),
                _ => Ok(()),
            };
            if problem.is_ok() {
                problem = verdict;
            }
        });
    }
    problem?;
    if events > input.len() + 1 {
        return Err(format!("{events} events from {} bytes", input.len()));
    }
    // A header parsed on its own: errors name the token.
    if let Some(end) = input.iter().position(|b| *b == 0x1C) {
        let start = input[..end]
            .iter()
            .rposition(|b| *b == 0x01)
            .map_or(0, |i| i + 1);
        if let Err(e) = JobHeader::parse(&input[start..end]) {
            clear_message("HeaderError", &e.to_string(), None)?;
        }
    }
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
    if !at_once.is_empty() && !at_once.ends_with(b",\x03") {
        return Err("a reply does not end with , ETX".into());
    }
    let s = whole.state();
    if s.reject_box > s.reject_box_capacity {
        return Err(format!(
            "reject box holds {} of {}",
            s.reject_box, s.reject_box_capacity
        ));
    }
    if whole.state() != pieces.state() {
        return Err("the printer's state differs when the stream is fed in pieces".into());
    }
    Ok(())
}

/// Landscape rows 641‥647 (panel columns 0‥6) lie beyond the printable height of a Magicard.
fn printable(x: usize, _y: usize) -> bool {
    x >= 7
}

fn check_round_trip(input: &[u8]) -> Result<(), String> {
    let handle = SimMagicardHandle::new(SimMagicard::new(SimMagicardConfig {
        keep_printed: 1,
        ..SimMagicardConfig::default()
    }));
    let mut printer = MagicardPrinter::connect(handle.link(), quick_config())
        .map_err(|e| format!("connect to the simulator: {e}"))?;
    let duplex = printer.capabilities().duplex;
    let image =
        card_image(&mut Unstructured::new(input), duplex, false).map_err(|e| e.to_string())?;
    match printer.print(&image) {
        Ok(()) => {}
        Err(e @ PrinterError::Unsupported { .. }) => return clear_printer_error(&e),
        Err(e) => return Err(format!("print on the simulator: {e}")),
    }
    let card = handle
        .last_printed()
        .ok_or("the simulator printed nothing")?;
    let front = card.front.as_ref().ok_or("no front printed")?;
    compare_side("front", &image.front, &front.to_card_side())?;
    if let (Some(sent), Some(printed)) = (&image.back, &card.back) {
        compare_side("back", sent, &printed.to_card_side())?;
    }
    Ok(())
}

fn compare_side(which: &str, sent: &CardSide, printed: &CardSide) -> Result<(), String> {
    // 6-bit dye: a channel moves by at most half a step (255 / 126) and rounding.
    const TOLERANCE: u8 = 3;
    if let Some(a) = &sent.color {
        let white = ColorPanel::filled([255, 255, 255]);
        let b = printed.color.as_ref().unwrap_or(&white);
        let (err, at) = max_color_error(a, b, printable);
        if err > TOLERANCE {
            return Err(format!(
                "{which}: colour differs by {err} at {at:?}: sent {:?}, printed {:?}",
                at.map(|(x, y)| a.get(x, y)),
                at.map(|(x, y)| b.get(x, y))
            ));
        }
    }
    if let Some(a) = &sent.black {
        let blank = MonoPanel::blank();
        let b = printed.black.as_ref().unwrap_or(&blank);
        if let Some(at) = first_mono_difference(a, b, printable) {
            return Err(format!("{which}: resin black differs at {at:?}"));
        }
    }
    let wanted_on = !matches!(sent.overlay, Overlay::None);
    let printed_on = !matches!(printed.overlay, Overlay::None);
    if wanted_on != printed_on {
        return Err(format!(
            "{which}: overlay sent {:?}, printed {:?}",
            sent.overlay, printed.overlay
        ));
    }
    Ok(())
}
