//! The simulated printer behind its endpoints, driven by plain byte clients: the in-process
//! link, a pseudo-terminal opened as a real serial port, and a TCP socket.

mod printer_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cardline_device::{LinkError, PrinterLink};
use cardline_sim::printer::{
    PtyEndpoint, SimPrinter, SimPrinterConfig, SimPrinterHandle, TcpEndpoint,
};
use printer_support::fixture;

const T: Duration = Duration::from_secs(5);

fn handle() -> SimPrinterHandle {
    SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()))
}

/// Reads until `count` CR-terminated replies arrived (or the deadline passes).
fn read_replies(port: &mut dyn Read, count: usize) -> Vec<String> {
    let deadline = Instant::now() + T;
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while got.iter().filter(|b| **b == b'\r').count() < count && Instant::now() < deadline {
        match port.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    String::from_utf8_lossy(&got)
        .split_terminator('\r')
        .map(str::to_string)
        .collect()
}

#[test]
fn in_process_link_talks_like_a_port() {
    let printer = handle();
    let mut link = printer.link();
    link.send(b"\x1bRtp\r\x1bRse;o\r", T).unwrap();
    let mut buf = [0u8; 4];
    let mut got = Vec::new();
    while let Ok(n) = link.recv(&mut buf, T) {
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, b"Primacy 2 Duplex\r5,00 Volts\r");
    assert!(matches!(
        link.recv(&mut buf, T),
        Err(LinkError::Timeout { .. })
    ));
    // a partial command is dropped by reset
    link.send(b"\x1bRt", T).unwrap();
    link.reset().unwrap();
    link.send(b"\x1bRsn\r", T).unwrap();
    let n = link.recv(&mut [0u8; 64], T).unwrap();
    assert_eq!(n, b"P2D0000001\r".len());
    assert!(link.describe().starts_with("sim:"));
}

#[test]
fn pseudo_terminal_serves_a_serial_client() {
    let printer = handle();
    let pty = match PtyEndpoint::start(printer.clone()) {
        Ok(p) => p,
        Err(e) => {
            cardline_device::skipped!("no pseudo-terminal available: {e}");
            return;
        }
    };
    assert!(
        pty.uri().starts_with("evolis+serial:///dev/pts/"),
        "{}",
        pty.uri()
    );
    let path = pty.path().to_string_lossy().into_owned();
    for round in 0..2 {
        // open it as the driver does: a serial port with a timeout
        let mut port = serialport::new(&path, 115_200)
            .timeout(Duration::from_millis(200))
            .open()
            .unwrap_or_else(|e| panic!("round {round}: open {path}: {e}"));
        port.write_all(b"\0\0\x1bRtp\r\x1bRlr;p\r").unwrap();
        assert_eq!(read_replies(&mut port, 2), ["Primacy 2 Duplex", "OK"]);
    }
    if let Some(stream) = fixture("card-black.prn") {
        let mut port = serialport::new(&path, 115_200)
            .timeout(Duration::from_millis(200))
            .open()
            .unwrap();
        port.write_all(&stream).unwrap();
        assert_eq!(read_replies(&mut port, 10), vec!["OK"; 10]);
        let card = printer.last_printed().expect("printed over the pty");
        assert!(card.front.black.unwrap().count_set() > 650_000);
    } else {
        cardline_device::skipped!("fixture card-black.prn not found (pty print part)");
    }
    pty.stop();
}

#[test]
fn tcp_listener_serves_one_client_after_another() {
    let printer = handle();
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").expect("bind");
    assert_eq!(tcp.uri(), format!("evolis+tcp://{}", tcp.addr()));
    for round in 0..2 {
        let mut s = TcpStream::connect(tcp.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        s.write_all(b"\x1bSis\r\x1bRlr;p\r").unwrap();
        let r = read_replies(&mut s, 2);
        if round == 0 {
            assert_eq!(r, ["OK", "SMART CARD"]);
        } else {
            assert_eq!(r, ["OK", "SMART CARD"], "card 1 is still parked");
        }
        // leave half a command behind: the next client must not inherit it
        s.write_all(b"\x1bSe").unwrap();
    }
    // control the printer at runtime while a client is connected
    let mut s = TcpStream::connect(tcp.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    printer.open_cover();
    s.write_all(b"\x1bRse;o\r\x1bSer\r").unwrap();
    assert_eq!(read_replies(&mut s, 2), ["0,00 Volts", "ERR COVER OPEN"]);
    printer.close_cover();
    s.write_all(b"\x1bSer\r").unwrap();
    assert_eq!(read_replies(&mut s, 1), ["OK"]);
    assert_eq!(printer.state().reject_box, 1);
    tcp.stop();
}

#[test]
fn tcp_bind_error_is_reported() {
    let first = TcpEndpoint::start(handle(), "127.0.0.1:0").unwrap();
    let addr = first.addr().to_string();
    let err = TcpEndpoint::start(handle(), &addr).unwrap_err();
    assert!(err.to_string().contains(&addr), "{err}");
}

#[test]
fn a_host_flooding_the_tcp_endpoint_gets_one_refusal_and_then_answers() {
    let printer = handle();
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").expect("bind");
    let mut s = TcpStream::connect(tcp.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // 16 MiB of a header that never ends: the simulator keeps reading (so this write
    // completes) with bounded memory and refuses the header once
    let chunk = vec![b'A'; 1024 * 1024];
    for _ in 0..16 {
        s.write_all(&chunk).unwrap();
    }
    s.write_all(b"\r\x1bRtp\r").unwrap();
    assert_eq!(read_replies(&mut s, 2), ["ERROR CDE", "Primacy 2 Duplex"]);
    assert_eq!(printer.state().commands, 2, "one refusal, one query");
    tcp.stop();
}
