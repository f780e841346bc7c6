//! APDUs: responses through the one transmit path, BER-TLV, and the round trip of command
//! encoding (driver) → the simulated card's command parser.

use arbitrary::Unstructured;
use cardline_apdu::tlv::{self, Tlv};
use cardline_apdu::{CardChannel, Command, CommandError, LengthEncoding, Response, StatusWord};
use cardline_sim::card::Command as CardCommand;

use crate::links::HostileCard;
use crate::props::clear_message;
use crate::target::Target;

const MIB: u64 = 1024 * 1024;

/// Response APDUs from a hostile card through `CardChannel::transmit`.
pub static RESPONSES: Target = Target {
    name: "apdu_responses",
    entry: "cardline_apdu::CardChannel::transmit over a CardTransport (chaining, 61xx GET RESPONSE, 6Cxx), Response::from_bytes, StatusWord",
    extra_seeds: response_seeds,
    dictionary: &[
        b"\x02\x90\x00",
        b"\x02\x61\x00",
        b"\x02\x61\x10",
        b"\x02\x6c\x05",
        b"\x02\x6c\x00",
        b"\x02\x63\xc2",
        b"\x02\x6a\x82",
        b"\x01\x90",
        b"\x00",
        b"\xff",
    ],
    max_len: 1200,
    memory_limit: 4 * MIB,
    work_limit: (2_000, 16),
    bounded_cases: 2000,
    check: check_responses,
};

/// BER-TLV parsing, and encode → parse.
pub static BER_TLV: Target = Target {
    name: "ber_tlv",
    entry: "cardline_apdu::tlv::parse / parse_one / Tlv::children, and tlv::encode → parse",
    extra_seeds: tlv_seeds,
    dictionary: &[
        b"\x53",
        b"\x5c\x03\x5f\xc1\x02",
        b"\x7f\x49",
        b"\x5f\xc1",
        b"\x81",
        b"\x82",
        b"\x83",
        b"\x84",
        b"\x80",
        b"\x00",
        b"\xff",
        b"\x1f",
        b"\x9f\xff\x7f",
        b"\x70\x82\x01\x00",
    ],
    max_len: 1024,
    memory_limit: 80 * MIB,
    work_limit: (4_000, 8),
    bounded_cases: 1000,
    check: check_tlv,
};

/// Command APDUs as the driver encodes them, parsed by the simulated card.
pub static COMMAND_ROUND_TRIP: Target = Target {
    name: "apdu_command_round_trip",
    entry: "cardline_apdu::Command::to_bytes (short and extended) → cardline_sim::card::Command::parse",
    extra_seeds: Vec::new,
    dictionary: &[],
    max_len: 64,
    memory_limit: 2 * MIB,
    work_limit: (64, 0),
    bounded_cases: 5000,
    check: check_command_round_trip,
};

fn response_seeds() -> Vec<Vec<u8>> {
    vec![
        // case 2, data then 9000
        [
            &[0x00, 0xCB, 0x3F, 0xFF, 0x00, 0, 0][..],
            &[6, 1, 2, 3, 4, 0x90, 0x00],
        ]
        .concat(),
        // 61xx twice then 9000
        [
            &[0x00, 0xC0, 0x00, 0x00, 0x00, 0, 0][..],
            &[4, 0xAA, 0xBB, 0x61, 0x02],
            &[4, 0xCC, 0xDD, 0x61, 0x00],
            &[2, 0x90, 0x00],
        ]
        .concat(),
        // 6Cxx then the data
        [
            &[0x00, 0xB0, 0x00, 0x00, 0x01, 0, 0][..],
            &[2, 0x6C, 0x03],
            &[5, 1, 2, 3, 0x90, 0x00],
        ]
        .concat(),
        // a chained command of 600 bytes, every block answered 9000
        [
            &[0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x02, 0x58][..],
            &[2, 0x90, 0x00, 2, 0x90, 0x00, 2, 0x90, 0x00],
        ]
        .concat(),
    ]
}

/// The command the input asks for: header, data length, Le and encoding from the first bytes.
fn command(u: &mut Unstructured<'_>) -> arbitrary::Result<(Command, LengthEncoding)> {
    let [cla, ins, p1, p2]: [u8; 4] = u.arbitrary()?;
    let len = u.int_in_range(0..=700usize)?;
    let le: u16 = u.arbitrary()?;
    let extended = u.ratio(1, 4)?;
    let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
    let mut c = Command::new(cla & 0xEF, ins, p1, p2).with_data(data);
    if le != 0 {
        c = c.with_le(u32::from(le).min(256));
    }
    if u.ratio(1, 3)? {
        c = c.sensitive();
    }
    let encoding = if extended {
        LengthEncoding::Extended
    } else {
        LengthEncoding::Short
    };
    Ok((c, encoding))
}

