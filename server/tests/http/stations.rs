//! Desks and stations: each station's printer status on the Stations page and in
//! `/api/v1/stations`, and `POST /api/v1/stations/{name}/resume` (the page's Resume).

use cardline_device::{PrinterFault, PrinterStatus, RibbonStatus};
use cardline_issuance::printer_report::PrinterReport;
use cardline_issuance::store::ownership::RunStart;
use cardline_issuance::store::{Actor, AuditFilter};

use crate::common::*;

fn root() -> Actor {
    Actor("root".into())
}

fn token(c: &Console, user: &str) -> String {
    let (t, _) = cardline_server::users::create_token(&*c.store, user, &root()).unwrap();
    t.to_string()
}

fn post(c: &Console, path: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let r = c.send("POST", path, &headers, b"");
    let v = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
    (r.status, v)
}

/// A desk run holding `stations`.
fn desk(c: &Console, stations: &[&str]) -> i64 {
    let run = c
        .store
        .start_run(&RunStart::desk("front"), &root())
        .unwrap();
    for s in stations {
        c.store
            .claim_station(run.id, s, None, &root())
            .unwrap()
            .unwrap();
    }
    run.id
}

#[test]
fn the_api_resumes_a_paused_station_as_the_user() {
    let c = Console::start(&[]);
    let run = desk(&c, &["s1", "s2"]);
    c.store
        .pause_station("s1", "cover open — fix it", Some(run), &root())
        .unwrap();
    let olga = token(&c, "olga");
    let audrey = token(&c, "audrey");
    let path = "/api/v1/stations/s1/resume";
    assert_eq!(post(&c, path, None).0, 401);
    let (status, v) = post(&c, path, Some(&audrey));
    assert_eq!(status, 403, "{v}");
    assert!(
        c.store.station_pause("s1").unwrap().is_some(),
        "still paused"
    );
    let (status, v) = post(&c, "/api/v1/stations/nowhere/resume", Some(&olga));
    assert_eq!(status, 404, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("nowhere"), "{v}");
    let (status, v) = post(&c, "/api/v1/stations/s2/resume", Some(&olga));
    assert_eq!(status, 409, "a driven station that is not paused: {v}");

    let (status, v) = post(&c, path, Some(&olga));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["station"], "s1");
    assert_eq!(v["resumed_by"], "olga");
    assert!(c.store.station_pause("s1").unwrap().is_none());
    let audit = c
        .store
        .audit(&AuditFilter {
            operator: Some("olga".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert!(
        audit.iter().any(|e| e.action == "station.resume"),
        "audited as the token's user: {audit:?}"
    );
    assert_eq!(post(&c, path, Some(&olga)).0, 409, "resumed once");
}

#[test]
fn printer_status_shows_on_the_stations_page_and_in_the_api() {
    let c = Console::start(&[]);
    let run = desk(&c, &["a1", "a2", "a3"]);
    let mut low = PrinterStatus {
        model: Some("Zenius".into()),
        serial: Some("Z-0042".into()),
        cover_known: true,
        feeder_known: true,
        ribbon: RibbonStatus {
            kind: Some("ymcko".into()),
            remaining: Some(9),
            capacity: Some(200),
        },
        ..PrinterStatus::default()
    };
    let report = |s: &PrinterStatus| PrinterReport::from_status(s, "2026-11-29T12:00:00.000Z");
    c.store.report_printer(run, "a1", &report(&low)).unwrap();
    low.ribbon.remaining = Some(150);
    low.record(PrinterFault::CoverOpen);
    low.record(PrinterFault::FeederEmpty);
    c.store.report_printer(run, "a2", &report(&low)).unwrap();

    let audrey = c.login("audrey");
    let page = c.get("/stations", Some(&audrey.session));
    assert_eq!(page.status, 200);
    let row = |station: &str| {
        let start = page
            .body
            .find(&format!("data-station=\"{station}\""))
            .unwrap_or_else(|| panic!("no row for {station}: {}", page.body));
        let end = page.body[start..].find("</tr>").unwrap() + start;
        page.body[start..end].to_string()
    };
    let a1 = row("a1");
    assert!(a1.contains("Zenius Z-0042"), "{a1}");
    assert!(
        a1.contains("<td class=\"warn\">ymcko 4 % (9/200)</td>"),
        "ribbon low in the warning style: {a1}"
    );
    assert!(
        a1.contains("<td>closed</td>") && a1.contains("<td>ok</td>"),
        "{a1}"
    );
    let a2 = row("a2");
    assert!(a2.contains("<td class=\"warn\">open</td>"), "{a2}");
    assert!(a2.contains("<td class=\"warn\">empty</td>"), "{a2}");
    assert!(
        a2.contains("<td>ymcko 75 % (150/200)</td>"),
        "not low: {a2}"
    );
    assert!(row("a3").contains("not read yet"));

    let t = token(&c, "audrey");
    let r = c.send(
        "GET",
        "/api/v1/stations",
        &[("Authorization", &format!("Bearer {t}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let claim = |s: &str| {
        v["claims"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["station"] == s)
            .unwrap()
            .clone()
    };
    let a2 = claim("a2");
    assert_eq!(a2["printer"]["cover"], "open");
    assert_eq!(a2["printer"]["feeder"], "empty");
    assert_eq!(a2["printer"]["ribbon"]["percent"], 75);
    assert_eq!(a2["printer"]["serial"], "Z-0042");
    assert_eq!(claim("a1")["printer"]["ribbon"]["remaining"], 9);
    assert!(claim("a3")["printer"].is_null());
}

/// The data of the next `stations` event on an open event stream.
fn next_stations_event(r: &mut std::io::BufReader<std::net::TcpStream>) -> String {
    use std::io::BufRead;
    let mut seen = false;
    loop {
        let mut line = String::new();
        let n = r.read_line(&mut line).expect("an event within 30 s");
        assert!(n > 0, "the stream ended");
        let line = line.trim_end();
        if line == "event: stations" {
            seen = true;
        } else if let (true, Some(data)) = (seen, line.strip_prefix("data: ")) {
            return data.to_string();
        }
    }
}

/// The `data-hash` the Stations page was rendered with.
fn page_hash(body: &str) -> String {
    let start = body.find("data-hash=\"").expect("a data-hash") + "data-hash=\"".len();
    body[start..start + 16].to_string()
}

#[test]
fn the_stations_page_is_told_when_a_printer_report_changes_it() {
    use std::io::Write;
    let c = Console::start(&[]);
    let run = desk(&c, &["a1"]);
    let audrey = c.login("audrey");
    let page = c.get("/stations", Some(&audrey.session));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-live=\"/stations/events\""));
    assert!(
        page.body
            .contains("<script src=\"/static/stations-live.js\"")
    );
    let js = c.get("/static/stations-live.js", None);
    assert_eq!(js.status, 200);
    assert!(js.body.contains("DOMParser") && !js.body.contains("innerHTML"));
    let before = page_hash(&page.body);

    // Without a session the stream is refused.
    let anonymous = c.get("/stations/events", None);
    assert_ne!(anonymous.status, 200, "{}", anonymous.body);

    let mut s = std::net::TcpStream::connect(c.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    write!(
        s,
        "GET /stations/events HTTP/1.1\r\nHost: localhost\r\nCookie: cardline_session={}\r\n\r\n",
        audrey.session
    )
    .unwrap();
    let mut r = std::io::BufReader::new(s);
    // The first event is the page as it is: the same fingerprint.
    assert_eq!(next_stations_event(&mut r), before);
    // A printer report does not move the change mark, yet the stream sees it within its
    // re-read period, and the page rendered now carries the new fingerprint.
    let status = PrinterStatus {
        model: Some("Primacy".into()),
        cover_known: true,
        ..PrinterStatus::default()
    };
    c.store
        .report_printer(
            run,
            "a1",
            &PrinterReport::from_status(&status, "2026-11-29T12:00:00.000Z"),
        )
        .unwrap();
    let after = next_stations_event(&mut r);
    assert_ne!(after, before);
    let page = c.get("/stations", Some(&audrey.session));
    assert_eq!(page_hash(&page.body), after);
    assert!(page.body.contains("Primacy"));
}
