//! Card face templates: parsing, and errors that name file, line, key, value and the fix.

use std::path::Path;

use cardline_issuance::face::{
    Align, Background, CHIP_AREA, InvalidKind, OverlayKind, TemplateError, builtin_template,
    load_template, parse_template, parse_template_file,
};

const FILE: &str = "/faces/test.toml";

fn parse(src: &str) -> Result<cardline_issuance::face::FaceTemplate, TemplateError> {
    parse_template(src, Path::new(FILE), None, "test")
}

/// Parses `src`, expects an `Invalid` error and returns it.
fn invalid(src: &str) -> cardline_issuance::face::InvalidEntry {
    match parse(src) {
        Err(TemplateError::Invalid(e)) => {
            let shown = e.to_string();
            assert!(shown.starts_with(&format!("{FILE}:{}:", e.line)), "{shown}");
            assert!(shown.contains("fix:"), "{shown}");
            assert!(shown.contains(&e.key), "{shown}");
            *e
        }
        other => panic!("expected an invalid-value error, got {other:?}"),
    }
}

const GOOD: &str = r##"
name = "visitor"

[front]
background = "#102030"
overlay = "full"

[[front.box]]
x = 0
y = 0
width = 1016
height = 100
color = "#FFFFFF"

[[front.text]]
text = "Card {card_number} until {valid_until}"
x = 508
y = 300
size = 40
align = "center"
bold = true
max_width = 900

[front.qr]
x = 10
y = 10
size = 200

[back]
[[back.text]]
text = "literal {{braces}}"
x = 10
y = 100
size = 30
color = "#ff0000"

[back.barcode]
x = 10
y = 200
width = 900
height = 100
data = "{order}"
"##;

#[test]
fn a_complete_template_parses() {
    let t = parse(GOOD).expect("valid");
    assert_eq!(t.name, "visitor");
    assert_eq!(t.front.background, Background::Color([0x10, 0x20, 0x30]));
    assert_eq!(t.front.overlay, OverlayKind::Full);
    assert_eq!(t.front.boxes[0].color, [255, 255, 255]);
    let text = &t.front.texts[0];
    assert_eq!(
        (text.x, text.y, text.size, text.align, text.bold),
        (508, 300, 40.0, Align::Center, true)
    );
    assert_eq!(text.color, [0, 0, 0], "text defaults to black");
    assert_eq!(text.max_width, Some(900));
    assert!(!text.pattern.is_static());
    assert!(t.front.qr.is_some() && t.front.barcode.is_none());
    let back = t.back.expect("back side");
    assert_eq!(
        back.overlay,
        OverlayKind::Full,
        "the back defaults to full overlay"
    );
    assert!(back.texts[0].pattern.is_static());
    let fields = cardline_issuance::face::CardFields::for_number("X");
    assert_eq!(back.texts[0].pattern.expand(&fields), "literal {braces}");
}

