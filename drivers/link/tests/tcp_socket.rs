//! `TcpLink` against a real socket on 127.0.0.1 with a tiny printer peer in the test.

use cardline_device::{LinkError, PrinterLink};
use cardline_link::{TcpLink, open_link};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

const T: Duration = Duration::from_millis(500);

/// A peer that answers each received CR-terminated command with `reply` + CR, `count` times,
/// then closes the connection.
fn peer(reply: &'static [u8], count: usize) -> (String, thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let h = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        let mut answered = 0;
        while answered < count {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            while seen.iter().filter(|&&b| b == b'\r').count() > answered {
                s.write_all(reply).unwrap();
                answered += 1;
            }
        }
        seen
    });
    (addr, h)
}

fn read_reply(link: &mut dyn PrinterLink) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while !got.ends_with(b"\r") {
        let n = link.recv(&mut buf, T).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    got
}

#[test]
fn command_and_reply_round_trip_binary_clean() {
    let (addr, h) = peer(b"\0\0OK\r", 2);
    let mut link = open_link(&format!("tcp://{addr}")).unwrap();
    assert_eq!(link.describe(), format!("tcp:{addr}"));
    link.send(b"\x1bDbc;k;2;2;\x01\x00\r", T).unwrap();
    assert_eq!(read_reply(link.as_mut()), b"\0\0OK\r");
    link.send(b"\x1bSe\r", T).unwrap();
    assert_eq!(read_reply(link.as_mut()), b"\0\0OK\r");
    assert_eq!(h.join().unwrap(), b"\x1bDbc;k;2;2;\x01\x00\r\x1bSe\r");
}

#[test]
fn silent_peer_is_a_timeout_and_closed_peer_a_disconnect() {
    let (addr, h) = peer(b"OK\r", 1);
    let mut link = TcpLink::connect(&addr, T).unwrap();
    let e = link
        .recv(&mut [0u8; 8], Duration::from_millis(50))
        .unwrap_err();
    assert!(matches!(e, LinkError::Timeout { .. }), "{e:?}");
    link.send(b"\x1bRtp\r", T).unwrap();
    assert_eq!(read_reply(&mut link), b"OK\r");
    h.join().unwrap(); // the peer closes after one answer
    let e = link.recv(&mut [0u8; 8], T).unwrap_err();
    assert!(matches!(e, LinkError::Disconnected { .. }), "{e:?}");
    assert!(e.is_transient());
}

#[test]
fn reset_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let h = thread::spawn(move || {
        let (first, _) = listener.accept().unwrap();
        drop(first);
        let (mut second, _) = listener.accept().unwrap();
        second.write_all(b"OK\r").unwrap();
        let mut buf = [0u8; 1];
        let _ = second.read(&mut buf);
    });
    let mut link = TcpLink::connect(&addr, T).unwrap();
    assert!(matches!(
        link.recv(&mut [0u8; 8], T),
        Err(LinkError::Disconnected { .. })
    ));
    link.reset().unwrap();
    assert_eq!(read_reply(&mut link), b"OK\r");
    drop(link);
    h.join().unwrap();
}

#[test]
fn refused_connection_is_an_open_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let e = open_link(&format!("tcp://{addr}")).err().unwrap();
    assert!(matches!(e, LinkError::Open { .. }), "{e:?}");
}
