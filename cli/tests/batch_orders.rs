//! The operator's selection (`order create` with filters, numbers, a file, exact `--first`,
//! `--profile`, `--dry-run`), reasons where the operator looks (`order show`, `order list`),
//! and the dry runs of `cards expire`, `order complete`, `order repeat`: each changes nothing.

mod batch_support;
mod temp_home;

use assert_cmd::Command;
use batch_support::{audit_len, numbers, produce, states};
use temp_home::{fail, json, ok};

/// 30 requested cards: 10 from Ada at the front desk, 10 from Bob at the back, 10 from Ada at
/// the back (cards 1–10, 11–20, 21–30).
fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    for (who, desk) in [("Ada", "Front"), ("Bob", "Back"), ("Ada", "Back")] {
        ok(
            &home,
            &[
                "request",
                "--count",
                "10",
                "--requester",
                who,
                "--desk",
                desk,
            ],
        );
    }
    home
}

#[test]
fn first_n_is_exact_unless_fewer_are_allowed() {
    let home = home();
    let before = (audit_len(&home), states(&home));
    let err = fail(
        &home,
        &["order", "create", "--requester", "bob", "--first", "12"],
    );
    assert!(
        err.contains("only 10 requested card(s) match, 12 asked for")
            && err.contains("--allow-fewer"),
        "{err}"
    );
    let err = fail(&home, &["order", "create", "--first", "31"]);
    assert!(err.contains("only 30"), "{err}");
    assert_eq!((audit_len(&home), states(&home)), before, "nothing changed");
    let order = json(
        &home,
        &[
            "order",
            "create",
            "--requester",
            "bob",
            "--first",
            "12",
            "--allow-fewer",
        ],
    );
    assert_eq!(order["cards"].as_array().unwrap().len(), 10);
    assert!(
        order["cards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["requester"] == "Bob")
    );
    let order = json(
        &home,
        &["order", "create", "--desk", "back", "--first", "4"],
    );
    assert_eq!(order["cards"].as_array().unwrap().len(), 4);
    assert!(
        order["cards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["desk"] == "Back" && c["requester"] == "Ada"),
        "Bob's back-desk cards are taken already"
    );
    let rest = json(&home, &["order", "create", "--all", "--desk", "front"]);
    assert_eq!(rest["cards"].as_array().unwrap().len(), 10);
    assert_eq!(
        json(&home, &["cards", "search", "--state", "requested"])["total"],
        6
    );
}

#[test]
fn numbers_come_from_the_command_line_a_file_or_stdin() {
    let home = home();
    let list = home.path().join("picked.txt");
    std::fs::write(
        &list,
        "# cards for the visitors of Monday\nTMP000000018\n\n  tmp000000026  # lower case works\n",
    )
    .unwrap();
    let order = json(
        &home,
        &["order", "create", "--from-file", list.to_str().unwrap()],
    );
    assert_eq!(numbers(&order["cards"]), ["TMP000000018", "TMP000000026"]);
    let out = Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home.path())
        .args(["--json", "order", "create", "--from-file", "-"])
        .write_stdin("TMP000000034\nTMP000000042\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(numbers(&v["cards"]), ["TMP000000034", "TMP000000042"]);
    let order = json(&home, &["order", "create", "TMP000000059"]);
    assert_eq!(numbers(&order["cards"]), ["TMP000000059"]);
    let err = fail(&home, &["order", "create", "TMP000000018"]);
    assert!(err.contains("in order 1"), "{err}");
    std::fs::write(&list, "TMP000000067 TMP000000075\n").unwrap();
    let err = fail(
        &home,
        &["order", "create", "--from-file", list.to_str().unwrap()],
    );
    assert!(
        err.contains("picked.txt:1:") && err.contains("one number per line"),
        "{err}"
    );
    std::fs::write(&list, "# nothing\n\n").unwrap();
    let err = fail(
        &home,
        &["order", "create", "--from-file", list.to_str().unwrap()],
    );
    assert!(err.contains("empty"), "{err}");
}

#[test]
fn a_profile_must_exist_and_is_recorded_on_the_order() {
    let home = home();
    let err = fail(
        &home,
        &["order", "create", "--all", "--profile", "contractor-piv"],
    );
    assert!(
        err.contains("no option profile `contractor-piv`") && err.contains("known: default"),
        "{err}"
    );
    ok(&home, &["options", "profile", "create", "contractor-piv"]);
    let order = json(
        &home,
        &[
            "order",
            "create",
            "--first",
            "5",
            "--profile",
            "contractor-piv",
        ],
    );
    assert_eq!(order["profile"], "contractor-piv");
    let shown = ok(&home, &["order", "show", "1"]);
    assert!(
        shown.contains("produced with profile contractor-piv"),
        "{shown}"
    );
    let other = json(&home, &["order", "create", "--first", "5"]);
    assert!(other["profile"].is_null());
    let shown = ok(&home, &["order", "show", "2"]);
    assert!(
        shown.contains("produced with the default profile"),
        "{shown}"
    );
    let list = json(&home, &["order", "list"]);
    assert_eq!(list[1]["profile"], "contractor-piv");
}

#[test]
fn a_dry_run_shows_what_would_be_taken_and_changes_nothing() {
    let home = home();
    let before = (audit_len(&home), states(&home));
    let text = ok(
        &home,
        &["order", "create", "--requester", "ada", "--dry-run"],
    );
    assert!(
        text.starts_with(
            "dry run: the order would take 20 cards (profile default); nothing changed"
        ),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("TMP")).count(),
        20,
        "{text}"
    );
    let big = ok(&home, &["order", "create", "--all", "--dry-run"]);
    assert_eq!(big.lines().filter(|l| l.starts_with("TMP")).count(), 20);
    assert!(big.trim_end().ends_with("… 10 more"), "{big}");
    let preview = json(&home, &["order", "create", "--all", "--dry-run"]);
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["count"], 30);
    assert_eq!(
        preview["cards"].as_array().unwrap().len(),
        30,
        "all in JSON"
    );
    let err = fail(&home, &["order", "create", "--first", "40", "--dry-run"]);
    assert!(err.contains("only 30"), "{err}");
    assert_eq!((audit_len(&home), states(&home)), before);
    // The real run takes what the dry run showed.
    let real = json(&home, &["order", "create", "--requester", "ada"]);
    let shown = json(
        &home,
        &["order", "create", "--requester", "ada", "--dry-run"],
    );
    assert_eq!(shown["count"], 0);
    assert_eq!(real["cards"].as_array().unwrap().len(), 20);
}

