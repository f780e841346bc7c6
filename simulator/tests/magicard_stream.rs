//! The Magicard stream parser from the device side: garbage, floods, oversized headers and
//! planes, missing terminators, commands without their end — each gives one `ERR,FRAME` and a
//! resynchronisation, never unbounded memory — and the native plane layouts.

mod magicard_support;

use cardline_sim::magicard::stream::{MAX_HEADER, StreamEvent, StreamParser};
use magicard_support::*;

/// A small deterministic generator (xorshift) for flood bytes.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

#[test]
fn garbage_between_frames_gets_one_error_then_the_next_frame_is_answered() {
    let mut p = printer();
    let mut bytes = b"hello, printer\r\n".to_vec();
    bytes.extend(command("STA,POS"));
    assert_eq!(replies(&p.feed(&bytes)), ["ERR,FRAME", "STA,POS,NONE"]);
    let why = p.last_stream_error().unwrap();
    assert!(why.contains("0x68") && why.contains("0x05"), "{why}");
    // NUL padding between frames is not garbage
    let mut padded = vec![0u8; 32];
    padded.extend(command("STA,LID"));
    padded.extend([0, 0, 0]);
    assert_eq!(replies(&p.feed(&padded)), ["STA,LID,CLOSED"]);
    assert_eq!(p.state().stream_errors, 1);
}

