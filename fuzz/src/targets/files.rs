//! Files and texts an operator gives cardline: the options profile, option profile edits, the
//! stations file, card face templates (with their background image) and request CSV files.

use cardline_issuance::face::{CardFields, PreparedFace, builtin_source, parse_template_file};
use cardline_issuance::options::Options;
use cardline_issuance::options::profiles::set_value;
use cardline_issuance::requests::csv::{MAX_ROWS, read_requests};
use cardline_issuance::requests::{MAX_FIELD_LEN, MAX_NOTE_LEN};
use cardline_issuance::stations::BREAKER_RANGE;

use crate::props::{clear_message, split_once};
use crate::target::{Target, files_in};

const MIB: u64 = 1024 * 1024;

/// The options profile (TOML).
pub static OPTIONS: Target = Target {
    name: "options_file",
    entry: "cardline_issuance::options::Options::from_toml (and Options::load through the size limit)",
    extra_seeds: options_seeds,
    dictionary: &[
        b"pin_length = ",
        b"puk_length = ",
        b"card_profile = \"generic-6-8\"",
        b"encode = false",
        b"certificates = [\"piv-auth\"]",
        b"validity_days = ",
        b"face_template = ",
        b"[numbering]\n",
        b"prefix = ",
        b"digits = ",
        b"[certificate_profiles.x]\n",
        b"slot = \"9c\"",
        b"algorithm = \"p384\"",
        b"subject = \"CN={card_number}\"",
        b"key_usage = []",
        b"extended_key_usage = [\"1.2.3\"]",
        b"\n",
        b" = ",
        b"\"",
        b"[",
        b"]",
        b"99999999999",
        b"-8",
        b"0",
        b"[[",
        b"]]",
        b"{",
        b"}",
        b"#",
        b"\"\"\"",
        b"'",
        b"\\u0000",
        b"1e400",
        b"nan",
        b"\xff",
        b"\r\n",
    ],
    max_len: 2048,
    memory_limit: 16 * MIB,
    work_limit: (40_000, 128),
    bounded_cases: 2000,
    check: check_options,
};

/// Option profile edits: `options set KEY VALUE` on a profile's text, and reading it back.
pub static PROFILES: Target = Target {
    name: "option_profiles",
    entry: "cardline_issuance::options::profiles::set_value (profile text, key, value) → Options::from_toml → effective value",
    extra_seeds: profile_seeds,
    dictionary: &[
        b"\0",
        b"pin_length",
        b"puk_length",
        b"encode",
        b"validity_days",
        b"numbering.prefix",
        b"numbering.digits",
        b"face_template",
        b"card_profile",
        b"certificates",
        b"certificate_profiles.piv-auth.subject",
        b"a..b",
        b"[\"piv-auth\"]",
        b"\"text\"",
        b"7",
        b"true",
        b"{ x = 1 }",
    ],
    max_len: 1024,
    memory_limit: 16 * MIB,
    work_limit: (60_000, 160),
    bounded_cases: 1500,
    check: check_profiles,
};

/// The stations file, checked against the printer and encoder registries.
pub static STATIONS: Target = Target {
    name: "stations_file",
    entry: "cardline_app::stations::parse_stations (issuance StationsFile::parse with the app's Registries: printer URIs, readers, encoders)",
    extra_seeds: Vec::new,
    dictionary: &[
        b"[[station]]\n",
        b"name = ",
        b"printer = ",
        b"reader = ",
        b"encode = false\n",
        b"encoder = \"piv\"\n",
        b"compress_color = false\n",
        b"breaker = ",
        b"\"sim://a\"",
        b"\"evolis+serial:///dev/ttyUSB0?baud=115200\"",
        b"\"evolis+tcp://127.0.0.1:9100\"",
        b"\"evolis+usb://0f49:0a00\"",
        b"\"sim\"",
        b"?faults=jam@3:printing",
        b"&seed=7",
        b"\"OMNIKEY\"",
        b"[[",
        b"]]",
        b"{",
        b"}",
        b"#",
        b"\"\"\"",
        b"'",
        b"\\u0000",
        b"1e400",
        b"nan",
        b"\xff",
        b"\r\n",
        b"://",
        b"?",
        b"&",
        b"=",
        b"%",
        b"@",
        b":",
        b"\n",
        b"\"",
    ],
    max_len: 2048,
    memory_limit: 16 * MIB,
    work_limit: (40_000, 128),
    bounded_cases: 2000,
    check: check_stations,
};

