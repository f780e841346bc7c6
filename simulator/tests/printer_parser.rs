//! Parser edge cases of the simulated printer (spec §1.3): NUL padding, the optional ESC,
//! `Psc`, length-driven payloads with CR bytes inside, errors and resynchronisation.

mod printer_support;

use cardline_device::MonoPanel;
use printer_support::{cmd, db_color_frame, dbc_frame, printer, replies};

#[test]
fn nul_padding_and_missing_esc_are_accepted() {
    let mut p = printer();
    let out = p.feed(b"\0\0\0\x1bRse;o\r\0\0\0\0Rse;f\r\n\x1bRtp\r\0");
    assert_eq!(
        replies(&out),
        ["5,00 Volts", "5,00 Volts", "Primacy 2 Duplex"]
    );
}

#[test]
fn a_command_split_anywhere_is_one_command() {
    let mut p = printer();
    let mut out = Vec::new();
    for b in b"\x1bRrt;count\r" {
        out.extend(p.feed(&[*b]));
    }
    assert_eq!(replies(&out), ["200"]);
}

#[test]
fn psc_changes_and_restores_the_framing() {
    let mut p = printer();
    assert_eq!(cmd(&mut p, "Psc;60;47;62"), "OK");
    // now `<Pco/=/10>`-style framing: start '<', separator '/', end '>'
    let out = p.feed(b"<Rse/o><Rlr/p>");
    assert_eq!(replies(&out), ["5,00 Volts", "OK"]);
    // ESC and CR are no longer framing characters: ESC Rtp CR is not a command yet
    let out = p.feed(b"<Psc>");
    assert_eq!(replies(&out), ["OK"]);
    assert_eq!(cmd(&mut p, "Rtp"), "Primacy 2 Duplex");
    assert_eq!(cmd(&mut p, "Psc;60;60;62"), "ERROR PARAMETERS");
    assert_eq!(
        cmd(&mut p, "Rtp"),
        "Primacy 2 Duplex",
        "bad Psc keeps the framing"
    );
}

#[test]
fn srs_restores_the_default_framing() {
    let mut p = printer();
    assert_eq!(cmd(&mut p, "Psc;60;47;62"), "OK");
    // in one chunk: the bytes after Srs are already parsed with the default framing
    assert_eq!(
        replies(&p.feed(b"<Srs>\x1bRtp\r")),
        ["OK", "Primacy 2 Duplex"]
    );
}

#[test]
fn a_psc_after_srs_in_the_same_chunk_stays_in_force() {
    // Regression (fuzz target evolis_stream): the Srs handler restored the default framing
    // after the whole chunk was parsed, undoing the Psc that followed it; the next chunk was
    // then read with the wrong framing. Fed whole or byte by byte, the replies are the same.
    let stream = b"\x1bSrs\r\x1bPsc;60;47;62\r<Rlr/p>";
    let mut whole = printer();
    let at_once = [whole.feed(stream), whole.feed(b"<Rtp>")].concat();
    assert_eq!(replies(&at_once), ["OK", "OK", "OK", "Primacy 2 Duplex"]);
    let mut bytewise = printer();
    let mut out = Vec::new();
    for b in stream.iter().chain(b"<Rtp>") {
        out.extend(bytewise.feed(&[*b]));
    }
    assert_eq!(out, at_once);
}

#[test]
fn dbc_payload_with_cr_bytes_is_read_by_length() {
    let mut p = printer();
    let mut k = MonoPanel::blank();
    // 0x0D bytes inside line data: 0000_1101 at the first byte of every line
    for y in 0..1016 {
        for x in [4, 5, 7] {
            k.set(x, y, true);
        }
    }
    assert_eq!(k.line(0)[0], 0x0D);
    let mut stream = b"\x1bSs\r\x1bSr\r".to_vec();
    stream.extend(dbc_frame("k", &k));
    stream.extend(b"\x1bSe\r");
    assert_eq!(replies(&p.feed(&stream)), ["OK", "OK", "OK", "OK"]);
    assert_eq!(p.last_printed().unwrap().front.black.as_ref(), Some(&k));
}

