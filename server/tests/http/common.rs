//! A real console on an ephemeral loopback port over a SQLite store on disk, and a minimal
//! HTTP/1.1 client over `std::net::TcpStream` (every request on its own connection), so the
//! tests see the exact status lines and headers a browser would.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use cardline_issuance::numbering::Numbering;
use cardline_issuance::requests::RequestData;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::users::Role;
use cardline_issuance::store::{Actor, Store};
use cardline_server::{AppState, SessionRule};

/// The password every test user has.
pub const PASSWORD: &str = "correct horse battery";

/// A running console.
pub struct Console {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its store (the same database the server uses).
    pub store: Arc<dyn Store>,
    _home: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Console {
    /// A console with users olga (operator), audrey (auditor), adam (admin) and `requested`
    /// requested cards.
    pub fn start(requested: &[RequestData]) -> Console {
        let home = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::create(&home.path().join("cardline.db")).unwrap());
        let root = Actor("root".into());
        for (name, role) in [
            ("olga", Role::Operator),
            ("audrey", Role::Auditor),
            ("adam", Role::Admin),
        ] {
            cardline_server::users::add(&*store, name, role, PASSWORD.into(), &root).unwrap();
        }
        if !requested.is_empty() {
            store
                .request_cards_with(requested, &Numbering::default(), &root)
                .unwrap();
        }
        Self::serve(store, home)
    }

    /// Another console process started later over the same database file, with its own
    /// store handle (its own connections), as after a restart or on a second machine.
    pub fn reopen(&self) -> Console {
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&self._home.path().join("cardline.db")).unwrap());
        Self::serve(store, tempfile::tempdir().unwrap())
    }

    /// Every byte the database holds on disk (the file, its WAL and shared memory).
    pub fn database_bytes(&self) -> Vec<u8> {
        let mut all = vec![];
        for e in std::fs::read_dir(self._home.path()).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                all.extend(std::fs::read(&p).unwrap());
            }
        }
        all
    }

    /// A second console process over the same database.
    pub fn second(&self) -> Console {
        let home = tempfile::tempdir().unwrap();
        Self::serve(self.store.clone(), home)
    }

    fn serve(store: Arc<dyn Store>, home: tempfile::TempDir) -> Console {
        let (tx, rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // As `cardline serve` on loopback answers: 127.0.0.1, localhost, ::1.
        let hosts =
            cardline_server::hosts::AllowedHosts::for_listen("127.0.0.1:0".parse().unwrap());
        let state = AppState::new(store.clone(), SessionRule::default(), false).with_hosts(hosts);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                cardline_server::serve_on(listener, state, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Console {
            addr,
            store,
            _home: home,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Sends one request; `headers` are extra header lines.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        self.send_to_host(Some(&self.addr.to_string()), method, path, headers, body)
    }

    /// Sends one request with `Host: host` (none when `None`).
    pub fn send_to_host(
        &self,
        host: Option<&str>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\n{host}Connection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        // A refused oversized body may close the connection before all of it is written.
        let _ = s.write_all(body);
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        Resp::parse(&raw)
    }

    /// `GET path` with a session cookie (or none).
    pub fn get(&self, path: &str, session: Option<&str>) -> Resp {
        let cookie = session.map(|s| format!("cardline_session={s}"));
        let headers: Vec<(&str, &str)> = cookie.iter().map(|c| ("Cookie", c.as_str())).collect();
        self.send("GET", path, &headers, b"")
    }

    /// `POST path` with a URL-encoded form and a session cookie (or none).
    pub fn post_form(&self, path: &str, session: Option<&str>, form: &[(&str, &str)]) -> Resp {
        let body = encode(form);
        let cookie = session.map(|s| format!("cardline_session={s}"));
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(c) = &cookie {
            headers.push(("Cookie", c.as_str()));
        }
        self.send("POST", path, &headers, body.as_bytes())
    }

    /// Logs in through the login form; the session id and its CSRF token.
    pub fn login(&self, user: &str) -> Browser {
        self.try_login(user, PASSWORD, None)
            .unwrap_or_else(|r| panic!("login of {user} refused: {} {}", r.status, r.body))
    }

    /// Logs in with `password`, sending `old_session` as the browser's current cookie.
    pub fn try_login(
        &self,
        user: &str,
        password: &str,
        old_session: Option<&str>,
    ) -> Result<Browser, Resp> {
        let form = self.get("/login", None);
        assert_eq!(form.status, 200);
        let login_cookie = form.cookie("cardline_login").expect("login cookie");
        let csrf = form.csrf().expect("login form csrf");
        let mut cookie = format!("cardline_login={login_cookie}");
        if let Some(old) = old_session {
            cookie.push_str(&format!("; cardline_session={old}"));
        }
        let body = encode(&[("csrf", &csrf), ("user", user), ("password", password)]);
        let r = self.send(
            "POST",
            "/login",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Cookie", &cookie),
            ],
            body.as_bytes(),
        );
        if r.status != 303 {
            return Err(r);
        }
        let session = r.cookie("cardline_session").expect("session cookie");
        assert_eq!(r.header("location"), Some("/"));
        let page = self.get("/", Some(&session));
        let csrf = page.csrf().expect("csrf on the home page");
        Ok(Browser {
            session,
            csrf,
            set_cookie: r.header_all("set-cookie"),
        })
    }
}

/// A logged-in browser.
pub struct Browser {
    /// Session id.
    pub session: String,
    /// Its CSRF token.
    pub csrf: String,
    /// The `Set-Cookie` headers of the login response.
    pub set_cookie: Vec<String>,
}

/// URL-encodes a form.
pub fn encode(form: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        s.append_pair(k, v);
    }
    s.finish()
}

/// A response.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Headers (names lower case).
    pub headers: Vec<(String, String)>,
    /// Body as text.
    pub body: String,
}

impl Resp {
    fn parse(raw: &[u8]) -> Resp {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).to_string(),
        }
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The value a `Set-Cookie` header gives cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.header_all("set-cookie").into_iter().find_map(|c| {
            let first = c.split(';').next()?.trim().to_string();
            let (k, v) = first.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
    }

    /// The CSRF token of the first form in the page.
    pub fn csrf(&self) -> Option<String> {
        let at = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        Some(self.body[at..].split('"').next()?.to_string())
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 4 + size..];
    }
}

/// `count` requested cards by `requester` for desk `front`.
pub fn requests(count: usize, requester: &str) -> Vec<RequestData> {
    (0..count)
        .map(|_| RequestData {
            requester: Some(requester.into()),
            desk: Some("front".into()),
            ..RequestData::default()
        })
        .collect()
}
