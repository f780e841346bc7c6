//! A TCP proxy between `cardline` and a printer served on TCP, that can cut the link in the
//! middle of a job: [`CutProxy::cut_after`] arms a cut that lands exactly when the given number of
//! bytes (host → printer) has been forwarded, so the printer receives part of a command; every
//! open connection is then shut down and new ones are accepted and closed at once (the printer
//! is unreachable) until [`CutProxy::restore`].

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct State {
    /// True while the link is cut.
    cut: AtomicBool,
    /// Bytes forwarded host → printer, over every connection.
    up: AtomicU64,
    /// Cut when `up` reaches this (u64::MAX: not armed).
    cut_at: AtomicU64,
    /// Connections accepted (refused ones included).
    accepted: AtomicU64,
    /// Connections closed at once because the link was cut.
    refused: AtomicU64,
    /// The open connections (both ends), shut down on a cut.
    open: Mutex<Vec<TcpStream>>,
    stop: AtomicBool,
}

impl State {
    fn cut_now(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.cut_at.store(u64::MAX, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// The running proxy; stops when dropped.
pub struct CutProxy {
    addr: SocketAddr,
    state: Arc<State>,
}

impl CutProxy {
    /// Listens on a free local port and forwards every connection to `upstream`.
    pub fn start(upstream: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        state.cut_at.store(u64::MAX, Ordering::SeqCst);
        let st = state.clone();
        std::thread::spawn(move || accept_loop(listener, upstream, st));
        CutProxy { addr, state }
    }

    /// Where `cardline` connects.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Bytes forwarded host → printer so far.
    pub fn bytes_up(&self) -> u64 {
        self.state.up.load(Ordering::SeqCst)
    }

    /// Connections accepted so far (including those closed at once while cut).
    pub fn accepted(&self) -> u64 {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Connections closed at once because the link was cut.
    pub fn refused(&self) -> u64 {
        self.state.refused.load(Ordering::SeqCst)
    }

    /// Arms a cut once `more` further bytes host → printer have been forwarded.
    pub fn cut_after(&self, more: u64) {
        let at = self.bytes_up() + more;
        self.state.cut_at.store(at, Ordering::SeqCst);
    }

    /// True once the link is cut.
    pub fn is_cut(&self) -> bool {
        self.state.cut.load(Ordering::SeqCst)
    }

    /// Restores the link: new connections reach the printer again.
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        self.state.cut_now();
    }
}

fn accept_loop(listener: TcpListener, upstream: SocketAddr, state: Arc<State>) {
    while !state.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                state.accepted.fetch_add(1, Ordering::SeqCst);
                if state.cut.load(Ordering::SeqCst) {
                    state.refused.fetch_add(1, Ordering::SeqCst);
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(printer) = TcpStream::connect_timeout(&upstream, Duration::from_secs(2))
                else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let _ = client.set_nodelay(true);
                let _ = printer.set_nodelay(true);
                {
                    let mut open = state.open.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(printer.try_clone().unwrap());
                }
                let (c2, p2) = (client.try_clone().unwrap(), printer.try_clone().unwrap());
                let st = state.clone();
                std::thread::spawn(move || pump(client, printer, &st, true));
                let st = state.clone();
                std::thread::spawn(move || pump(p2, c2, &st, false));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Copies `from` → `to` until either end closes; host → printer (`up`) counts bytes and cuts
/// the link exactly at the armed byte.
fn pump(mut from: TcpStream, mut to: TcpStream, state: &State, up: bool) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buf[..n];
        let mut cut_here = false;
        if up {
            let done = state.up.load(Ordering::SeqCst);
            let at = state.cut_at.load(Ordering::SeqCst);
            if at != u64::MAX && done + n as u64 >= at {
                chunk = &chunk[..(at.saturating_sub(done)) as usize];
                cut_here = true;
            }
        }
        if to.write_all(chunk).is_err() {
            break;
        }
        if up {
            state.up.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        }
        if cut_here {
            state.cut_now();
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
