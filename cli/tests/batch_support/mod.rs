//! Helpers of the batch-order tests: production driven through the library's store as a
//! station records it, and snapshots of the audit log and card states to prove a dry run
//! changed nothing.
#![allow(dead_code)]

use cardline_issuance::model::ProductionStep;
use cardline_issuance::options::profiles;
use cardline_issuance::secrets::{KeyFiles, generate_pin, generate_puk, seal_card_secrets};
use cardline_issuance::store::ownership::RunStart;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{Actor, AttemptSuccess, OrderStore, ProductionJournal};
use serde_json::Value;

use super::temp_home::json;

/// Produces every waiting card of `order` on station `sim-1` through the store; cards named
/// in `fail` fail at the encode step ("chip did not answer"). When the home has station keys,
/// each produced card gets a PIN and PUK of the lengths of the ORDER'S option profile, sealed
/// under the home's station key, as production records them.
///
/// TODO(lead): produce via `cardline order produce` once the production kit reads the
/// order's profile (production is being reworked on another branch); until then this helper
/// plays the station and takes the lengths from the order's profile itself.
pub fn produce(home: &tempfile::TempDir, order: i64, fail: &[&str]) {
    let store = SqliteStore::open(&home.path().join("cardline.db")).unwrap();
    let station = Actor("station".into());
    let profile = store.order(order).unwrap().profile;
    let (_, options) = profiles::options(&store, profile.as_deref(), &station).unwrap();
    let key = KeyFiles::in_home(home.path()).station_key().ok();
    let run = store
        .start_run(&RunStart::this_process("test"), &station)
        .unwrap();
    store
        .claim_station(run.id, "sim-1", None, &station)
        .unwrap()
        .unwrap();
    while let Some((card, attempt)) = store
        .begin_attempt(run.id, order, "sim-1", &station)
        .unwrap()
    {
        store.step_started(attempt, ProductionStep::Encode).unwrap();
        if fail.contains(&card.number.as_str()) {
            let reason = "chip did not answer";
            store
                .step_finished(attempt, ProductionStep::Encode, Some(reason))
                .unwrap();
            store
                .attempt_failed(attempt, &format!("encode: {reason}"), &station)
                .unwrap();
            continue;
        }
        store
            .step_finished(attempt, ProductionStep::Encode, None)
            .unwrap();
        let secrets = key.as_ref().map(|k| {
            let pin = generate_pin(options.pin_length.into()).unwrap();
            let puk = generate_puk(options.puk_length.into()).unwrap();
            seal_card_secrets(k, &card.number, &pin, &puk).unwrap()
        });
        let success = AttemptSuccess {
            chip_id: Some(format!("chip-{}", card.number)),
            secrets,
            ..AttemptSuccess::default()
        };
        store
            .attempt_succeeded(attempt, &success, &station)
            .unwrap();
    }
    store.end_run(run.id).unwrap();
}

/// The number of audit entries.
pub fn audit_len(home: &tempfile::TempDir) -> usize {
    json(home, &["audit"]).as_array().unwrap().len()
}

/// Every card's number and state, in number order.
pub fn states(home: &tempfile::TempDir) -> Vec<(String, String)> {
    let all = json(
        home,
        &["cards", "search", "--all-pages", "--sort", "number"],
    );
    all["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["number"].as_str().unwrap().to_string(),
                c["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The card numbers of a JSON array of cards.
pub fn numbers(cards: &Value) -> Vec<String> {
    cards
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap().to_string())
        .collect()
}
