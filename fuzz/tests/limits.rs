//! Memory bounded: every parser refuses an input over its documented size limit with the
//! bounded-size error (naming the limit), without holding more than the limit.

use std::io::Read;
use std::time::Duration;

use cardline_apdu::{CardChannel, Command, ExchangeError};
use cardline_device::PrinterError;
use cardline_evolis::channel::MAX_READ;
use cardline_evolis::frame::MAX_REPLY;
use cardline_evolis::{EvolisConfig, EvolisPrinter};
use cardline_fuzz::alloc_meter::measure;
use cardline_fuzz::links::{HostileCard, HostileLink};
use cardline_issuance::file_limits::{IMAGE_FILE_LIMIT, TOML_FILE_LIMIT};
use cardline_issuance::options::Options;
use cardline_issuance::requests::csv::{CsvError, MAX_CSV_BYTES, read_requests};
use cardline_magicard::{MAX_REPLY_BYTES, MagicardConfig, MagicardPrinter};
use cardline_sim::card::{CardReply, SimCard, SimCardConfig};
use cardline_sim::magicard::{SimMagicard, SimMagicardConfig};
use cardline_sim::printer::frame::{MAX_HEADER, MAX_PAYLOAD};
use cardline_sim::printer::{SimPrinter, SimPrinterConfig};

const MIB: u64 = 1024 * 1024;

#[test]
fn evolis_driver_refuses_an_endless_reply_and_a_flood() {
    // One reply without CR: refused once it passes MAX_REPLY.
    let (link, _) = HostileLink::new(&vec![b'A'; MAX_REPLY + 100]);
    let e = EvolisPrinter::connect(link, EvolisConfig::default())
        .err()
        .expect("refused");
    assert!(
        matches!(e, PrinterError::ReplyOverflow { limit, .. } if limit == MAX_REPLY),
        "{e:?}"
    );
    assert!(e.to_string().contains("Pem;2"), "{e}");
    // Bytes that never form a reply (empty lines): refused past MAX_READ, memory bounded.
    let (result, usage) = measure(|| {
        let (link, _) = HostileLink::new(&vec![b'\r'; MAX_READ * 4]);
        EvolisPrinter::connect(link, EvolisConfig::default()).err()
    });
    let e = result.expect("refused");
    assert!(
        matches!(e, PrinterError::ReplyOverflow { limit, .. } if limit == MAX_READ),
        "{e:?}"
    );
    assert!(usage.peak_bytes < 2 * MIB, "{usage:?}");
}

#[test]
fn evolis_simulator_refuses_an_overlong_header_and_payload() {
    let mut p = SimPrinter::new(SimPrinterConfig::default());
    let mut stream = b"\x1bRlr;".to_vec();
    stream.extend(vec![b'x'; MAX_HEADER + 10]);
    stream.extend_from_slice(b"\r\x1bRlr;p\r");
    let (replies, usage) = measure(|| p.feed(&stream));
    assert_eq!(replies, b"ERROR CDE\rOK\r", "refused once, then in sync");
    assert!(usage.peak_bytes < MIB, "{usage:?}");
    let too_big = format!("\x1bDbc;k;2;{};", MAX_PAYLOAD + 1);
    assert_eq!(p.feed(too_big.as_bytes()), b"ERROR PARAMETERS\r");
}

#[test]
fn magicard_driver_refuses_a_reply_past_the_limit() {
    let (link, _) = HostileLink::new(&[&b"\x01"[..], &vec![b'A'; MAX_REPLY_BYTES + 10]].concat());
    let e = MagicardPrinter::connect(
        link,
        MagicardConfig {
            reply_timeout_cap: Some(Duration::from_secs(1)),
            ..MagicardConfig::default()
        },
    )
    .err()
    .expect("refused");
    assert!(matches!(e, PrinterError::Protocol { .. }), "{e:?}");
    assert!(
        e.to_string().contains(&format!("{MAX_REPLY_BYTES} bytes")),
        "{e}"
    );
}

#[test]
fn magicard_simulator_refuses_an_overlong_header() {
    let mut p = SimMagicard::new(SimMagicardConfig::default());
    let mut stream = b"\x05\x05\x05\x05\x05\x05\x05\x05\x05\x01,IMFK".to_vec();
    stream.extend(vec![b'x'; 3 * cardline_sim::magicard::stream::MAX_HEADER]);
    let (replies, usage) = measure(|| p.feed(&stream));
    assert_eq!(replies, b"\x01ERR,FRAME,\x03");
    assert!(
        p.last_stream_error()
            .unwrap()
            .contains("longer than 4096 bytes")
    );
    assert!(usage.peak_bytes < MIB, "{usage:?}");
}

