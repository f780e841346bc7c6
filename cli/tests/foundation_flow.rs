//! `cardline` end to end on a temporary home: init, request, list, orders, card life, audit.
//! Production is simulated through the library's store (the CLI's `order produce` belongs to
//! the orchestrator), exactly as a station would record it.

mod temp_home;

use temp_home::{fail, json, ok};

use assert_cmd::Command;
use cardline_issuance::model::OrderSelection;
use cardline_issuance::store::ownership::RunStart;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{Actor, AttemptSuccess, OrderStore, ProductionJournal};
use serde_json::Value;

fn numbers(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap().to_string())
        .collect()
}

/// Produces every waiting card of the order through the store; `fail` names cards that fail.
fn produce(home: &tempfile::TempDir, order: i64, fail: &[&str]) {
    let store = SqliteStore::open(&home.path().join("cardline.db")).unwrap();
    let station = Actor("station".into());
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
        if fail.contains(&card.number.as_str()) {
            store
                .attempt_failed(attempt, "chip did not answer", &station)
                .unwrap();
        } else {
            let success = AttemptSuccess {
                chip_id: Some(format!("chip-{}", card.number)),
                ..AttemptSuccess::default()
            };
            store
                .attempt_succeeded(attempt, &success, &station)
                .unwrap();
        }
    }
    store.end_run(run.id).unwrap();
}

#[test]
fn init_is_idempotent_and_keeps_the_default_profile_in_the_database() {
    let home = tempfile::tempdir().unwrap();
    let first = ok(&home, &["init"]);
    assert!(first.contains("initialised cardline home"), "{first}");
    assert!(first.contains("profile `default`"), "{first}");
    let shown = json(&home, &["options", "show"]);
    assert_eq!(shown["profile"], "default");
    assert_eq!(shown["is_default"], true);
    assert!(
        shown["options"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["source"] == "default"),
        "the commented template sets nothing: {shown}"
    );
    ok(&home, &["options", "set", "validity_days", "30"]);
    let second = ok(&home, &["init"]);
    assert!(second.contains("already initialised"), "{second}");
    let report = json(&home, &["init"]);
    assert_eq!(report["already_initialised"], true);
    let kept = json(&home, &["options", "show"]);
    let days = kept["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == "validity_days")
        .unwrap()
        .clone();
    assert_eq!(days["value"], 30, "init never overwrites the profile");
    let mut entries: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
        .collect();
    entries.sort();
    assert_eq!(entries, ["cardline.db"], "the options live in the database");
}

#[test]
fn an_old_homes_options_file_becomes_the_default_profile_once() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("options.toml"),
        "# the office\nvalidity_days = 30\n",
    )
    .unwrap();
    let report = json(&home, &["init"]);
    assert!(
        report["imported_from"]
            .as_str()
            .unwrap()
            .ends_with("options.toml"),
        "{report}"
    );
    let value = |home: &tempfile::TempDir, key: &str| {
        json(home, &["options", "show"])["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(value(&home, "validity_days")["value"], 30);
    assert_eq!(value(&home, "validity_days")["source"], "profile");
    // Read once: later edits of the file change nothing.
    std::fs::write(home.path().join("options.toml"), "validity_days = 99\n").unwrap();
    assert_eq!(value(&home, "validity_days")["value"], 30);
    let log = json(&home, &["options", "log"]);
    assert_eq!(log[0]["key"], "profile");
    assert_eq!(log[0]["new_value"], "created");
}

#[test]
fn request_list_order_cancel_and_complete() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    let req = json(&home, &["request", "--count", "10"]);
    assert_eq!(req["count"], 10);
    assert_eq!(req["first"], "TMP000000018");
    let requested = json(&home, &["cards", "list", "--state", "requested"])["cards"].clone();
    assert_eq!(requested.as_array().unwrap().len(), 10);
    assert!(requested[0]["state"] == "requested");
    let text = ok(
        &home,
        &["cards", "list", "--state", "requested", "--limit", "2"],
    );
    assert!(text.starts_with("NUMBER"), "{text}");
    assert!(
        text.contains("showing 2 of 10 — next page: --after "),
        "{text}"
    );

    let order = json(&home, &["order", "create", "--first", "3"]);
    let id = order["id"].as_i64().unwrap();
    assert_eq!(numbers(&order["cards"]), numbers(&requested)[..3]);
    assert!(order["cards"][0]["state"] == "in_production");
    let human = ok(&home, &["order", "create", "TMP000000042", "TMP000000059"]);
    assert!(
        human.contains("order 2 created") && human.contains("TMP000000059"),
        "{human}"
    );
    let in_order = json(&home, &["cards", "list", "--order", &id.to_string()])["cards"].clone();
    assert_eq!(numbers(&in_order), numbers(&order["cards"]));

    let list = json(&home, &["order", "list"]);
    assert_eq!(list[0]["id"], 2);
    assert_eq!(list[1]["card_count"], 3);
    let shown = json(&home, &["order", "show", &id.to_string()]);
    assert_eq!(shown["counts"]["in_production"], 3);

    let err = fail(&home, &["order", "complete", &id.to_string()]);
    assert!(err.contains("still in production"), "{err}");
    let cancelled = json(&home, &["order", "cancel", &id.to_string()]);
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(
        json(&home, &["cards", "list", "--state", "requested"])["total"],
        8
    );
    let err = fail(&home, &["order", "cancel", &id.to_string()]);
    assert!(err.contains("cancelled"), "{err}");

    // Order 2 is produced with one failure; completing releases the failed card.
    produce(&home, 2, &["TMP000000059"]);
    let done = json(&home, &["order", "complete", "2"]);
    assert_eq!(done["state"], "completed");
    assert_eq!(done["counts"]["unassigned"], 1);
    assert_eq!(done["counts"]["requested"], 1);
    let audit = json(&home, &["audit", "--order", "2"]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"order.create") && actions.contains(&"card.release"),
        "{actions:?}"
    );
    assert_eq!(audit[0]["operator"], "tester", "the OS user by default");
}

