//! `bench-console [CARDS] [SECONDS] [SESSIONS] [THINK_MS]`: the console under load (issue 13
//! target: p95 ≤ 100 ms). A SQLite store of CARDS cards (default 1,000,000, built like bench-batch: 2,000
//! requesters, 20 desks, 40 % in eight open orders) plus a released order of 1,000 cards;
//! `cardline serve`'s router on a loopback port; SESSIONS logged-in sessions (default 50),
//! each on its own thread, for SECONDS (default 30) request in turn — pausing a random 0 to
//! 2·THINK_MS between requests like a person reading the page (default 1000: 50 sessions
//! make ≈ 50 requests/s; 0 makes every session hammer the server back to back): the search page with an
//! operator's filters (a requester and a 30-day window), the first page of every requested
//! card, the 1,000-card order page, and a random page (of 100 cards) of a whole desk's order
//! (≈50,000 cards).
//! Times are measured by the client around each whole request (connect, send, full reply), so
//! they bound the server's time from above. Prints p50/p95/max per page and overall.
//! `BENCH_CONSOLE_STORE=PATH` keeps the store at PATH and reuses it when it exists.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cardline_benches::batch::{Rng, build_store, day_time, requester};
use cardline_issuance::model::OrderSelection;
use cardline_issuance::store::users::Role;
use cardline_issuance::store::{Actor, Store};
use cardline_server::{AppState, SessionRule};

const PASSWORD: &str = "a bench password";

/// The path a session requests next, for one kind of page.
type PathOf = Box<dyn Fn(&mut Rng) -> String + Send + Sync>;

fn main() {
    let mut args = std::env::args().skip(1);
    let cards: u32 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let sessions: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let think: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    // BENCH_CONSOLE_STORE=PATH keeps the store there and reuses it on the next run (building
    // a million cards takes minutes on a busy machine); its orders are the desks' and the
    // 1,000-card one made by the first run (the newest).
    let kept = std::env::var_os("BENCH_CONSOLE_STORE").map(std::path::PathBuf::from);
    let reuse = kept.as_ref().is_some_and(|p| p.exists());
    let path = kept.unwrap_or_else(|| dir.path().join("cardline.db"));
    let actor = Actor("bench".into());
    let store: Arc<dyn Store> = if reuse {
        Arc::new(cardline_issuance::store::sqlite::SqliteStore::open(&path).unwrap())
    } else {
        Arc::new(build_store(&path, cards).0)
    };
    let (big, small) = if reuse {
        let orders = store.list_orders().unwrap();
        (orders[1].id, orders[0].id)
    } else {
        let big = store.list_orders().unwrap()[0].id;
        let small = store
            .create_order(&OrderSelection::First(1000), &actor)
            .unwrap()
            .id;
        store.release_order(small, &actor).unwrap();
        cardline_server::users::add(&*store, "olga", Role::Operator, PASSWORD.into(), &actor)
            .unwrap();
        (big, small)
    };
    println!(
        "store: {cards} cards {} in {:.1} s",
        if reuse { "reopened" } else { "built" },
        started.elapsed().as_secs_f64()
    );

    let (tx, rx) = std::sync::mpsc::channel();
    let state = AppState::new(store.clone(), SessionRule::default(), false);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            cardline_server::serve_on(listener, state, std::future::pending())
                .await
                .unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    let logins: Vec<String> = (0..sessions).map(|_| login(addr)).collect();
    println!("{sessions} sessions logged in on {addr}");

    let pages: [(&str, PathOf); 4] = [
        (
            "search (requester, 30 days)",
            Box::new(|rng: &mut Rng| {
                let from = rng.below(335);
                format!(
                    "/search?requester={}&from={}&to={}",
                    requester(rng.below(2000)),
                    &day_time(from, 0)[..10],
                    &day_time(from + 29, 0)[..10]
                )
            }),
        ),
        (
            "search (all requested)",
            Box::new(|_: &mut Rng| "/search".into()),
        ),
        (
            "order page (1,000 cards)",
            Box::new(move |_: &mut Rng| format!("/orders/{small}")),
        ),
        (
            "order page (desk order, any page)",
            // One of its ≈500 pages of 100 cards, at random: the far pages cost the most.
            Box::new(move |rng: &mut Rng| format!("/orders/{big}?page={}", 1 + rng.below(500))),
        ),
    ];
    let pages = Arc::new(pages);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = logins
        .into_iter()
        .enumerate()
        .map(|(i, session)| {
            let pages = pages.clone();
            std::thread::spawn(move || {
                let mut rng = Rng::new(i as u64 + 1);
                let mut times: Vec<Vec<Duration>> = vec![Vec::new(); pages.len()];
                let mut k = i;
                while Instant::now() < deadline {
                    let which = k % pages.len();
                    k += 1;
                    let path = (pages[which].1)(&mut rng);
                    let t = Instant::now();
                    let status = get(addr, &path, &session);
                    times[which].push(t.elapsed());
                    assert_eq!(status, 200, "GET {path}");
                    if think > 0 {
                        std::thread::sleep(Duration::from_millis(u64::from(rng.below(2 * think))));
                    }
                }
                times
            })
        })
        .collect();
    let mut all: Vec<Vec<Duration>> = vec![Vec::new(); pages.len()];
    for t in threads {
        for (i, v) in t.join().unwrap().into_iter().enumerate() {
            all[i].extend(v);
        }
    }
    let mut overall = Vec::new();
    for (i, times) in all.iter_mut().enumerate() {
        overall.extend(times.iter().copied());
        report(pages[i].0, times, seconds);
    }
    report("all pages", &mut overall, seconds);
    println!(
        "(target: p95 ≤ 100 ms with {sessions} sessions over {cards} cards; think time 0–{} ms)",
        2 * think
    );
}

