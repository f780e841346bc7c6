//! [`TestLine`]: a complete production setup in a temporary home — SQLite store, station keys,
//! local CA, the built-in card face — loaded as `cardline order produce` loads it (the
//! [`ProductionKit`] of `cardline-app`), around the orchestrator.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use cardline_app::ProductionKit;
use cardline_issuance::ca::{CaKeyAlgorithm, LocalCa};
use cardline_issuance::home::Home;
use cardline_issuance::model::{CardState, OrderId, OrderSelection};
use cardline_issuance::options::Options;
use cardline_issuance::production::{
    Production, ProductionEvent, ProductionSummary, RunGuard, Station, produce_order,
};
use cardline_issuance::secrets::KeyFiles;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{Actor, CardStore, CertificateIndex, OrderStore, ProductionJournal};
/// Re-exported for benches building certificate validity.
pub use time::{Duration as TimeDuration, OffsetDateTime};

/// A production line's software side in a temporary home.
pub struct TestLine {
    /// The home directory.
    pub dir: std::path::PathBuf,
    /// Removes the home on drop, when this line created it.
    _temp: Option<tempfile::TempDir>,
    /// The store.
    pub store: Arc<SqliteStore>,
    /// Settings, CA, sealer and face, as `order produce` loads them (default options: cards
    /// encoded; retries and polls shortened to 5 ms).
    pub kit: ProductionKit,
}

/// What a production run reported.
pub struct Produced {
    /// The summary.
    pub summary: ProductionSummary,
    /// Every event, in order.
    pub events: Vec<ProductionEvent>,
}

impl TestLine {
    /// A fresh home with keys and a P-256 CA; cards encoded with the default options.
    pub fn new() -> TestLine {
        let temp = tempfile::tempdir().expect("temp dir");
        let mut line = Self::in_dir(temp.path());
        line._temp = Some(temp);
        line
    }

    /// A line in `dir` (empty, or holding a line made by this function earlier, e.g. by a
    /// process that was killed).
    pub fn in_dir(dir: &std::path::Path) -> TestLine {
        let home = Home::new(dir);
        let keys = KeyFiles::in_home(dir);
        if !keys.station_key_path().exists() {
            keys.init().expect("keys init");
        }
        let store = Arc::new(SqliteStore::create(&home.database()).expect("store opens"));
        let index: Arc<dyn CertificateIndex> = store.clone();
        if !LocalCa::exists(&home.ca_dir()) {
            let station_key = keys.station_key().expect("station key");
            LocalCa::init(
                &home.ca_dir(),
                "cardline hil-tests CA",
                CaKeyAlgorithm::P256,
                &station_key,
                index.clone(),
            )
            .expect("CA init");
        }
        let mut kit = ProductionKit::load(&home, &Options::default(), Actor("hil".into()), index)
            .expect("production kit loads");
        kit.settings.retry_delay = std::time::Duration::from_millis(5);
        kit.settings.operator_poll = std::time::Duration::from_millis(5);
        TestLine {
            dir: dir.to_path_buf(),
            _temp: None,
            store,
            kit,
        }
    }

    /// The CA.
    pub fn ca(&self) -> &LocalCa {
        self.kit.ca().expect("the default options encode cards")
    }

    /// Requests `n` cards and orders them all.
    pub fn order(&self, n: u32) -> OrderId {
        let actor = Actor("hil".into());
        self.store
            .request_cards(n, &Options::default().numbering, &actor)
            .expect("request");
        self.store
            .create_order(&OrderSelection::All, &actor)
            .expect("order")
            .id
    }

    /// Produces the order on `stations`; `cancel` may be set by another thread.
    pub fn produce(
        &self,
        order: OrderId,
        stations: &mut [Station],
        cancel: &AtomicBool,
    ) -> Produced {
        self.produce_watched(order, stations, cancel, &|_| {})
    }

    /// Like [`produce`](Self::produce), calling `watch` with every event as it happens.
    pub fn produce_watched(
        &self,
        order: OrderId,
        stations: &mut [Station],
        cancel: &AtomicBool,
        watch: &(dyn Fn(&ProductionEvent) + Sync),
    ) -> Produced {
        let events = Mutex::new(Vec::new());
        let sink = |e: &ProductionEvent| {
            watch(e);
            events.lock().expect("events").push(e.clone())
        };
        let summary = self.produce_streamed(order, stations, cancel, &sink);
        Produced {
            summary,
            events: events.into_inner().expect("events"),
        }
    }

    /// Produces the order, handing every event to `sink` and keeping none (long runs: memory
    /// stays flat however many cards the order has).
    pub fn produce_streamed(
        &self,
        order: OrderId,
        stations: &mut [Station],
        cancel: &AtomicBool,
        sink: &(dyn Fn(&ProductionEvent) + Sync),
    ) -> ProductionSummary {
        let issuer = self.kit.issuer();
        let settings = &self.kit.settings;
        let journal: Arc<dyn ProductionJournal> = self.store.clone();
        let run = RunGuard::start(journal, "produce", &settings.actor).expect("run starts");
        let names: Vec<&str> = stations.iter().map(|s| s.name.as_str()).collect();
        for claimed in run.claim_each(&names, &settings.actor) {
            claimed.expect("the line's stations are free");
        }
        let p = Production {
            journal: &*self.store,
            run: run.id(),
            reopen: None,
            settings,
            issuer: &issuer,
            sealer: &self.kit.sealer,
            face: &self.kit.face,
            cancel,
            events: sink,
        };
        produce_order(&p, order, stations).expect("production runs")
    }

    /// Cards of the order by state.
    pub fn count(&self, order: OrderId, state: CardState) -> u64 {
        self.store
            .count_by_state(Some(order))
            .expect("counts")
            .into_iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| n)
    }

    /// Checks the invariants after any run: no attempt in flight; every `unassigned` card has
    /// exactly one succeeded attempt with sealed secrets; no certificate (key) is issued twice.
    pub fn assert_consistent(&self, order: OrderId) {
        assert!(
            self.store
                .in_flight_attempts()
                .expect("in flight")
                .is_empty(),
            "attempts left in flight"
        );
        let cards = self.store.order(order).expect("order").cards;
        for c in &cards {
            let attempts = self.store.attempts_of_card(&c.number).expect("attempts");
            let succeeded = attempts
                .iter()
                .filter(|a| a.status == cardline_issuance::model::AttemptStatus::Succeeded)
                .count();
            if c.state == CardState::Unassigned {
                assert_eq!(succeeded, 1, "{} produced once", c.number);
                assert!(
                    self.store
                        .card_secrets(&c.number)
                        .expect("secrets")
                        .is_some(),
                    "{} has sealed secrets",
                    c.number
                );
            }
        }
        let issued = self.ca().issued().expect("CA index");
        let mut keys: Vec<&str> = issued.iter().map(|r| r.spki_sha256.as_str()).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a key was certified twice");
    }
}

impl Default for TestLine {
    fn default() -> Self {
        Self::new()
    }
}
