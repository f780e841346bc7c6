//! Two `cardline` processes creating orders on the same home at once never put a card in two
//! orders, and every requested card ends up in exactly one order.

use std::collections::HashSet;
use std::process::{Command, Stdio};

fn cardline(home: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cardline"));
    c.arg("--home").arg(home).env_remove("RUST_LOG");
    c
}

#[test]
fn two_processes_creating_orders_at_once_never_share_a_card() {
    let home = tempfile::tempdir().unwrap();
    assert!(
        cardline(home.path())
            .arg("init")
            .status()
            .unwrap()
            .success()
    );
    let req = cardline(home.path())
        .args(["request", "--count", "301"])
        .status()
        .unwrap();
    assert!(req.success());

    // Each process creates orders of exactly 7 until nothing is left; both run at the same
    // time. 301 = 43 × 7, so no order is ever refused for lack of cards.
    let script = |op: &str| {
        format!(
            "while {bin} --home {home} --operator {op} --json order create --first 7 --allow-fewer >> {out}; do :; done",
            bin = env!("CARGO_BIN_EXE_cardline"),
            home = home.path().display(),
            out = home.path().join(format!("{op}.jsonl")).display(),
        )
    };
    let children: Vec<_> = ["p1", "p2"]
        .iter()
        .map(|op| {
            Command::new("sh")
                .arg("-c")
                .arg(script(op))
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // The loop ends when no requested card is left; anything else is a failure.
        assert!(err.contains("no requested card"), "{err}");
        assert!(!err.contains("store error"), "{err}");
    }

    let mut seen = HashSet::new();
    let mut orders = HashSet::new();
    let mut per_process = Vec::new();
    for op in ["p1", "p2"] {
        let text = std::fs::read_to_string(home.path().join(format!("{op}.jsonl"))).unwrap();
        let stream = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
        let mut n = 0;
        for order in stream {
            let order = order.unwrap();
            assert!(orders.insert(order["id"].as_i64().unwrap()));
            assert_eq!(order["created_by"], op);
            for card in order["cards"].as_array().unwrap() {
                let number = card["number"].as_str().unwrap().to_string();
                assert!(seen.insert(number.clone()), "{number} is in two orders");
                assert_eq!(card["order_id"], order["id"]);
            }
            n += 1;
        }
        per_process.push(n);
    }
    eprintln!("orders created per process: {per_process:?}");
    assert_eq!(seen.len(), 301, "every card in exactly one order");
    assert_eq!(
        per_process.iter().sum::<usize>(),
        43,
        "301 / 7 → 43 full orders"
    );
    let left = cardline(home.path())
        .args(["--json", "cards", "list", "--state", "requested"])
        .output()
        .unwrap();
    let left: serde_json::Value = serde_json::from_slice(&left.stdout).unwrap();
    assert_eq!(left["total"], 0);
}
