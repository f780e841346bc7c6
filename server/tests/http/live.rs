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
            .contains(&format!("data-live=\"/orders/{}/events\"", order.id))
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
