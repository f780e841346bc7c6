//! The `Dbc` encoder against real print streams of the Evolis Windows driver
//! (`../shared/fixtures/evolis-windows-driver/`): decode each fixture's payload with an
//! independent decoder written here, re-encode it with the driver, and compare bytes.

use cardline_device::image::MONO_STRIDE;
use cardline_device::{MonoPanel, PANEL_HEIGHT};
use cardline_evolis::commands::{Command, DownloadCompressed, PanelName};
use cardline_evolis::compress_mono;
use std::path::PathBuf;

const FIXTURES: [&str; 4] = [
    "card-black.prn",
    "card-white.prn",
    "card-gradient.prn",
    "evolis-card-text.prn",
];

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/evolis-windows-driver")
}

/// The `Dbc;k;2;<n>;` command of a stream: (start of ESC, start of payload, n).
fn find_dbc(stream: &[u8]) -> (usize, usize, usize) {
    let at = stream
        .windows(5)
        .position(|w| w == b"\x1bDbc;")
        .expect("Dbc command");
    let header_end = {
        let mut semis = 0;
        let mut i = at;
        while semis < 4 {
            if stream[i] == b';' {
                semis += 1;
            }
            i += 1;
        }
        i
    };
    let header = std::str::from_utf8(&stream[at + 1..header_end - 1]).unwrap();
    let n: usize = header.rsplit(';').next().unwrap().parse().unwrap();
    (at, header_end, n)
}

/// Independent decoder of the K/O line compression (spec §1.6): count byte 0x00 = blank line,
/// 0xFF = full line, 1..=81 = that many bytes then white.
fn decode(payload: &[u8]) -> MonoPanel {
    let mut bits = Vec::with_capacity(MONO_STRIDE * PANEL_HEIGHT);
    let mut i = 0;
    while i < payload.len() {
        let count = payload[i] as usize;
        i += 1;
        let mut line = match count {
            0x00 => vec![0u8; MONO_STRIDE],
            0xFF => vec![0xFF; MONO_STRIDE],
            n if n <= MONO_STRIDE => {
                let l = payload[i..i + n].to_vec();
                i += n;
                l
            }
            n => panic!("line count {n} > {MONO_STRIDE}"),
        };
        line.resize(MONO_STRIDE, 0);
        bits.extend_from_slice(&line);
    }
    MonoPanel::from_bits(bits).expect("1016 lines")
}

#[test]
fn dbc_encoder_is_byte_identical_to_the_windows_driver() {
    let dir = fixture_dir();
    if !dir.exists() {
        cardline_device::skipped!("fixtures not found at {}", dir.display());
        return;
    }
    for name in FIXTURES {
        let stream = std::fs::read(dir.join(name)).unwrap();
        let (at, start, n) = find_dbc(&stream);
        let payload = &stream[start..start + n];
        assert_eq!(stream[start + n], b'\r', "{name}: payload ends with CR");
        let panel = decode(payload);
        let ours = compress_mono(&panel);
        assert_eq!(ours.len(), n, "{name}: nbytes");
        assert!(ours == payload, "{name}: payload differs");
        // Framing: our whole command equals the fixture's bytes from ESC to the closing CR.
        let frame = DownloadCompressed {
            panel: PanelName::Black,
            data: &ours,
        }
        .frame();
        assert_eq!(frame, &stream[at..start + n + 1], "{name}: framing");
        println!(
            "{name}: {} dots set, Dbc payload {n} bytes (raw 82296)",
            panel.count_set()
        );
    }
}

#[test]
fn black_fixture_has_full_lines_only() {
    let dir = fixture_dir();
    if !dir.exists() {
        cardline_device::skipped!("fixtures not found at {}", dir.display());
        return;
    }
    let stream = std::fs::read(dir.join("card-black.prn")).unwrap();
    let (_, start, n) = find_dbc(&stream);
    assert_eq!(n, 83_312);
    assert!(stream[start..start + n].chunks(82).all(|l| l[0] == 0x51));
}
