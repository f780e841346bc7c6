use super::*;

/// A stand-in for the application's registry: `acme+tcp://host:port` printers with PC/SC
/// readers, and `acme+own://name` printers that bring their own reader (`own`).
struct Acme;

impl StationValidator for Acme {
    fn printer(&self, uri: &str) -> Result<(), String> {
        match split_scheme(uri) {
            Some(("acme+tcp", rest)) if rest.contains(':') => Ok(()),
            Some(("acme+tcp", _)) => Err("a TCP printer needs host:port".into()),
            Some(("acme+own", _)) => Ok(()),
            _ => Err("unknown printer scheme (known: acme+tcp, acme+own)".into()),
        }
    }
    fn reader(&self, printer: &str, reader: Option<&str>, encode: bool) -> Result<(), String> {
        match (printer.starts_with("acme+own"), reader) {
            (true, Some("own") | None) | (false, Some(_)) => Ok(()),
            (true, Some(_)) => Err("this printer brings its own reader: write `own`".into()),
            (false, None) if !encode => Ok(()),
            (false, None) => Err("a station that encodes needs its reader".into()),
        }
    }
    fn encoder(&self, encoder: &str) -> Result<(), String> {
        (encoder == "piv")
            .then_some(())
            .ok_or_else(|| "unknown encoder (known: piv)".into())
    }
}

fn parse(text: &str) -> Result<StationsFile, StationsFileError> {
    StationsFile::parse(text, "stations.toml", &Acme)
}

fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn a_station_gets_the_defaults_of_every_optional_key() {
    let f =
        parse("[[station]]\nname = \"a\"\nprinter = \"acme+tcp://h:1\"\nreader = \"X\"\n").unwrap();
    assert_eq!(
        f.stations,
        [StationSpec::new("a", "acme+tcp://h:1", Some("X"))]
    );
    let s = &f.stations[0];
    assert_eq!(
        (s.encode, s.encoder.as_str(), s.compress_color, s.breaker),
        (true, "piv", true, 3)
    );
    assert_eq!(s.scheme(), Some("acme+tcp"));
}

#[test]
fn errors_name_file_line_key_and_value() {
    let e = error("[[station]]\nname = \"a\"\nprinter = \"acme+tcp://h\"\nreader = \"X\"\n");
    assert_eq!(
        e,
        "stations.toml:3: station `a`: printer = \"acme+tcp://h\": a TCP printer needs host:port"
    );
    let e = error("[[station]]\nname = \"a\"\nprinter = \"zebra://x\"\nreader = \"X\"\n");
    assert!(e.contains("unknown printer scheme"), "{e}");
    let dup = "[[station]]\nname = \"a\"\nprinter = \"acme+own://a\"\n\
               [[station]]\nname = \"a\"\nprinter = \"acme+own://b\"\n";
    assert!(error(dup).starts_with("stations.toml:5: station `a`: name = \"a\": another station"));
    let e = error("[[station]]\nname = \"two words\"\nprinter = \"acme+own://a\"\n");
    assert!(e.contains("one word"), "{e}");
    assert!(error("[[station]]\nname = \"a\"\n").contains("missing field"));
}

#[test]
fn the_validator_judges_the_reader_at_its_line_or_at_the_name_when_absent() {
    let e = error("[[station]]\nname = \"a\"\nprinter = \"acme+own://a\"\nreader = \"OMNIKEY\"\n");
    assert!(
        e.starts_with("stations.toml:4: station `a`: reader = \"OMNIKEY\": this printer brings"),
        "{e}"
    );
    let e = error("[[station]]\nname = \"a\"\nprinter = \"acme+tcp://h:1\"\n");
    assert!(
        e.starts_with("stations.toml:2: station `a`: reader = \"\": a station that encodes"),
        "{e}"
    );
    let e = error("[[station]]\nname = \"a\"\nprinter = \"acme+tcp://h:1\"\nreader = \" \"\n");
    assert!(
        e.contains("leave the key out for a print-only station"),
        "{e}"
    );
}

#[test]
fn a_print_only_station_needs_no_reader_and_no_known_encoder() {
    let f = parse(
        "[[station]]\nname = \"p\"\nprinter = \"acme+tcp://h:1\"\nencode = false\nencoder = \"x\"\n",
    )
    .unwrap();
    assert_eq!(f.stations[0].reader, None);
    assert!(!f.stations[0].encode);
}

#[test]
fn the_encoder_is_checked_for_stations_that_encode() {
    let text = "[[station]]\nname = \"a\"\nprinter = \"acme+own://a\"\nencoder = \"mifare\"\n";
    let e = error(text);
    assert!(
        e.starts_with("stations.toml:4: station `a`: encoder = \"mifare\": unknown encoder"),
        "{e}"
    );
    let ok = parse(&text.replace("mifare", "piv")).unwrap();
    assert_eq!(ok.stations[0].encoder, "piv");
}

#[test]
fn the_breaker_is_an_integer_from_1_to_100() {
    let base = "[[station]]\nname = \"a\"\nprinter = \"acme+own://a\"\nbreaker = ";
    assert_eq!(parse(&format!("{base}7\n")).unwrap().stations[0].breaker, 7);
    assert_eq!(
        parse(&format!("{base}100\n")).unwrap().stations[0].breaker,
        100
    );
    for bad in ["0", "101", "-1", "99999999999"] {
        let e = error(&format!("{base}{bad}\n"));
        assert!(
            e.starts_with(&format!(
                "stations.toml:4: station `a`: breaker = \"{bad}\": "
            )),
            "{e}"
        );
        assert!(e.contains("1–100") && e.contains("default 3"), "{e}");
    }
    let e = error(&format!("{base}\"3\"\n"));
    assert!(e.contains("line 4") && e.contains("expected i64"), "{e}");
}

#[test]
fn long_values_are_cut_in_messages() {
    let long = format!("zebra://{}", "x".repeat(500));
    let e = error(&format!(
        "[[station]]\nname = \"a\"\nprinter = \"{long}\"\nreader = \"X\"\n"
    ));
    let shown = format!("printer = \"{}…\"", &long[..80]);
    assert!(e.contains(&shown), "{e}");
    assert!(e.len() < 250, "{e}");
    assert_eq!(echo("é".repeat(81).as_str()).chars().count(), 81);
}

#[test]
fn colour_compression_is_on_unless_the_station_turns_it_off() {
    let text = "[[station]]\nname = \"a\"\nprinter = \"acme+own://a\"\nreader = \"own\"\n\
                [[station]]\nname = \"b\"\nprinter = \"acme+tcp://h:9100\"\nreader = \"X\"\n\
                compress_color = false\n";
    let f = parse(text).unwrap();
    let flags: Vec<bool> = f.stations.iter().map(|s| s.compress_color).collect();
    assert_eq!(flags, [true, false]);
    let bad = text.replace("compress_color = false", "compress_color = \"no\"");
    let e = error(&bad);
    assert!(e.contains("line 9") && e.contains("boolean"), "{e}");
}

#[test]
fn a_missing_file_is_an_empty_line() {
    let f = StationsFile::load(Path::new("/nonexistent/stations.toml"), &Acme).unwrap();
    assert!(f.stations.is_empty());
    assert_eq!(split_scheme("://x"), None);
    assert_eq!(split_scheme("a+b://x?y"), Some(("a+b", "x?y")));
}