fn check_responses(input: &[u8]) -> Result<(), String> {
    // Status words and raw responses on their own.
    if let Some(r) = Response::from_bytes(input) {
        if r.data.len() + 2 != input.len() {
            return Err("Response::from_bytes lost bytes".into());
        }
        let sw = u16::from_be_bytes([input[input.len() - 2], input[input.len() - 1]]);
        if StatusWord::from_u16(sw).to_u16() != sw {
            return Err(format!("status word {sw:04X} does not round-trip"));
        }
        if r.sw.meaning().trim().is_empty() {
            return Err(format!("status word {sw:04X} has no meaning"));
        }
    } else if input.len() >= 2 {
        return Err("Response::from_bytes refused 2 or more bytes".into());
    }
    // The transmit path against a card answering with the rest of the input.
    let header = input.len().min(7);
    let (c, encoding) =
        command(&mut Unstructured::new(&input[..header])).map_err(|e| e.to_string())?;
    let mut card = HostileCard::new(&input[header..]);
    let outcome = CardChannel::new(&mut card)
        .with_encoding(encoding)
        .transmit(&c);
    let blocks = if encoding == LengthEncoding::Short {
        c.data.len().div_ceil(255).max(1)
    } else {
        1
    };
    // Chained blocks, one 6Cxx resend, at most 64 GET RESPONSE rounds.
    let budget = blocks + 1 + 64 + 1;
    if card.commands.len() > budget {
        return Err(format!(
            "hang: {} APDUs sent for one command (budget {budget})",
            card.commands.len()
        ));
    }
    match outcome {
        Ok(r) => {
            if r.data.len() > input.len() {
                return Err(format!(
                    "{} response bytes from {} input bytes",
                    r.data.len(),
                    input.len()
                ));
            }
        }
        Err(e) => clear_message("ExchangeError", &e.to_string(), None)?,
    }
    // What went out: chained blocks carry CLA | 0x10 except the last, and add up to the data.
    if encoding == LengthEncoding::Short && c.data.len() > 255 {
        let sent: Vec<&Vec<u8>> = card.commands.iter().take(blocks).collect();
        for (i, apdu) in sent.iter().enumerate() {
            let chained = apdu[0] & 0x10 != 0;
            if chained != (i + 1 < blocks) {
                return Err(format!("block {i} of {blocks} has CLA {:02X}", apdu[0]));
            }
        }
        if sent.len() == blocks {
            let data: Vec<u8> = sent
                .iter()
                .flat_map(|a| a[5..5 + a[4] as usize].to_vec())
                .collect();
            if data != c.data {
                return Err("chained blocks do not add up to the command's data".into());
            }
        }
    }
    Ok(())
}

