//! Live progress over server-sent events: the first event at once, a new one when the order
//! changes, refused like every other route without a session or with the wrong role.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use cardline_issuance::model::OrderSelection;
use cardline_issuance::store::Actor;

use crate::common::*;

/// An open event stream.
struct Events(BufReader<TcpStream>);

impl Events {
    fn open(c: &Console, path: &str, session: &str) -> (u16, String, Events) {
        let mut s = TcpStream::connect(c.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nCookie: cardline_session={session}\r\n\r\n"
        )
        .unwrap();
        let mut r = BufReader::new(s);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head.to_ascii_lowercase(), Events(r))
    }

    /// The data of the next `order` event (chunk sizes and keep-alive comments skipped).
    fn next_order(&mut self) -> serde_json::Value {
        let mut event = None;
        loop {
            let mut line = String::new();
            let n = self.0.read_line(&mut line).expect("an event within 30 s");
            assert!(n > 0, "the stream ended");
            let line = line.trim_end();
            if line == "event: order" {
                event = Some(());
            } else if let (Some(()), Some(data)) = (event, line.strip_prefix("data: ")) {
                return serde_json::from_str(data).unwrap();
            }
        }
    }
}

#[test]
fn the_order_page_streams_its_progress_when_it_changes() {
    let c = Console::start(&requests(2, "Ada"));
    let root = Actor("root".into());
    let order = c
        .store
        .create_order(&OrderSelection::First(2), &root)
        .unwrap();
    let olga = c.login("olga");
    // The page loads the script from the server itself and says where to listen.
    let page = c.get(&format!("/orders/{}", order.id), Some(&olga.session));
    assert!(
        page.body
            .contains(&format!("data-live=\"/orders/{}/events?page=1\"", order.id))
    );
    assert!(page.body.contains("<script src=\"/static/order-live.js\""));
    let js = c.get("/static/order-live.js", None);
    assert_eq!(js.status, 200);
    assert!(js.body.contains("textContent") && !js.body.contains("innerHTML"));

    let path = format!("/orders/{}/events", order.id);
    let (status, head, mut events) = Events::open(&c, &path, &olga.session);
    assert_eq!(status, 200, "{head}");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(head.contains("content-security-policy"), "{head}");
    let first = events.next_order();
    assert_eq!(first["state"], "open");
    assert_eq!(first["released"], false);
    assert_eq!(first["outcome"]["waiting"], 2);
    assert_eq!(first["cards"].as_array().unwrap().len(), 2);
    c.store.release_order(order.id, &root).unwrap();
    let second = events.next_order();
    assert_eq!(second["released"], true, "{second}");
    c.store.cancel_order(order.id, &root).unwrap();
    let third = events.next_order();
    assert_eq!(third["state"], "cancelled", "{third}");
    assert_eq!(third["cards"][0][1], "requested", "{third}");
    // An auditor may watch; an admin may not; an unknown order is a 404 page.
    let audrey = c.login("audrey");
    assert_eq!(Events::open(&c, &path, &audrey.session).0, 200);
    let adam = c.login("adam");
    assert_eq!(Events::open(&c, &path, &adam.session).0, 403);
    assert_eq!(Events::open(&c, "/orders/999/events", &olga.session).0, 404);
}