#[test]
fn a_produced_card_is_assigned_withdrawn_locked_and_expired() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["options", "set", "validity_days", "30"]);
    ok(&home, &["request", "--count", "3"]);
    ok(&home, &["order", "create", "--all"]);
    produce(&home, 1, &[]);
    ok(&home, &["order", "complete", "1"]);

    let card = ok(
        &home,
        &[
            "--operator",
            "dora",
            "cards",
            "assign",
            "TMP000000018",
            "--to",
            "Eve Visitor",
        ],
    );
    assert!(card.contains("assigned to Eve Visitor until"), "{card}");
    let shown = json(&home, &["cards", "show", "TMP000000018"]);
    let until = shown["card"]["valid_until"].as_str().unwrap();
    let in_30 = time::OffsetDateTime::now_utc() + time::Duration::days(30);
    assert!(until.starts_with(&in_30.date().to_string()), "{until}");
    assert_eq!(shown["card"]["chip_id"], "chip-TMP000000018");
    assert_eq!(shown["attempts"][0]["status"], "succeeded");
    let last = shown["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["action"].as_str(), last["operator"].as_str()),
        (Some("card.assign"), Some("dora"))
    );
    let human = ok(&home, &["cards", "show", "TMP000000018"]);
    assert!(
        human.contains("History") && human.contains("Production attempts"),
        "{human}"
    );

    ok(&home, &["cards", "withdraw", "TMP000000018"]);
    let w = json(&home, &["cards", "show", "TMP000000018"]);
    assert_eq!(w["card"]["state"], "unassigned");
    let locked = json(
        &home,
        &["cards", "lock", "TMP000000018", "--reason", "lost"],
    );
    assert_eq!(locked["state"], "locked");
    let err = fail(&home, &["cards", "assign", "TMP000000018", "--to", "x"]);
    assert!(err.contains("final"), "{err}");

    ok(&home, &["cards", "assign", "TMP000000026", "--to", "Fred"]);
    let none = json(&home, &["cards", "expire"]);
    assert_eq!(none.as_array().unwrap().len(), 0);
    let expired = json(&home, &["cards", "expire", "--now", "2099-01-01T00:00:00Z"]);
    assert_eq!(numbers(&expired), ["TMP000000026"]);
    assert_eq!(expired[0]["state"], "expired");
    let env_op = Command::new(env!("CARGO_BIN_EXE_cardline"))
        .args(["--json", "--home"])
        .arg(home.path())
        .args(["audit", "--card", "TMP000000034"])
        .env("CARDLINE_OPERATOR", "ignored-for-reads")
        .output()
        .unwrap();
    assert!(env_op.status.success());
}

#[test]
fn repeat_selects_failed_and_misprinted_cards() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["request", "--count", "4"]);
    ok(&home, &["order", "create", "--all"]);
    produce(&home, 1, &["TMP000000026"]);
    let again = json(
        &home,
        &["order", "repeat", "1", "--misprinted", "TMP000000034"],
    );
    assert_eq!(numbers(&again), ["TMP000000026", "TMP000000034"]);
    let shown = json(&home, &["cards", "show", "TMP000000034"]);
    assert_eq!(shown["attempts"][0]["status"], "void");
    assert_eq!(shown["card"]["state"], "in_production");
    let err = fail(
        &home,
        &["order", "repeat", "1", "--misprinted", "TMP000000067"],
    );
    assert!(err.contains("TMP000000067"), "{err}");
    produce(&home, 1, &[]);
    let nothing = ok(&home, &["order", "repeat", "1"]);
    assert!(
        nothing.contains("no failed or misprinted card"),
        "{nothing}"
    );
}

#[test]
fn options_show_says_where_each_value_comes_from() {
    let home = tempfile::tempdir().unwrap();
    let defaults = json(&home, &["options", "show"]);
    assert!(defaults["profile"].is_null(), "no home: built-in defaults");
    ok(&home, &["init"]);
    ok(&home, &["options", "set", "pin_length", "8"]);
    let shown = json(&home, &["options", "show"]);
    let entry = |k: &str| {
        shown["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == k)
            .unwrap()
            .clone()
    };
    assert_eq!(entry("pin_length")["value"], 8);
    assert_eq!(entry("pin_length")["source"], "profile");
    assert_eq!(entry("puk_length")["source"], "default");
    let text = ok(&home, &["options", "show"]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("pin_length") && l.ends_with("profile")),
        "{text}"
    );
}

#[test]
fn the_store_library_and_the_cli_agree() {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    ok(&home, &["request", "--count", "2"]);
    let store = SqliteStore::open(&home.path().join("cardline.db")).unwrap();
    let order = store
        .create_order(&OrderSelection::First(1), &Actor("lib".into()))
        .unwrap();
    let shown = json(&home, &["order", "show", &order.id.to_string()]);
    assert_eq!(shown["created_by"], "lib");
    assert_eq!(numbers(&shown["cards"]), [order.cards[0].number.clone()]);
}

#[test]
fn completions_are_printed() {
    let home = tempfile::tempdir().unwrap();
    let script = ok(&home, &["completions", "bash"]);
    assert!(
        script.contains("cardline") && script.contains("order"),
        "bash completion"
    );
}
