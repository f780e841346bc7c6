use super::*;

fn err(uri: &str) -> String {
    SimParams::parse(uri).unwrap_err().to_string()
}

#[test]
fn every_key_parses_into_its_typed_field() {
    let p = SimParams::parse(
        "sim://desk-1?faults=jam@3:printing,cover-opens@4:4&mute_chips=2,9&time_scale=0.01\
         &feeder=20&ribbon=30&seed=18446744073709551615&png_dir=/tmp/p&pngs=off&link=pty&keep=0\
         &keygen_ms=200&poll_ms=5&reply_timeout_ms=50",
    )
    .unwrap();
    assert_eq!(p.name, "desk-1");
    assert_eq!(
        p.faults.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        ["jam@3:printing", "cover-opens@4:4"]
    );
    assert_eq!(p.mute_chips, [2, 9]);
    assert_eq!(p.time_scale, 0.01);
    assert_eq!((p.feeder, p.ribbon), (20, 30));
    assert_eq!(p.seed, Some(u64::MAX));
    assert_eq!(p.png_dir.as_deref(), Some(std::path::Path::new("/tmp/p")));
    assert!(!p.pngs);
    assert_eq!(p.link, SimLink::Pty);
    assert_eq!(
        (p.keep, p.keygen_ms, p.poll_ms),
        (Some(0), Some(200), Some(5))
    );
    assert_eq!(p.reply_timeout_ms, Some(50));
    assert_eq!(SimParams::parse(&p.to_uri()).unwrap(), p);
}

#[test]
fn defaults_and_seeds() {
    let p = SimParams::parse("sim://a").unwrap();
    assert_eq!(p, SimParams::new("a"));
    assert_eq!(p.to_uri(), "sim://a");
    assert_eq!(
        (p.feeder, p.ribbon, p.link),
        (100_000, 100_000, SimLink::InProcess)
    );
    let seeded = SimParams::parse("sim://a?seed=7").unwrap();
    assert_eq!(seeded.seed, Some(7));
    assert_eq!(SimParams::parse("sim://a?faults=&mute_chips=").unwrap(), p);
    assert_eq!(SimParams::parse("sim://a?link=inproc").unwrap(), p);
}

#[test]
fn unknown_keys_are_refused_naming_the_known_ones() {
    let e = err("sim://a?png-dir=/tmp");
    assert!(e.contains("unknown sim:// parameter `png-dir`"), "{e}");
    for k in KNOWN_KEYS {
        assert!(e.contains(k), "{e} lacks {k}");
    }
    let e = err("sim://a?link");
    assert!(
        e.contains("`link` has no value") && e.contains("png_dir"),
        "{e}"
    );
}

#[test]
fn a_repeated_key_is_an_error() {
    let e = err("sim://a?seed=1&feeder=3&seed=1");
    assert_eq!(e, "sim:// parameter `seed` is given twice: give it once");
}

#[test]
fn numbers_out_of_range_name_key_value_and_range() {
    for (query, key, value, range) in [
        ("time_scale=1e308", "time_scale", "1e308", "from 0 to 10"),
        ("time_scale=NaN", "time_scale", "NaN", "from 0 to 10"),
        ("time_scale=inf", "time_scale", "inf", "from 0 to 10"),
        ("time_scale=-0.5", "time_scale", "-0.5", "from 0 to 10"),
        ("time_scale=fast", "time_scale", "fast", "from 0 to 10"),
        ("feeder=-1", "feeder", "-1", "from 0 to 10000000"),
        (
            "feeder=10000001",
            "feeder",
            "10000001",
            "from 0 to 10000000",
        ),
        ("ribbon=1.5", "ribbon", "1.5", "from 0 to 10000000"),
        ("seed=abc", "seed", "abc", "from 0 to 18446744073709551615"),
        (
            "seed=18446744073709551616",
            "seed",
            "18446744073709551616",
            "18446744073709551615",
        ),
        ("seed=-1", "seed", "-1", "from 0 to"),
        ("keep=257", "keep", "257", "from 0 to 256"),
        ("keygen_ms=60001", "keygen_ms", "60001", "from 0 to 60000"),
        ("poll_ms=0", "poll_ms", "0", "from 1 to 10000"),
        (
            "reply_timeout_ms=49",
            "reply_timeout_ms",
            "49",
            "from 50 to 600000",
        ),
        (
            "reply_timeout_ms=600001",
            "reply_timeout_ms",
            "600001",
            "from 50 to 600000",
        ),
        ("mute_chips=0", "mute_chips", "0", "from 1 to 4294967295"),
        ("mute_chips=2,x", "mute_chips", "x", "card numbers"),
        ("link=usb", "link", "usb", "pty or inproc"),
        ("png_dir=", "png_dir", "", "directory path"),
        ("pngs=no", "pngs", "no", "on or off"),
        ("faults=jam@x", "faults", "jam@x", "jam@N:PHASE"),
    ] {
        let e = err(&format!("sim://a?{query}"));
        let head = format!("sim:// parameter {key} = `{value}`: ");
        assert!(e.starts_with(&head), "{query}: {e}");
        assert!(e.contains(range), "{query}: {e}");
    }
}

