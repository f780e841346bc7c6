//! Files an operator points cardline at are read through size limits (issue 10): `/dev/zero`
//! or a huge file is refused with a message naming the file, the limit and the fix; a
//! template's image is bounded in bytes and pixels; values repeated in errors are truncated
//! and escaped.

use std::path::Path;

use cardline_issuance::face::{
    InvalidKind, MAX_IMAGE_SIDE, TemplateError, load_template, parse_template, parse_template_file,
};
use cardline_issuance::options::Options;
use cardline_issuance::stations::{StationValidator, StationsFile};

/// Accepts every printer, reader and encoder: the size limit is checked before any value.
struct AnyDriver;

impl StationValidator for AnyDriver {
    fn printer(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn reader(&self, _: &str, _: Option<&str>, _: bool) -> Result<(), String> {
        Ok(())
    }
    fn encoder(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
}

fn assert_too_large(message: &str, path: &str, limit: &str) {
    assert!(message.contains(path), "names the file: {message}");
    assert!(
        message.contains(&format!("file is larger than {limit}")),
        "names the limit: {message}"
    );
    assert!(
        message.contains("is this the right file?"),
        "says the fix: {message}"
    );
}

#[test]
fn dev_zero_as_the_options_file_is_refused() {
    let e = Options::load(Path::new("/dev/zero")).unwrap_err();
    assert_too_large(&e.to_string(), "/dev/zero", "1 MiB");
    assert!(e.to_string().contains("options file"), "{e}");
}

#[test]
fn dev_zero_as_the_stations_file_is_refused() {
    let e = StationsFile::load(Path::new("/dev/zero"), &AnyDriver).unwrap_err();
    assert_too_large(&e.to_string(), "/dev/zero", "1 MiB");
}

#[test]
fn a_file_one_byte_over_the_limit_is_refused_and_one_at_the_limit_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("options.toml");
    // a valid profile padded with a comment to exactly 1 MiB
    let mut text = String::from("validity_days = 30\n#");
    text.push_str(&"x".repeat(1024 * 1024 - text.len()));
    std::fs::write(&path, &text).unwrap();
    assert_eq!(Options::load(&path).unwrap().validity_days, 30);
    text.push('x');
    std::fs::write(&path, &text).unwrap();
    let e = Options::load(&path).unwrap_err();
    assert_too_large(&e.to_string(), &path.display().to_string(), "1 MiB");
}

#[test]
fn a_huge_options_value_is_echoed_truncated_and_escaped() {
    let prefix = "A".repeat(100_000);
    let text = format!("[numbering]\nprefix = \"{prefix}\"\n");
    let e = Options::from_toml(&text, "options.toml").unwrap_err();
    let p = &e.problems()[0];
    assert_eq!(p.key, "numbering.prefix");
    let value = p.value.as_deref().unwrap();
    assert!(value.ends_with('…'), "{value}");
    assert_eq!(value.chars().count(), 81, "80 characters and `…`: {value}");
    assert!(e.to_string().len() < 400, "{e}");

    // a control character in a profile name is shown escaped, never raw
    let text = "[certificate_profiles.\"a\\u001b[2Jb\"]\nslot = \"9c\"\nalgorithm = \"p256\"\n";
    let e = Options::from_toml(text, "options.toml").unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains(r"a\u{1b}[2Jb"), "{shown}");
    assert!(!shown.contains('\x1b'), "{shown:?}");
}

#[test]
fn dev_zero_as_a_face_template_is_refused() {
    let e = parse_template_file(Path::new("/dev/zero")).unwrap_err();
    assert!(matches!(e, TemplateError::Read { .. }), "{e:?}");
    assert_too_large(&e.to_string(), "/dev/zero", "1 MiB");
}

fn faces_with(template: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let faces = dir.path().join("faces");
    std::fs::create_dir_all(&faces).unwrap();
    std::fs::write(faces.join("t.toml"), template).unwrap();
    (dir, faces)
}