fn tlv_seeds() -> Vec<Vec<u8>> {
    let hex = |s: &str| {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    vec![
        hex("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08"),
        hex("F1 01 21 F2 01 21 F3 00 FE 00"),
        hex("00 FF 53 02 AA BB 00 00 FE 00 FF"),
        hex("7F49 04 86 41 04 AA"),
        hex("5C 03 5F C1 02 53 82 01 09"),
        hex("7C 0A 80 08 01 02 03 04 05 06 07 08"),
        hex(
            "53 3B 30 19 D4 E7 39 DA 73 9C ED 39 CE 73 9D 83 68 58 21 08 42 10 84 21 C8 42 10 C3 EB 34 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 35 08 32 30 33 30 30 31 30 31 FE 00",
        ),
    ]
}

/// Descends into every object (at most `depth` levels); errors must name their place.
fn walk(objects: &[Tlv], depth: usize) -> Result<(), String> {
    for o in objects {
        if depth == 0 {
            break;
        }
        match o.children() {
            Ok(kids) => walk(&kids, depth - 1)?,
            Err(e) => {
                clear_message("TlvError", &e.to_string(), Some(&format!("{:X}", o.tag())))?;
            }
        }
    }
    Ok(())
}

fn check_tlv(input: &[u8]) -> Result<(), String> {
    match tlv::parse(input) {
        Ok(objects) => {
            walk(&objects, 6)?;
            // Canonical round trip: encoding what was parsed parses back to the same objects.
            let encoded: Vec<u8> = objects.iter().flat_map(Tlv::to_bytes).collect();
            let again = tlv::parse(&encoded)
                .map_err(|e| format!("re-encoded objects do not parse: {e}"))?;
            if again != objects {
                return Err("parse(encode(parse(x))) differs from parse(x)".into());
            }
        }
        Err(e) => clear_message("TlvError", &e.to_string(), Some("offset"))?,
    }
    let _ = tlv::parse_one(input);
    // Generated objects: tag and value from the input, encode → parse_one.
    let mut u = Unstructured::new(input);
    let tag_bytes: Vec<u8> = match u.int_in_range(1..=3usize).unwrap_or(1) {
        1 => vec![u.arbitrary::<u8>().unwrap_or(0x53)],
        2 => vec![
            u.arbitrary::<u8>().unwrap_or(0) | 0x1F,
            u.arbitrary::<u8>().unwrap_or(0x49) & 0x7F,
        ],
        _ => vec![
            u.arbitrary::<u8>().unwrap_or(0) | 0x1F,
            u.arbitrary::<u8>().unwrap_or(0x81) | 0x80,
            u.arbitrary::<u8>().unwrap_or(0x02) & 0x7F,
        ],
    };
    let tag = tag_bytes.iter().fold(0u32, |t, b| (t << 8) | u32::from(*b));
    // Only tags the parser itself accepts (a tag followed by an empty length).
    let probe = [&tag_bytes[..], &[0]].concat();
    let valid = matches!(tlv::parse(&probe).as_deref(), Ok([one]) if one.tag() == tag);
    if valid && !matches!(tag_bytes[0], 0x00 | 0xFF) {
        const BOUNDARIES: [usize; 9] = [
            0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0xFF_FFFF, 0x100_0000, 0x100_0001,
        ];
        let len = if u.ratio(1, 32).unwrap_or(false) {
            BOUNDARIES[u.choose_index(BOUNDARIES.len()).unwrap_or(0)]
        } else {
            u.len().min(300)
        };
        let value: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        let bytes = tlv::encode(tag, &value);
        let back = tlv::parse_one(&bytes)
            .map_err(|e| format!("encode({tag:X}, {len} bytes) does not parse back: {e}"))?;
        if back.tag() != tag || back.value() != &value[..] {
            return Err(format!(
                "encode({tag:X}, {len} bytes) parses back as {:X} with {} bytes",
                back.tag(),
                back.value_len()
            ));
        }
    }
    Ok(())
}

fn check_command_round_trip(input: &[u8]) -> Result<(), String> {
    let mut u = Unstructured::new(input);
    let [cla, ins, p1, p2]: [u8; 4] = u.arbitrary().map_err(|e| e.to_string())?;
    let len = match u.int_in_range(0..=5u8).unwrap_or(0) {
        0 => 0,
        1 => 1,
        2 => u.int_in_range(2..=255usize).unwrap_or(2),
        3 => 256,
        4 => u.int_in_range(257..=70_000usize).unwrap_or(257),
        _ => [0xFFFF, 0x1_0000][u.choose_index(2).unwrap_or(0)],
    };
    let le = match u.int_in_range(0..=4u8).unwrap_or(0) {
        0 => None,
        1 => Some(u.int_in_range(0..=256u32).unwrap_or(1)),
        2 => Some(256),
        3 => Some(u.int_in_range(257..=65_537u32).unwrap_or(257)),
        _ => Some(65_536),
    };
    let encoding = if u.arbitrary().unwrap_or(false) {
        LengthEncoding::Extended
    } else {
        LengthEncoding::Short
    };
    let data: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
    let mut c = Command::new(cla, ins, p1, p2).with_data(data.clone());
    if let Some(le) = le {
        c = c.with_le(le);
    }
    let (max_data, max_le) = match encoding {
        LengthEncoding::Short => (255, 256),
        LengthEncoding::Extended => (0xFFFF, 65_536),
    };
    let bytes = match c.to_bytes(encoding) {
        Ok(b) => b,
        Err(e) => {
            let expected = len > max_data || le.is_some_and(|l| l == 0 || l > max_le);
            if !expected {
                return Err(format!("{c:?} refused under {encoding:?}: {e}"));
            }
            clear_message("CommandError", &e.to_string(), None)?;
            return match e {
                CommandError::DataTooLong { len: l, .. } if l == len => Ok(()),
                CommandError::LeTooLarge { .. } if len <= max_data => Ok(()),
                other => Err(format!("unexpected refusal {other:?}")),
            };
        }
    };
    if len > max_data || le.is_some_and(|l| l == 0 || l > max_le) {
        return Err(format!(
            "{c:?} encoded under {encoding:?} although out of range"
        ));
    }
    let parsed = CardCommand::parse(&bytes).map_err(|sw| {
        format!(
            "the card refuses {:02X?} ({c:?}, {encoding:?}) with {sw:?}",
            &bytes[..bytes.len().min(12)]
        )
    })?;
    let extended = encoding == LengthEncoding::Extended && (len > 0 || le.is_some());
    let ne = match (le, extended) {
        (None, false) => 256,
        (None, true) => 65_536,
        (Some(l), false) => l as usize,
        (Some(256 | 65_536), true) => 65_536,
        (Some(l), true) => l as usize,
    };
    let got = (
        parsed.cla,
        parsed.ins,
        parsed.p1,
        parsed.p2,
        parsed.extended,
        parsed.ne,
    );
    let want = (cla, ins, p1, p2, extended, ne);
    if got != want || parsed.data != data {
        return Err(format!(
            "{c:?} under {encoding:?} parsed as (cla, ins, p1, p2, extended, ne) = {got:?} with {} data bytes, expected {want:?} with {len}",
            parsed.data.len()
        ));
    }
    Ok(())
}