/// Stations, steps and pauses reach the order page: rendered without JavaScript, streamed
/// within a few watcher ticks with the store time of the change, and a paused station is
/// resumed from the order page (back to it) as the user.
#[test]
fn the_order_page_shows_stations_steps_and_pauses_live_and_resumes_them() {
    use cardline_issuance::model::ProductionStep;
    use cardline_issuance::store::ownership::RunStart;
    let c = Console::start(&requests(2, "Ada"));
    let root = Actor("root".into());
    let order = c
        .store
        .create_order(&OrderSelection::First(2), &root)
        .unwrap();
    c.store.release_order(order.id, &root).unwrap();
    let run = c.store.start_run(&RunStart::desk("front"), &root).unwrap();
    for s in ["a1", "a2"] {
        c.store
            .claim_station(run.id, s, None, &root)
            .unwrap()
            .unwrap();
    }
    let olga = c.login("olga");
    let path = format!("/orders/{}/events", order.id);
    let (status, _, mut events) = Events::open(&c, &path, &olga.session);
    assert_eq!(status, 200);
    let first = events.next_order();
    let stations = first["stations"].as_array().unwrap();
    assert_eq!(stations.len(), 2, "{first}");
    assert_eq!(stations[0]["name"], "a1");
    assert_eq!(stations[0]["desk"], "front");
    assert_eq!(stations[0]["state"], "idle");
    assert_eq!(stations[0]["printer"]["text"], "not read yet", "{first}");

    // A desk reports a1's printer (low ribbon): the event carries it in one
    // cell, in the warning style, and the page renders the same cell without JavaScript.
    let status = cardline_device::PrinterStatus {
        cover_known: true,
        feeder_known: true,
        ribbon: cardline_device::RibbonStatus {
            kind: Some("ymcko".into()),
            remaining: Some(9),
            capacity: Some(200),
        },
        ..Default::default()
    };
    let report = cardline_issuance::printer_report::PrinterReport::from_status(
        &status,
        "2026-11-29T12:00:00.000Z",
    );
    c.store.report_printer(run.id, "a1", &report).unwrap();
    let cell = "ribbon ymcko 4 % (9/200), cover closed, feeder ok: ribbon low (4 %, 9 left)";
    let e = events.next_order_where(|e| e["stations"][0]["printer"]["warn"] == true);
    assert_eq!(e["stations"][0]["printer"]["text"], cell, "{e}");
    assert_eq!(
        e["stations"][0]["printer"]["read_at"], "2026-11-29T12:00:00.000Z",
        "{e}"
    );
    assert_eq!(e["stations"][1]["printer"]["warn"], false, "{e}");
    let page = c.get(&format!("/orders/{}", order.id), Some(&olga.session));
    assert!(page.body.contains("<th>Printer</th>"), "{}", page.body);
    assert!(
        page.body.contains(&format!(
            "<td class=\"warn\" title=\"read 2026-11-29T12:00:00.000Z\">{cell}</td>"
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td>not read yet</td>"), "{}", page.body);

    // A card taken and its feed begun: the station and the card show the step.
    let (card, attempt) = c
        .store
        .begin_released_attempt(run.id, "a1", &[], &root)
        .unwrap()
        .unwrap();
    c.store.step_started(attempt, ProductionStep::Feed).unwrap();
    let e = events.next_order_where(|e| e["stations"][0]["step"] == "feed");
    assert_eq!(e["stations"][0]["state"], "producing", "{e}");
    assert_eq!(e["stations"][0]["card"], card.number.as_str(), "{e}");
    let row = e["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == card.number.as_str())
        .unwrap()
        .clone();
    assert_eq!(row[1], "in_production", "{e}");
    assert_eq!(row[3], "feed", "{e}");
    // The event names the store time of the change (RFC 3339, the store's format).
    let at = e["changed_at"].as_str().expect("changed_at");
    assert!(at.len() == 24 && at.ends_with('Z'), "{at}");

    // The page rendered now (no JavaScript) shows it too.
    let page = c.get(&format!("/orders/{}", order.id), Some(&olga.session));
    assert!(page.body.contains("data-station=\"a1\""), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("id=\"card-step-{}\">feed<", card.number)),
        "{}",
        page.body
    );

    // A failure shows its reason; a pause shows the operator message and a Resume button.
    c.store
        .attempt_failed(attempt, "jam at the contact station", &root)
        .unwrap();
    c.store
        .pause_station("a2", "the cover is open: close it", Some(run.id), &root)
        .unwrap();
    let e = events.next_order_where(|e| e["stations"][1]["state"] == "paused");
    assert_eq!(
        e["stations"][1]["reason"], "the cover is open: close it",
        "{e}"
    );
    assert_eq!(e["outcome"]["failed"], 1, "{e}");
    let page = c.get(&format!("/orders/{}", order.id), Some(&olga.session));
    assert!(page.body.contains("the cover is open: close it"));
    assert!(page.body.contains("action=\"/stations/a2/resume\""));
    assert!(
        page.body
            .contains(&format!("name=\"back\" value=\"/orders/{}\"", order.id))
    );
    // An auditor sees the pause but no Resume.
    let audrey = c.login("audrey");
    let page = c.get(&format!("/orders/{}", order.id), Some(&audrey.session));
    assert!(page.body.contains("the cover is open: close it"));
    assert!(!page.body.contains("/stations/a2/resume"));
    // Resume from the order page: back to the order page; `back` elsewhere is ignored.
    let back = format!("/orders/{}", order.id);
    let r = c.post_form(
        "/stations/a2/resume",
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("back", &back)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some(back.as_str()));
    assert!(c.store.station_pause("a2").unwrap().is_none());
    let e = events.next_order_where(|e| e["stations"][1]["state"] == "idle");
    assert!(e["stations"][1]["reason"].is_null(), "{e}");
    c.store
        .pause_station("a2", "again", Some(run.id), &root)
        .unwrap();
    let r = c.post_form(
        "/stations/a2/resume",
        Some(&olga.session),
        &[("csrf", &olga.csrf), ("back", "https://evil.example/")],
    );
    assert_eq!(r.header("location"), Some("/stations"));
}

impl Events {
    /// The next `order` event for which `pred` holds (within 30 s).
    fn next_order_where(&mut self, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let started = std::time::Instant::now();
        loop {
            let e = self.next_order();
            if pred(&e) {
                return e;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no such event; the last: {e}"
            );
        }
    }
}
