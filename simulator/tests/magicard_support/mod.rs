//! Helpers shared by the Magicard simulator tests. Frames are built here byte by byte from
//! docs/magicard-protocol.md, independently of the simulator's parser.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use cardline_device::PrinterLink;
use cardline_sim::magicard::{SimMagicard, SimMagicardConfig, SimMagicardHandle};

pub const T: Duration = Duration::from_secs(5);

/// A command frame: `05×9 01 "REQ,<text>," 1C 03`.
pub fn command(text: &str) -> Vec<u8> {
    let mut f = vec![0x05; 9];
    f.push(0x01);
    f.extend_from_slice(format!("REQ,{text},").as_bytes());
    f.extend_from_slice(&[0x1C, 0x03]);
    f
}

/// A framed reply: `01 <text> 2C 03`.
pub fn reply(text: &str) -> Vec<u8> {
    let mut f = vec![0x01];
    f.extend_from_slice(text.as_bytes());
    f.extend_from_slice(&[0x2C, 0x03]);
    f
}

/// Splits a reply stream into reply texts (checking each frame's shape).
pub fn replies(out: &[u8]) -> Vec<String> {
    let mut texts = Vec::new();
    let mut rest = out;
    while !rest.is_empty() {
        assert_eq!(rest[0], 0x01, "reply starts with SOH: {out:02X?}");
        let end = rest
            .windows(2)
            .position(|w| w == [0x2C, 0x03])
            .unwrap_or_else(|| panic!("reply ends with 2C 03: {out:02X?}"));
        texts.push(String::from_utf8(rest[1..end].to_vec()).expect("ASCII reply"));
        rest = &rest[end + 2..];
    }
    texts
}

/// A printer with the default configuration (instant time).
pub fn printer() -> SimMagicard {
    SimMagicard::new(SimMagicardConfig::default())
}

/// A shared printer with `config`.
pub fn handle(config: SimMagicardConfig) -> SimMagicardHandle {
    SimMagicardHandle::new(SimMagicard::new(config))
}

/// Sends one command and returns its single reply text.
pub fn cmd(p: &mut SimMagicard, text: &str) -> String {
    let r = replies(&p.feed(&command(text)));
    assert_eq!(r.len(), 1, "`{text}` → {r:?}");
    r[0].clone()
}

/// Sends `bytes` over a link as a host would and reads every reply that came back.
pub fn over_link(link: &mut impl PrinterLink, bytes: &[u8]) -> Vec<String> {
    for chunk in bytes.chunks(64 * 1024) {
        link.send(chunk, T).expect("send");
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while let Ok(n) = link.recv(&mut buf, T) {
        got.extend_from_slice(&buf[..n]);
    }
    replies(&got)
}

/// A print job: 64 guard bytes, `0x01`, `header`, FS, each plane with its terminator, ETX.
pub fn job(header: &str, planes: &[(char, Vec<u8>)]) -> Vec<u8> {
    let mut f = vec![0x05; 64];
    f.push(0x01);
    f.extend_from_slice(header.as_bytes());
    f.push(0x1C);
    for (letter, bytes) in planes {
        f.extend_from_slice(bytes);
        f.extend_from_slice(&[0x1C, *letter as u8, b':']);
    }
    f.push(0x03);
    f
}

/// Dots across a plane, lines in a plane.
pub const DOTS: usize = 672;
pub const LINES: usize = 1016;

/// The plane (line, dot) of landscape card dot (x, y), y in 0..=640 (contract §3).
pub fn plane_pos(x: usize, y: usize) -> (usize, usize) {
    (1015 - x, 15 + y)
}

/// An 8-bit plane whose landscape dot (x, y) has `amount(x, y)` (0 outside the printable area).
pub fn plane8(amount: impl Fn(usize, usize) -> u8) -> Vec<u8> {
    let mut p = vec![0u8; DOTS * LINES];
    for x in 0..1016 {
        for y in 0..641 {
            let (l, d) = plane_pos(x, y);
            p[l * DOTS + d] = amount(x, y);
        }
    }
    p
}

/// A native 6-bit colour plane (six bit-rows of 84 bytes per line, bit 0 first, first dot in
/// the MSB) whose landscape dot (x, y) has `value(x, y)` in 0..=63.
pub fn plane6(value: impl Fn(usize, usize) -> u8) -> Vec<u8> {
    let mut p = vec![0u8; 504 * LINES];
    for x in 0..1016 {
        for y in 0..641 {
            let (l, d) = plane_pos(x, y);
            let v = value(x, y);
            for bit in 0..6 {
                if v & (1 << bit) != 0 {
                    p[l * 504 + bit * 84 + d / 8] |= 0x80 >> (d % 8);
                }
            }
        }
    }
    p
}

/// A native 1-bit black plane whose landscape dot (x, y) is printed when `on(x, y)`.
pub fn plane1(on: impl Fn(usize, usize) -> bool) -> Vec<u8> {
    let mut p = vec![0u8; 84 * LINES];
    for x in 0..1016 {
        for y in 0..641 {
            if on(x, y) {
                let (l, d) = plane_pos(x, y);
                p[l * 84 + d / 8] |= 0x80 >> (d % 8);
            }
        }
    }
    p
}

/// The header of a Gutenprint-like 8-bit colour job, with extra tokens spliced in.
pub fn header8(extra: &str) -> String {
    format!(
        ",NOC1,VER5.3.4,LANENG,REJOFF,ESS1,DPXOFF,PAG1,IMFBGR,WID1016,HGT642,OVROFF,USFOFF{extra},X-GP-8,SZB682752,SZG682752,SZR682752"
    )
}

/// A white (no ink) 8-bit colour job.
pub fn blank_job() -> Vec<u8> {
    let empty = vec![0u8; DOTS * LINES];
    job(
        &header8(""),
        &[('B', empty.clone()), ('G', empty.clone()), ('R', empty)],
    )
}

/// A native job: 6-bit Y M C and 1-bit K (`IMFBGRK`), as cardline's driver sends.
pub fn native_job(extra: &str, y: Vec<u8>, m: Vec<u8>, c: Vec<u8>, k: Vec<u8>) -> Vec<u8> {
    job(
        &format!(",PAG1,IMFBGRK{extra},SZB512064,SZG512064,SZR512064,SZK85344"),
        &[('B', y), ('G', m), ('R', c), ('K', k)],
    )
}

/// The directory of the Gutenprint streams.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/magicard-gutenprint")
}

/// A fresh directory under the system temp dir for this test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cardline-simmagicard-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
