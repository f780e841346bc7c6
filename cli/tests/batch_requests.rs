//! Requests with their data (one by one and from CSV, all or nothing) and the operator's card
//! search (filters, pages with the total, text, JSON, CSV), on the real binary.

mod batch_support;
mod temp_home;

use assert_cmd::Command;
use batch_support::{audit_len, numbers, produce, states};
use temp_home::{fail, json, ok};

fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    ok(&home, &["init"]);
    home
}

#[test]
fn requests_carry_their_data_and_json_lists_every_number() {
    let home = home();
    let made = json(
        &home,
        &[
            "request",
            "--count",
            "3",
            "--requester",
            " Ada Lovelace ",
            "--desk",
            "Front",
            "--purpose",
            "visitor",
            "--note",
            "needs, badge",
            "--requested-at",
            "2026-11-01",
        ],
    );
    assert_eq!(made["count"], 3);
    let cards = made["cards"].as_array().unwrap();
    assert_eq!(
        numbers(&made["cards"]),
        ["TMP000000018", "TMP000000026", "TMP000000034"]
    );
    for c in cards {
        assert_eq!(c["requester"], "Ada Lovelace", "trimmed");
        assert_eq!(c["desk"], "Front");
        assert_eq!(c["purpose"], "visitor");
        assert_eq!(c["note"], "needs, badge");
        assert_eq!(c["requested_at"], "2026-11-01T00:00:00.000Z");
        assert_eq!(c["state"], "requested");
    }
    let text = ok(&home, &["request", "--count", "2", "--requester", "Bob"]);
    assert_eq!(
        text.trim(),
        "requested 2 cards: TMP000000042 … TMP000000059"
    );
    let err = fail(
        &home,
        &["request", "--count", "1", "--requested-at", "yesterday"],
    );
    assert!(
        err.contains("--requested-at `yesterday` is not a date") && err.contains("YYYY-MM-DD"),
        "{err}"
    );

    // One card per CSV row, from a file and from standard input.
    let csv = home.path().join("visitors.csv");
    std::fs::write(
        &csv,
        "Requester,site,requested_at,note\n\"Lovelace, Ada\",Front,2026-11-02,\nGrace,Back,2026-11-03T09:30:00Z,late\n",
    )
    .unwrap();
    let from_csv = json(&home, &["request", "--from-csv", csv.to_str().unwrap()]);
    assert_eq!(from_csv["count"], 2);
    assert_eq!(from_csv["cards"][0]["requester"], "Lovelace, Ada");
    assert_eq!(from_csv["cards"][0]["desk"], "Front");
    assert_eq!(
        from_csv["cards"][1]["requested_at"],
        "2026-11-03T09:30:00.000Z"
    );
    assert_eq!(from_csv["cards"][1]["note"], "late");
    let out = Command::new(env!("CARGO_BIN_EXE_cardline"))
        .arg("--home")
        .arg(home.path())
        .args(["--json", "request", "--from-csv", "-"])
        .write_stdin("requester\nHopper\nTuring\n")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["count"], 2);
    assert_eq!(v["cards"][1]["requester"], "Turing");
    assert_eq!(json(&home, &["cards", "search"])["total"], 9);
}

#[test]
fn bad_csv_rows_change_nothing_and_name_file_row_and_column() {
    let home = home();
    ok(&home, &["request", "--count", "2"]);
    let before = (audit_len(&home), states(&home));
    let cases = [
        (
            "wrong-column.csv",
            "requester,colour\nAda,blue\n",
            "wrong-column.csv:1:column 2: unknown column `colour`",
        ),
        (
            "bad-date.csv",
            "requester,requested_at\nAda,2026-11-01\nBob,31/12/2026\n",
            "bad-date.csv:3:requested_at: `31/12/2026` is not a date",
        ),
        (
            "duplicate.csv",
            "requester,purpose\nAda,visit\nBob,visit\nAda,visit\n",
            "duplicate.csv:4: repeats row 2 exactly",
        ),
        (
            "ragged.csv",
            "requester,purpose\nAda,visit,extra\n",
            "ragged.csv:2: 3 fields where the header has 2",
        ),
    ];
    for (name, text, expected) in cases {
        let path = home.path().join(name);
        std::fs::write(&path, text).unwrap();
        let err = fail(&home, &["request", "--from-csv", path.to_str().unwrap()]);
        assert!(err.contains(expected), "{name}: {err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
    let err = fail(&home, &["request", "--from-csv", "/nonexistent/x.csv"]);
    assert!(err.contains("/nonexistent/x.csv"), "{err}");
    assert_eq!(
        (audit_len(&home), states(&home)),
        before,
        "no card and no audit entry from a bad file"
    );
}

/// 1,234 cards: 1,000 from Ada at the front desk over the first days of November, 234 from
/// Bob at the back desk.
fn populated() -> tempfile::TempDir {
    let home = home();
    let mut csv = String::from("requester,desk,requested_at,note\n");
    for i in 0..1234 {
        let (who, desk) = if i < 1000 {
            ("Ada", "Front")
        } else {
            ("Bob", "Back")
        };
        let day = 1 + i % 10;
        csv.push_str(&format!(
            "{who},{desk},2026-11-{day:02}T10:00:00Z,row {i}\n"
        ));
    }
    let path = home.path().join("all.csv");
    std::fs::write(&path, csv).unwrap();
    ok(&home, &["request", "--from-csv", path.to_str().unwrap()]);
    home
}

#[test]
fn search_pages_say_how_many_of_how_many_and_continue_after_a_cursor() {
    let home = populated();
    let text = ok(&home, &["cards", "search"]);
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("showing 50 of 1,234 — next page: --after "),
        "{last}"
    );
    let header = text.lines().next().unwrap();
    for col in ["NUMBER", "STATE", "ORDER", "REQUESTER", "DESK", "REQUESTED"] {
        assert!(header.contains(col), "{header}");
    }
    assert!(!header.contains("REASON"), "no failed card shown: {header}");
    assert_eq!(text.lines().count(), 52, "header, 50 rows, the summary");

    // Follow the cursors: every card exactly once, in request order.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = vec!["cards", "search", "--limit", "500"];
        if let Some(a) = &after {
            args.extend(["--after", a.as_str()]);
        }
        let page = json(&home, &args);
        assert_eq!(page["total"], 1234);
        seen.extend(numbers(&page["cards"]));
        pages += 1;
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (1234, 1234));
    let all = json(&home, &["cards", "search", "--all-pages"]);
    assert_eq!(numbers(&all["cards"]), seen);
    assert!(all["next"].is_null());
    let err = fail(&home, &["cards", "search", "--after", "garbage"]);
    assert!(err.contains("not a page cursor"), "{err}");
}

