//! Helpers of the batch-order tests: production through the real `cardline order produce`
//! on a simulated station, and snapshots of the audit log and card states to prove a dry run
//! changed nothing.
#![allow(dead_code)]

use serde_json::Value;

use super::temp_home::{cardline, json, ok};

/// Produces every waiting card of `order` with `cardline order produce` on one simulated
/// station `sim-1` (keys and CA created first when the home has none); cards named in `fail`
/// get a mute chip and are rejected at the encode step. The order's own option profile
/// decides the PIN and PUK lengths.
pub fn produce(home: &tempfile::TempDir, order: i64, fail: &[&str]) {
    if !home.path().join("keys").exists() {
        ok(home, &["keys", "init"]);
    }
    if !home.path().join("ca").exists() {
        ok(home, &["ca", "init"]);
    }
    let shown = json(home, &["order", "show", &order.to_string()]);
    let waiting: Vec<&str> = shown["cards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] == "in_production")
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    // The station feeds the waiting cards in order: the n-th fed gets a mute chip.
    let mute: Vec<String> = waiting
        .iter()
        .enumerate()
        .filter(|(_, n)| fail.contains(n))
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    assert_eq!(
        mute.len(),
        fail.len(),
        "every failing card waits in order {order}"
    );
    let printer = if mute.is_empty() {
        "sim://sim-1?time_scale=0.01".to_string()
    } else {
        format!("sim://sim-1?time_scale=0.01&mute_chips={}", mute.join(","))
    };
    std::fs::write(
        home.path().join("stations.toml"),
        format!("[[station]]\nname = \"sim-1\"\nprinter = \"{printer}\"\nreader = \"sim\"\n"),
    )
    .unwrap();
    let out = cardline(home, &["order", "produce", &order.to_string()]);
    // Rejected cards are part of a finished order: exit 0.
    assert_eq!(
        out.status.code(),
        Some(0),
        "order produce {order}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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
