//! A peer that floods bytes without ever ending a reply, on a real pseudo-terminal through the
//! real serial link: the driver stops at the reply size limit with a clear protocol error that
//! names the limit, instead of buffering without end.

use cardline_device::PrinterError;
use cardline_link::SerialSettings;
use cardline_magicard::{MAX_REPLY_BYTES, MagicardConfig, MagicardPrinter};
use serialport::{SerialPort, TTYPort};
use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Puts the pseudo-terminal master in non-blocking mode (writes return `WouldBlock` when full).
/// (serialport's `TTYPort` offers no such setting and only `AsRawFd`.)
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
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
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
        // From here on the master never blocks: a blocking write to a pseudo-terminal master
        // whose slave side is full, or already closed, can sleep in the kernel for ever.
        set_nonblocking(&printer);
        printer.set_timeout(Duration::from_millis(20)).unwrap();
        let mut sent = 0usize;
        let _ = printer.write_all(b"\x01STA,MDL,");
        let chunk = [b'A'; 4096];
        // Flood until the driver has given up (or 1 MiB, far beyond the limit, went out).
        while sent < (1 << 20) && !flag.load(Ordering::SeqCst) {
            match printer.write(&chunk) {
                Ok(n) => sent += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => break,
            }
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
    stop.store(true, Ordering::SeqCst);
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
