use super::*;

use std::sync::atomic::AtomicBool;

use cardline_device::{CardEncoder, Pin, Puk};
use cardline_issuance::ca::CaKeyAlgorithm;
use cardline_issuance::face::CardFields;
use cardline_issuance::model::{Card, CardState, OrderSelection};
use cardline_issuance::production::{
    FaceRenderer, Production, ProductionEvent, RunGuard, SecretSealer, produce_order,
};
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{CardStore, OrderStore, ProductionJournal};
use time::macros::datetime;

use crate::{LineOptions, open_line, parse_stations};

fn print_only() -> Options {
    Options {
        encode: false,
        certificates: Vec::new(),
        ..Options::default()
    }
}

fn actor() -> Actor {
    Actor("kit-test".into())
}

fn stock_card() -> Card {
    Card {
        id: 1,
        number: "TMP000000018".into(),
        state: CardState::InProduction,
        order_id: Some(1),
        assigned_to: None,
        valid_until: None,
        failure_reason: None,
        chip_id: None,
        created_at: "2026-11-24T00:00:00Z".into(),
        updated_at: "2026-11-24T00:00:00Z".into(),
        ..Default::default()
    }
}

#[test]
fn print_only_production_needs_no_station_key_and_no_ca() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    let store = Arc::new(SqliteStore::create(&home.database()).unwrap());
    let kit = ProductionKit::load(&home, &print_only(), actor(), store.clone()).unwrap();
    assert!(kit.settings.encoding.is_none());
    assert!(!kit.sealer.has_key() && kit.ca().is_none());
    let e = kit
        .sealer
        .seal(
            "TMP1",
            &Pin::new(b"123456".to_vec()),
            &Puk::new(b"12345678".to_vec()),
        )
        .unwrap_err();
    assert!(e.detail.contains("no station key"), "{e}");
    assert!(!dir.path().join("keys").exists(), "nothing was created");

    // A whole print-only order on a print-only simulated station, through the real SQLite
    // store and the orchestrator.
    store
        .request_cards(3, &print_only().numbering, &actor())
        .unwrap();
    let order = store.create_order(&OrderSelection::All, &actor()).unwrap();
    let file = parse_stations(
        "[[station]]\nname = \"p\"\nprinter = \"sim://p?poll_ms=2\"\nencode = false\n",
        "f",
    )
    .unwrap();
    let mut line = open_line(&file, &LineOptions::default()).unwrap();
    let issuer = kit.issuer();
    let events = |_: &ProductionEvent| {};
    let journal: Arc<dyn ProductionJournal> = store.clone();
    let run = RunGuard::start(journal, "produce", &actor()).unwrap();
    run.claim("p", &actor()).unwrap();
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
    assert_eq!((summary.produced, summary.failed), (3, 0), "{summary:?}");
    assert_eq!(line.sims[0].printer.cards_fed(), 3);
}

#[test]
fn encoding_without_keys_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    let index = || -> Arc<dyn CertificateIndex> {
        Arc::new(SqliteStore::create(&home.database()).unwrap())
    };
    let e = ProductionKit::load(&home, &Options::default(), actor(), index()).unwrap_err();
    assert!(matches!(e, KitError::StationKey(_)), "{e:?}");
    assert!(e.to_string().contains("`cardline keys init`"), "{e}");
    KeyFiles::in_home(dir.path()).init().unwrap();
    let e = ProductionKit::load(&home, &Options::default(), actor(), index()).unwrap_err();
    assert!(matches!(e, KitError::Ca(_)), "{e:?}");
    assert!(e.to_string().contains("`cardline ca init`"), "{e}");
    let mut options = print_only();
    options.face_template = "no-such-face".into();
    let e = ProductionKit::load(&home, &options, actor(), index()).unwrap_err();
    assert!(matches!(e, KitError::Template { .. }), "{e:?}");
}