#[test]
fn dbc_split_in_chunks_still_decodes() {
    let mut p = printer();
    let mut k = MonoPanel::blank();
    k.set(647, 1015, true);
    k.set(0, 0, true);
    let mut stream = b"\x1bSs\r".to_vec();
    stream.extend(dbc_frame("k", &k));
    stream.extend(b"\x1bSe\r");
    let mut out = Vec::new();
    for c in stream.chunks(13) {
        out.extend(p.feed(c));
    }
    assert_eq!(replies(&out), ["OK", "OK", "OK"]);
    assert_eq!(p.last_printed().unwrap().front.black.as_ref(), Some(&k));
}

#[test]
fn raw_db_mono_and_guide_size_payloads() {
    let mut p = printer();
    let mut bits = vec![0x0Du8; 82_296];
    bits[0] = 0xFF;
    let mut stream = b"\x1bSs\r\x1bDb;k;2;".to_vec();
    stream.extend(&bits);
    stream.push(b'\r');
    assert_eq!(replies(&p.feed(&stream)), ["OK", "OK"]);
    // the A5013 guide's larger size (84 624 bytes) for the overlay
    let mut stream = b"\x1bDb;o;2;".to_vec();
    stream.extend(vec![0xFFu8; 84_624]);
    stream.extend(b"\r\x1bSe\r");
    assert_eq!(replies(&p.feed(&stream)), ["OK", "OK"]);
    let front = &p.last_printed().unwrap().front;
    assert_eq!(front.black.as_ref().unwrap().bits(), &bits[..]);
    assert_eq!(front.overlay.as_ref().unwrap().count_set(), 648 * 1016);
}

#[test]
fn raw_db_colour_levels_unpack() {
    for levels in [32usize, 64, 128] {
        let mut p = printer();
        let max = (levels - 1) as u8;
        let mut stream = b"\x1bSs\r".to_vec();
        // yellow: full density on the left half, none on the right
        stream.extend(db_color_frame(
            "y",
            levels,
            |x, _| if x < 324 { max } else { 0 },
        ));
        // cyan: value = line % levels
        stream.extend(db_color_frame("c", levels, |_, y| (y % levels) as u8));
        stream.extend(b"\x1bSe\r");
        assert_eq!(
            replies(&p.feed(&stream)),
            ["OK", "OK", "OK", "OK"],
            "{levels}"
        );
        let front = &p.last_printed().unwrap().front;
        let y = front.yellow.as_ref().unwrap();
        assert_eq!(
            (y.value(0, 0), y.value(323, 9), y.value(324, 9)),
            (max, max, 0)
        );
        assert_eq!(y.density(10, 10), 255);
        let c = front.cyan.as_ref().unwrap();
        assert_eq!(c.value(100, 3), 3);
        assert_eq!(c.value(5, levels + 2), 2);
        assert!(front.magenta.is_none());
        // rebuilt colour: full yellow → blue channel 0
        let rgb = front.to_rgb(false);
        assert_eq!(rgb[2], 0, "{levels}: yellow removes blue");
        assert_eq!(rgb[0], 255, "{levels}: line 0 has no cyan");
    }
}

#[test]
fn unknown_commands_and_bad_parameters_are_refused() {
    let mut p = printer();
    assert_eq!(cmd(&mut p, "Xyz"), "ERROR CDE");
    assert_eq!(cmd(&mut p, "Rnothing"), "ERROR CDE");
    assert_eq!(cmd(&mut p, "Rlr;q"), "ERROR PARAMETERS");
    assert_eq!(cmd(&mut p, "Pem;9"), "ERROR PARAMETERS");
    assert_eq!(cmd(&mut p, "Pr;rainbow"), "ERROR PARAMETERS");
    assert_eq!(cmd(&mut p, "Pmi;Z"), "ERROR PARAMETERS");
    assert_eq!(cmd(&mut p, "Pc;k"), "ERROR PARAMETERS");
    assert_eq!(cmd(&mut p, "Mr"), "ERROR PARAMETERS");
    // K with 32 levels: the payload is read (by the 5-bit size) and refused
    let mut frame = b"\x1bDb;k;32;".to_vec();
    frame.extend(vec![0u8; 411_480]);
    frame.extend(b"\r\x1bRok\r");
    assert_eq!(replies(&p.feed(&frame)), ["ERROR PARAMETERS", "OK"]);
}

