//! A peer that floods bytes without ever ending a reply, on a real pseudo-terminal through the
//! real serial link: the driver stops at the reply size limit with a clear protocol error that
//! names the limit, instead of buffering without end.

use cardline_device::PrinterError;
use cardline_link::SerialSettings;
use cardline_magicard::{MAX_REPLY_BYTES, MagicardConfig, MagicardPrinter};
use serialport::{SerialPort, TTYPort};
use std::io::{Read, Write};
use std::time::Duration;

#[test]
fn flooding_peer_gives_a_protocol_error_naming_the_limit() {
    let (mut printer, slave) = match TTYPort::pair() {
        Ok(pair) => pair,
        Err(e) => {
            cardline_device::skipped!("no pseudo-terminal available ({e})");
            return;
        }
    };
    let path = slave.name().expect("pty name");
    let flooder = std::thread::spawn(move || {
        printer.set_timeout(Duration::from_secs(5)).unwrap();
        // Read the first command up to its ETX, then answer with a reply that never ends.
        let mut command = Vec::new();
        let mut byte = [0u8; 1];
        while command.last() != Some(&0x03) {
            printer
                .read_exact(&mut byte)
                .expect("a command from the driver");
            command.push(byte[0]);
        }
        let mut sent = 0usize;
        let _ = printer.write_all(b"\x01STA,MDL,");
        let chunk = [b'A'; 4096];
        // 1 MiB of flood, far beyond the limit; stop early once the driver hangs up.
        while sent < (1 << 20) {
            if printer.write_all(&chunk).is_err() {
                break;
            }
            sent += chunk.len();
        }
        (command, sent)
    });
    let link = SerialSettings::new(&path).open().expect("open the pty");
    let config = MagicardConfig {
        reply_timeout_cap: Some(Duration::from_secs(5)),
        ..MagicardConfig::default()
    };
    let e = MagicardPrinter::connect(link, config)
        .err()
        .expect("connect fails");
    drop(slave);
    let text = e.to_string();
    match &e {
        PrinterError::Protocol { command, reply } => {
            assert_eq!(command, "STA,MDL");
            assert!(
                reply.contains(&format!("{MAX_REPLY_BYTES} bytes")),
                "{text}"
            );
            assert!(reply.contains("STA,MDL,AAAA"), "names what came: {text}");
        }
        other => panic!("expected a protocol error, got {other:?}"),
    }
    assert!(!e.is_transient(), "a flooding peer is not retried blindly");
    let (command, sent) = flooder.join().unwrap();
    assert_eq!(
        command,
        b"\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01REQ,STA,MDL,\x1c\x03"
    );
    println!(
        "driver gave up after the limit of {MAX_REPLY_BYTES} bytes; peer had sent {sent} flood bytes: {text}"
    );
}
