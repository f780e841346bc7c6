use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use cardline_device::{PrinterStatus, RibbonStatus};
use cardline_issuance::ca::{CaKeyAlgorithm, LocalCa};
use cardline_issuance::secrets::KeyFiles;
use cardline_issuance::stations::StationSpec;
use cardline_issuance::store::sqlite::SqliteStore;
use time::{Duration, OffsetDateTime};

use super::*;

/// A home with a database, keys and a CA, as `init`, `keys init`, `ca init` make it.
fn full_home() -> (tempfile::TempDir, OffsetDateTime) {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    let store = Arc::new(SqliteStore::create(&home.database()).unwrap());
    let files = KeyFiles::in_home(dir.path());
    files.init().unwrap();
    let ca = LocalCa::init(
        &home.ca_dir(),
        "doctor test CA",
        CaKeyAlgorithm::P256,
        &files.station_key().unwrap(),
        store,
    )
    .unwrap();
    (dir, ca.not_after())
}

fn find<'a>(r: &'a Report, family: &str, name: &str) -> &'a Check {
    r.checks
        .iter()
        .find(|c| c.family == family && c.name == name)
        .unwrap_or_else(|| panic!("no {family}/{name} check in {:#?}", r.checks))
}

#[test]
fn a_full_home_passes_home_keys_ca_and_options() {
    let (dir, _) = full_home();
    let r = Doctor::new(dir.path()).run();
    for (family, name) in [
        ("home", "directory"),
        ("home", "database"),
        ("keys", "station.key"),
        ("keys", "management-master.key"),
        ("ca", "certificate"),
        ("ca", "key"),
        ("options", "profile"),
    ] {
        assert_eq!(find(&r, family, name).level, Level::Ok, "{:#?}", r.checks);
    }
    let files = KeyFiles::in_home(dir.path());
    let station_id = files.station_key().unwrap().key_id();
    let master_id = files.master_key_id().unwrap();
    assert_ne!(station_id, master_id);
    let station = &find(&r, "keys", "station.key").detail;
    assert!(
        station.ends_with(&format!("mode 600, key id {station_id}")),
        "{station}"
    );
    let master = &find(&r, "keys", "management-master.key").detail;
    assert!(
        master.ends_with(&format!("mode 600, key id {master_id}")),
        "{master}"
    );
    // The stations file is missing: a warning, not a problem.
    assert_eq!(find(&r, "station", "stations file").level, Level::Warning);
}

#[test]
fn the_ca_near_its_end_warns_and_past_it_or_before_it_is_a_problem() {
    let (dir, not_after) = full_home();
    let at = |now: OffsetDateTime| {
        let mut d = Doctor::new(dir.path());
        d.now = now;
        find(&d.run(), "ca", "certificate").clone()
    };
    let soon = at(not_after - Duration::days(10));
    assert_eq!(soon.level, Level::Warning, "{soon:?}");
    assert!(
        soon.detail.contains("expires in 9 days") || soon.detail.contains("expires in 10 days"),
        "{soon:?}"
    );
    let late = at(not_after + Duration::days(1));
    assert_eq!(late.level, Level::Problem, "{late:?}");
    assert!(late.detail.contains("expired"), "{late:?}");
    let early = at(OffsetDateTime::now_utc() - Duration::days(400));
    assert_eq!(early.level, Level::Problem, "{early:?}");
    assert!(early.detail.contains("clock is behind"), "{early:?}");
}

#[test]
fn a_group_or_world_readable_key_and_a_missing_key_are_problems() {
    let (dir, _) = full_home();
    let files = KeyFiles::in_home(dir.path());
    std::fs::set_permissions(
        files.station_key_path(),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    std::fs::remove_file(files.master_key_path()).unwrap();
    let r = Doctor::new(dir.path()).run();
    let station = find(&r, "keys", "station.key");
    assert_eq!(station.level, Level::Problem);
    assert!(
        station.detail.contains("mode 640: its group"),
        "{station:?}"
    );
    assert!(station.fix.as_deref().unwrap().starts_with("chmod 600 "));
    let master = find(&r, "keys", "management-master.key");
    assert_eq!(master.level, Level::Problem);
    assert!(
        master
            .fix
            .as_deref()
            .unwrap()
            .contains("cardline keys init")
    );
    // The CA key cannot be opened without a usable station key.
    assert_eq!(find(&r, "ca", "key").level, Level::Problem);
    assert!(r.blocks_production());
}

#[test]
fn a_database_older_than_the_binary_warns_without_being_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    drop(SqliteStore::create(&home.database()).unwrap());
    let raw = 1;
    rusqlite::Connection::open(home.database())
        .unwrap()
        .execute("UPDATE schema_version SET version = ?1", [raw])
        .unwrap();
    let r = Doctor::new(dir.path()).run();
    let db = find(&r, "home", "database");
    assert_eq!(db.level, Level::Warning, "{db:?}");
    assert!(
        db.detail.contains(&format!("schema version {raw}")),
        "{db:?}"
    );
    // Still at the old version: doctor did not migrate it.
    assert_eq!(SqliteStore::inspect(&home.database()).unwrap().found, raw);
}

fn spec(encode: bool) -> StationSpec {
    crate::parse_stations(
        &format!("[[station]]\nname = \"s\"\nprinter = \"sim://s\"\nreader = \"sim\"\nencode = {encode}\n"),
        "stations.toml",
    )
    .unwrap()
    .stations
    .remove(0)
}