#[test]
fn names_are_one_short_word() {
    for name in ["", "two words", "a/b", &"n".repeat(65), "é"] {
        let e = err(&format!("sim://{name}?seed=1"));
        assert!(e.contains("sim:// station name"), "{name}: {e}");
    }
    assert!(err("evolis+tcp://h:1").contains("not a simulated station"));
    assert!(SimParams::parse(&format!("sim://{}", "n".repeat(64))).is_ok());
}

#[test]
fn lists_and_echoed_values_are_bounded() {
    let many = vec!["1"; 1001].join(",");
    assert!(err(&format!("sim://a?mute_chips={many}")).contains("at most 1000"));
    let faults = vec!["head-temp@1"; 101].join(",");
    assert!(err(&format!("sim://a?faults={faults}")).contains("at most 100"));
    let e = err(&format!("sim://a?png{}=1", "x".repeat(10_000)));
    assert!(e.len() < 400, "{} chars", e.len());
    assert!(e.contains('…'));
}

/// SplitMix64: a small deterministic generator for the property test.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Pieces random URIs are made of: keys, separators, numbers at the edges, faults, odd bytes.
const PIECES: &[&str] = &[
    "sim://",
    "sim:/",
    "a",
    "desk-1",
    "?",
    "&",
    "=",
    ",",
    "faults",
    "mute_chips",
    "time_scale",
    "feeder",
    "ribbon",
    "seed",
    "png_dir",
    "pngs",
    "off",
    "link",
    "keep",
    "keygen_ms",
    "poll_ms",
    "reply_timeout_ms",
    "png-dir",
    "pty",
    "inproc",
    "0",
    "1",
    "-1",
    "1e308",
    "NaN",
    "inf",
    "-0",
    "0.01",
    "10",
    "50",
    "600000",
    "10.0000001",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "jam@3:printing",
    "cover-opens@",
    ":",
    "@",
    "/tmp/x",
    " ",
    "é",
    "\u{0}",
    "…",
    "%20",
    "==",
    "&&",
    "??",
];

#[test]
fn random_uris_never_panic_and_what_parses_round_trips() {
    const CASES: usize = 20_000;
    let mut state = 0x5EED_u64;
    let mut parsed = 0;
    for _ in 0..CASES {
        let mut uri = String::new();
        if !next(&mut state).is_multiple_of(4) {
            uri.push_str("sim://");
        }
        for _ in 0..next(&mut state) % 12 {
            uri.push_str(PIECES[(next(&mut state) % PIECES.len() as u64) as usize]);
        }
        if let Ok(p) = SimParams::parse(&uri) {
            parsed += 1;
            assert_eq!(SimParams::parse(&p.to_uri()).as_ref(), Ok(&p), "{uri}");
            assert!((0.0..=10.0).contains(&p.time_scale), "{uri}");
            assert!(p.poll_ms.is_none_or(|ms| ms >= 1), "{uri}");
            assert!(p.reply_timeout_ms.is_none_or(|ms| ms >= 50), "{uri}");
        }
    }
    assert!(
        parsed > 100,
        "the generator reaches valid URIs too ({parsed})"
    );
}

