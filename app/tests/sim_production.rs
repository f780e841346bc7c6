//! Production on simulated stations through the whole stack (stations file → registry → real
//! Evolis driver → SimPrinter; real SQLite store and orchestrator): a printer that stops
//! answering in the middle of a print, and printed PNGs named by card number.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardline_app::{LineOptions, OpenedLine, ProductionKit, open_line, parse_stations};
use cardline_issuance::home::Home;
use cardline_issuance::model::{CardState, OrderId, OrderSelection};
use cardline_issuance::options::Options;
use cardline_issuance::production::{
    Production, ProductionEvent, ProductionSummary, RunGuard, produce_order,
};
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{Actor, CardStore, OrderStore, ProductionJournal};
use cardline_sim::printer::SimPrinterHandle;

fn actor() -> Actor {
    Actor("sim-production-test".into())
}

/// A home with a store and a print-only kit (no keys, no CA needed), quick retries and polls.
struct Bench {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    store: Arc<SqliteStore>,
    kit: ProductionKit,
}

fn bench() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    let store = Arc::new(SqliteStore::create(&home.database()).unwrap());
    let options = Options {
        encode: false,
        certificates: Vec::new(),
        ..Options::default()
    };
    let mut kit = ProductionKit::load(&home, &options, actor(), store.clone()).unwrap();
    kit.settings.retry_delay = Duration::from_millis(5);
    kit.settings.operator_poll = Duration::from_millis(10);
    store
        .request_cards(2, &options.numbering, &actor())
        .unwrap();
    Bench {
        root: dir.path().to_path_buf(),
        _dir: dir,
        store,
        kit,
    }
}

impl Bench {
    fn order(&self) -> OrderId {
        self.store
            .create_order(&OrderSelection::All, &actor())
            .unwrap()
            .id
    }

    fn card_numbers(&self, order: OrderId) -> Vec<String> {
        let mut n: Vec<String> = self
            .store
            .order(order)
            .unwrap()
            .cards
            .into_iter()
            .map(|c| c.number)
            .collect();
        n.sort();
        n
    }

    /// Opens station `s` (print only) on `printer` and produces `order` in a run of its own;
    /// `watch` sees every event with the simulated printer.
    fn produce(
        &self,
        order: OrderId,
        printer: &str,
        watch: impl Fn(&ProductionEvent, &SimPrinterHandle) + Sync,
    ) -> (ProductionSummary, OpenedLine) {
        let file = parse_stations(
            &format!("[[station]]\nname = \"s\"\nprinter = \"{printer}\"\nencode = false\n"),
            "stations.toml",
        )
        .unwrap();
        let mut line = open_line(&file, &LineOptions::default()).unwrap();
        assert!(line.missing.is_empty(), "{:?}", line.missing);
        let device = line.sims[0].printer.evolis().unwrap().clone();
        let events = |e: &ProductionEvent| watch(e, &device);
        let journal: Arc<dyn ProductionJournal> = self.store.clone();
        let run = RunGuard::start(journal, "produce", &actor()).unwrap();
        run.claim("s", &actor()).unwrap();
        let issuer = self.kit.issuer();
        let p = Production {
            journal: &*self.store,
            run: run.id(),
            reopen: None,
            settings: &self.kit.settings,
            issuer: &issuer,
            sealer: &self.kit.sealer,
            face: &self.kit.face,
            cancel: &AtomicBool::new(false),
            events: &events,
        };
        let summary = produce_order(&p, order, &mut line.stations).unwrap();
        run.end().unwrap();
        (summary, line)
    }
}

/// Blank numbers (1 = first fed) of the cards the simulated printer printed, in order.
fn printed_blanks(device: &SimPrinterHandle) -> Vec<u32> {
    device
        .lock()
        .printed()
        .iter()
        .map(|c| c.card_number)
        .collect()
}