fn bad_image(home: &Path) -> cardline_issuance::face::InvalidEntry {
    match load_template(home, "t") {
        Err(TemplateError::Invalid(e)) => {
            assert_eq!(e.kind, InvalidKind::BadImage, "{e}");
            assert_eq!(e.key, "front.background_image");
            assert_eq!(e.line, 2);
            *e
        }
        other => panic!("expected a refused image, got {other:?}"),
    }
}

#[test]
fn a_background_image_with_too_many_pixels_is_refused_before_decoding() {
    let (dir, faces) = faces_with("[front]\nbackground_image = \"wide.png\"\n");
    // a few kilobytes on disk, 100 000 pixels wide
    image::RgbImage::from_pixel(100_000, 2, image::Rgb([0, 0, 0]))
        .save(faces.join("wide.png"))
        .unwrap();
    assert!(std::fs::metadata(faces.join("wide.png")).unwrap().len() < 64 * 1024);
    let e = bad_image(dir.path());
    assert!(
        e.detail.contains(&format!(
            "100000 × 2 pixels, more than {MAX_IMAGE_SIDE} pixels a side"
        )),
        "{e}"
    );
    assert!(e.fix.contains("1016 × 648"), "{e}");
}

#[test]
fn a_background_image_file_over_the_byte_limit_is_refused() {
    let (dir, faces) = faces_with("[front]\nbackground_image = \"big.png\"\n");
    std::fs::write(faces.join("big.png"), vec![0u8; 8 * 1024 * 1024 + 1]).unwrap();
    let e = bad_image(dir.path());
    assert!(e.detail.contains("big.png is larger than 8 MiB"), "{e}");
    // the limit itself is accepted as far as size goes (the content is then decoded)
    std::fs::write(faces.join("big.png"), vec![0u8; 8 * 1024 * 1024]).unwrap();
    let e = bad_image(dir.path());
    assert!(e.detail.contains("cannot load"), "{e}");
}

#[test]
fn an_overlong_text_or_name_in_a_template_is_refused_and_echoed_truncated() {
    let long = "A".repeat(300);
    let src = format!("[front]\n[[front.text]]\ntext = \"{long}\"\nx = 0\ny = 0\nsize = 40\n");
    let e = match parse_template(&src, Path::new("t.toml"), None, "t") {
        Err(TemplateError::Invalid(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (e.kind, e.line, e.key.as_str()),
        (InvalidKind::TooLong, 3, "front.text[0].text")
    );
    assert!(
        e.detail.contains("300 characters, more than the 256"),
        "{e}"
    );
    assert_eq!(e.value.chars().count(), 81, "{}", e.value);
    assert!(e.to_string().len() < 400, "{e}");
    // 256 characters are fine
    let ok = format!(
        "[front]\n[[front.text]]\ntext = \"{}\"\nx = 0\ny = 0\nsize = 40\n",
        "A".repeat(256)
    );
    parse_template(&ok, Path::new("t.toml"), None, "t").unwrap();

    let src = format!("name = \"{}\"\n[front]\n", "n".repeat(65));
    match parse_template(&src, Path::new("t.toml"), None, "t") {
        Err(TemplateError::Invalid(e)) => {
            assert_eq!(
                (e.kind, e.line, e.key.as_str()),
                (InvalidKind::TooLong, 1, "name")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unknown_key_of_a_megabyte_is_echoed_truncated() {
    let key = "k".repeat(500_000);
    let src = format!("[front]\n{key} = 1\n");
    let e = parse_template(&src, Path::new("t.toml"), None, "t").unwrap_err();
    assert_eq!(e.invalid_kind(), Some(InvalidKind::UnknownKey));
    let shown = e.to_string();
    assert!(shown.len() < 1000, "{} bytes", shown.len());
    assert!(shown.contains("kkkk…"), "{}", &shown[..200]);
}