#[test]
fn a_short_dbc_count_resynchronises_on_the_next_command() {
    let mut p = printer();
    // declares 3 bytes but sends more before CR: the payload is not terminated
    let out = p.feed(b"\x1bDbc;k;2;3;\x01\x00\x01\x00\x01\x00\r\x1bRtp\r");
    assert_eq!(replies(&out), ["ERROR PARAMETERS", "Primacy 2 Duplex"]);
    // a Db with an impossible level count cannot be sized: skip to the next ESC after CR
    let out = p.feed(b"\x1bDb;y;33;\x01\x02\r\x03\r\x1bRsn\r");
    assert_eq!(replies(&out), ["ERROR PARAMETERS", "P2D0000001"]);
}

#[test]
fn settings_are_read_back() {
    let mut p = printer();
    assert_eq!(cmd(&mut p, "Pmi;F;s"), "OK");
    assert_eq!(cmd(&mut p, "Rmi"), "F");
    assert_eq!(cmd(&mut p, "Pc;k;=;12"), "OK");
    assert_eq!(cmd(&mut p, "Rc;k"), "12");
    assert_eq!(cmd(&mut p, "Pem;2"), "OK");
    assert_eq!(cmd(&mut p, "Rem"), "2;0");
    assert_eq!(cmd(&mut p, "Pem;2;s"), "OK");
    assert_eq!(cmd(&mut p, "Rem"), "2;2");
    assert_eq!(cmd(&mut p, "Pr;k"), "OK");
    assert_eq!(cmd(&mut p, "Rr"), "k");
    for (c, want) in [
        ("Rtp", "Primacy 2 Duplex"),
        ("Rsn", "P2D0000001"),
        ("Rfv", "1.2.3"),
        ("Rkn", "125000001"),
    ] {
        assert_eq!(cmd(&mut p, c), want);
    }
}

#[test]
fn a_header_flood_is_refused_once_and_the_next_command_is_answered() {
    let mut p = printer();
    let mut out = Vec::new();
    // 8 MiB without an end character, fed in link-sized chunks: one refusal, not one per 4 KiB
    let chunk = vec![b'A'; 64 * 1024];
    for _ in 0..128 {
        out.extend(p.feed(&chunk));
    }
    out.extend(p.feed(b"\r\x1bRtp\r"));
    assert_eq!(replies(&out), ["ERROR CDE", "Primacy 2 Duplex"]);
    // a flood that ends with a new command's start character resynchronises on it
    let mut flood = vec![b'B'; 10_000];
    flood.extend(b"\x1bRsn\r");
    assert_eq!(replies(&p.feed(&flood)), ["ERROR CDE", "P2D0000001"]);
}

#[test]
fn a_header_of_separators_is_refused_once() {
    let mut p = printer();
    // every separator used to re-split the whole header: quadratic in the header length
    let mut flood = b"\x1bDb".to_vec();
    flood.extend(vec![b';'; 1024 * 1024]);
    flood.extend(b"\r\x1bRtp\r");
    let out = p.feed(&flood);
    assert_eq!(replies(&out), ["ERROR PARAMETERS", "Primacy 2 Duplex"]);
    let mut flood = b"\x1bPc".to_vec();
    flood.extend(vec![b';'; 1024 * 1024]);
    flood.extend(b"\r\x1bRtp\r");
    assert_eq!(replies(&p.feed(&flood)), ["ERROR CDE", "Primacy 2 Duplex"]);
}
