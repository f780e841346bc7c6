//! The simulated card: its APDU command parser and PIV applet, and the vpcd endpoint's frames
//! over a real TCP connection.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use arbitrary::Unstructured;
use cardline_sim::card::{CardReply, SimCard, SimCardConfig, SimCardTransport};
use cardline_sim::vpcd::{VpcdCard, VpcdHandle};

use crate::target::Target;

const MIB: u64 = 1024 * 1024;

/// Command APDUs to the simulated PIV card.
pub static APDU_COMMANDS: Target = Target {
    name: "card_apdu_commands",
    entry: "cardline_sim::card::SimCard::process (command parser, chaining, PIV and YubiKey instructions) and card::Command::parse",
    extra_seeds: command_seeds,
    dictionary: &[
        b"\x00\xa4\x04\x00",
        b"\x05\xa0\x00\x00\x03\x08",
        b"\x00\xcb\x3f\xff",
        b"\x05\x5c\x03\x5f\xc1\x02",
        b"\x00\x20\x00\x80",
        b"\x083132333435363\xff\xff",
        b"\x10\xdb\x3f\xff",
        b"\x00\xdb\x3f\xff",
        b"\x00\x87\x03\x9b",
        b"\x04\x7c\x02\x80\x00",
        b"\x00\xc0\x00\x00",
        b"\x00\x47\x00\x9a",
        b"\x00\xfd\x00\x00",
        b"\x00\xf8\x00\x00",
        b"\x00\xfb\x00\x00",
        b"\x00\xff\xff\xff",
        b"\x00\x24\x00\x80",
        b"\x00\x2c\x00\x80",
        b"\x00\x00\x00",
        b"\xff\xff",
    ],
    max_len: 1500,
    memory_limit: 8 * MIB,
    work_limit: (20_000, 64),
    bounded_cases: 2000,
    check: check_commands,
};

/// vpcd frames to the card endpoint over TCP.
pub static VPCD_FRAMES: Target = Target {
    name: "vpcd_frames",
    entry: "cardline_sim::vpcd::VpcdCard (length-prefixed frames, control codes, APDUs) over a real TCP connection",
    extra_seeds: vpcd_seeds,
    dictionary: &[
        b"\x04",
        b"\x00",
        b"\x01",
        b"\x02",
        b"\xff",
        b"\x00\xa4\x04\x00",
        b"\x00\xfd\x00\x00",
    ],
    max_len: 600,
    memory_limit: 16 * MIB,
    work_limit: (50_000, 64),
    bounded_cases: 500,
    check: check_vpcd,
};

/// Splits the input into APDUs: a length byte and that many bytes; a length byte of 0 is
/// followed by a two-byte big-endian length (extended APDUs).
pub fn apdus(input: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < input.len() {
        let (len, header) = match input[at] {
            0 if at + 2 < input.len() => (
                usize::from(u16::from_be_bytes([input[at + 1], input[at + 2]])),
                3,
            ),
            n => (usize::from(n), 1),
        };
        let start = (at + header).min(input.len());
        let end = (start + len).min(input.len());
        out.push(&input[start..end]);
        at = end.max(at + 1);
    }
    out
}

/// The inverse of [`apdus`], for seeds.
pub fn join_apdus(list: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in list {
        if a.len() < 256 && !a.is_empty() {
            out.push(a.len() as u8);
        } else {
            out.push(0);
            out.extend_from_slice(&(a.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(a);
    }
    out
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex seed"))
        .collect()
}

fn command_seeds() -> Vec<Vec<u8>> {
    let select = hex("00 A4 04 00 05 A0 00 00 03 08");
    let session = [
        select.clone(),
        hex("00 FD 00 00"),
        hex("00 F8 00 00 00"),
        hex("00 20 00 80"),
        hex("00 20 00 80 08 31 32 33 34 35 36 FF FF"),
        hex("00 CB 3F FF 05 5C 03 5F C1 02 00"),
        hex("00 CB 3F FF 05 5C 03 5F C1 07"),
        hex("00 87 03 9B 04 7C 02 80 00"),
        hex("00 C0 00 00 00"),
        hex("00 24 00 80 10 31 32 33 34 35 36 FF FF 39 38 37 36 35 34 FF FF"),
        hex("00 2C 00 80 10 31 32 33 34 35 36 37 38 31 32 33 34 35 36 FF FF"),
    ];
    let chained = [
        select.clone(),
        [hex("10 DB 3F FF FF"), vec![0x53; 255]].concat(),
        [hex("00 DB 3F FF 05"), vec![0x53; 5]].concat(),
        [hex("00 DB 3F FF 00 01 2C"), vec![0x41; 300]].concat(),
        hex("00 CB 3F FF 00 00 05 5C 03 5F C1 02 00 00"),
    ];
    let refs = |v: &[Vec<u8>]| join_apdus(&v.iter().map(Vec::as_slice).collect::<Vec<_>>());
    vec![refs(&session), refs(&chained)]
}

fn check_commands(input: &[u8]) -> Result<(), String> {
    let mut card = SimCard::new(SimCardConfig::default());
    for apdu in apdus(input) {
        let parsed = cardline_sim::card::Command::parse(apdu);
        match card.process(apdu) {
            CardReply::Response(r) => {
                if r.len() < 2 {
                    return Err(format!("a response of {} bytes, no status word", r.len()));
                }
                if r.len() > 65_538 {
                    return Err(format!(
                        "a response of {} bytes, more than Ne can be",
                        r.len()
                    ));
                }
                if parsed.is_err() && r[r.len() - 2..] != [0x67, 0x00] {
                    return Err(format!(
                        "{:02X?}: the parser refused it but the card answered {:02X?}",
                        &apdu[..apdu.len().min(8)],
                        &r[r.len() - 2..]
                    ));
                }
            }
            other => return Err(format!("a card without faults answered {other:?}")),
        }
    }
    Ok(())
}

/// A vpcd endpoint serving one card, connected to a listener of ours, kept across inputs.
struct Rig {
    listener: TcpListener,
    stream: TcpStream,
    endpoint: VpcdHandle,
}

/// Liveness guard for a reply or a reconnection (not a timing measurement: a healthy endpoint
/// answers in well under a millisecond).
const GUARD: Duration = Duration::from_secs(10);

impl Rig {
    fn start() -> Result<Rig, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let card = SimCardTransport::share(SimCard::new(SimCardConfig::default()));
        let endpoint = VpcdCard::spawn(card, addr);
        let stream = accept(&listener)?;
        Ok(Rig {
            listener,
            stream,
            endpoint,
        })
    }
}

fn accept(listener: &TcpListener) -> Result<TcpStream, String> {
    let (stream, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    stream
        .set_read_timeout(Some(GUARD))
        .map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(stream)
}

static RIG: LazyLock<Mutex<Option<Rig>>> = LazyLock::new(|| Mutex::new(None));

fn read_frame(stream: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).map_err(|e| match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            format!("hang: the vpcd endpoint sent no reply within {GUARD:?}")
        }
        _ => format!("the vpcd endpoint closed the connection: {e}"),
    })?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream
        .read_exact(&mut reply)
        .map_err(|e| format!("reply cut short: {e}"))?;
    Ok(reply)
}