fn report(name: &str, times: &mut [Duration], seconds: u64) {
    if times.is_empty() {
        println!("{name:<30} no request finished");
        return;
    }
    times.sort();
    let p = |q: f64| {
        let rank = ((q / 100.0) * times.len() as f64).ceil() as usize;
        times[rank.clamp(1, times.len()) - 1].as_secs_f64() * 1000.0
    };
    println!(
        "{name:<30} {:>6} requests ({:>6.1}/s)  p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms",
        times.len(),
        times.len() as f64 / seconds as f64,
        p(50.0),
        p(95.0),
        times[times.len() - 1].as_secs_f64() * 1000.0
    );
}

/// One request on its own connection; the status (the whole reply is read).
fn exchange(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    let text = String::from_utf8_lossy(&reply).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn get(addr: SocketAddr, path: &str, session: &str) -> u16 {
    exchange(
        addr,
        &format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: cardline_session={session}\r\n\r\n"
        ),
    )
    .0
}

fn cookie(reply: &str, name: &str) -> Option<String> {
    reply.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        if !k.eq_ignore_ascii_case("set-cookie") {
            return None;
        }
        let (n, v) = v.trim().split(';').next()?.split_once('=')?;
        (n == name).then(|| v.to_string())
    })
}

fn login(addr: SocketAddr) -> String {
    let (_, form) = exchange(
        addr,
        &format!("GET /login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    );
    let login = cookie(&form, "cardline_login").expect("login cookie");
    let at = form.find("name=\"csrf\" value=\"").expect("csrf") + 19;
    let csrf = form[at..].split('"').next().unwrap();
    let body = format!(
        "csrf={csrf}&user=olga&password={}",
        PASSWORD.replace(' ', "+")
    );
    let (status, reply) = exchange(
        addr,
        &format!(
            "POST /login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: cardline_login={login}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(status, 303, "login: {reply}");
    cookie(&reply, "cardline_session").expect("a session")
}
