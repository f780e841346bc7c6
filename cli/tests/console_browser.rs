//! The operator console in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver`, the `fantoccini` crate) against `cardline serve --insecure-http` on
//! loopback, with three `cardline desk run` daemons on simulated stations (one jams once)
//! sharing the released order. The operator logs in, searches, ticks all 24 cards, issues,
//! releases (Next), watches the order page update live until 23 produced and 1 failed,
//! repeats production of the failed card, completes with the confirmation and logs out; the
//! auditor finds the order in the Audit page. A screenshot of every page visited goes to
//! `<target>/screenshots/`; the delay from each change in the store to the page (measured in
//! the browser) is printed, never asserted (speed belongs to benchmarks).
//!
//! Without Chromium and chromedriver (`make setup` installs them) the test prints
//! `skipped: no chromium` — and fails under `CI=true`.

mod browser_support;

use std::time::{Duration, Instant};

use browser_support::*;
use fantoccini::{Client, ClientBuilder, Locator};

const CARDS: usize = 24;

#[test]
fn an_operator_produces_an_order_in_a_real_browser() {
    let Some((chromium, driver)) = browser() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: the browser test needs chromium and chromium-driver (make setup)"
        );
        cardline_device::skipped!("no chromium (install chromium and chromium-driver: make setup)");
        return;
    };
    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path();
    ok(home, &["init"], "");
    ok(home, &["keys", "init"], "");
    ok(home, &["ca", "init"], "");
    ok(home, &["request", "--count", &CARDS.to_string()], "");
    let pw = format!("{PASSWORD}\n");
    ok(home, &["users", "add", "olga", "--role", "operator"], &pw);
    ok(home, &["users", "add", "audrey", "--role", "auditor"], &pw);
    // Three desks of one station each; a1 jams its second card once.
    let mut desks = Vec::new();
    for (name, faults) in [("a1", "jam@2:printing"), ("b1", ""), ("c1", "")] {
        let file = home.join(format!("desk-{name}.toml"));
        std::fs::write(&file, station(name, faults)).unwrap();
        desks.push(desk(home, &format!("desk-{name}"), &file));
    }
    let serve_log = std::fs::File::create(home.join("serve.log")).unwrap();
    let _serve = Killed(
        cardline(home)
            .args(["serve", "--insecure-http", "--listen", "127.0.0.1:0"])
            .stdout(serve_log.try_clone().unwrap())
            .stderr(serve_log)
            .spawn()
            .unwrap(),
    );
    let port = wait_announced(&home.join("serve.log"), "cardline serve");
    let (_driver, driver_port) = chromedriver(&driver);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // rustls has two crypto providers in this build (ring, aws-lc-rs): name one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let result = runtime.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1400"],
            }),
        );
        let client = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await
            .expect("a WebDriver session in headless Chromium");
        let outcome = flow(&client, port).await;
        let _ = client.close().await;
        outcome
    });
    if let Err(e) = result {
        let log = std::fs::read_to_string(home.join("serve.log")).unwrap_or_default();
        let desk_log = std::fs::read_to_string(home.join("desk-a1.log")).unwrap_or_default();
        panic!("{e}\n--- serve.log\n{log}\n--- desk-a1.log\n{desk_log}");
    }
}