fn send_frame(stream: &mut TcpStream, payload: &[u8]) -> Result<(), String> {
    let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    stream.write_all(&frame).map_err(|e| format!("write: {e}"))
}

fn vpcd_seeds() -> Vec<Vec<u8>> {
    vec![
        vec![1, 4, 2, 0xA4, 4, 0, 5, 0xA0, 0, 0, 3, 8, 0],
        vec![1, 0, 1, 1, 1, 4, 2, 0xFD, 0, 0],
        vec![3, 0, 1, 2, 7, 9],
    ]
}

/// One vpcd session from the input: frames of a kind byte and a payload (control code, APDU of
/// up to 300 bytes, empty frame), and at the end, maybe a frame cut short and the connection
/// dropped; then a sentinel APDU that must get its own answer.
fn check_vpcd(input: &[u8]) -> Result<(), String> {
    let mut guard = RIG.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        *guard = Some(Rig::start()?);
    }
    let rig = guard.as_mut().expect("started");
    let apdus_before = rig.endpoint.apdus();
    let mut apdus_sent = 0u64;
    let mut u = Unstructured::new(input);
    let mut cut = false;
    while !u.is_empty() {
        match u.int_in_range(0..=7u8).unwrap_or(0) {
            0 => send_frame(&mut rig.stream, &[])?,
            1 | 2 => {
                let code: u8 = u.arbitrary().unwrap_or(4);
                send_frame(&mut rig.stream, &[code])?;
                if code == 4 {
                    let atr = read_frame(&mut rig.stream)?;
                    if atr.is_empty() || atr[0] != 0x3B && atr[0] != 0x3F {
                        return Err(format!("the ATR reply {atr:02X?} is not an ATR"));
                    }
                }
            }
            3 => {
                // a frame announcing more than it carries, then the connection drops
                let announced: u16 = u.arbitrary().unwrap_or(10).max(2);
                let have = u.int_in_range(0..=usize::from(announced) - 1).unwrap_or(0);
                let body = u.bytes(have.min(u.len())).unwrap_or_default().to_vec();
                let mut frame = announced.to_be_bytes().to_vec();
                frame.extend_from_slice(&body);
                rig.stream
                    .write_all(&frame)
                    .map_err(|e| format!("write: {e}"))?;
                cut = true;
                break;
            }
            _ => {
                let len = u.int_in_range(2..=300usize).unwrap_or(4);
                let apdu = u.bytes(len.min(u.len())).unwrap_or_default().to_vec();
                let apdu = if apdu.len() < 2 {
                    vec![0x00, 0xFD]
                } else {
                    apdu
                };
                send_frame(&mut rig.stream, &apdu)?;
                apdus_sent += 1;
                let reply = read_frame(&mut rig.stream)?;
                if reply.len() < 2 {
                    return Err(format!("an APDU answered with {} bytes", reply.len()));
                }
            }
        }
    }
    if cut {
        let _ = rig.stream.shutdown(std::net::Shutdown::Both);
        rig.stream =
            accept(&rig.listener).map_err(|e| format!("the endpoint did not reconnect: {e}"))?;
    }
    // The sentinel: the endpoint still serves, and no stray reply is waiting before its answer.
    send_frame(&mut rig.stream, &[0x00, 0xFD, 0x00, 0x00])?;
    apdus_sent += 1;
    let version = read_frame(&mut rig.stream)?;
    if version.len() != 5 || version[3..] != [0x90, 0x00] {
        return Err(format!(
            "the sentinel GET VERSION got {version:02X?}: a stray or missing reply"
        ));
    }
    let counted = rig.endpoint.apdus() - apdus_before;
    if counted != apdus_sent {
        return Err(format!(
            "the endpoint counted {counted} APDUs, {apdus_sent} were sent"
        ));
    }
    Ok(())
}
