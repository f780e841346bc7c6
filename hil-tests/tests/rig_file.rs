//! A rig file's stations are opened exactly as `cardline order produce` opens a home's
//! stations: every `sim://` parameter and station key is honoured (the rig used to drop them).

use cardline_hil::Rig;

#[test]
fn a_rig_file_s_stations_keep_their_declared_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rig.toml");
    std::fs::write(
        &path,
        "[[station]]\nname = \"r1\"\nprinter = \"sim://r1?feeder=2&ribbon=7&poll_ms=2\"\n\
         reader = \"sim\"\nbreaker = 5\n\n\
         [[station]]\nname = \"r2\"\nprinter = \"sim://r2?faults=cover-opens@1\"\n\
         reader = \"sim\"\nencode = false\n",
    )
    .unwrap();
    let rig = Rig::from_file(path, false);
    assert!(!rig.allows("writes cards", false), "not destructive");
    let mut stations = rig.stations(2, &[], &[]);
    let r1 = &stations[0];
    let sim = r1.sim.as_ref().expect("simulated");
    let state = sim.evolis().expect("an Evolis station").state();
    assert_eq!(state.feeder, 2, "feeder=2 from the URI");
    assert_eq!(state.ribbon.as_ref().map(|r| r.remaining), Some(7));
    assert_eq!(r1.station.breaker_after, 5);
    assert!(r1.station.encoder.is_some());
    let r2 = &mut stations[1];
    assert!(r2.station.encoder.is_none(), "print-only station");
    assert_eq!(r2.station.name, "r2");
    // The scripted cover fault of its URI is there: feeding the first card finds it open.
    let e = r2.station.printer.park_for_encoding().unwrap_err();
    assert!(e.needs_operator(), "{e}");
}

#[test]
#[should_panic(expected = "rig.toml:3: station `bad`: printer = \"sim://bad?png-dir=x\"")]
fn an_invalid_rig_file_stops_with_file_line_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rig.toml");
    std::fs::write(
        &path,
        "[[station]]\nname = \"bad\"\nprinter = \"sim://bad?png-dir=x\"\nreader = \"sim\"\n",
    )
    .unwrap();
    Rig::from_file(path, true);
}

#[test]
fn a_rig_file_takes_magicard_stations_next_to_evolis_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rig.toml");
    std::fs::write(
        &path,
        "[[station]]\nname = \"m1\"\nprinter = \"sim://m1?family=magicard&feeder=2&poll_ms=2\"\n\
         reader = \"sim\"\n\n\
         [[station]]\nname = \"e1\"\nprinter = \"sim://e1\"\nreader = \"sim\"\n",
    )
    .unwrap();
    let rig = Rig::from_file(path, false);
    let mut stations = rig.stations(2, &[], &[]);
    let m1 = stations[0].sim.as_ref().expect("simulated");
    assert_eq!(m1.family(), "magicard");
    assert_eq!(m1.feeder_left(), 2, "feeder=2 from the URI");
    assert_eq!(stations[1].sim.as_ref().unwrap().family(), "evolis");
    let status = stations[0].station.printer.status().unwrap();
    assert!(status.is_ready(), "{status:?}");
    assert!(
        stations[0]
            .station
            .printer
            .describe()
            .starts_with("Magicard ")
    );
    // The rig's real Magicard URIs are checked like any stations file's.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[station]]\nname = \"m\"\nprinter = \"magicard+usb://0f49:0a00\"\nreader = \"OMNIKEY\"\n",
    )
    .unwrap();
    let e = std::panic::catch_unwind(|| Rig::from_file(bad.clone(), false)).unwrap_err();
    let text = e.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("is not Magicard's"), "{text}");
}