/// The browser's steps; an error names the step that failed.
async fn flow(c: &Client, port: u16) -> Result<(), String> {
    let base = format!("http://127.0.0.1:{port}");
    let mut shots = Shots::new();
    // Log in as the operator.
    login(c, &base, "olga", &mut shots).await?;
    // Search, tick every card, issue.
    c.goto(&format!("{base}/search"))
        .await
        .map_err(e("search page"))?;
    click(c, "form[action='/search'] button[type=submit]").await?;
    // The results are a new page (`/search?…`): wait for it, then tick every box. A box that
    // went stale (the page was still being replaced) is found again; ticked ones are kept.
    let submitted = Instant::now();
    while c.current_url().await.map_err(e("url"))?.query().is_none() {
        if submitted.elapsed() > Duration::from_secs(30) {
            return Err("the search form never reached its results page".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut tries = 0;
    loop {
        tries += 1;
        let boxes = c
            .find_all(Locator::Css("input[type=checkbox][name=card]"))
            .await
            .map_err(e("check boxes"))?;
        let mut stale = boxes.len() != CARDS;
        for b in &boxes {
            if stale {
                break;
            }
            match b.is_selected().await {
                Ok(true) => {}
                Ok(false) => stale = b.click().await.is_err(),
                Err(_) => stale = true,
            }
        }
        if !stale {
            break;
        }
        if tries > 100 {
            return Err(format!(
                "the search lists {} cards, not {CARDS}, or its boxes keep going stale",
                boxes.len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shots.take(c, "search").await?;
    click(c, "button[name=select][value=checked]").await?;
    let started = Instant::now();
    let order_path = loop {
        let url = c.current_url().await.map_err(e("url"))?;
        if url.path().starts_with("/orders/") {
            break url.path().to_string();
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("issuing went to {url}, not an order page"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let order_id = order_path.trim_start_matches("/orders/").to_string();
    text_is(c, "#out-total", &CARDS.to_string()).await?;
    shots.take(c, "order-issued").await?;
    // Next: release to the desks, then watch the page update itself (no reload).
    click(c, "form[action$='/release'] button").await?;
    let mut latencies = Vec::new();
    wait_counts(c, CARDS - 1, 1, &mut shots, "order-producing").await?;
    latencies.extend(read_latencies(c).await?);
    if c.source().await.map_err(e("source"))?.contains("jam") {
        // The failed card's reason is shown (live or rendered).
    } else {
        return Err("the failed card's reason (a jam) is not on the order page".into());
    }
    shots.take(c, "order-23-produced-1-failed").await?;
    // Repeat production of the failed card; the page reloads and goes on live.
    click(c, "form[action$='/repeat'] button").await?;
    wait_counts(c, CARDS, 0, &mut shots, "order-repeating").await?;
    latencies.extend(read_latencies(c).await?);
    shots.take(c, "order-all-produced").await?;
    // Desks and stations: every desk's station with its printer, and the page refreshing
    // itself (its script swaps the tables when the stream says they changed: leases renew,
    // printers report) — counted by the script in `data-refreshes`.
    let order_url = c.current_url().await.map_err(e("url"))?;
    c.goto(&format!("{base}/stations"))
        .await
        .map_err(e("stations page"))?;
    for station in ["a1", "b1", "c1"] {
        text_is(
            c,
            &format!("#printers tr[data-station={station}] td"),
            station,
        )
        .await?;
    }
    let started = Instant::now();
    loop {
        let n = c
            .execute(
                "return document.body.getAttribute('data-refreshes');",
                vec![],
            )
            .await
            .map_err(e("reading data-refreshes"))?;
        if n.as_str().and_then(|n| n.parse::<u32>().ok()).unwrap_or(0) > 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the Stations page never refreshed itself in 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    text_is(c, "#printers tr[data-station=a1] td", "a1").await?;
    shots.take(c, "stations").await?;
    c.goto(order_url.as_str())
        .await
        .map_err(e("back to the order page"))?;
    // Complete, with the confirmation.
    click(c, "form[action$='/complete'] input[name=confirm]").await?;
    click(c, "form[action$='/complete'] button").await?;
    text_is(c, "#order-state", "completed").await?;
    shots.take(c, "order-completed").await?;
    click(c, "form[action='/logout'] button").await?;
    on_page(c, "/login").await?;
    shots.take(c, "logged-out").await?;
    // The auditor finds the order in the Audit page.
    login(c, &base, "audrey", &mut shots).await?;
    c.goto(&format!("{base}/audit"))
        .await
        .map_err(e("audit page"))?;
    c.find(Locator::Css("input[name=order]"))
        .await
        .map_err(e("order filter"))?
        .send_keys(&order_id)
        .await
        .map_err(e("typing the order"))?;
    click(c, "form[action='/audit'] button[type=submit]").await?;
    let started = Instant::now();
    while !c
        .current_url()
        .await
        .map_err(e("url"))?
        .as_str()
        .contains("order=")
    {
        if started.elapsed() > Duration::from_secs(30) {
            return Err("the audit filter was not applied".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let audit = c.source().await.map_err(e("audit source"))?;
    for action in ["order.create", "order.release", "order.complete"] {
        if !audit.contains(action) {
            return Err(format!(
                "the Audit page of order {order_id} has no {action}"
            ));
        }
    }
    if !audit.contains("olga") {
        return Err("the Audit page does not name the operator olga".into());
    }
    shots.take(c, "audit").await?;
    let (median, max) = median_max(&mut latencies);
    println!(
        "event latency (store change to the page, in the browser): {} events, median {median:.0} ms, max {max:.0} ms",
        latencies.len()
    );
    println!("screenshots: {}", shots.dir.display());
    if latencies.is_empty() {
        return Err("the page received no live event after the first".into());
    }
    Ok(())
}

fn e(what: &'static str) -> impl Fn(fantoccini::error::CmdError) -> String {
    move |err| format!("{what}: {err}")
}

async fn login(c: &Client, base: &str, user: &str, shots: &mut Shots) -> Result<(), String> {
    c.goto(&format!("{base}/login"))
        .await
        .map_err(e("login page"))?;
    shots.take(c, &format!("login-{user}")).await?;
    c.find(Locator::Id("user"))
        .await
        .map_err(e("user field"))?
        .send_keys(user)
        .await
        .map_err(e("typing the user"))?;
    c.find(Locator::Id("password"))
        .await
        .map_err(e("password field"))?
        .send_keys(PASSWORD)
        .await
        .map_err(e("typing the password"))?;
    click(c, "form[action='/login'] button").await?;
    on_page(c, "/").await?;
    let page = c.source().await.map_err(e("home"))?;
    if !page.contains(&format!("Logged in as {user}")) {
        return Err(format!("{user} is not logged in: {page}"));
    }
    shots.take(c, &format!("home-{user}")).await
}

async fn click(c: &Client, css: &str) -> Result<(), String> {
    c.find(Locator::Css(css))
        .await
        .map_err(|err| format!("no {css}: {err}"))?
        .click()
        .await
        .map_err(|err| format!("clicking {css}: {err}"))
}

/// The text of `css`, read inside the page by one script: a live page replaces its elements,
/// and a WebDriver element reference found a moment earlier may already be stale.
async fn text(c: &Client, css: &str) -> Result<String, String> {
    let v = c
        .execute(
            "var n = document.querySelector(arguments[0]); return n ? n.textContent : null;",
            vec![serde_json::Value::from(css)],
        )
        .await
        .map_err(|err| format!("text of {css}: {err}"))?;
    match v.as_str() {
        Some(t) => Ok(t.trim().to_string()),
        None => Err(format!("no {css} on the page")),
    }
}

/// Waits (at most 30 s: a form's page may still be loading) until `css` says `want`.
async fn text_is(c: &Client, css: &str, want: &str) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let got = text(c, css).await.unwrap_or_default();
        if got.trim() == want {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("{css} says {got:?}, not {want:?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (at most 30 s) until the browser is on `path`.
async fn on_page(c: &Client, path: &str) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let url = c.current_url().await.map_err(e("url"))?;
        if url.path() == path {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("the browser is on {url}, not {path}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (at most 3 minutes) until the page, updated by its script alone, shows `produced`
/// and `failed`, taking one screenshot while production runs.
async fn wait_counts(
    c: &Client,
    produced: usize,
    failed: usize,
    shots: &mut Shots,
    during: &str,
) -> Result<(), String> {
    let started = Instant::now();
    let mut shot = false;
    loop {
        // A read may fail while the page is being replaced (Repeat reloads it): read again.
        let p = text(c, "#out-produced")
            .await
            .unwrap_or_else(|e| format!("({e})"));
        let f = text(c, "#out-failed")
            .await
            .unwrap_or_else(|e| format!("({e})"));
        if p == produced.to_string() && f == failed.to_string() {
            return Ok(());
        }
        if !shot && p.parse::<usize>().is_ok_and(|n| n > 0) {
            shots.take(c, during).await?;
            shot = true;
        }
        if started.elapsed() > Duration::from_secs(180) {
            return Err(format!(
                "the order page shows {p} produced and {f} failed after 3 minutes, not {produced} and {failed}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The delays the page's script measured (milliseconds).
async fn read_latencies(c: &Client) -> Result<Vec<f64>, String> {
    let v = c
        .execute(
            "var r = document.querySelector('[data-live]'); return r ? r.getAttribute('data-latencies') : null;",
            vec![],
        )
        .await
        .map_err(e("reading the latencies"))?;
    Ok(v.as_str()
        .unwrap_or("")
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect())
}

/// Numbered screenshots of the pages visited.
struct Shots {
    dir: std::path::PathBuf,
    n: usize,
}

impl Shots {
    fn new() -> Shots {
        Shots {
            dir: screenshot_dir(),
            n: 0,
        }
    }

    async fn take(&mut self, c: &Client, name: &str) -> Result<(), String> {
        self.n += 1;
        let png = c.screenshot().await.map_err(e("screenshot"))?;
        if !png.starts_with(b"\x89PNG") {
            return Err(format!("the screenshot of {name} is not a PNG"));
        }
        let file = self.dir.join(format!("{:02}-{name}.png", self.n));
        std::fs::write(&file, png).map_err(|err| format!("{}: {err}", file.display()))
    }
}