#[test]
fn filters_narrow_the_search_and_dates_cover_whole_days() {
    let home = populated();
    let total = |args: &[&str]| {
        let mut all = vec!["cards", "search"];
        all.extend_from_slice(args);
        json(&home, &all)["total"].as_u64().unwrap()
    };
    assert_eq!(total(&["--requester", "ADA"]), 1000, "any case");
    assert_eq!(total(&["--desk", "back"]), 234);
    assert_eq!(total(&["--site", "back", "--requester", "ada"]), 0);
    // Days 1–3 of 10: a date as --to means through that whole day.
    assert_eq!(total(&["--from", "2026-11-01", "--to", "2026-11-03"]), 372);
    assert_eq!(
        total(&["--to", "2026-11-01T10:00:00Z"]),
        0,
        "a time is exclusive"
    );
    assert_eq!(
        total(&[
            "--state",
            "requested",
            "--from",
            "2026-11-10",
            "--requester",
            "Bob"
        ]),
        23
    );
    assert_eq!(total(&["--state", "failed", "--state", "unassigned"]), 0);
    assert_eq!(
        total(&["--number-prefix", "tmp0000001"]),
        10,
        "sequences 10–19"
    );
    assert_eq!(
        total(&[
            "--number-from",
            "TMP000000018",
            "--number-to",
            "TMP000000042"
        ]),
        4
    );
    let newest = json(
        &home,
        &[
            "cards", "search", "--sort", "number", "--desc", "--limit", "1",
        ],
    );
    assert_eq!(newest["cards"][0]["note"], "row 1233");
    let err = fail(&home, &["cards", "search", "--from", "1/11/2026"]);
    assert!(err.contains("YYYY-MM-DD"), "{err}");

    // The old `cards list` flags keep working: it is the same command.
    let listed = json(
        &home,
        &["cards", "list", "--state", "requested", "--limit", "2"],
    );
    assert_eq!(listed["cards"].as_array().unwrap().len(), 2);
    assert_eq!(listed["total"], 1234);
}

#[test]
fn csv_has_a_header_and_one_quoted_row_per_card_over_every_page() {
    let home = home();
    ok(
        &home,
        &[
            "request",
            "--count",
            "2",
            "--requester",
            "Lovelace, \"Ada\"",
            "--note",
            "line one",
        ],
    );
    ok(&home, &["request", "--count", "1100"]);
    let out = ok(&home, &["cards", "search", "--csv", "--all-pages"]);
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..4], ["number", "state", "order", "requester"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1102);
    assert_eq!(
        &rows[0][3], "Lovelace, \"Ada\"",
        "quoted and read back whole"
    );
    assert_eq!(&rows[0][6], "line one");
    let one_page = ok(&home, &["cards", "search", "--csv", "--limit", "10"]);
    assert_eq!(one_page.lines().count(), 11, "header + one page");
    let err = fail(&home, &["--json", "cards", "search", "--csv"]);
    assert!(err.contains("--csv or --json"), "{err}");
}

#[test]
fn failed_cards_show_their_reason_in_the_search() {
    let home = home();
    ok(&home, &["request", "--count", "3", "--requester", "Ada"]);
    ok(&home, &["order", "create", "--all"]);
    produce(&home, 1, &["TMP000000026"]);
    let text = ok(&home, &["cards", "search", "--state", "failed"]);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.ends_with("REASON"), "{header}");
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("TMP000000026") && row.ends_with("contact station` does not answer"),
        "{row}"
    );
    let by_reason = json(&home, &["cards", "search", "--reason", "DOES NOT ANSWER"]);
    assert_eq!(numbers(&by_reason["cards"]), ["TMP000000026"]);
    assert_eq!(by_reason["cards"][0]["order_id"], 1);
}