#[test]
fn an_encoding_kit_issues_until_validity_days_and_dates_the_face() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path());
    let keys = KeyFiles::in_home(dir.path());
    keys.init().unwrap();
    let index: Arc<dyn CertificateIndex> = Arc::new(SqliteStore::create(&home.database()).unwrap());
    LocalCa::init(
        &home.ca_dir(),
        "kit test CA",
        CaKeyAlgorithm::P256,
        &keys.station_key().unwrap(),
        index.clone(),
    )
    .unwrap();
    let options = Options::default();
    let now = datetime!(2026-11-24 10:00 UTC);
    let kit = ProductionKit::load_at(&home, &options, actor(), index, now).unwrap();
    let encoding = kit.settings.encoding.as_ref().unwrap();
    let end = now + time::Duration::days(i64::from(options.validity_days));
    assert_eq!(kit.not_after(), end);
    assert_eq!(encoding.expiry, chuid_expiry(end));
    assert_eq!(encoding.expiry.len(), 8);
    assert!(kit.sealer.has_key() && kit.ca().is_some());
    // The issuer certifies a key read from a real (simulated) card.
    let chip = cardline_sim::card::SimCard::new(cardline_sim::card::SimCardConfig::from_seed(1));
    let mut transport = cardline_sim::card::SimCardTransport::new(
        cardline_sim::card::SimCardTransport::share(chip),
        "kit",
    );
    let plan = cardline_device::EncodingPlan {
        card_number: "TMP000000018".into(),
        transport_pin: encoding.transport_pin.clone(),
        transport_puk: encoding.transport_puk.clone(),
        transport_management_key: encoding.transport_management_key.clone(),
        pin: Pin::new(b"271828".to_vec()),
        puk: Puk::new(b"31415926".to_vec()),
        management_key_master: encoding.management_key_master.clone(),
        keys: encoding.keys.clone(),
        guid: [7; 16],
        expiry: encoding.expiry.clone(),
    };
    let receipt = cardline_piv::PivEncoder::new()
        .encode(&mut transport, &plan, &kit.issuer())
        .unwrap();
    assert!(!receipt.slots.is_empty(), "{receipt:?}");
    assert_eq!(
        kit.ca().unwrap().issued().unwrap().len(),
        receipt.slots.len()
    );
}

#[test]
fn a_card_in_stock_prints_the_chip_expiry_as_its_last_valid_day() {
    let template = load_template(std::path::Path::new("."), "temporary").unwrap();
    let face = KitFace::new(
        PreparedFace::new(&template).unwrap(),
        "2026-11-24",
        "2026-12-08",
    );
    let card = stock_card();
    let printed = face.render(&card).unwrap();
    let mut fields = CardFields::from_card(&card, "2026-11-24");
    assert!(fields.valid_until.is_empty());
    let blank_validity = face.prepared().render(&fields).unwrap();
    fields.valid_until = "2026-12-08".into();
    let with_expiry = face.prepared().render(&fields).unwrap();
    assert_eq!(printed.label.as_deref(), Some("TMP000000018"));
    assert_eq!(
        (&printed.front, &printed.back),
        (&with_expiry.front, &with_expiry.back)
    );
    assert_ne!(printed.front, blank_validity.front);
}

#[test]
fn each_printer_geometry_gets_the_face_rendered_at_it_prepared_once() {
    let template = load_template(std::path::Path::new("."), "temporary").unwrap();
    let face = KitFace::new(
        PreparedFace::new(&template).unwrap(),
        "2026-11-24",
        "2026-12-08",
    );
    let card = stock_card();
    let magicard = cardline_device::PanelGeometry::new(641, 1016, 300).unwrap();
    let evolis = face
        .render_at(&card, cardline_device::PanelGeometry::ID1_300_DPI)
        .unwrap();
    assert_eq!(evolis, face.render(&card).unwrap());
    assert!(face.other_geometries().is_empty());
    let native = face.render_at(&card, magicard).unwrap();
    assert_eq!(native.geometry(), Ok(Some(magicard)));
    assert_eq!(native.label.as_deref(), Some("TMP000000018"));
    let mut fields = CardFields::from_card(&card, "2026-11-24");
    fields.valid_until = "2026-12-08".into();
    let expected = PreparedFace::new_at(&template, magicard)
        .unwrap()
        .render(&fields)
        .unwrap();
    assert_eq!(
        (&native.front, &native.back),
        (&expected.front, &expected.back)
    );
    face.render_at(&card, magicard).unwrap();
    assert_eq!(face.other_geometries(), [magicard], "prepared once");
}
