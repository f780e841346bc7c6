//! The simulated Magicard behind the shared endpoints (in-process link, a pseudo-terminal opened
//! as a real serial port, TCP) driven by plain byte clients, and in a `SimStation` whose chip is
//! reachable only while the card is at the lowered contacts.

mod magicard_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use cardline_device::{CardReader, LinkError, PrinterLink, TransportError};
use cardline_sim::card::{SimCard, SimCardConfig};
use cardline_sim::magicard::{PtyEndpoint, SimMagicardConfig, SimMagicardHandle, TcpEndpoint};
use cardline_sim::station::SimStation;
use magicard_support::*;

/// Reads until `count` replies (`01 … 2C 03`) arrived or the deadline passes.
fn read_replies(port: &mut dyn Read, count: usize) -> Vec<String> {
    let deadline = Instant::now() + T;
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while got.windows(2).filter(|w| *w == [0x2C, 0x03]).count() < count && Instant::now() < deadline
    {
        match port.read(&mut buf) {
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    replies(&got)
}

#[test]
fn in_process_link_talks_like_a_port() {
    let printer = handle(SimMagicardConfig::default());
    let mut link = printer.link();
    assert_eq!(link.describe(), "sim:MC0000001");
    let mut both = command("STA,MDL");
    both.extend(command("STA,LID"));
    assert_eq!(
        over_link(&mut link, &both),
        ["STA,MDL,Rio Pro 360", "STA,LID,CLOSED"]
    );
    assert!(matches!(
        link.recv(&mut [0u8; 8], T),
        Err(LinkError::Timeout { .. })
    ));
    // a partial frame is dropped by reset
    link.send(b"\x05\x05\x01REQ,STA,", T).unwrap();
    link.reset().unwrap();
    assert_eq!(over_link(&mut link, &command("STA,HOP")), ["STA,HOP,OK"]);
    assert_eq!(printer.state().stream_errors, 0);
}

#[test]
fn pseudo_terminal_serves_a_serial_client() {
    let printer = handle(SimMagicardConfig::default());
    let pty = match PtyEndpoint::start(printer.clone()) {
        Ok(p) => p,
        Err(e) => {
            cardline_device::skipped!("no pseudo-terminal available: {e}");
            return;
        }
    };
    assert!(
        pty.uri().starts_with("magicard+serial:///dev/pts/"),
        "{}",
        pty.uri()
    );
    let path = pty.path().to_string_lossy().into_owned();
    for round in 0..2 {
        let mut port = serialport::new(&path, 115_200)
            .timeout(Duration::from_millis(200))
            .open()
            .unwrap_or_else(|e| panic!("round {round}: open {path}: {e}"));
        let mut both = command("STA,MSR");
        both.extend(command("CHPDOWN"));
        port.write_all(&both).unwrap();
        assert_eq!(read_replies(&mut port, 2), ["STA,MSR,MC0000001", "OK"]);
    }
    assert_eq!(printer.card_at_contact_station(), Some(1));
    // a whole print job through the terminal: binary planes, 0x03/0x1C/0x11 bytes and all
    let mut port = serialport::new(&path, 115_200)
        .timeout(Duration::from_millis(200))
        .open()
        .unwrap();
    let stream = match std::fs::read(fixtures_dir().join("card-gradient.prn")) {
        Ok(s) => s,
        Err(_) => {
            cardline_device::skipped!("fixture card-gradient.prn not found: using a built job");
            native_job(
                "",
                plane6(|x, _| (x / 17) as u8),
                plane6(|_, _| 0x11),
                plane6(|_, _| 0x03),
                plane1(|_, y| y % 28 == 0),
            )
        }
    };
    port.write_all(&stream).unwrap();
    assert_eq!(read_replies(&mut port, 1), ["PRT,OK"]);
    let card = printer.last_printed().expect("printed over the pty");
    assert_eq!(card.card_number, 1, "the card at the contacts was printed");
    assert!(card.front.unwrap().cyan.unwrap().count_inked() > 100_000);
    pty.stop();
}

#[test]
fn tcp_listener_serves_one_client_after_another() {
    let printer = handle(SimMagicardConfig::default());
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").expect("bind");
    assert_eq!(tcp.uri(), format!("magicard+tcp://{}", tcp.addr()));
    for _ in 0..2 {
        let mut s = TcpStream::connect(tcp.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut both = command("FEED1");
        both.extend(command("STA,POS"));
        s.write_all(&both).unwrap();
        assert_eq!(read_replies(&mut s, 2), ["OK", "STA,POS,STANDBY"]);
        // leave half a frame behind: the next client must not inherit it
        s.write_all(b"\x05\x05\x01REQ,EJ").unwrap();
    }
    let mut s = TcpStream::connect(tcp.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    printer.open_cover();
    let mut both = command("STA,LID");
    both.extend(command("RJT"));
    s.write_all(&both).unwrap();
    assert_eq!(read_replies(&mut s, 2), ["STA,LID,OPEN", "ERR,1038"]);
    printer.close_cover();
    s.write_all(&command("RJT")).unwrap();
    assert_eq!(read_replies(&mut s, 1), ["OK"]);
    assert_eq!(printer.state().reject_box, 1);
    assert_eq!(
        printer.state().stream_errors,
        0,
        "partial frames were dropped, not parsed"
    );
    tcp.stop();
}

fn station() -> (SimMagicardHandle, SimStation<SimMagicardHandle>) {
    let printer = handle(SimMagicardConfig::default());
    let station = SimStation::new(printer.clone(), |n: u32| {
        SimCard::new(SimCardConfig {
            serial: 30_000_000 + n,
            ..SimCardConfig::default()
        })
    });
    (printer, station)
}

const SELECT_PIV: [u8; 10] = [0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08];
/// YubiKey GET SERIAL.
const GET_SERIAL: [u8; 5] = [0x00, 0xF8, 0x00, 0x00, 0x00];

fn serial_of(station: &mut SimStation<SimMagicardHandle>) -> u32 {
    let mut chip = station
        .connect(Duration::from_millis(50))
        .expect("card at the contacts");
    assert!(chip.transmit(&SELECT_PIV).unwrap().ends_with(&[0x90, 0x00]));
    let r = chip.transmit(&GET_SERIAL).unwrap();
    u32::from_be_bytes(r[..4].try_into().unwrap())
}

#[test]
fn a_magicard_station_reaches_the_chip_only_at_the_lowered_contacts() {
    let (printer, mut station) = station();
    assert_eq!(station.name(), "MC0000001 contact station");
    let err = station.connect(Duration::from_millis(20)).err().unwrap();
    assert!(matches!(err, TransportError::NoCard { .. }), "{err:?}");
    let mut link = station.printer_link();
    assert_eq!(over_link(&mut link, &command("FEED1")), ["OK"]);
    assert!(
        station.connect(Duration::ZERO).is_err(),
        "standby is not the contacts"
    );
    assert_eq!(over_link(&mut link, &command("CHPDOWN")), ["OK"]);
    assert_eq!(serial_of(&mut station), 30_000_001);
    // lifting the contacts ends the session
    let mut chip = station.connect(Duration::ZERO).unwrap();
    assert!(chip.transmit(&SELECT_PIV).is_ok());
    assert_eq!(over_link(&mut link, &command("CHPUP")), ["OK"]);
    let err = chip.transmit(&SELECT_PIV).unwrap_err();
    assert!(matches!(err, TransportError::CardRemoved { .. }), "{err:?}");
    drop(chip);
    assert_eq!(over_link(&mut link, &command("EJT")), ["OK"]);
    // the next card has a fresh chip; a jammed card at the contacts has none
    assert_eq!(over_link(&mut link, &command("CHPDOWN")), ["OK"]);
    assert_eq!(serial_of(&mut station), 30_000_002);
    printer.inject("jam@2:ejecting".parse().unwrap());
    assert_eq!(over_link(&mut link, &command("EJT")), ["ERR,1026"]);
    assert!(station.connect(Duration::ZERO).is_err());
    assert_eq!(station.cards_seen(), [1, 2]);
}
