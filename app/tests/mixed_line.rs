//! A mixed line: one order produced — printed and encoded — on an Evolis station and a Magicard
//! station together, each a simulated printer behind its real driver over a pseudo-terminal and
//! the serial link (stations file → registry → driver → simulator), chips encoded by the real
//! PIV driver, through the real SQLite journal, CA and orchestrator. Each station's cards are
//! rendered at its printer's panel geometry: the Magicard prints the card face fitted into its
//! 641 rows, dot for dot what the face renderer made for that card.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use cardline_app::{LineOptions, ProductionKit, open_line, parse_stations};
use cardline_device::PanelGeometry;
use cardline_issuance::ca::{CaKeyAlgorithm, LocalCa};
use cardline_issuance::home::Home;
use cardline_issuance::model::{CardState, OrderSelection};
use cardline_issuance::options::Options;
use cardline_issuance::production::{
    FaceRenderer, Production, ProductionEvent, RunGuard, produce_order,
};
use cardline_issuance::secrets::KeyFiles;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{Actor, CardStore, OrderStore, ProductionJournal};

const CARDS: u32 = 6;

fn actor() -> Actor {
    Actor("mixed-line-test".into())
}

#[test]
fn an_order_is_produced_on_an_evolis_and_a_magicard_station_together() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    let store = Arc::new(SqliteStore::create(&home.database()).unwrap());
    let keys = KeyFiles::in_home(dir.path());
    keys.init().unwrap();
    LocalCa::init(
        &home.ca_dir(),
        "mixed line test CA",
        CaKeyAlgorithm::P256,
        &keys.station_key().unwrap(),
        store.clone(),
    )
    .unwrap();
    let options = Options::default();
    let mut kit = ProductionKit::load(&home, &options, actor(), store.clone()).unwrap();
    kit.settings.retry_delay = Duration::from_millis(5);
    kit.settings.operator_poll = Duration::from_millis(10);
    store
        .request_cards(CARDS, &options.numbering, &actor())
        .unwrap();
    let order = store.create_order(&OrderSelection::All, &actor()).unwrap();

    let file = parse_stations(
        "[[station]]\nname = \"evo\"\nprinter = \"sim://evo?link=pty&poll_ms=2\"\nreader = \"sim\"\n\n\
         [[station]]\nname = \"mag\"\nprinter = \"sim://mag?family=magicard&link=pty&poll_ms=2\"\nreader = \"sim\"\n",
        "stations.toml",
    )
    .unwrap();
    let png_root = dir.path().join("printed");
    let line_options = LineOptions {
        png_root: Some(png_root.clone()),
        ..LineOptions::default()
    };
    let mut line = open_line(&file, &line_options).unwrap();
    assert!(line.missing.is_empty(), "{:?}", line.missing);
    let families: Vec<&str> = line.sims.iter().map(|s| s.printer.family()).collect();
    assert_eq!(families, ["evolis", "magicard"]);
    let describe: Vec<String> = line.stations.iter().map(|s| s.printer.describe()).collect();
    assert!(
        describe[0].starts_with("Evolis ") && describe[0].contains("serial:/dev/pts/"),
        "{describe:?}"
    );
    assert!(
        describe[1].starts_with("Magicard ") && describe[1].contains("serial:/dev/pts/"),
        "{describe:?}"
    );

    let issuer = kit.issuer();
    let events = |_: &ProductionEvent| {};
    let journal: Arc<dyn ProductionJournal> = store.clone();
    let run = RunGuard::start(journal, "produce", &actor()).unwrap();
    run.claim("evo", &actor()).unwrap();
    run.claim("mag", &actor()).unwrap();
    let p = Production {
        journal: &*store,
        run: run.id(),
        reopen: None,
        settings: &kit.settings,
        issuer: &issuer,
        sealer: &kit.sealer,
        face: &kit.face,
        cancel: &AtomicBool::new(false),
        events: &events,
    };
    let summary = produce_order(&p, order.id, &mut line.stations).unwrap();
    run.end().unwrap();
    assert_eq!(
        (summary.produced, summary.failed, summary.remaining),
        (CARDS, 0, 0),
        "{summary:?}"
    );
    for s in &summary.stations {
        assert!(s.produced > 0, "station {} worked: {summary:?}", s.name);
    }
    let order = store.order(order.id).unwrap();
    for card in &order.cards {
        let card = store.card(&card.number).unwrap();
        assert_eq!(card.state, CardState::Unassigned, "{card:?}");
        assert!(
            card.chip_id.is_some(),
            "{} was encoded: {card:?}",
            card.number
        );
    }
    assert_eq!(
        kit.ca().unwrap().issued().unwrap().len(),
        CARDS as usize,
        "one certificate per card"
    );
    let (evo, mag) = (&line.sims[0].printer, &line.sims[1].printer);
    assert_eq!(
        (evo.cards_printed() + mag.cards_printed()) as usize,
        CARDS as usize
    );
    assert_eq!(evo.cards_rejected() + mag.cards_rejected(), 0);

    // Every PNG is named after its card, in its station's directory.
    for (station, printed) in [("evo", evo.cards_printed()), ("mag", mag.cards_printed())] {
        let names: Vec<String> = std::fs::read_dir(png_root.join(station))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), printed as usize, "{station}: {names:?}");
        for n in &names {
            assert!(
                order
                    .cards
                    .iter()
                    .any(|c| *n == format!("{}.png", c.number)),
                "{station}: {n} is named after a card of the order"
            );
        }
    }

    // The Magicard printed the last of its cards exactly as the face renders it at 641 rows:
    // landscape (x, y) is plane line 1015 − x, dot 15 + y (docs/magicard-protocol.md §3),
    // and panel dot (640 − y, x) of the native panel.
    let magicard = mag.magicard().unwrap();
    let label = magicard.last_pngs().unwrap().label.expect("named");
    let card = store.card(&label).unwrap();
    let native = PanelGeometry::new(641, 1016, 300).unwrap();
    let expected = kit.face.render_at(&card, native).unwrap();
    let k = expected
        .front
        .black
        .as_ref()
        .expect("the face has resin black");
    let printed = magicard.last_printed().unwrap();
    let front = printed.front.as_ref().unwrap();
    let mut differing = 0;
    let mut dots = 0;
    for x in 0..1016 {
        for y in 0..641 {
            let want = k.get(640 - y, x);
            dots += usize::from(want);
            differing += usize::from(front.black_at(1015 - x, 15 + y) != want);
        }
    }
    assert!(
        dots > 1000,
        "the card number and codes are resin black: {dots}"
    );
    assert_eq!(differing, 0, "K dots differing from the face at 641 rows");
}