/// A card face template file with its background image, parsed and rendered.
pub static FACE_TEMPLATE: Target = Target {
    name: "face_template",
    entry: "cardline_issuance::face::parse_template_file (TOML and background image through the limits), then PreparedFace::new and render",
    extra_seeds: face_seeds,
    dictionary: &[
        b"[front]\n",
        b"[back]\n",
        b"[[front.text]]\n",
        b"[[front.box]]\n",
        b"[front.qr]\n",
        b"[front.barcode]\n",
        b"[front.overlay_hole]\n",
        b"background = \"#000000\"\n",
        b"background_image = \"bg.png\"\n",
        b"overlay = \"none\"\n",
        b"text = \"{card_number}\"\n",
        b"text = \"{valid_until} {issued} {order}\"\n",
        b"x = ",
        b"y = ",
        b"size = ",
        b"width = ",
        b"height = ",
        b"max_width = ",
        b"color = \"#FF0000\"\n",
        b"align = \"right\"\n",
        b"ecc = \"H\"\n",
        b"data = \"",
        b"bold = true\n",
        b"1016",
        b"648",
        b"-1",
        b"0",
        b"400.0",
        b"\x89PNG\r\n\x1a\n",
        b"IHDR",
        b"IDAT",
        b"IEND",
        b"[[",
        b"]]",
        b"{",
        b"}",
        b"#",
        b"\"\"\"",
        b"'",
        b"\\u0000",
        b"1e400",
        b"nan",
        b"\xff",
        b"\r\n",
    ],
    max_len: 2048,
    // The documented bound of the image decoder (4 × 1016 pixels a side, 16-bit RGBA) plus the
    // canvases of one rendered card.
    memory_limit: 4064 * 4064 * 8 + 96 * MIB,
    work_limit: (2_000_000, 256),
    bounded_cases: 200,
    check: check_face,
};

/// A request CSV file.
pub static REQUESTS_CSV: Target = Target {
    name: "requests_csv",
    entry: "cardline_issuance::requests::csv::read_requests",
    extra_seeds: Vec::new,
    dictionary: &[
        b"requester",
        b"desk",
        b"site",
        b"purpose",
        b"note",
        b"requested_at",
        b",",
        b"\n",
        b"\r\n",
        b"\"",
        b"\"\"",
        b"\xef\xbb\xbf",
        b"2026-11-29",
        b"2026-11-29T09:30:00Z",
        b"2026-02-30",
        b"\x1b[2J",
        b"\t",
        b" ",
        b"\xff",
        b"\0",
    ],
    max_len: 2048,
    memory_limit: 16 * MIB,
    work_limit: (20_000, 64),
    bounded_cases: 2000,
    check: check_csv,
};

fn options_seeds() -> Vec<Vec<u8>> {
    vec![
        cardline_issuance::options::DEFAULT_PROFILE_TEXT
            .as_bytes()
            .to_vec(),
    ]
}

fn text(input: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(input).map_err(|_| "not UTF-8".to_string())
}

fn check_options(input: &[u8]) -> Result<(), String> {
    let Ok(t) = text(input) else {
        return Ok(()); // the file reader refuses non-UTF-8 first (limits test)
    };
    let lines = t.lines().count() + 1;
    match Options::from_toml(t, "fuzz-options.toml") {
        Ok(o) => {
            o.validate()
                .map_err(|e| format!("accepted options fail validate(): {e}"))?;
            let _ = o.effective_with_sources();
            let _ = o.certificate_specs();
        }
        Err(e) => {
            clear_message("OptionsError", &e.to_string(), Some("fuzz-options.toml"))?;
            for p in e.problems() {
                if p.line.is_some_and(|l| l == 0 || l > lines) {
                    return Err(format!(
                        "a problem on line {:?} of a {lines}-line file: {p:?}",
                        p.line
                    ));
                }
                if p.message.trim().is_empty() {
                    return Err(format!("a problem without message: {p:?}"));
                }
            }
        }
    }
    Ok(())
}

fn profile_seeds() -> Vec<Vec<u8>> {
    let base = cardline_issuance::options::DEFAULT_PROFILE_TEXT;
    [
        ("pin_length", "8"),
        ("numbering.prefix", "VIS"),
        ("certificates", "[]"),
        ("encode", "false"),
        ("certificate_profiles.piv-auth.subject", "CN=x"),
    ]
    .iter()
    .map(|(k, v)| format!("{base}\0{k}\0{v}").into_bytes())
    .collect()
}

