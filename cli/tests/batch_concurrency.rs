//! Two operators selecting overlapping cards at the same moment: two `cardline order create`
//! processes with overlapping filters never put a card in two orders, each order holds only
//! cards its filter matches, and every matching card ends up in exactly one order.

use std::collections::HashSet;
use std::process::{Command, Stdio};

fn cardline(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cardline"));
    c.arg("--home").arg(home).env_remove("RUST_LOG");
    c
}

#[test]
fn two_operators_with_overlapping_filters_never_share_a_card() {
    let home = tempfile::tempdir().unwrap();
    assert!(
        cardline(home.path())
            .arg("init")
            .status()
            .unwrap()
            .success()
    );
    // 120 cards match both filters, 80 only Ada's, 80 only the front desk's, 40 neither.
    for (n, who, desk) in [
        ("120", "Ada", "Front"),
        ("80", "Ada", "Back"),
        ("80", "Bob", "Front"),
        ("40", "Bob", "Back"),
    ] {
        let status = cardline(home.path())
            .args(["request", "--count", n, "--requester", who, "--desk", desk])
            .status()
            .unwrap();
        assert!(status.success());
    }
    let script = |op: &str, filter: &str| {
        format!(
            "while {bin} --home {home} --operator {op} --json order create {filter} --first 6 \
             --allow-fewer >> {out}; do :; done",
            bin = env!("CARGO_BIN_EXE_cardline"),
            home = home.path().display(),
            out = home.path().join(format!("{op}.jsonl")).display(),
        )
    };
    let runs = [
        ("ada-desk", "--requester ada"),
        ("front-desk", "--desk front"),
    ];
    let children: Vec<_> = runs
        .iter()
        .map(|(op, filter)| {
            Command::new("sh")
                .arg("-c")
                .arg(script(op, filter))
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // Each loop ends when no requested card matches its filter; nothing else may fail.
        assert!(err.contains("no requested card"), "{err}");
        assert_eq!(err.matches("error:").count(), 1, "{err}");
    }

    let mut seen = HashSet::new();
    let mut per_operator = Vec::new();
    for (op, _) in runs {
        let text = std::fs::read_to_string(home.path().join(format!("{op}.jsonl"))).unwrap();
        let mut cards = 0;
        for order in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
            let order = order.unwrap();
            assert_eq!(order["created_by"], op);
            for card in order["cards"].as_array().unwrap() {
                let number = card["number"].as_str().unwrap().to_string();
                assert!(seen.insert(number.clone()), "{number} is in two orders");
                let fits = match op {
                    "ada-desk" => card["requester"] == "Ada",
                    _ => card["desk"] == "Front",
                };
                assert!(fits, "{op} took {card}");
                cards += 1;
            }
        }
        per_operator.push(cards);
    }
    eprintln!("cards ordered per operator: {per_operator:?}");
    assert_eq!(seen.len(), 280, "every card matching either filter, once");
    let left = cardline(home.path())
        .args(["--json", "cards", "search", "--state", "requested"])
        .output()
        .unwrap();
    let left: serde_json::Value = serde_json::from_slice(&left.stdout).unwrap();
    assert_eq!(left["total"], 40, "only Bob's back-desk cards are left");
    assert!(
        left["cards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["requester"] == "Bob" && c["desk"] == "Back")
    );
}