#[test]
fn a_flood_of_random_bytes_gives_one_error_and_is_discarded() {
    let mut p = printer();
    let flood = noise(8 << 20, 0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::new();
    for chunk in flood.chunks(64 * 1024) {
        out.extend(p.feed(chunk));
    }
    assert_eq!(replies(&out), ["ERR,FRAME"]);
    let s = p.state();
    assert!(
        s.bytes_discarded >= (8 << 20) - MAX_HEADER as u64,
        "{}",
        s.bytes_discarded
    );
    assert_eq!(replies(&p.feed(&command("STA,MSR"))), ["STA,MSR,MC0000001"]);
}

#[test]
fn a_header_longer_than_the_limit_is_refused_and_not_kept() {
    let mut p = printer();
    let mut out = p.feed(&[0x05, 0x05, 0x01]);
    for _ in 0..1024 {
        out.extend(p.feed(&[b'A'; 10 * 1024])); // 10 MB of header text, no FS
    }
    assert_eq!(replies(&out), ["ERR,FRAME"]);
    assert!(p.last_stream_error().unwrap().contains("4096"));
    assert!(p.state().bytes_discarded > 10_000_000);
    assert_eq!(replies(&p.feed(&command("STA,POS"))), ["STA,POS,NONE"]);
}

#[test]
fn a_flood_of_guard_bytes_is_one_long_sync_run() {
    let mut p = printer();
    for _ in 0..100 {
        assert!(p.feed(&[0x05; 64 * 1024]).is_empty());
    }
    assert_eq!(p.feed(b"\x01REQ,STA,HOP,\x1c\x03"), reply("STA,HOP,OK"));
}

#[test]
fn a_plane_beyond_672_by_1016_bytes_is_refused_from_the_header() {
    let mut p = printer();
    let header = ",IMFK,X-GP-8,SZK682753";
    let mut bytes = job(header, &[('K', vec![0xFF; 682_753])]);
    bytes.extend(command("STA,TCQ"));
    assert_eq!(replies(&p.feed(&bytes)), ["ERR,FRAME", "STA,TCQ,0"]);
    let why = p.last_stream_error().unwrap();
    assert!(
        why.contains("SZK682753") && why.contains("672 × 1016"),
        "{why}"
    );
    assert!(p.last_printed().is_none());
    // 2 GB announced: refused just the same, nothing allocated for it
    let huge = job(",IMFK,SZK2147483648", &[]);
    assert_eq!(replies(&p.feed(&huge)), ["ERR,FRAME"]);
}

#[test]
fn a_plane_shorter_than_announced_misses_its_terminator() {
    let mut p = printer();
    let mut bad = job(
        &header8(""),
        &[
            ('B', vec![0; DOTS * LINES - 100]), // 100 bytes short
            ('G', vec![0; DOTS * LINES]),
            ('R', vec![0; DOTS * LINES]),
        ],
    );
    bad.extend(command("STA,POS"));
    assert_eq!(replies(&p.feed(&bad)), ["ERR,FRAME", "STA,POS,NONE"]);
    let why = p.last_stream_error().unwrap();
    assert!(why.contains("plane B not followed by 1C B :"), "{why}");
    assert_eq!(p.state().counters.cards_fed, 0, "nothing printed");
}

#[test]
fn a_wrong_terminator_letter_or_a_missing_etx_is_a_framing_error() {
    let mut p = printer();
    let empty = vec![0u8; DOTS * LINES];
    let swapped = job(
        &header8(""),
        &[
            ('G', empty.clone()),
            ('G', empty.clone()),
            ('R', empty.clone()),
        ],
    );
    assert_eq!(replies(&p.feed(&swapped)), ["ERR,FRAME"]);
    assert!(p.last_stream_error().unwrap().contains("plane B"));
    let mut no_etx = blank_job();
    no_etx.pop();
    no_etx.extend(command("STA,TCQ"));
    assert_eq!(replies(&p.feed(&no_etx)), ["ERR,FRAME", "STA,TCQ,0"]);
    assert!(p.last_stream_error().unwrap().contains("ETX"));
}

#[test]
fn a_command_without_its_end_is_answered_with_an_error_then_the_next_one() {
    let mut p = printer();
    let mut cut = b"\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01REQ,STA,POS,".to_vec();
    cut.extend(command("STA,MSR"));
    assert_eq!(replies(&p.feed(&cut)), ["ERR,FRAME", "STA,MSR,MC0000001"]);
    assert!(p.last_stream_error().unwrap().contains("cut by 0x05"));
    // FS not followed by ETX
    let mut no_etx = b"\x05\x01REQ,EJT,\x1c".to_vec();
    no_etx.extend(command("STA,POS"));
    assert_eq!(replies(&p.feed(&no_etx)), ["ERR,FRAME", "STA,POS,NONE"]);
    // no final comma, no REQ prefix
    assert_eq!(
        replies(&p.feed(b"\x05\x01REQ,STA,POS\x1c\x03")),
        ["ERR,FRAME"]
    );
    assert!(p.last_stream_error().unwrap().contains("final comma"));
    assert_eq!(replies(&p.feed(b"\x05\x01STA,POS,\x1c\x03")), ["ERR,FRAME"]);
    assert_eq!(p.state().stream_errors, 4);
}

#[test]
fn a_header_with_a_comma_before_fs_is_refused_as_the_firmware_would() {
    let mut p = printer();
    let empty = vec![0u8; DOTS * LINES];
    let planes = [
        ('B', empty.clone()),
        ('G', empty.clone()),
        ('R', empty.clone()),
    ];
    let bad = job(&format!("{},", header8("")), &planes);
    assert_eq!(replies(&p.feed(&bad)), ["ERR,FRAME"]);
    assert!(
        p.last_stream_error()
            .unwrap()
            .contains("comma right before FS")
    );
}

#[test]
fn after_an_error_only_a_full_guard_run_resynchronises() {
    let mut p = printer();
    assert_eq!(replies(&p.feed(b"\xff")), ["ERR,FRAME"]);
    // a short 05 01 inside discarded data (as in a broken job's planes) starts nothing
    assert!(p.feed(b"\x05\x01REQ,STA,POS,\x1c\x03").is_empty());
    assert_eq!(replies(&p.feed(&command("STA,POS"))), ["STA,POS,NONE"]);
    // back in sync: a single guard byte is enough again
    assert_eq!(
        replies(&p.feed(b"\x05\x01REQ,STA,POS,\x1c\x03")),
        ["STA,POS,NONE"]
    );
}

#[test]
fn a_link_reset_drops_a_partial_job() {
    let mut p = printer();
    let stream = blank_job();
    assert!(p.feed(&stream[..500_000]).is_empty());
    p.reset_link();
    assert_eq!(replies(&p.feed(&command("STA,POS"))), ["STA,POS,NONE"]);
    assert_eq!(p.state().stream_errors, 0);
}

#[test]
fn any_split_of_a_stream_gives_the_same_replies() {
    let mut stream = command("FEED1");
    stream.extend(command("STA,POS"));
    stream.extend(blank_job());
    stream.extend(command("EJT"));
    stream.extend(b"junk");
    stream.extend(command("STA,TCQ"));
    let mut whole = printer();
    let expected = replies(&whole.feed(&stream));
    assert_eq!(
        expected,
        [
            "OK",
            "STA,POS,STANDBY",
            "PRT,OK",
            "OK",
            "ERR,FRAME",
            "STA,TCQ,1"
        ]
    );
    for seed in 1..=5u64 {
        let sizes = noise(4096, seed);
        let mut p = printer();
        let (mut out, mut at, mut i) = (Vec::new(), 0, 0);
        while at < stream.len() {
            let n = (1 + usize::from(sizes[i % sizes.len()]) * 97).min(stream.len() - at);
            out.extend(p.feed(&stream[at..at + n]));
            at += n;
            i += 1;
        }
        assert_eq!(replies(&out), expected, "seed {seed}");
    }
}

#[test]
fn the_parser_reports_commands_without_req_and_final_comma() {
    let mut parser = StreamParser::new();
    let mut events = Vec::new();
    parser.push(&command("STA,MSR"), &mut |e| events.push(e));
    assert_eq!(events, [StreamEvent::Command("STA,MSR".into())]);
    assert!(!parser.in_frame());
    parser.push(&[0x05, 0x01, b'R'], &mut |e| events.push(e));
    assert!(parser.in_frame());
}

#[test]
fn native_planes_print_six_bit_colour_and_one_bit_black() {
    let mut p = printer();
    let stream = native_job(
        "",
        plane6(|x, _| if x < 508 { 63 } else { 0 }), // yellow on the left half
        plane6(|_, y| if y < 100 { 32 } else { 0 }), // half magenta along the top
        plane6(|_, _| 0),
        plane1(|x, y| x >= 900 && y >= 600), // a black corner bottom right
    );
    assert_eq!(replies(&p.feed(&stream)), ["PRT,OK"]);
    let side = p.last_printed().unwrap().front.clone().unwrap();
    assert_eq!(side.pixel(10, 300), [255, 255, 0], "yellow");
    assert_eq!(side.pixel(600, 300), [255, 255, 255], "white");
    assert_eq!(side.pixel(600, 50), [255, 125, 255], "32 of 63 magenta");
    assert_eq!(side.pixel(10, 50), [255, 125, 0], "yellow + half magenta");
    assert_eq!(side.pixel(950, 620), [0, 0, 0], "resin black");
    assert_eq!(side.pixel(950, 599), [255, 255, 255]);
    assert_eq!(side.black.as_ref().unwrap().count_inked(), 116 * 41);
    assert_eq!(p.state().counters.panels_printed, 4);
    // in cardline's portrait panels, design dot (x, y) is panel dot (647 − y, x)
    let card = side.to_card_side();
    let color = card.color.as_ref().unwrap();
    assert_eq!(color.get(647 - 300, 10), [255, 255, 0]);
    assert_eq!(color.get(647 - 50, 600), [255, 125, 255]);
    let black = card.black.as_ref().unwrap();
    assert!(black.get(647 - 620, 950) && !black.get(647 - 599, 950));
    assert_eq!(black.count_set(), 116 * 41);
    assert!(!black.get(0, 950), "design row 647 is not printed");
    assert_eq!(card.overlay, cardline_device::Overlay::None, "OVROFF");
}

#[test]
fn black_only_and_eight_bit_black_jobs_are_accepted() {
    let mut p = printer();
    let k_only = job(",IMFK,SZK85344", &[('K', plane1(|x, _| x < 8))]);
    assert_eq!(replies(&p.feed(&k_only)), ["PRT,OK"]);
    let side = p.last_printed().unwrap().front.clone().unwrap();
    assert_eq!(side.pixel(7, 0), [0, 0, 0]);
    assert_eq!(side.pixel(8, 0), [255, 255, 255]);
    assert_eq!(side.panel_count(), 1);
    let empty = vec![0u8; DOTS * LINES];
    let k8 = job(
        ",IMFBGRK,X-GP-8,SZB682752,SZG682752,SZR682752,SZK682752",
        &[
            ('B', empty.clone()),
            ('G', empty.clone()),
            ('R', empty),
            ('K', plane8(|_, y| if y == 0 { 200 } else { 100 })),
        ],
    );
    assert_eq!(replies(&p.feed(&k8)), ["PRT,OK"]);
    let side = p.last_printed().unwrap().front.clone().unwrap();
    assert_eq!(side.pixel(500, 0), [0, 0, 0], "amount ≥ 128 prints");
    assert_eq!(side.pixel(500, 1), [255, 255, 255], "amount < 128 does not");
}