#[test]
fn a_card_answering_61xx_forever_is_cut_off() {
    let endless: Vec<u8> = std::iter::repeat_n([2u8, 0x61, 0x10], 500)
        .flatten()
        .collect();
    let mut card = HostileCard::new(&endless);
    let e = CardChannel::new(&mut card)
        .transmit(&Command::new(0, 0xCB, 0x3F, 0xFF).with_le(256))
        .unwrap_err();
    assert!(
        matches!(e, ExchangeError::EndlessResponse { blocks: 64 }),
        "{e:?}"
    );
    assert!(card.commands.len() <= 66, "{}", card.commands.len());
}

#[test]
fn the_simulated_card_bounds_chained_data() {
    let mut card = SimCard::new(SimCardConfig::default());
    let mut block = vec![0x10, 0xDB, 0x3F, 0xFF, 0x00, 0xFF, 0xFF];
    block.extend(vec![0x53; 0xFFFF]);
    let sw = |r: CardReply| match r {
        CardReply::Response(r) => r[r.len() - 2..].to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(sw(card.process(&block)), [0x90, 0x00]);
    assert_eq!(
        sw(card.process(&block)),
        [0x6A, 0x84],
        "over 64 KiB chained: not enough memory"
    );
}

fn too_large(kind: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = "# padding\n".repeat((TOML_FILE_LIMIT as usize / 10) + 10);
    text.push_str("pin_length = 6\n");
    std::fs::write(dir.path().join(kind), text).unwrap();
    dir
}

#[test]
fn toml_files_over_one_mib_are_refused_unread() {
    let dir = too_large("options.toml");
    let e = Options::load(&dir.path().join("options.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than 1 MiB"), "{e}");
    let dir = too_large("stations.toml");
    let e = cardline_app::stations::load_stations(&dir.path().join("stations.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("larger than 1 MiB") && e.contains("stations.toml"),
        "{e}"
    );
    let dir = too_large("face.toml");
    let e = cardline_issuance::face::parse_template_file(&dir.path().join("face.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("larger than 1 MiB") && e.contains("face.toml"),
        "{e}"
    );
}

#[test]
fn a_face_image_over_the_limits_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let template = "[front]\nbackground_image = \"bg.png\"\n";
    std::fs::write(dir.path().join("t.toml"), template).unwrap();
    // Bigger than the file limit.
    std::fs::write(
        dir.path().join("bg.png"),
        vec![0u8; IMAGE_FILE_LIMIT as usize + 1],
    )
    .unwrap();
    let e = cardline_issuance::face::parse_template_file(&dir.path().join("t.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than 8 MiB"), "{e}");
    // A small file announcing more pixels than allowed: refused before decoding.
    let wide = image::RgbImage::new(cardline_issuance::face::MAX_IMAGE_SIDE + 1, 1);
    wide.save(dir.path().join("bg.png")).unwrap();
    let (e, usage) =
        measure(|| cardline_issuance::face::parse_template_file(&dir.path().join("t.toml")));
    let e = e.unwrap_err().to_string();
    assert!(e.contains("more than 4064 pixels a side"), "{e}");
    assert!(usage.peak_bytes < 4 * MIB, "{usage:?}");
}

/// A reader of `len` bytes of `a,` that counts what was pulled from it.
struct Endless {
    left: u64,
    pulled: std::rc::Rc<std::cell::Cell<u64>>,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        buf[..n].fill(b'a');
        self.left -= n as u64;
        self.pulled.set(self.pulled.get() + n as u64);
        Ok(n)
    }
}

#[test]
fn a_csv_over_256_mib_is_refused_after_the_limit() {
    let pulled = std::rc::Rc::new(std::cell::Cell::new(0));
    let input = Endless {
        left: 4 * MAX_CSV_BYTES,
        pulled: pulled.clone(),
    };
    let e = read_requests(input, "huge.csv").unwrap_err();
    assert!(matches!(e, CsvError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("huge.csv"), "{e}");
    assert!(
        pulled.get() <= MAX_CSV_BYTES + 1 + 64 * 1024,
        "pulled {}",
        pulled.get()
    );
}
