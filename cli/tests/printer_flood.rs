//! A printer endpoint that floods the link (bytes without CR, NUL padding forever, one byte per
//! millisecond) against the real Evolis driver over real links (TCP socket, pseudo-terminal):
//! the driver's reply reader is bounded, so `status()` ends with a clear error instead of
//! growing a buffer until the process aborts, and a second printer in the same process keeps
//! working.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use cardline_device::{
    CardImage, CardPrinter, CardSide, LinkError, MonoPanel, Overlay, PrinterError,
};
use cardline_evolis::{EvolisConfig, EvolisPrinter};
use cardline_link::{SerialSettings, TcpLink};
use cardline_sim::printer::{PtyEndpoint, SimPrinter, SimPrinterConfig, SimPrinterHandle};
use serialport::{SerialPort, TTYPort};

/// Puts a pseudo-terminal master in non-blocking mode: a blocking write to a master whose slave
/// side is full can sleep in the kernel for ever and never see the stop flag (serialport's
/// `TTYPort` offers no such setting and only `AsRawFd`).
#[allow(unsafe_code)]
fn set_nonblocking(port: &TTYPort) {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    use std::os::fd::{AsRawFd, BorrowedFd};
    // SAFETY: the descriptor belongs to `port`, which outlives this borrow.
    let fd = unsafe { BorrowedFd::borrow_raw(port.as_raw_fd()) };
    let flags = fcntl(fd, FcntlArg::F_GETFL).expect("F_GETFL on the master");
    let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
    fcntl(fd, FcntlArg::F_SETFL(flags)).expect("F_SETFL on the master");
}

/// What the fake printer sends once it receives the status query `Rlr;p`.
#[derive(Clone, Copy)]
enum Flood {
    /// This byte, as fast as the link takes it, never a CR.
    Fast(&'static [u8]),
    /// One NUL byte per millisecond.
    DripNul,
}

/// A fake printer: answers the session commands of `EvolisPrinter::connect` like a Zenius,
/// then floods after `Rlr;p` until stopped or the peer goes away.
struct FloodPeer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FloodPeer {
    fn start<S: Read + Write + Send + 'static>(stream: S, flood: Flood) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || serve(stream, flood, &flag));
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FloodPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("flood peer thread");
        }
    }
}

fn serve<S: Read + Write>(mut stream: S, flood: Flood, stop: &AtomicBool) {
    let mut line = Vec::new();
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::SeqCst) {
        let n = match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => continue,
            Err(_) => return,
        };
        for &b in &buf[..n] {
            if b != b'\r' {
                if b != 0x1B {
                    line.push(b);
                }
                continue;
            }
            let command = String::from_utf8_lossy(&line).into_owned();
            line.clear();
            let reply: &[u8] = match command.as_str() {
                "Rtp" => b"Zenius\r",
                "Rsn" => b"SN-FLOOD\r",
                "Rfv" => b"1.0.0\r",
                "Rlr;p" => return flood_until_stopped(&mut stream, flood, stop),
                _ => b"OK\r",
            };
            if stream.write_all(reply).is_err() {
                return;
            }
        }
    }
}

fn flood_until_stopped<S: Write>(stream: &mut S, flood: Flood, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let sent = match flood {
            Flood::Fast(pattern) => {
                // small writes: a blocking pseudo-terminal write of a big chunk waits for room
                // for all of it and would never see the stop flag
                let chunk: Vec<u8> = pattern.iter().copied().cycle().take(64).collect();
                stream.write(&chunk)
            }
            Flood::DripNul => {
                std::thread::sleep(Duration::from_millis(1));
                stream.write(&[0])
            }
        };
        match sent {
            Ok(_) => {}
            // the driver stopped reading: the buffers are full, check the stop flag again
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {}
            Err(_) => return,
        }
        let _ = stream.flush();
    }
}

/// A flood peer on a TCP socket and the driver connected to it.
fn over_tcp(flood: Flood, cap: Duration) -> (EvolisPrinter<TcpLink>, FloodPeer) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let link = TcpLink::connect(&addr, Duration::from_secs(2)).unwrap();
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let peer = FloodPeer::start::<TcpStream>(stream, flood);
    let config = EvolisConfig {
        reply_timeout_cap: Some(cap),
        ..EvolisConfig::default()
    };
    (EvolisPrinter::connect(link, config).unwrap(), peer)
}

fn overflow(e: PrinterError) -> (String, usize, usize, String) {
    let text = e.to_string();
    match e {
        PrinterError::ReplyOverflow {
            command,
            limit,
            received,
            ..
        } => (command, limit, received, text),
        other => panic!("expected a reply overflow, got {other:?}"),
    }
}

