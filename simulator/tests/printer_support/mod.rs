//! Helpers shared by the printer simulator tests.
#![allow(dead_code)]

use std::path::PathBuf;

use cardline_device::MonoPanel;
use cardline_device::image::MONO_STRIDE;
use cardline_sim::printer::{SimPrinter, SimPrinterConfig};

/// A printer with the default configuration (instant time).
pub fn printer() -> SimPrinter {
    SimPrinter::new(SimPrinterConfig::default())
}

/// Sends one framed command and returns its single reply (without the CR).
pub fn cmd(p: &mut SimPrinter, command: &str) -> String {
    let out = p.feed(format!("\x1b{command}\r").as_bytes());
    let text = String::from_utf8(out).expect("ASCII reply");
    let replies: Vec<&str> = text.split_terminator('\r').collect();
    assert_eq!(replies.len(), 1, "`{command}` → {text:?}");
    replies[0].to_string()
}

/// Splits a reply stream into replies.
pub fn replies(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .split_terminator('\r')
        .map(str::to_string)
        .collect()
}

/// A `Dbc` K/O frame, encoded here independently (count byte = line length without trailing
/// zero bytes, at least 1), as the Windows driver does.
pub fn dbc_frame(panel_letter: &str, panel: &MonoPanel) -> Vec<u8> {
    let mut data = Vec::new();
    for y in 0..1016 {
        let line = panel.line(y);
        let n = line.iter().rposition(|b| *b != 0).map_or(1, |i| i + 1);
        data.push(n as u8);
        data.extend_from_slice(&line[..n]);
    }
    let mut frame = format!("\x1bDbc;{panel_letter};2;{};", data.len()).into_bytes();
    frame.extend_from_slice(&data);
    frame.push(b'\r');
    assert_eq!(MONO_STRIDE, 81);
    frame
}

/// A raw `Db` frame for a colour panel whose every dot has `value` (0..levels).
pub fn db_color_frame(
    panel_letter: &str,
    levels: usize,
    value: impl Fn(usize, usize) -> u8,
) -> Vec<u8> {
    let bpp = match levels {
        32 => 5,
        64 => 6,
        128 => 7,
        _ => panic!("levels"),
    };
    let mut bytes = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for y in 0..1016 {
        for x in 0..648 {
            acc = (acc << bpp) | value(x, y) as u32;
            bits += bpp;
            while bits >= 8 {
                bits -= 8;
                bytes.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
    }
    if bits > 0 {
        bytes.push((acc << (8 - bits)) as u8);
    }
    let mut frame = format!("\x1bDb;{panel_letter};{levels};").into_bytes();
    frame.extend_from_slice(&bytes);
    frame.push(b'\r');
    frame
}

/// A fresh directory under the system temp dir for this test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("cardline-simprinter-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The directory of the real Windows driver streams.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/evolis-windows-driver")
}

/// A fixture stream, or `None` (the caller prints `skipped:`).
pub fn fixture(name: &str) -> Option<Vec<u8>> {
    std::fs::read(fixtures_dir().join(name)).ok()
}