/// The input is `text NUL key NUL value`.
fn check_profiles(input: &[u8]) -> Result<(), String> {
    let (t, rest) = split_once(input, 0);
    let (k, v) = split_once(rest, 0);
    let (Ok(t), Ok(k), Ok(v)) = (text(t), text(k), text(v)) else {
        return Ok(());
    };
    let new_text = match set_value(t, k, v) {
        Ok(n) => n,
        Err(e) => return clear_message("ProfileError", &e.to_string(), None),
    };
    let options = match Options::from_toml(&new_text, "profile") {
        Ok(o) => o,
        Err(e) => return clear_message("OptionsError", &e.to_string(), Some("profile")),
    };
    // Read back: the effective value of the key is the value set.
    let expected = format!("v = {v}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("v").cloned())
        .unwrap_or_else(|| toml::Value::String(v.to_string()));
    if let Some(e) = options
        .effective_with_sources()
        .into_iter()
        .find(|e| e.key == k)
        && e.value != expected
    {
        return Err(format!(
            "set {k} = {v:?}, read back {} (expected {expected})",
            e.value
        ));
    }
    // Setting it again changes nothing.
    let again = set_value(&new_text, k, v).map_err(|e| format!("a second set failed: {e}"))?;
    let reread = Options::from_toml(&again, "profile")
        .map_err(|e| format!("a second set broke the profile: {e}"))?;
    if reread != options {
        return Err(format!("setting {k} twice gives other options than once"));
    }
    Ok(())
}

fn check_stations(input: &[u8]) -> Result<(), String> {
    let Ok(t) = text(input) else {
        return Ok(());
    };
    let lines = t.lines().count() + 1;
    match cardline_app::stations::parse_stations(t, "fuzz-stations.toml") {
        Ok(file) => {
            let mut names: Vec<&str> = file.stations.iter().map(|s| s.name.as_str()).collect();
            names.sort();
            names.dedup();
            if names.len() != file.stations.len() {
                return Err("two stations share a name".into());
            }
            for s in &file.stations {
                if s.name.is_empty() || s.name.contains(char::is_whitespace) {
                    return Err(format!("station name {:?} accepted", s.name));
                }
                if !BREAKER_RANGE.contains(&s.breaker) {
                    return Err(format!("breaker {} accepted", s.breaker));
                }
                if s.scheme().is_none() {
                    return Err(format!(
                        "printer URI {:?} without scheme accepted",
                        s.printer_uri
                    ));
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            clear_message("StationsFileError", &message, Some("fuzz-stations.toml"))?;
            if let cardline_issuance::stations::StationsFileError::Invalid { line, why, .. } = &e {
                if *line == 0 || *line > lines {
                    return Err(format!("line {line} of a {lines}-line file: {message}"));
                }
                clear_message("why", why, None)?;
            }
        }
    }
    Ok(())
}

fn face_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = ["temporary", "temporary-duplex"]
        .iter()
        .filter_map(|n| builtin_source(n))
        .map(String::into_bytes)
        .collect();
    // One template with a background image, the PNG after the NUL.
    let png = files_in(&crate::target::fixtures_dir().join("magicard-gutenprint"))
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("source-black.png"))
        .and_then(|p| std::fs::read(p).ok());
    if let Some(png) = png {
        let t = b"name = \"with-image\"\n[front]\nbackground_image = \"bg.png\"\n[[front.text]]\ntext = \"{card_number}\"\nx = 10\ny = 100\nsize = 42\ncolor = \"#FFFFFF\"\n";
        seeds.push([&t[..], b"\0", &png].concat());
    }
    seeds
}

/// The input is `template NUL image`: the image is written as `bg.png` next to the template.
fn check_face(input: &[u8]) -> Result<(), String> {
    let (template, image) = split_once(input, 0);
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let path = dir.path().join("fuzz-face.toml");
    std::fs::write(&path, template).map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("bg.png"), image).map_err(|e| e.to_string())?;
    let parsed = parse_template_file(&path);
    let t = match parsed {
        Ok(t) => t,
        Err(e) => return clear_message("TemplateError", &e.to_string(), Some("fuzz-face.toml")),
    };
    let face = match PreparedFace::new(&t) {
        Ok(f) => f,
        Err(e) => return clear_message("FaceError", &e.to_string(), None),
    };
    let number: String = String::from_utf8_lossy(&image[..image.len().min(24)]).into_owned();
    for fields in [
        CardFields::for_number("TMP000000042"),
        CardFields::for_number(number),
    ] {
        match face.render(&fields) {
            Ok(card) => {
                if card.back.is_some() != t.back.is_some() {
                    return Err("the rendered card's back does not follow the template".into());
                }
            }
            Err(e) => clear_message("FaceError", &e.to_string(), None)?,
        }
    }
    drop(dir);
    Ok(())
}

fn check_csv(input: &[u8]) -> Result<(), String> {
    match read_requests(input, "fuzz-requests.csv") {
        Ok(rows) => {
            if rows.is_empty() || rows.len() > MAX_ROWS {
                return Err(format!("{} rows accepted", rows.len()));
            }
            for (i, r) in rows.iter().enumerate() {
                for (name, value, max) in [
                    ("requester", &r.requester, MAX_FIELD_LEN),
                    ("desk", &r.desk, MAX_FIELD_LEN),
                    ("purpose", &r.purpose, MAX_FIELD_LEN),
                    ("note", &r.note, MAX_NOTE_LEN),
                ] {
                    if let Some(v) = value
                        && (v.is_empty()
                            || v.trim() != v
                            || v.chars().count() > max
                            || v.chars().any(char::is_control))
                    {
                        return Err(format!("row {i}: {name} {v:?} accepted"));
                    }
                }
                if rows[..i].contains(r) {
                    return Err(format!("row {i} repeats an earlier row"));
                }
            }
        }
        Err(e) => clear_message("CsvError", &e.to_string(), Some("fuzz-requests.csv:"))?,
    }
    Ok(())
}