#[test]
fn order_show_gives_failure_reasons_and_order_list_each_orders_own_outcome() {
    let home = home();
    ok(&home, &["order", "create", "--first", "4"]);
    produce(&home, 1, &["TMP000000026", "TMP000000034"]);
    let shown = ok(&home, &["order", "show", "1"]);
    assert!(
        shown.contains("2 produced, 2 failed in this order"),
        "{shown}"
    );
    let failure = shown
        .lines()
        .find(|l| l.starts_with("TMP000000026") && l.contains("sim-1"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        failure.contains("encode") && failure.contains("does not answer"),
        "{failure}"
    );
    let report = json(&home, &["order", "show", "1"]);
    assert_eq!(report["failures"][1]["card"], "TMP000000034");
    assert_eq!(report["failures"][1]["station"], "sim-1");
    assert_eq!(report["failures"][1]["step"], "encode");
    assert_eq!(report["outcome"]["failed"], 2);

    // One failed card goes again in the same order, the other is released and produced by
    // order 2: order 1 still says what happened in it.
    ok(&home, &["order", "repeat", "1"]);
    produce(&home, 1, &["TMP000000034"]);
    ok(&home, &["order", "complete", "1"]);
    ok(&home, &["order", "create", "TMP000000034"]);
    produce(&home, 2, &[]);
    ok(&home, &["cards", "assign", "TMP000000018", "--to", "Eve"]);
    let list = json(&home, &["order", "list"]);
    let one = &list[1];
    assert_eq!(one["id"], 1);
    assert_eq!(one["outcome"]["produced"], 3);
    assert_eq!(one["outcome"]["released"], 1);
    assert_eq!(one["outcome"]["failed"], 0);
    assert_eq!(one["card_count"], 4);
    assert_eq!(list[0]["outcome"]["produced"], 1);
    let text = ok(&home, &["order", "list"]);
    let header = text.lines().next().unwrap();
    for col in ["PRODUCED", "FAILED", "WAITING", "CANCELLED", "RELEASED"] {
        assert!(header.contains(col), "{header}");
    }
}

#[test]
fn dry_runs_of_expire_complete_and_repeat_change_nothing() {
    let home = home();
    ok(&home, &["order", "create", "--first", "4"]);
    produce(&home, 1, &["TMP000000026"]);
    ok(&home, &["cards", "assign", "TMP000000018", "--to", "Eve"]);
    let before = (audit_len(&home), states(&home));

    let expire = json(
        &home,
        &[
            "cards",
            "expire",
            "--now",
            "2099-01-01T00:00:00Z",
            "--dry-run",
        ],
    );
    assert_eq!(expire["dry_run"], true);
    assert_eq!(expire["changes"][0]["number"], "TMP000000018");
    assert_eq!(expire["changes"][0]["from"], "assigned");
    assert_eq!(expire["changes"][0]["to"], "expired");
    let text = ok(
        &home,
        &[
            "cards",
            "expire",
            "--now",
            "2099-01-01T00:00:00Z",
            "--dry-run",
        ],
    );
    assert!(
        text.contains("1 card would change; nothing changed") && text.contains("expired"),
        "{text}"
    );
    let none = ok(&home, &["cards", "expire", "--dry-run"]);
    assert!(
        none.contains("no assigned card is past its validity"),
        "{none}"
    );

    let complete = json(&home, &["order", "complete", "1", "--dry-run"]);
    assert_eq!(complete["order_state_after"], "completed");
    assert_eq!(complete["changes"][0]["number"], "TMP000000026");
    assert_eq!(complete["changes"][0]["to"], "requested");
    let text = ok(&home, &["order", "complete", "1", "--dry-run"]);
    assert!(text.contains("order 1 would be completed"), "{text}");

    let repeat = json(
        &home,
        &[
            "order",
            "repeat",
            "1",
            "--misprinted",
            "TMP000000034",
            "--dry-run",
        ],
    );
    let changed: Vec<(&str, &str)> = repeat["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["number"].as_str().unwrap(), c["from"].as_str().unwrap()))
        .collect();
    assert_eq!(
        changed,
        [("TMP000000026", "failed"), ("TMP000000034", "unassigned")]
    );
    let err = fail(
        &home,
        &[
            "order",
            "repeat",
            "1",
            "--misprinted",
            "TMP000000075",
            "--dry-run",
        ],
    );
    assert!(err.contains("TMP000000075"), "{err}");

    assert_eq!(
        (audit_len(&home), states(&home)),
        before,
        "no dry run changed a card or wrote an audit entry"
    );
    // And the real commands do what the dry runs said.
    let expired = json(&home, &["cards", "expire", "--now", "2099-01-01T00:00:00Z"]);
    assert_eq!(numbers(&expired), ["TMP000000018"]);
    let done = json(&home, &["order", "complete", "1"]);
    assert_eq!(done["state"], "completed");
}
