//! `cardline keys init`, `cardline ca init|show` and `cardline cards secrets --reveal` on a
//! temporary home.

mod temp_home;

use temp_home::{fail, json, ok};

use std::os::unix::fs::PermissionsExt;

use cardline_device::{Pin, Puk};
use cardline_issuance::model::OrderSelection;
use cardline_issuance::secrets::{KeyFiles, seal_card_secrets};
use cardline_issuance::store::conformance::station_run;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{
    Actor, AttemptSuccess, AuditFilter, AuditLog, OrderStore, ProductionJournal,
};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn audit_actions(home: &tempfile::TempDir) -> Vec<(String, Option<String>, String)> {
    let store = SqliteStore::open(&home.path().join("cardline.db")).unwrap();
    store
        .audit(&AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.card_number, e.operator))
        .collect()
}

#[test]
fn keys_and_ca_are_created_once_with_private_files() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    let err = fail(&home, &["ca", "init"]);
    assert!(err.contains("cardline keys init"), "{err}");

    let keys = json(&home, &["keys", "init"]);
    let key_id = keys["station_key_id"].as_str().unwrap().to_string();
    assert_eq!(key_id.len(), 16);
    assert_eq!(mode(&home.path().join("keys/station.key")), 0o600);
    assert_eq!(mode(&home.path().join("keys/management-master.key")), 0o600);
    assert_eq!(mode(&home.path().join("keys")), 0o700);
    let err = fail(&home, &["keys", "init"]);
    assert!(err.contains("already exists"), "{err}");

    let ca = json(
        &home,
        &[
            "ca",
            "init",
            "--name",
            "Test Card CA",
            "--algorithm",
            "p384",
        ],
    );
    assert_eq!(ca["subject"], "CN=Test Card CA");
    assert_eq!(ca["algorithm"], "p384");
    assert_eq!(mode(&home.path().join("ca/ca.key.sealed")), 0o600);
    let err = fail(&home, &["ca", "init"]);
    assert!(err.contains("already exists"), "{err}");

    let shown = json(&home, &["ca", "show"]);
    assert_eq!(shown["key_opens"], true);
    assert_eq!(shown["issued"], 0);
    assert_eq!(shown["fingerprint"], ca["fingerprint"]);
    let text = ok(&home, &["ca", "show"]);
    assert!(text.contains("opens with this station key"), "{text}");
    let pem = ok(&home, &["ca", "show", "--pem"]);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(!pem.contains("PRIVATE"));

    let actions = audit_actions(&home);
    assert!(
        actions
            .iter()
            .any(|(a, _, who)| a == "keys.init" && who == "tester")
    );
    assert!(actions.iter().any(|(a, _, _)| a == "ca.init"));

    // A station whose key does not open the CA says so (and still shows the certificate).
    std::fs::remove_file(home.path().join("keys/station.key")).unwrap();
    std::fs::remove_file(home.path().join("keys/management-master.key")).unwrap();
    ok(&home, &["keys", "init"]);
    let shown = json(&home, &["ca", "show"]);
    assert_eq!(shown["key_opens"], false);
    assert!(
        shown["key_problem"]
            .as_str()
            .unwrap()
            .contains("does not open")
    );
}

#[test]
fn secrets_are_revealed_only_with_reveal_and_audited() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["keys", "init"]);
    ok(&home, &["request", "--count", "2"]);
    // A station produces the first card and seals its PIN/PUK under the home's station key.
    let store = SqliteStore::open(&home.path().join("cardline.db")).unwrap();
    let station = Actor("station".into());
    let order = store
        .create_order(&OrderSelection::First(2), &station)
        .unwrap();
    let run = station_run(&store, "s1");
    let (card, attempt) = store
        .begin_attempt(run, order.id, "s1", &station)
        .unwrap()
        .unwrap();
    let key = KeyFiles::in_home(home.path()).station_key().unwrap();
    let sealed = seal_card_secrets(
        &key,
        &card.number,
        &Pin::new(b"314159".to_vec()),
        &Puk::new(b"27182818".to_vec()),
    )
    .unwrap();
    store
        .attempt_succeeded(
            attempt,
            &AttemptSuccess {
                chip_id: Some("chip-1".into()),
                certificate_fingerprints: vec![],
                secrets: Some(sealed),
            },
            &station,
        )
        .unwrap();
    let other = order.cards[1].number.clone();
    drop(store);

    let err = fail(&home, &["cards", "secrets", &card.number]);
    assert!(err.contains("--reveal") && err.contains("audit"), "{err}");
    assert!(!err.contains("314159"));
    assert!(
        !audit_actions(&home)
            .iter()
            .any(|(a, _, _)| a == "secrets.reveal"),
        "a refused reveal is not a reveal"
    );

    let text = ok(&home, &["cards", "secrets", &card.number, "--reveal"]);
    assert!(
        text.contains("PIN  314159") && text.contains("PUK  27182818"),
        "{text}"
    );
    let shown = json(
        &home,
        &[
            "cards",
            "secrets",
            &card.number,
            "--reveal",
            "--reason",
            "PIN letter lost",
        ],
    );
    assert_eq!(shown["pin"], "314159");
    assert_eq!(shown["puk"], "27182818");
    let reveals: Vec<_> = audit_actions(&home)
        .into_iter()
        .filter(|(a, _, _)| a == "secrets.reveal")
        .collect();
    assert_eq!(reveals.len(), 2);
    assert_eq!(reveals[0].1.as_deref(), Some(card.number.as_str()));
    assert_eq!(reveals[0].2, "tester");

    let err = fail(&home, &["cards", "secrets", &other, "--reveal"]);
    assert!(err.contains("no sealed PIN/PUK"), "{err}");
    let err = fail(&home, &["cards", "secrets", "NOPE-1", "--reveal"]);
    assert!(err.contains("NOPE-1"), "{err}");

    // Without the station key that sealed them, nothing is printed.
    std::fs::remove_file(home.path().join("keys/station.key")).unwrap();
    std::fs::remove_file(home.path().join("keys/management-master.key")).unwrap();
    ok(&home, &["keys", "init"]);
    let err = fail(&home, &["cards", "secrets", &card.number, "--reveal"]);
    assert!(err.contains("sealed under station key"), "{err}");
    assert!(!err.contains("314159"));
}
