//! The HTTP API's JSON bodies: `POST /api/v1/orders` and `POST /api/v1/orders/{id}/repeat`,
//! through the same parse-and-check path as the handlers (`cardline_server::bodies`).

use cardline_issuance::model::OrderSelection;
use cardline_server::bodies::{self, MAX_CARDS, OrderRequest};

use crate::props::clear_message;
use crate::target::Target;

const MIB: u64 = 1024 * 1024;

/// The API's JSON bodies. Input: one byte choosing the body (even: a new order, odd: a
/// repeat), then the body.
pub static API_BODIES: Target = Target {
    name: "api_bodies",
    entry: "cardline_server::bodies::order_request / repeat_request (serde_json, deny_unknown_fields, the handlers' checks)",
    extra_seeds: seeds,
    dictionary: &[
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b"\"",
        b"\"cards\":",
        b"\"matching\":",
        b"\"first\":",
        b"\"profile\":",
        b"\"misprinted\":",
        b"\"requester\":",
        b"\"desk\":",
        b"\"number_prefix\":",
        b"\"requested_from\":",
        b"\"requested_to\":",
        b"\"2026-11-29\"",
        b"\"2026-11-29T12:00:00Z\"",
        b"\"TMP000000001\"",
        b"null",
        b"true",
        b"4294967296",
        b"-1",
        b"1e400",
        b"\\u0000",
        b"\\ud800",
        b"\xff",
    ],
    max_len: 4096,
    memory_limit: 8 * MIB,
    work_limit: (2_000, 64),
    bounded_cases: 3000,
    check,
};

fn seeds() -> Vec<Vec<u8>> {
    let order = |body: &str| [b"\0".as_slice(), body.as_bytes()].concat();
    let repeat = |body: &str| [b"\x01".as_slice(), body.as_bytes()].concat();
    vec![
        order(r#"{"cards":["TMP000000001","TMP000000002"]}"#),
        order(r#"{"cards":["TMP000000001"],"profile":"visitor"}"#),
        order(r#"{"matching":{"requester":"Lovelace","desk":"Front"},"first":3}"#),
        order(
            r#"{"matching":{"requested_from":"2026-11-01","requested_to":"2026-11-30T23:59:59Z","number_prefix":"TMP0"}}"#,
        ),
        order(r#"{"cards":[],"matching":{}}"#),
        order(r#"{"cards":["x"],"first":2}"#),
        order(r#"{"carts":["x"]}"#),
        repeat(r#"{"misprinted":["TMP000000003"]}"#),
        repeat(r#"{}"#),
        repeat(r#"{"misprinted":null}"#),
    ]
}

fn check(input: &[u8]) -> Result<(), String> {
    let Some((&which, body)) = input.split_first() else {
        return Ok(());
    };
    if which % 2 == 0 {
        match bodies::order_request(body) {
            Ok(request) => check_order(&request),
            Err(problem) => check_problem(&problem),
        }
    } else {
        match bodies::repeat_request(body) {
            Ok(cards) => check_repeat(&cards),
            Err(problem) => check_problem(&problem),
        }
    }
}

/// A refusal is a 400 (not JSON) or 422 (wrong shape or values) with a clear, bounded detail.
fn check_problem(problem: &cardline_server::Problem) -> Result<(), String> {
    if !matches!(problem.status(), 400 | 422) {
        return Err(format!(
            "a bad body must be 400 or 422, got {}: {}",
            problem.status(),
            problem.detail()
        ));
    }
    clear_message("the API's problem detail", problem.detail(), None)
}

/// An accepted order is within the limits, and the same request written back as JSON is
/// accepted as the same request.
fn check_order(request: &OrderRequest) -> Result<(), String> {
    match &request.selection {
        OrderSelection::Numbers(cards) => {
            if cards.is_empty() || cards.len() > MAX_CARDS {
                return Err(format!("accepted an order of {} card numbers", cards.len()));
            }
            let mut again = serde_json::json!({ "cards": cards });
            if let Some(p) = &request.profile {
                again["profile"] = serde_json::json!(p);
            }
            let reparsed = bodies::order_request(again.to_string().as_bytes())
                .map_err(|p| format!("its own JSON was refused: {}", p.detail()))?;
            if &reparsed != request {
                return Err(format!(
                    "round trip changed the order: {request:?} → {reparsed:?}"
                ));
            }
        }
        OrderSelection::Matching { query, .. } => {
            query
                .check()
                .map_err(|e| format!("accepted a query that does not check: {e}"))?;
        }
        other => return Err(format!("the API cannot ask for {other:?}")),
    }
    Ok(())
}

fn check_repeat(cards: &[String]) -> Result<(), String> {
    if cards.len() > MAX_CARDS {
        return Err(format!("accepted {} misprinted cards", cards.len()));
    }
    let again = serde_json::json!({ "misprinted": cards }).to_string();
    let reparsed = bodies::repeat_request(again.as_bytes())
        .map_err(|p| format!("its own JSON was refused: {}", p.detail()))?;
    if reparsed != cards {
        return Err("round trip changed the misprinted cards".into());
    }
    Ok(())
}
