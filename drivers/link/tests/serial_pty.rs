//! `SerialLink` over a real pseudo-terminal pair: binary transparency, timeouts, hang-up.

use cardline_device::{LinkError, PrinterLink};
use cardline_link::{SerialSettings, open_link};
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::time::Duration;

const T: Duration = Duration::from_millis(500);

fn pair() -> Option<(TTYPort, TTYPort, String)> {
    match TTYPort::pair() {
        Ok((master, slave)) => {
            let name = slave.name().expect("pty name");
            Some((master, slave, name))
        }
        Err(e) => {
            cardline_device::skipped!("no pseudo-terminal available ({e})");
            None
        }
    }
}

fn read_exact(port: &mut TTYPort, n: usize) -> Vec<u8> {
    port.set_timeout(T).unwrap();
    let mut out = vec![0u8; n];
    port.read_exact(&mut out).unwrap();
    out
}

#[test]
fn binary_bytes_pass_unchanged_both_ways() {
    let Some((mut printer, _slave, path)) = pair() else {
        return;
    };
    let mut link = open_link(&format!(
        "serial://{path}?baud=115200&parity=none&flow=none"
    ))
    .unwrap();
    assert_eq!(link.describe(), format!("serial:{path}@115200"));
    let all: Vec<u8> = (0..=255u8)
        .chain([0x00, 0x0D, 0x0A, 0x11, 0x13, 0x1B, 0x0D])
        .collect();
    link.send(&all, T).unwrap();
    assert_eq!(read_exact(&mut printer, all.len()), all);

    let reply = b"\0\0OK\r\x00\xff\x11\x13";
    printer.write_all(reply).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while got.len() < reply.len() {
        let n = link
            .recv(&mut buf, T)
            .unwrap_or_else(|e| panic!("{e}; got so far {got:?}"));
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, reply);
}

#[test]
fn silence_is_a_timeout() {
    let Some((_printer, _slave, path)) = pair() else {
        return;
    };
    let mut link = SerialSettings::new(&path).open().unwrap();
    let e = link
        .recv(&mut [0u8; 8], Duration::from_millis(50))
        .unwrap_err();
    assert!(matches!(e, LinkError::Timeout { .. }), "{e:?}");
    assert!(e.is_transient());
}

#[test]
fn closed_peer_is_a_disconnect() {
    let Some((printer, slave, path)) = pair() else {
        return;
    };
    let mut link = SerialSettings::new(&path).open().unwrap();
    drop(slave);
    drop(printer);
    let e = link.recv(&mut [0u8; 8], T).unwrap_err();
    assert!(matches!(e, LinkError::Disconnected { .. }), "{e:?}");
    // Once lost, the link says so until it is reset.
    let e = link.send(b"\x1bRlr;p\r", T).unwrap_err();
    assert!(matches!(e, LinkError::Disconnected { .. }), "{e:?}");
}

#[test]
fn reset_drops_unread_input() {
    let Some((mut printer, _slave, path)) = pair() else {
        return;
    };
    let mut link = SerialSettings::new(&path).baud(9600).open().unwrap();
    printer.write_all(b"stale\r").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    link.reset().unwrap();
    printer.write_all(b"OK\r").unwrap();
    let mut buf = [0u8; 16];
    let n = link.recv(&mut buf, T).unwrap();
    assert_eq!(&buf[..n], b"OK\r");
}

#[test]
fn missing_device_fails_to_open_with_its_path() {
    let e = open_link("serial:///dev/cardline-no-such-tty")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("/dev/cardline-no-such-tty"), "{e}");
}