#[test]
fn the_station_devices_follow_the_parameters() {
    let p =
        SimParams::parse("sim://s?feeder=7&ribbon=9&keep=2&mute_chips=2&seed=40&time_scale=0.5")
            .unwrap();
    let config = p.printer_config(None);
    assert_eq!(config.serial, "SIM-s");
    assert_eq!((config.feeder_cards, config.keep_printed), (7, 2));
    assert_eq!(config.ribbon.as_ref().map(|r| r.remaining), Some(9));
    assert_eq!(config.time.scale, 0.5);
    assert!(p.chip(2).faults_mut().mute);
    assert!(!p.chip(1).faults_mut().mute);
    assert_eq!(p.chip(3).faults_mut().slow_key_generation, None);
    let slow = SimParams::parse("sim://s?keygen_ms=200").unwrap();
    assert_eq!(
        slow.chip(1).faults_mut().slow_key_generation,
        Some(std::time::Duration::from_millis(200))
    );
}

#[test]
fn family_selects_the_simulated_printer_and_its_fault_syntax() {
    let p =
        SimParams::parse("sim://m1?faults=contacts-fail@2,jam@3:printing&family=magicard&feeder=9")
            .unwrap();
    assert_eq!(p.family, SimFamily::Magicard);
    assert!(p.faults.is_empty());
    assert_eq!(
        p.magicard_faults
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>(),
        ["contacts-fail@2", "jam@3:printing"]
    );
    assert_eq!(SimParams::parse(&p.to_uri()).unwrap(), p);
    assert!(p.to_uri().contains("family=magicard"), "{}", p.to_uri());
    assert_eq!(
        SimParams::parse("sim://e?family=evolis").unwrap(),
        SimParams::new("e")
    );
    // A fault of the other family is refused with that family's syntax.
    let e = err("sim://m?family=magicard&faults=rrt-spurious-ok=1");
    assert!(
        e.contains("faults") && e.contains("contacts-fail@N") && e.contains("family=magicard"),
        "{e}"
    );
    let e = err("sim://e?faults=contacts-fail@2");
    assert!(e.contains("jam@N:PHASE"), "{e}");
    let e = err("sim://x?family=zebra");
    assert!(
        e.contains("family = `zebra`") && e.contains("evolis or magicard"),
        "{e}"
    );
}

#[test]
fn a_magicard_station_opens_with_its_own_reader_and_names_its_pngs_after_the_card() {
    use crate::registry::{PrinterOptions, open_printer};
    use cardline_device::{CardImage, CardSide, MonoPanel};
    let dir = tempfile::tempdir().unwrap();
    let uri = format!(
        "sim://m1?family=magicard&feeder=3&png_dir={}",
        dir.path().display()
    );
    let mut opened = open_printer(&uri, &PrinterOptions::default()).unwrap();
    let device = opened.device.take().unwrap();
    assert_eq!(device.printer.family(), "magicard");
    assert_eq!(device.printer.feeder_left(), 3);
    let caps = opened.printer.capabilities();
    assert_eq!((caps.geometry.dots, caps.geometry.lines), (641, 1016));
    assert!(opened.printer.describe().starts_with("Magicard "));
    // The chip is reachable only once the card is parked at the lowered contacts.
    let mut reader = opened.own_reader.take().unwrap();
    assert!(reader.connect(std::time::Duration::ZERO).is_err());
    opened.printer.park_for_encoding().unwrap();
    assert_eq!(device.printer.card_at_contact_station(), Some(1));
    drop(reader.connect(std::time::Duration::from_secs(1)).unwrap());
    let mut black = MonoPanel::blank_at(caps.geometry);
    black.set(10, 10, true);
    let card = CardImage {
        front: CardSide {
            black: Some(black),
            ..CardSide::default()
        },
        back: None,
        label: Some("TMP000000042".into()),
    };
    opened.printer.print(&card).unwrap();
    opened.printer.eject().unwrap();
    assert!(dir.path().join("TMP000000042.png").is_file());
    assert_eq!(device.printer.cards_printed(), 1);
    assert!(device.printer.png_errors().is_empty());
}