#[test]
fn a_reply_without_cr_over_tcp_ends_with_the_reply_limit() {
    let (mut printer, _peer) = over_tcp(Flood::Fast(b"A"), Duration::from_secs(30));
    let (command, limit, received, text) = overflow(printer.status().unwrap_err());
    assert_eq!(command, "Rlr;p");
    assert_eq!(limit, 4096);
    assert!(received > 4096, "{received}");
    assert!(
        text.contains("answering `Rlr;p`")
            && text.contains("limit 4096 bytes")
            && text.contains(&format!("starting \"{}…\"", "A".repeat(40)))
            && text.contains("power-cycle"),
        "{text}"
    );
    // still flooding: the next query fails the same clear way, the process is fine
    let (command, ..) = overflow(printer.status().unwrap_err());
    assert_eq!(command, "Rlr;p");
}

#[test]
fn binary_garbage_over_a_pseudo_terminal_is_shown_escaped() {
    let (master, slave) = match TTYPort::pair() {
        Ok(pair) => pair,
        Err(e) => {
            cardline_device::skipped!("no pseudo-terminal ({e})");
            return;
        }
    };
    let path = slave.name().expect("pty name");
    let mut master = master;
    master.set_timeout(Duration::from_millis(50)).unwrap();
    set_nonblocking(&master);
    let _peer = FloodPeer::start(master, Flood::Fast(b"\x1b[2J\xff\x80Z"));
    let link = SerialSettings::new(path).open().unwrap();
    let config = EvolisConfig {
        reply_timeout_cap: Some(Duration::from_secs(30)),
        ..EvolisConfig::default()
    };
    let mut printer = EvolisPrinter::connect(link, config).unwrap();
    let (command, limit, _, text) = overflow(printer.status().unwrap_err());
    assert_eq!((command.as_str(), limit), ("Rlr;p", 4096));
    assert!(
        text.contains(r#"starting "\x1B[2J\xFF\x80Z\x1B[2J"#),
        "control bytes are escaped, never sent to the terminal: {text}"
    );
    assert!(!text.contains('\x1b'), "{text:?}");
}

#[test]
fn endless_nul_padding_ends_with_the_read_limit() {
    let (mut printer, _peer) = over_tcp(Flood::Fast(b"\0"), Duration::from_secs(60));
    let (command, limit, received, text) = overflow(printer.status().unwrap_err());
    assert_eq!((command.as_str(), limit), ("Rlr;p", 65536));
    assert!(received > 65536);
    assert!(text.contains(r#"starting "\0\0\0"#), "{text}");
}

#[test]
fn a_peer_dripping_one_byte_per_millisecond_ends_with_the_command_timeout() {
    let (mut printer, _peer) = over_tcp(Flood::DripNul, Duration::from_millis(300));
    match printer.status() {
        Err(PrinterError::Link(LinkError::Timeout { operation, .. })) => {
            assert_eq!(operation, "waiting for a reply");
        }
        other => panic!("expected a reply timeout, got {other:?}"),
    }
}

fn black_card() -> CardImage {
    let mut black = MonoPanel::blank();
    for x in 100..500 {
        black.set(x, 300, true);
    }
    CardImage {
        front: CardSide {
            color: None,
            black: Some(black),
            overlay: Overlay::None,
        },
        back: None,
        label: None,
    }
}

#[test]
fn a_flooding_printer_does_not_stop_another_printer_in_the_process() {
    let sim = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
    let pty = match PtyEndpoint::start(sim.clone()) {
        Ok(p) => p,
        Err(e) => {
            cardline_device::skipped!("no pseudo-terminal ({e})");
            return;
        }
    };
    let good_link = SerialSettings::new(pty.path().to_str().unwrap())
        .open()
        .unwrap();
    let fast = EvolisConfig {
        poll_interval: Duration::from_millis(2),
        reply_timeout_cap: Some(Duration::from_secs(5)),
        ..EvolisConfig::default()
    };
    let mut good = EvolisPrinter::connect(good_link, fast).unwrap();
    let (mut flooding, peer) = over_tcp(Flood::Fast(b"A"), Duration::from_secs(30));

    // both stations at once, as production runs them: one thread per printer
    let station = std::thread::spawn(move || {
        let errors: Vec<String> = (0..3)
            .map(|_| flooding.status().unwrap_err().to_string())
            .collect();
        errors
    });
    for _ in 0..3 {
        assert!(good.status().unwrap().is_ready());
        good.print(&black_card()).unwrap();
        good.eject().unwrap();
    }
    let errors = station
        .join()
        .expect("the flooded station's thread ends normally");
    drop(peer);
    for e in &errors {
        assert!(
            e.contains("flooded the link while answering `Rlr;p`"),
            "{e}"
        );
    }
    assert!(good.status().unwrap().is_ready());
    let counters = sim.state().counters;
    assert_eq!(
        (counters.cards_printed, counters.cards_ejected),
        (3, 3),
        "every card of the healthy printer"
    );
}