fn ready() -> PrinterStatus {
    PrinterStatus {
        ribbon: RibbonStatus {
            kind: Some("ymcko".into()),
            remaining: Some(150),
            capacity: Some(200),
        },
        ..PrinterStatus::default()
    }
}

#[test]
fn printer_findings_take_the_worst_level_and_name_each_fix() {
    let ok = stations::printer_check(&spec(true), &ready(), true);
    assert_eq!(ok.level, Level::Ok, "{ok:?}");
    let mut low = ready();
    low.ribbon.remaining = Some(5);
    let c = stations::printer_check(&spec(true), &low, true);
    assert_eq!(c.level, Level::Warning, "{c:?}");
    let mut bad = low.clone();
    bad.cover_open = true;
    bad.feeder_empty = true;
    let c = stations::printer_check(&spec(true), &bad, true);
    assert_eq!(c.level, Level::Problem);
    assert!(
        c.detail
            .contains("cover open, feeder empty, ymcko ribbon: 5 prints left"),
        "{c:?}"
    );
    let fix = c.fix.unwrap();
    assert!(
        fix.contains("close the cover") && fix.contains("load blank cards"),
        "{fix}"
    );
    let c = stations::printer_check(&spec(true), &ready(), false);
    assert_eq!(c.level, Level::Problem);
    assert!(c.detail.contains("no smart-card contact station"));
    assert_eq!(
        stations::printer_check(&spec(false), &ready(), false).level,
        Level::Ok
    );
}

#[test]
fn a_usb_printer_found_without_access_to_its_node_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut doctor = Doctor::new(dir.path());
    doctor.usb_devices = Some(Vec::new());
    let r = doctor.run();
    let none = find(&r, "usb", "printers");
    assert_eq!(none.level, Level::Ok);
    assert!(
        none.detail.contains("Evolis (0f49)") && none.detail.contains("(0c1f)"),
        "{none:?}"
    );
    // A Magicard on a bus no machine has: its node does not exist, so it cannot be opened.
    doctor.usb_devices = Some(vec![cardline_link::UsbPrinterEntry {
        bus: 255,
        address: 254,
        vendor_id: 0x0C1F,
        product_id: 0x1800,
        product: None,
        serial: Some("MC1".into()),
        uri: "usb://0c1f:1800?serial=MC1".into(),
    }]);
    let r = doctor.run();
    let c = r.checks.iter().find(|c| c.family == "usb").unwrap();
    assert_eq!(c.level, Level::Problem, "{c:?}");
    assert!(
        c.name.contains("0c1f:1800") && c.name.contains("serial MC1"),
        "{c:?}"
    );
    assert!(c.detail.starts_with("/dev/bus/usb/255/254"), "{c:?}");
}

#[test]
fn a_usb_node_that_cannot_be_opened_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("001");
    assert_eq!(usb::node_check("Evolis", &missing).level, Level::Problem);
    let node = dir.path().join("002");
    std::fs::write(&node, b"").unwrap();
    assert_eq!(usb::node_check("Evolis", &node).level, Level::Ok);
    assert_eq!(
        usb::device_node(3, 17),
        std::path::Path::new("/dev/bus/usb/003/017")
    );
}

#[test]
fn the_clock_check_reads_timedatectl_and_warns_when_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let fake = |answer: &str| {
        let p = dir.path().join(format!("timedatectl-{answer}"));
        std::fs::write(&p, format!("#!/bin/sh\necho {answer}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        // Another test thread forking a child while this script was open for writing makes
        // running it fail with ETXTBSY until that child execs: try again (a CI run hit it).
        for _ in 0..50 {
            let mut out = Vec::new();
            clock::check(&p, &mut out);
            let check = out.remove(0);
            if !check.detail.contains("Text file busy") {
                return check;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("{} stayed busy", p.display());
    };
    assert_eq!(fake("yes").level, Level::Ok);
    let no = fake("no");
    assert_eq!(no.level, Level::Warning);
    assert!(no.detail.contains("not synchronised"), "{no:?}");
    let mut out = Vec::new();
    clock::check(&dir.path().join("absent"), &mut out);
    assert_eq!(out[0].level, Level::Warning);
    assert!(out[0].detail.contains("cannot tell"), "{:?}", out[0]);
}

#[test]
fn a_print_only_home_without_keys_or_ca_gets_warnings_not_problems() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    let store = SqliteStore::create(&home.database()).unwrap();
    let actor = cardline_issuance::store::Actor("tester".into());
    cardline_issuance::options::profiles::import_text(
        &store,
        "default",
        "encode = false\ncertificates = []\n",
        &actor,
    )
    .unwrap();
    drop(store);
    let r = Doctor::new(dir.path()).run();
    for (family, name) in [
        ("keys", "station.key"),
        ("keys", "management-master.key"),
        ("ca", "certificate"),
    ] {
        let c = find(&r, family, name);
        assert_eq!(c.level, Level::Warning, "{c:?}");
        assert!(c.detail.contains("print-only"), "{c:?}");
    }
    assert!(find(&r, "options", "profile").detail.contains("print only"));

    // A home whose default profile encodes (the built-in default): the same gaps stop production.
    let encoding = tempfile::tempdir().unwrap();
    drop(SqliteStore::create(&Home::new(encoding.path()).database()).unwrap());
    let r = Doctor::new(encoding.path()).run();
    assert_eq!(find(&r, "keys", "station.key").level, Level::Problem);
    assert_eq!(find(&r, "ca", "certificate").level, Level::Problem);
}