#[test]
fn a_printer_silent_for_one_command_is_resynchronised_and_the_same_blank_printed() {
    let b = bench();
    let order = b.order();
    let retried = Mutex::new(Vec::new());
    let (summary, line) = b.produce(
        order,
        "sim://s?link=pty&reply_timeout_ms=50&poll_ms=2&faults=silent@1:1",
        |e, _| {
            if let ProductionEvent::StepRetried { step, error, .. } = e {
                retried.lock().unwrap().push(format!("{step}: {error}"));
            }
        },
    );
    assert_eq!((summary.produced, summary.failed), (2, 0), "{summary:?}");
    let retried = retried.into_inner().unwrap();
    assert_eq!(retried.len(), 1, "{retried:?}");
    assert!(
        retried[0].starts_with("print: ") && retried[0].contains("resynchronising"),
        "{retried:?}"
    );
    let device = line.sims[0].printer.evolis().unwrap();
    let c = device.state().counters;
    assert_eq!(
        (c.cards_fed, c.cards_rejected, c.cards_ejected),
        (2, 0, 2),
        "the silenced print was sent again to the card inside: no other blank fed"
    );
    assert_eq!(printed_blanks(device), [1, 2]);
    assert!(!device.state().silent);
}

#[test]
fn a_printer_silent_past_the_resync_rejects_the_blank_before_feeding_another() {
    let b = bench();
    let order = b.order();
    let first = b.card_numbers(order)[0].clone();
    // (blank fed, blanks rejected) when each card was put back
    let put_back = Mutex::new(Vec::new());
    let (summary, line) = b.produce(
        order,
        "sim://s?link=pty&reply_timeout_ms=50&poll_ms=2&faults=silent@1:6",
        |e, device| {
            if let ProductionEvent::CardPutBack { card, .. } = e {
                let c = device.state().counters;
                put_back
                    .lock()
                    .unwrap()
                    .push((card.clone(), c.cards_fed, c.cards_rejected));
            }
        },
    );
    assert_eq!((summary.produced, summary.failed), (2, 0), "{summary:?}");
    assert_eq!(
        put_back.into_inner().unwrap(),
        [(first.clone(), 1, 1)],
        "card 1 waited for the printer with its blank inside, the blank was rejected, none fed"
    );
    let device = line.sims[0].printer.evolis().unwrap();
    let c = device.state().counters;
    assert_eq!((c.cards_fed, c.cards_rejected, c.cards_ejected), (3, 1, 2));
    assert_eq!(
        printed_blanks(device),
        [2, 3],
        "the half-printed blank 1 was never printed on"
    );
    let card = b.store.card(&first).unwrap();
    assert_eq!(card.state, CardState::Unassigned, "{card:?}");
}

fn pngs(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn printed_pngs_are_named_by_card_number_and_a_repeat_keeps_both() {
    let b = bench();
    let order = b.order();
    let numbers = b.card_numbers(order);
    let dir = b.root.join("printed");
    let uri = format!("sim://s?poll_ms=2&png_dir={}", dir.display());
    let (summary, _line) = b.produce(order, &uri, |_, _| {});
    assert_eq!(summary.produced, 2, "{summary:?}");
    let names = pngs(&dir);
    // the face may have a back: `<card>.png` and `<card>-back.png`
    let fronts: Vec<String> = numbers.iter().map(|n| format!("{n}.png")).collect();
    for f in &fronts {
        assert!(names.contains(f), "{f} in {names:?}");
    }
    assert!(
        names
            .iter()
            .all(|n| numbers.iter().any(|c| n.starts_with(c.as_str()))),
        "every PNG is named by its card: {names:?}"
    );
    let first_print = std::fs::read(dir.join(&fronts[0])).unwrap();

    // card 1 was misprinted: it is produced again on a new blank, in a new run whose
    // simulated printer counts its jobs from 1 again
    let repeated = b
        .store
        .repeat_order(order, std::slice::from_ref(&numbers[0]), &actor())
        .unwrap();
    assert_eq!(repeated.len(), 1);
    let (summary, _line) = b.produce(order, &uri, |_, _| {});
    assert_eq!(summary.produced, 1, "{summary:?}");
    let after = pngs(&dir);
    let again = format!("{}-2.png", numbers[0]);
    assert!(after.contains(&again), "{again} in {after:?}");
    assert_eq!(after.len(), names.len() * 3 / 2, "{after:?}");
    assert_eq!(
        std::fs::read(dir.join(&fronts[0])).unwrap(),
        first_print,
        "the first print's file is kept as it was"
    );
    let png = std::fs::read(dir.join(&again)).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG picture");
}