#[test]
fn front_overlay_defaults_to_masked_chip_area_and_hole_can_move() {
    let t = parse("[front]\n").unwrap();
    assert_eq!(t.front.overlay, OverlayKind::Masked(CHIP_AREA));
    assert!(t.back.is_none());
    let t = parse("[front]\noverlay_hole = { x = 10, y = 20, width = 30, height = 40 }\n").unwrap();
    match t.front.overlay {
        OverlayKind::Masked(r) => assert_eq!((r.x, r.y, r.width, r.height), (10, 20, 30, 40)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn builtin_templates_are_valid() {
    let t = builtin_template("temporary").expect("built-in");
    assert_eq!(t.name, "temporary");
    assert!(t.back.is_none());
    assert!(t.front.barcode.is_some() && t.front.qr.is_some());
    let d = builtin_template("temporary-duplex").expect("built-in");
    assert_eq!(d.name, "temporary-duplex");
    assert!(d.back.is_some());
    assert!(builtin_template("nope").is_none());
}

#[test]
fn syntax_error_names_file_line_and_column() {
    match parse("[front]\nbackground = \"#FFFFFF\"\n[[front.text]\n") {
        Err(TemplateError::Syntax {
            file, line, column, ..
        }) => {
            assert_eq!(file, Path::new(FILE));
            assert_eq!(line, 3);
            assert!(column >= 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_key_names_line_key_and_the_valid_keys() {
    let e = invalid(
        "[front]\n\n[[front.text]]\ntext = \"A\"\nx = 1\ny = 2\nsize = 30\ncolour = \"#000000\"\n",
    );
    assert_eq!(e.kind, InvalidKind::UnknownKey);
    assert_eq!(e.line, 8);
    assert_eq!(e.key, "colour");
    assert_eq!(e.value, "\"#000000\"");
    assert!(e.fix.contains("color"), "fix lists valid keys: {}", e.fix);
}

#[test]
fn missing_key_names_the_key_and_table() {
    let e = invalid("[front]\n\n[[front.text]]\ntext = \"A\"\nx = 1\ny = 2\n");
    assert_eq!(e.kind, InvalidKind::MissingKey);
    assert_eq!(e.key, "size");
    assert!(e.line >= 3 && e.line <= 6, "line {}", e.line);
    assert!(e.fix.contains("size = "), "{}", e.fix);
}

#[test]
fn a_template_without_front_says_to_add_it() {
    let e = invalid("name = \"x\"\n");
    assert_eq!((e.kind, e.key.as_str()), (InvalidKind::MissingKey, "front"));
    assert!(e.fix.contains("[front]"), "{}", e.fix);
}

#[test]
fn wrong_type_names_line_key_and_value() {
    let e = invalid("[front]\n[[front.text]]\ntext = \"A\"\nx = 1\ny = 2\nsize = \"big\"\n");
    assert_eq!(e.kind, InvalidKind::WrongType);
    assert_eq!(e.line, 6);
    assert_eq!(e.key, "size");
    assert_eq!(e.value, "\"big\"");
}

#[test]
fn bad_colour_names_dotted_key() {
    let e = invalid(
        "[front]\nbackground = \"#FFFFFF\"\n\n[[front.box]]\nx = 0\ny = 0\nwidth = 10\nheight = 10\ncolor = \"blue\"\n",
    );
    assert_eq!(e.kind, InvalidKind::BadColor);
    assert_eq!(e.line, 9);
    assert_eq!(e.key, "front.box[0].color");
    assert_eq!(e.value, "\"blue\"");
    assert!(e.fix.contains("#"));
}

#[test]
fn position_outside_the_card_is_refused() {
    let e = invalid("[front]\n[[front.text]]\ntext = \"A\"\nx = 2000\ny = 2\nsize = 30\n");
    assert_eq!(
        (e.kind, e.line, e.key.as_str(), e.value.as_str()),
        (InvalidKind::OutsideCard, 4, "front.text[0].x", "2000")
    );
    let e = invalid("[front]\n[back]\n[back.barcode]\nx = 900\ny = 0\nwidth = 200\nheight = 50\n");
    assert_eq!(
        (e.kind, e.line, e.key.as_str()),
        (InvalidKind::OutsideCard, 6, "back.barcode.width")
    );
    let e = invalid("[front]\n[front.qr]\nx = 0\ny = 500\nsize = 200\n");
    assert_eq!(
        (e.kind, e.line, e.key.as_str()),
        (InvalidKind::OutsideCard, 5, "front.qr.size")
    );
}

#[test]
fn unknown_placeholder_is_named_with_the_known_ones() {
    let e =
        invalid("[front]\n[[front.text]]\ntext = \"No {cardnumber}\"\nx = 1\ny = 2\nsize = 30\n");
    assert_eq!(e.kind, InvalidKind::UnknownPlaceholder);
    assert_eq!(e.line, 3);
    assert!(e.detail.contains("{cardnumber}"), "{}", e.detail);
    assert!(e.fix.contains("{card_number}"));
    let e = invalid("[front]\n[front.qr]\nx = 0\ny = 0\nsize = 100\ndata = \"{card_number\"\n");
    assert_eq!(
        (e.kind, e.line, e.key.as_str()),
        (InvalidKind::UnknownPlaceholder, 6, "front.qr.data")
    );
}

#[test]
fn bad_choice_lists_the_allowed_words() {
    let e = invalid(
        "[front]\n[[front.text]]\ntext = \"A\"\nx = 1\ny = 2\nsize = 30\nalign = \"middle\"\n",
    );
    assert_eq!(
        (e.kind, e.line, e.key.as_str()),
        (InvalidKind::BadChoice, 7, "front.text[0].align")
    );
    assert!(e.fix.contains("\"center\""));
    let e = invalid("[front]\noverlay = \"half\"\n");
    assert_eq!(
        (e.kind, e.line, e.key.as_str()),
        (InvalidKind::BadChoice, 2, "front.overlay")
    );
    let e = invalid("[front]\n[front.qr]\nx = 0\ny = 0\nsize = 100\necc = \"X\"\n");
    assert_eq!((e.kind, e.line), (InvalidKind::BadChoice, 6));
}

#[test]
fn background_image_is_loaded_relative_to_the_template_and_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let faces = dir.path().join("faces");
    std::fs::create_dir_all(&faces).unwrap();
    let img = image::RgbImage::from_pixel(508, 324, image::Rgb([200, 10, 10]));
    img.save(faces.join("bg.png")).unwrap();
    std::fs::write(
        faces.join("red.toml"),
        "[front]\nbackground_image = \"bg.png\"\n",
    )
    .unwrap();
    let t = load_template(dir.path(), "red").expect("loads");
    match &t.front.background {
        Background::Image(i) => {
            assert_eq!(i.dimensions(), (1016, 648), "scaled to the card");
            assert_eq!(i.get_pixel(500, 300).0, [200, 10, 10]);
        }
        other => panic!("{other:?}"),
    }

    std::fs::write(
        faces.join("broken.toml"),
        "[front]\n\nbackground_image = \"missing.png\"\n",
    )
    .unwrap();
    match parse_template_file(&faces.join("broken.toml")) {
        Err(TemplateError::Invalid(e)) => {
            assert_eq!((e.kind, e.line), (InvalidKind::BadImage, 3));
            assert!(e.detail.contains("missing.png"));
            assert!(e.file.ends_with("broken.toml"));
        }
        other => panic!("{other:?}"),
    }
    let e = invalid("[front]\nbackground_image = \"bg.png\"\n");
    assert_eq!(
        e.kind,
        InvalidKind::BadImage,
        "no folder to resolve against"
    );
}

#[test]
fn unknown_template_name_says_where_it_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    match load_template(dir.path(), "visitor") {
        Err(e @ TemplateError::NotFound { .. }) => {
            let shown = e.to_string();
            assert!(shown.contains("faces/visitor.toml"), "{shown}");
            assert!(shown.contains("temporary"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        load_template(dir.path(), "temporary").unwrap().name,
        "temporary"
    );
}

#[test]
fn card_fields_come_from_the_record_and_fill_placeholders() {
    use cardline_issuance::face::{CardFields, TextPattern};
    use cardline_issuance::model::{Card, CardState};
    let card = Card {
        id: 7,
        number: "TMP-000007-1".into(),
        state: CardState::Assigned,
        order_id: Some(12),
        assigned_to: Some("visitor".into()),
        valid_until: Some("2026-12-31T23:59:59Z".into()),
        failure_reason: None,
        chip_id: None,
        created_at: "2026-11-24T00:00:00Z".into(),
        updated_at: "2026-11-24T00:00:00Z".into(),
        ..Default::default()
    };
    let fields = CardFields::from_card(&card, "2026-11-24");
    assert_eq!(
        fields.valid_until, "2026-12-31",
        "timestamp printed as its date"
    );
    assert_eq!(fields.order, "12");
    let p = TextPattern::parse("{card_number} / {valid_until} / {issued} / #{order}").unwrap();
    assert_eq!(
        p.expand(&fields),
        "TMP-000007-1 / 2026-12-31 / 2026-11-24 / #12"
    );
    let unassigned = Card {
        valid_until: None,
        order_id: None,
        ..card
    };
    let fields = CardFields::from_card(&unassigned, "x");
    assert_eq!(
        (fields.valid_until.as_str(), fields.order.as_str()),
        ("", "")
    );
}
