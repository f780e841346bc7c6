//! The OpenAPI document at `/api/v1/openapi.json` matches the routes the API serves, and the
//! read routes for cards and stations answer with what the store holds.

use cardline_issuance::model::OrderSelection;
use cardline_issuance::store::Actor;
use serde_json::Value;

use crate::api::api_routes;
use crate::common::*;

/// True when the concrete `path` fits the documented `template` (`/orders/{id}`).
fn fits(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| a == b || (a.starts_with('{') && a.ends_with('}')))
}

#[test]
fn the_openapi_document_lists_every_api_route_and_every_documented_route_is_served() {
    let c = Console::start(&requests(2, "Ada"));
    let order = c
        .store
        .create_order(&OrderSelection::First(1), &Actor("root".into()))
        .unwrap();
    let card = order.cards[0].number.clone();
    let r = c.get("/api/v1/openapi.json", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let doc: Value = serde_json::from_str(&r.body).expect("the document is JSON");
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let paths = doc["paths"].as_object().expect("paths");

    // Every route the API serves is documented with its method, a 401 and a 200/201 answer.
    for (method, path, _, _) in api_routes(order.id, &card) {
        let m = method.to_lowercase();
        let exact = paths.get(&path).and_then(|p| p.get(&m));
        let op = exact
            .or_else(|| {
                paths
                    .iter()
                    .filter(|(t, _)| fits(t, &path))
                    .find_map(|(_, p)| p.get(&m))
            })
            .unwrap_or_else(|| panic!("{method} {path} is not in the OpenAPI document"));
        let responses = op["responses"].as_object().unwrap();
        // 401 and 403 (the shared `Refused` responses) answer a problem+json Problem.
        for code in ["401", "403"] {
            let schema = &responses
                .get(code)
                .unwrap_or_else(|| panic!("{method} {path}: no {code}: {op}"))["content"]["application/problem+json"]
                ["schema"]["$ref"];
            assert_eq!(
                schema, "#/components/schemas/Problem",
                "{method} {path} {code}: {op}"
            );
        }
        assert!(
            responses.contains_key("200") || responses.contains_key("201"),
            "{method} {path}: {op}"
        );
        assert_eq!(op["security"][0]["token"], serde_json::json!([]), "{op}");
    }
    assert!(paths.contains_key("/api/v1/openapi.json"));

    // Every documented route is served: without a token it asks for one (not the API's 404).
    for (template, item) in paths {
        let path = template
            .replace("{id}", &order.id.to_string())
            .replace("{number}", &card)
            .replace(
                "{name}",
                if template.starts_with("/api/v1/stations/") {
                    "s1"
                } else {
                    "olga"
                },
            )
            .replace("{profile}", "default");
        assert!(
            !path.contains('{'),
            "a parameter the test does not know: {template}"
        );
        for method in item.as_object().unwrap().keys() {
            let r = c.send(&method.to_uppercase(), &path, &[], b"");
            let want = if template.ends_with("/openapi.json") {
                200
            } else {
                401
            };
            assert_eq!(r.status, want, "{method} {template}: {}", r.body);
        }
    }

    // The schemas are there, with the model's fields.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "Order",
        "OrderView",
        "Card",
        "CardPage",
        "CardDetail",
        "Attempt",
        "AuditEntry",
        "Stations",
        "PrinterReport",
        "RibbonReport",
        "Resumed",
        "Problem",
        "NewOrder",
        "UserView",
        "NewUser",
        "TokenView",
        "NewToken",
        "ProfileView",
        "PutProfile",
        "ChangeView",
        "Assign",
        "Lock",
    ] {
        assert!(
            schemas.contains_key(name),
            "no schema {name}: {:?}",
            schemas.keys()
        );
    }
    // A card's own fields, and the request's (flattened into it) through RequestInfo.
    let card_schema = serde_json::to_string(&schemas["Card"]).unwrap();
    for field in [
        "\"number\"",
        "\"state\"",
        "#/components/schemas/RequestInfo",
    ] {
        assert!(
            card_schema.contains(field),
            "Card lacks {field}: {card_schema}"
        );
    }
    // A token's last use is documented (the time it last authenticated a request).
    let last_used = &schemas["TokenView"]["properties"]["last_used_at"];
    assert!(
        last_used["description"]
            .as_str()
            .is_some_and(|d| d.contains("last authenticated")),
        "TokenView lacks last_used_at: {}",
        schemas["TokenView"]
    );
    for field in ["requester", "desk", "requested_at"] {
        assert!(
            schemas["RequestInfo"]["properties"].get(field).is_some(),
            "RequestInfo lacks {field}: {}",
            schemas["RequestInfo"]
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    // An unknown API path is still the API's own 404 problem.
    let r = c.send("GET", "/api/v1/nothing", &[], b"");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}

#[test]
fn cards_in_every_state_a_card_with_its_attempts_and_the_stations_over_the_api() {
    use cardline_issuance::store::conformance::begin_attempt;
    let c = Console::start(&requests(3, "Ada"));
    let root = Actor("root".into());
    let desk = Actor("desk".into());
    let order = c
        .store
        .create_order(&OrderSelection::First(2), &root)
        .unwrap();
    let (failed, a) = begin_attempt(&*c.store, order.id, "st-1", &desk)
        .unwrap()
        .unwrap();
    c.store.attempt_failed(a, "jam <at> feeder", &desk).unwrap();
    c.store
        .pause_station("st-1", "ribbon out", None, &desk)
        .unwrap();
    let (t, _) = cardline_server::users::create_token(&*c.store, "audrey", &root).unwrap();
    let auth = format!("Bearer {}", &*t);
    let get = |path: &str| {
        let r = c.send("GET", path, &[("Authorization", &auth)], b"");
        let v: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
        (r.status, v)
    };
    // Every state, one state, two states, paging.
    let (s, all) = get("/api/v1/cards");
    assert_eq!(s, 200, "{all}");
    assert_eq!(all["total"], 3);
    let (_, f) = get("/api/v1/cards?state=failed");
    assert_eq!(f["total"], 1, "{f}");
    assert_eq!(f["cards"][0]["number"], failed.number.as_str());
    assert_eq!(f["cards"][0]["failure_reason"], "jam <at> feeder");
    let (_, two) = get("/api/v1/cards?state=failed&state=requested");
    assert_eq!(two["total"], 2, "{two}");
    let (_, p1) = get("/api/v1/cards?limit=2");
    assert_eq!(p1["cards"].as_array().unwrap().len(), 2);
    let next = p1["next"].as_str().expect("a next cursor");
    let (_, p2) = get(&format!("/api/v1/cards?limit=2&after={next}"));
    assert_eq!(p2["cards"].as_array().unwrap().len(), 1, "{p2}");
    assert!(p2["next"].is_null());
    // Bad filters name the problem.
    let (s, v) = get("/api/v1/cards?state=lost");
    assert_eq!(s, 422);
    assert!(v["detail"].as_str().unwrap().contains("`lost`"), "{v}");
    let (s, v) = get("/api/v1/cards?limit=0");
    assert_eq!(s, 422, "{v}");
    let (s, v) = get("/api/v1/cards?requested_from=yesterday");
    assert_eq!(s, 422, "{v}");
    // One card with its attempt, steps and audit trail.
    let (s, d) = get(&format!("/api/v1/cards/{}", failed.number));
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["card"]["state"], "failed");
    assert_eq!(d["attempts"][0]["station"], "st-1");
    assert_eq!(d["attempts"][0]["status"], "failed");
    assert!(
        d["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["to_state"] == "failed"),
        "{d}"
    );
    let (s, v) = get("/api/v1/cards/NOPE123");
    assert_eq!(s, 404, "{v}");
    // Stations: the paused one with its reason.
    let (s, st) = get("/api/v1/stations");
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["paused"][0]["station"], "st-1");
    assert_eq!(st["paused"][0]["reason"], "ribbon out");
    assert!(st["runs"].is_array() && st["claims"].is_array(), "{st}");
}
