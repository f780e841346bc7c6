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
    let state = r1.sim.as_ref().expect("simulated").state();
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
