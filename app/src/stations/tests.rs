use super::*;

fn parse(text: &str) -> Result<StationsFile, StationsFileError> {
    parse_stations(text, "stations.toml")
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

fn station(printer: &str, reader: Option<&str>) -> String {
    let reader = reader.map_or(String::new(), |r| format!("reader = \"{r}\"\n"));
    format!("[[station]]\nname = \"a\"\nprinter = \"{printer}\"\n{reader}")
}

#[test]
fn every_printer_family_and_the_simulator_are_accepted() {
    for (printer, reader) in [
        ("evolis+serial:///dev/ttyUSB0?baud=9600", "OMNIKEY"),
        ("evolis+tcp://10.0.0.5:9100", "Identiv"),
        ("evolis+usb://0f49:0a00", "OMNIKEY"),
        ("magicard+usb://0c1f:1800", "OMNIKEY"),
        ("magicard+tcp://10.0.0.7:9100", "Identiv"),
        ("magicard+serial:///dev/ttyS0", "OMNIKEY"),
        ("sim://s1?faults=jam@2:printing&seed=7", "sim"),
    ] {
        let f = parse(&station(printer, Some(reader))).unwrap();
        assert_eq!(f.stations[0].printer_uri, printer);
        assert_eq!(f.stations[0].reader.as_deref(), Some(reader));
    }
}

#[test]
fn a_magicard_station_needs_a_reader_pattern_and_a_magicard_vendor_id() {
    let e = error(&station("magicard+usb://0c1f:1800", Some("sim")));
    assert!(e.contains("goes only with a sim:// printer"), "{e}");
    let e = error(&station("magicard+usb://0f49:0a00", Some("OMNIKEY")));
    assert!(
        e.starts_with("stations.toml:3:") && e.contains("is not Magicard's"),
        "{e}"
    );
}

#[test]
fn errors_name_file_line_key_value_and_the_registry_s_reason() {
    let e = error(&station("evolis+tcp://h:x", Some("OMNIKEY")));
    assert!(
        e.starts_with("stations.toml:3: station `a`: printer = \"evolis+tcp://h:x\": "),
        "{e}"
    );
    let e = error(&station("zebra://x", Some("sim")));
    assert!(
        e.starts_with("stations.toml:3:") && e.contains("unknown printer scheme"),
        "{e}"
    );
    let e = error(&station("sim://a?png-dir=/tmp", Some("sim")));
    assert!(
        e.contains("unknown sim:// parameter `png-dir`") && e.contains("png_dir"),
        "{e}"
    );
    let e = error(&station("sim://a?time_scale=1e308", Some("sim")));
    assert!(
        e.contains("time_scale = `1e308`") && e.contains("from 0 to 10"),
        "{e}"
    );
    let e = error(&station("evolis+serial://ttyUSB0", Some("X")));
    assert!(e.contains("absolute device path"), "{e}");
}

#[test]
fn the_reader_must_fit_the_printer() {
    let e = error(&station("evolis+tcp://h:1", Some("sim")));
    assert!(
        e.starts_with("stations.toml:4: station `a`: reader = \"sim\""),
        "{e}"
    );
    assert!(e.contains("only with a sim://"), "{e}");
    let e = error(&station("sim://a", Some("OMNIKEY")));
    assert!(
        e.contains("uses its own reader") && e.contains("not `OMNIKEY`"),
        "{e}"
    );
    let e = error(&station("evolis+tcp://h:1", None));
    assert!(
        e.starts_with("stations.toml:2: station `a`: reader = \"\""),
        "{e}"
    );
    assert!(e.contains("encode = false"), "{e}");
    let e = error(&station("sim://a", None));
    assert!(e.contains("reader = \"sim\""), "{e}");
}

#[test]
fn a_print_only_station_needs_no_reader() {
    for printer in ["evolis+tcp://h:1", "sim://a"] {
        let text = station(printer, None) + "encode = false\n";
        let f = parse(&text).unwrap();
        assert_eq!(
            (f.stations[0].reader.as_deref(), f.stations[0].encode),
            (None, false)
        );
    }
}

#[test]
fn the_encoder_must_be_known_and_breaker_in_range() {
    let base = station("sim://a", Some("sim"));
    assert_eq!(parse(&base).unwrap().stations[0].encoder, "piv");
    let e = error(&format!("{base}encoder = \"mifare\"\n"));
    assert!(
        e.starts_with("stations.toml:5: station `a`: encoder = \"mifare\""),
        "{e}"
    );
    assert!(e.contains("known: piv"), "{e}");
    assert_eq!(
        parse(&format!("{base}breaker = 9\n")).unwrap().stations[0].breaker,
        9
    );
    assert!(error(&format!("{base}breaker = 0\n")).contains("1–100"));
}

#[test]
fn colour_compression_follows_the_declaration() {
    let text = station("sim://a", Some("sim"))
        + "compress_color = false\n[[station]]\nname = \"b\"\nprinter = \"sim://b\"\nreader = \"sim\"\n";
    let f = parse(&text).unwrap();
    let flags: Vec<bool> = f.stations.iter().map(|s| s.compress_color).collect();
    assert_eq!(flags, [false, true]);
}

#[test]
fn loading_checks_with_the_registries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stations.toml");
    assert!(load_stations(&path).unwrap().stations.is_empty());
    std::fs::write(&path, station("zebra+tcp://h:1", Some("X"))).unwrap();
    let e = load_stations(&path).unwrap_err().to_string();
    assert!(
        e.contains("stations.toml:3:") && e.contains("unknown printer family"),
        "{e}"
    );
}
