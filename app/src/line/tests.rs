use super::*;

use cardline_sim::printer::{SimPrinter, SimPrinterConfig, SimPrinterHandle, TcpEndpoint};

use crate::parse_stations;

fn closed_port() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

#[test]
fn a_station_that_cannot_be_opened_is_reported_and_left_out() {
    let text = format!(
        "[[station]]\nname = \"up\"\nprinter = \"sim://up\"\nreader = \"sim\"\n\
         [[station]]\nname = \"down\"\nprinter = \"evolis+tcp://{}\"\nreader = \"OMNIKEY\"\n",
        closed_port()
    );
    let file = parse_stations(&text, "f").unwrap();
    let line = open_line(&file, &LineOptions::default()).unwrap();
    let names: Vec<&str> = line.stations.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["up"]);
    assert_eq!(line.missing.len(), 1);
    let missing = &line.missing[0];
    assert_eq!(missing.name, "down");
    assert!(missing.uri.starts_with("evolis+tcp://127.0.0.1:"));
    let why = error_chain(&missing.error);
    assert!(
        why.contains("cannot connect to the evolis printer") && why.contains("cannot open"),
        "{why}"
    );
    assert_eq!(line.sims.len(), 1);
}

#[test]
fn only_the_named_stations_open_and_an_unknown_name_is_an_error() {
    let text = "[[station]]\nname = \"a\"\nprinter = \"sim://a\"\nreader = \"sim\"\n\
                [[station]]\nname = \"b\"\nprinter = \"sim://b\"\nreader = \"sim\"\n";
    let file = parse_stations(text, "f").unwrap();
    let only = |names: &[&str]| LineOptions {
        only: names.iter().map(|n| n.to_string()).collect(),
        ..LineOptions::default()
    };
    let line = open_line(&file, &only(&["b"])).unwrap();
    assert_eq!(line.stations.len(), 1);
    assert_eq!(line.stations[0].name, "b");
    assert_eq!(line.sims[0].name, "b");
    let e = open_line(&file, &only(&["b", "nope"]))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("no station named `nope`") && e.contains("declared: a, b"),
        "{e}"
    );
}

#[test]
fn the_declaration_sets_breaker_encoder_reader_and_png_dir() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[[station]]\nname = \"enc\"\nprinter = \"sim://x\"\nreader = \"sim\"\nbreaker = 7\n\
                [[station]]\nname = \"print\"\nprinter = \"sim://y\"\nencode = false\n";
    let file = parse_stations(text, "f").unwrap();
    let options = LineOptions {
        png_root: Some(dir.path().to_path_buf()),
        ..LineOptions::default()
    };
    let line = open_line(&file, &options).unwrap();
    let (enc, print) = (&line.stations[0], &line.stations[1]);
    assert_eq!((enc.breaker_after, print.breaker_after), (7, 3));
    assert!(enc.encoder.is_some() && print.encoder.is_none());
    assert!(enc.reader.name().contains("SIM-x"), "{}", enc.reader.name());
    assert!(
        print.reader.name().contains("print only"),
        "{}",
        print.reader.name()
    );
    assert_eq!(
        line.sims[0].name, "enc",
        "the device carries the station's name"
    );
    assert_eq!(
        line.sims[0].png_dir.as_deref(),
        Some(dir.path().join("enc").as_path())
    );
    assert!(dir.path().join("print").is_dir());
}

#[test]
fn a_real_printer_with_a_missing_pcsc_reader_is_left_out() {
    let printer = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
    let tcp = TcpEndpoint::start(printer, "127.0.0.1:0").unwrap();
    let spec = StationSpec::new("desk", tcp.uri(), Some("no-such-reader-7f3a"));
    let e = open_station(&spec, &LineOptions::default()).err().unwrap();
    assert!(
        matches!(e, OpenError::Reader { ref pattern, .. } if pattern == "no-such-reader-7f3a"),
        "{e:?}"
    );
    assert!(e.needs_operator(), "{e:?}");
    // The same printer as a print-only station opens without a reader.
    let mut spec = spec;
    spec.encode = false;
    let mut opened = open_station(&spec, &LineOptions::default()).unwrap();
    assert!(opened.station.printer.status().unwrap().is_ready());
    assert!(opened.device.is_none());
}

#[test]
fn a_simulated_station_over_a_pseudo_terminal() {
    if !std::path::Path::new("/dev/ptmx").exists() {
        cardline_device::skipped!("no pseudo-terminal multiplexer (/dev/ptmx)");
        return;
    }
    let spec = StationSpec::new("pty", "sim://pty?link=pty&poll_ms=2", Some("sim"));
    let mut opened = open_station(&spec, &LineOptions::default()).unwrap();
    let device = opened.device.as_ref().unwrap();
    let path = device.pty.as_ref().unwrap().path().to_path_buf();
    assert!(
        opened
            .station
            .printer
            .describe()
            .contains(&path.display().to_string())
    );
    opened.station.printer.park_for_encoding().unwrap();
    assert!(device.printer.card_at_contact_station().is_some());
    opened.station.printer.reject().unwrap();
}

#[test]
fn the_declaration_s_colour_compression_and_the_line_s_poll_reach_the_printer_options() {
    let mut spec = StationSpec::new("desk", "evolis+tcp://h:1", Some("X"));
    let options = LineOptions {
        png_root: Some("/srv/png".into()),
        poll_interval: Some(Duration::from_millis(7)),
        ..LineOptions::default()
    };
    let o = printer_options(&spec, &options);
    assert!(o.compress_color && !o.raw);
    assert_eq!(o.poll_interval, Some(Duration::from_millis(7)));
    assert_eq!(
        o.png_dir.as_deref(),
        Some(std::path::Path::new("/srv/png/desk"))
    );
    spec.compress_color = false;
    assert!(!printer_options(&spec, &options).compress_color);
}

#[test]
fn a_resumed_station_is_reopened_as_the_file_declares_it_now() {
    use cardline_issuance::production::StationReopener;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stations.toml");
    let declare = |breaker: u32| {
        let text = format!(
            "[[station]]\nname = \"a\"\nprinter = \"sim://a\"\nreader = \"sim\"\nbreaker = {breaker}\n"
        );
        std::fs::write(&path, text).unwrap();
    };
    declare(3);
    let reopener = StationsFileReopener::new(&path, LineOptions::default());
    assert_eq!(reopener.reopen("a").unwrap().breaker_after, 3);
    declare(9);
    let mut again = reopener.reopen("a").unwrap();
    assert_eq!(again.breaker_after, 9, "the fixed declaration is used");
    assert!(
        again.printer.status().unwrap().is_ready(),
        "its device is kept alive"
    );
    let e = reopener.reopen("b").err().unwrap();
    assert!(e.contains("no longer declared"), "{e}");
    std::fs::write(
        &path,
        "[[station]]\nname = \"a\"\nprinter = \"zebra://x\"\n",
    )
    .unwrap();
    let e = reopener.reopen("a").err().unwrap();
    assert!(
        e.contains("stations.toml:3") && e.contains("unknown printer scheme"),
        "{e}"
    );
}
