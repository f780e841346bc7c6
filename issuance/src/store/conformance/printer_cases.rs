//! Conformance case of the printer status a desk reports on its station claims.

use std::time::Duration;

use cardline_device::{PrinterFault, PrinterStatus, RibbonStatus};

use super::TestDatabase;
use crate::printer_report::{CoverState, FeederState, PrinterReport};
use crate::store::ownership::RunStart;
use crate::store::*;

fn op() -> Actor {
    Actor("dora".into())
}

/// Conformance case: a report round-trips through the claim row, field by field; only the
/// run holding the station writes it; a take-over starts without one; it goes with the claim.
pub fn printer_reports_round_trip_on_the_claim(db: &dyn TestDatabase) {
    let store = db.open();
    let start = |lease| RunStart {
        lease,
        ..RunStart::desk("front")
    };
    let run = store
        .start_run(&start(Duration::from_secs(60)), &op())
        .unwrap();
    let other = store
        .start_run(&start(Duration::from_secs(60)), &op())
        .unwrap();
    store
        .claim_station(run.id, "f1", None, &op())
        .unwrap()
        .unwrap();
    store
        .claim_station(run.id, "f2", None, &op())
        .unwrap()
        .unwrap();
    let printer = |station: &str| {
        store
            .station_claims()
            .unwrap()
            .into_iter()
            .find(|c| c.station == station)
            .and_then(|c| c.printer)
    };
    assert_eq!(printer("f1"), None, "a new claim has no report");

    let mut status = PrinterStatus {
        model: Some("Zenius".into()),
        serial: Some("Z1 \"quoted\"".into()),
        feeder_known: true,
        ribbon: RibbonStatus {
            kind: Some("ymcko".into()),
            remaining: Some(15),
            capacity: Some(200),
        },
        ..PrinterStatus::default()
    };
    status.record(PrinterFault::CoverOpen);
    status.record(PrinterFault::Jam);
    let report = PrinterReport::from_status(&status, "2026-11-29T12:00:00.000Z");
    assert!(store.report_printer(run.id, "f1", &report).unwrap());
    let read = printer("f1").expect("the report is stored");
    assert_eq!(read, report);
    assert_eq!(read.cover, CoverState::Open);
    assert_eq!(read.feeder, FeederState::Ok);
    assert_eq!(read.ribbon.percent, Some(7));
    assert_eq!(read.faults, ["card_jam"]);
    assert_eq!(printer("f2"), None, "the other station is untouched");

    // A newer reading replaces it; a run that does not hold the station writes nothing.
    let later = PrinterReport::from_status(&PrinterStatus::default(), "2026-11-29T12:00:05.000Z");
    assert!(store.report_printer(run.id, "f1", &later).unwrap());
    assert_eq!(printer("f1"), Some(later.clone()));
    assert!(!store.report_printer(other.id, "f1", &report).unwrap());
    assert!(!store.report_printer(run.id, "nowhere", &report).unwrap());
    assert_eq!(printer("f1"), Some(later));

    // Taken over: the new run starts without the old run's reading.
    store
        .claim_station(other.id, "f1", Some(run.id), &op())
        .unwrap()
        .unwrap();
    assert_eq!(printer("f1"), None);
    assert!(store.report_printer(other.id, "f1", &report).unwrap());
    assert_eq!(printer("f1"), Some(report));
    store.end_run(other.id).unwrap();
    assert!(
        store
            .station_claims()
            .unwrap()
            .iter()
            .all(|c| c.station != "f1")
    );
}
