//! Card face rendering: panel split (K vs colour), codes, rotation, overlay, and prepared
//! rendering equal to a full render.

use std::path::Path;

use barcoders::sym::code128::Code128;
use cardline_device::PanelGeometry;
use cardline_device::image::{CardSide, Overlay};
use cardline_issuance::face::{
    CHIP_AREA, CardFields, FaceTemplate, PanelMap, PreparedFace, builtin_template, code128_input,
    design_to_panel, parse_template, render_full, render_full_at, side_picture,
};
use qrcode::{Color, QrCode};

fn template(src: &str) -> FaceTemplate {
    parse_template(src, Path::new("test.toml"), None, "test").expect("valid template")
}

fn front(src: &str, number: &str) -> CardSide {
    let face = PreparedFace::new(&template(src)).unwrap();
    face.render(&CardFields::for_number(number)).unwrap().front
}

/// Whether the K panel has a dot at design (x, y).
fn k_at(side: &CardSide, x: u32, y: u32) -> bool {
    let (px, py) = design_to_panel(x, y);
    side.black.as_ref().is_some_and(|k| k.get(px, py))
}

const BLACK_TEXT: &str =
    "[front]\n[[front.text]]\ntext = \"{card_number}\"\nx = 100\ny = 300\nsize = 80\n";

#[test]
fn black_text_goes_to_k_and_not_to_colour() {
    let side = front(BLACK_TEXT, "TMP-1234");
    let k = side.black.as_ref().expect("text is in K");
    assert!(k.count_set() > 2000, "{} dots", k.count_set());
    assert!(side.color.is_none(), "an all-white colour panel is omitted");

    // On a coloured band the band is in the colour panel, the text only in K.
    let banded = "[front]\n[[front.box]]\nx = 0\ny = 200\nwidth = 1016\nheight = 150\ncolor = \"#1F4E79\"\n[[front.text]]\ntext = \"{card_number}\"\nx = 100\ny = 300\nsize = 80\n";
    let side = front(banded, "TMP-1234");
    let color = side.color.as_ref().expect("band is in colour");
    let k = side.black.as_ref().unwrap();
    let mut k_dots = 0;
    for py in 0..1016 {
        for px in 0..648 {
            let c = color.get(px, py);
            assert!(
                c == [255, 255, 255] || c == [0x1F, 0x4E, 0x79],
                "colour panel has only band and white, found {c:?}"
            );
            k_dots += usize::from(k.get(px, py));
        }
    }
    assert!(k_dots > 2000);
}

#[test]
fn coloured_text_goes_to_colour_and_not_to_k() {
    let side = front(
        &BLACK_TEXT.replace("size = 80", "size = 80\ncolor = \"#C00000\""),
        "TMP-1234",
    );
    assert!(side.black.is_none(), "nothing black");
    let color = side.color.expect("red text in colour");
    let reddish = color
        .rgb()
        .chunks(3)
        .filter(|p| p[0] > 150 && p[1] < 100)
        .count();
    assert!(reddish > 1500, "{reddish} red dots");
}

#[test]
fn rotation_puts_design_corners_at_the_right_panel_corners() {
    let marks = "[front]\n\
        [[front.box]]\nx = 0\ny = 0\nwidth = 1\nheight = 1\ncolor = \"#000000\"\n\
        [[front.box]]\nx = 1015\ny = 647\nwidth = 1\nheight = 1\ncolor = \"#000000\"\n\
        [[front.box]]\nx = 1015\ny = 0\nwidth = 1\nheight = 1\ncolor = \"#FF0000\"\n";
    let side = front(marks, "X");
    let k = side.black.as_ref().unwrap();
    assert_eq!(k.count_set(), 2);
    // Turned 90° clockwise: the design's top-left is the panel's top-right dot (first line,
    // last dot), the design's bottom-right the panel's bottom-left.
    assert!(k.get(647, 0), "design (0,0) -> panel (647,0)");
    assert!(k.get(0, 1015), "design (1015,647) -> panel (0,1015)");
    let color = side.color.as_ref().unwrap();
    assert_eq!(
        color.get(647, 1015),
        [255, 0, 0],
        "design (1015,0) -> panel (647,1015)"
    );
    assert_eq!(
        color
            .rgb()
            .chunks(3)
            .filter(|p| *p != [255, 255, 255])
            .count(),
        1
    );
    // And the preview turns it back.
    let picture = side_picture(&side);
    assert_eq!(picture.get_pixel(0, 0).0, [0, 0, 0]);
    assert_eq!(picture.get_pixel(1015, 647).0, [0, 0, 0]);
    assert_eq!(picture.get_pixel(1015, 0).0, [255, 0, 0]);
    assert_eq!(picture.get_pixel(1, 0).0, [255, 255, 255]);
}

#[test]
fn qr_code_in_k_has_the_modules_of_the_card_number_where_expected() {
    let (x0, y0, size) = (600u32, 100u32, 300u32);
    let src = format!("[front]\n[front.qr]\nx = {x0}\ny = {y0}\nsize = {size}\necc = \"M\"\n");
    let number = "TMP-004711";
    let side = front(&src, number);
    assert!(side.color.is_none());

    let code = QrCode::with_error_correction_level(number, qrcode::EcLevel::M).unwrap();
    let w = code.width() as u32;
    let module = size / (w + 8);
    assert!(module >= 2);
    let origin = (x0 + (size - w * module) / 2, y0 + (size - w * module) / 2);
    let centre = |mx: u32, my: u32| {
        (
            origin.0 + mx * module + module / 2,
            origin.1 + my * module + module / 2,
        )
    };

    // Finder patterns: dark 7×7 ring, light ring, dark 3×3 centre, at three corners.
    for (cx, cy) in [(0, 0), (w - 7, 0), (0, w - 7)] {
        for my in 0..7 {
            for mx in 0..7 {
                let ring = mx == 0 || my == 0 || mx == 6 || my == 6;
                let core = (2..=4).contains(&mx) && (2..=4).contains(&my);
                let (x, y) = centre(cx + mx, cy + my);
                assert_eq!(
                    k_at(&side, x, y),
                    ring || core,
                    "finder ({cx},{cy}) module ({mx},{my})"
                );
            }
        }
    }
    // No finder at the bottom-right corner.
    let (x, y) = centre(w - 4, w - 4);
    let (xa, ya) = centre(w - 7, w - 7);
    assert!(!(k_at(&side, x, y) && k_at(&side, xa, ya) && k_at(&side, xa + 6 * module, ya)));
    // Every module matches the encoder's matrix, and every dot of a module is the same.
    for my in 0..w {
        for mx in 0..w {
            let dark = code[(mx as usize, my as usize)] == Color::Dark;
            let (x, y) = centre(mx, my);
            assert_eq!(k_at(&side, x, y), dark, "module ({mx},{my})");
            let (ex, ey) = (origin.0 + mx * module, origin.1 + my * module);
            assert_eq!(k_at(&side, ex, ey), dark);
            assert_eq!(k_at(&side, ex + module - 1, ey + module - 1), dark);
        }
    }
    // The quiet zone (4 modules) is clear.
    for d in 1..=4 * module {
        assert!(!k_at(&side, origin.0 - d, origin.1 + 3 * module));
        assert!(!k_at(&side, origin.0 + 3 * module, origin.1 - d));
    }
}

/// Reads the bar modules along design row `y` between `x0` and `x1`.
fn read_bars(side: &CardSide, y: u32, x0: u32, x1: u32) -> (u32, Vec<u8>, u32) {
    let dots: Vec<bool> = (x0..x1).map(|x| k_at(side, x, y)).collect();
    let first = dots.iter().position(|d| *d).expect("bars") as u32;
    let last = dots.iter().rposition(|d| *d).unwrap() as u32;
    let mut runs = Vec::new();
    let mut i = first as usize;
    while i <= last as usize {
        let v = dots[i];
        let n = dots[i..=last as usize]
            .iter()
            .take_while(|d| **d == v)
            .count();
        runs.push((v, n as u32));
        i += n;
    }
    let module = runs.iter().map(|r| r.1).min().unwrap();
    let mut modules = Vec::new();
    for (v, n) in runs {
        assert_eq!(
            n % module,
            0,
            "run of {n} dots is not whole modules of {module}"
        );
        modules.extend(std::iter::repeat_n(u8::from(v), (n / module) as usize));
    }
    (x0 + first, modules, module)
}

#[test]
fn code128_bars_are_in_k_and_encode_the_card_number() {
    let src = "[front]\n[front.barcode]\nx = 40\ny = 400\nwidth = 900\nheight = 120\n";
    for number in ["TMP-000123-7", "00012345", "A1"] {
        let side = front(src, number);
        assert!(side.color.is_none(), "bars are resin black only");
        let (start, modules, module) = read_bars(&side, 460, 40, 940);
        let expected = Code128::new(code128_input(number)).unwrap().encode();
        assert_eq!(modules, expected, "{number}");
        assert!(
            modules.starts_with(&[1, 1, 0, 1, 0, 0, 1]),
            "a START code (11010..)"
        );
        assert!(
            modules.ends_with(&[1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1]),
            "the STOP pattern"
        );
        assert!(start >= 40 + 10 * module, "left quiet zone of 10 modules");
        assert!(
            start + modules.len() as u32 * module + 10 * module <= 940,
            "right quiet zone"
        );
        // Bars run the full height of the box and no further.
        for y in [400, 519] {
            assert_eq!(read_bars(&side, y, 40, 940).1, expected);
        }
        assert!(!k_at(&side, start, 399) && !k_at(&side, start, 520));
    }
    // The all-digit number used code set C (two digits per symbol): start C = 11010011100.
    let side = front(src, "00012345");
    assert!(
        read_bars(&side, 460, 40, 940)
            .1
            .starts_with(&[1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0])
    );
}

#[test]
fn overlay_is_masked_over_the_chip_or_full() {
    let side = front("[front]\n", "X");
    let Overlay::Masked(mask) = &side.overlay else {
        panic!("{:?}", side.overlay)
    };
    let inside = design_to_panel(
        CHIP_AREA.x + CHIP_AREA.width / 2,
        CHIP_AREA.y + CHIP_AREA.height / 2,
    );
    let outside = design_to_panel(800, 500);
    assert!(
        !mask.get(inside.0, inside.1),
        "no varnish on the chip contacts"
    );
    assert!(mask.get(outside.0, outside.1));
    assert_eq!(
        mask.count_set(),
        648 * 1016 - (CHIP_AREA.width * CHIP_AREA.height) as usize
    );
    assert_eq!(
        front("[front]\noverlay = \"full\"\n", "X").overlay,
        Overlay::Full
    );
    assert_eq!(
        front("[front]\noverlay = \"none\"\n", "X").overlay,
        Overlay::None
    );
}

#[test]
fn prepared_render_equals_a_full_render() {
    let coloured_variable = "[front]\nbackground = \"#FFFFFF\"\n\
        [[front.box]]\nx = 0\ny = 0\nwidth = 1016\nheight = 200\ncolor = \"#204060\"\n\
        [[front.text]]\ntext = \"{card_number}\"\nx = 508\ny = 150\nsize = 90\ncolor = \"#FFEE00\"\nalign = \"center\"\n\
        [[front.text]]\ntext = \"until {valid_until}\"\nx = 1000\ny = 400\nsize = 40\ncolor = \"#C00000\"\nalign = \"right\"\n\
        [[front.text]]\ntext = \"STATIC\"\nx = 10\ny = 600\nsize = 40\n";
    let mut templates = vec![
        builtin_template("temporary").unwrap(),
        builtin_template("temporary-duplex").unwrap(),
        template(coloured_variable),
    ];
    templates.push(template("[front]\n[[front.text]]\ntext = \"{order}\"\nx = 10\ny = 100\nsize = 40\ncolor = \"#00AA00\"\n"));
    for t in &templates {
        let face = PreparedFace::new(t).unwrap();
        for (i, number) in ["TMP-000001-3", "TMP-999999-9", "A-7"].iter().enumerate() {
            let fields = CardFields {
                card_number: number.to_string(),
                valid_until: "2026-12-31".into(),
                issued: "2026-11-24".into(),
                order: if i == 2 {
                    String::new()
                } else {
                    format!("{}", 40 + i)
                },
            };
            let prepared = face.render(&fields).unwrap();
            let full = render_full(t, &fields).unwrap();
            assert!(
                prepared == full,
                "template {} card {number}: prepared and full renders differ",
                t.name
            );
        }
    }
    // Cards whose colour texts read the same share one colour panel (a printer driver then
    // knows it without comparing); a card whose colour text differs gets its own, right one.
    let face = PreparedFace::new(&templates[0]).unwrap();
    let side = |number: &str, order: &str| {
        let fields = CardFields {
            order: order.into(),
            ..CardFields::for_number(number)
        };
        let image = face.render(&fields).unwrap();
        assert!(image == render_full(&templates[0], &fields).unwrap());
        image.front.color.expect("the temporary face is in colour")
    };
    let (a, b) = (side("TMP-1", "40"), side("TMP-2", "40"));
    assert!(a.shares_dots(&b));
    let c = side("TMP-3", "41");
    assert!(!c.shares_dots(&b) && c != b, "another order's text");
    assert!(
        !side("TMP-4", "40").shares_dots(&a),
        "drawn again after order 41"
    );
    let coloured = PreparedFace::new(&templates[2]).unwrap();
    let numbered = |n: &str| {
        let image = coloured.render(&CardFields::for_number(n)).unwrap();
        image.front.color.expect("colour")
    };
    assert!(!numbered("A-1").shares_dots(&numbered("A-2")));
    // Different cards really differ.
    assert_ne!(
        face.render(&CardFields::for_number("TMP-1")).unwrap(),
        face.render(&CardFields::for_number("TMP-2")).unwrap()
    );
}

#[test]
fn codes_that_do_not_fit_are_render_errors() {
    let src = "[front]\n[front.barcode]\nx = 0\ny = 0\nwidth = 100\nheight = 50\n";
    let face = PreparedFace::new(&template(src)).unwrap();
    let e = face
        .render(&CardFields::for_number("TMP-000123-7"))
        .unwrap_err();
    assert!(e.to_string().contains("widen the barcode box"), "{e}");
    let src = "[front]\n[front.qr]\nx = 0\ny = 0\nsize = 20\n";
    let face = PreparedFace::new(&template(src)).unwrap();
    assert!(
        face.render(&CardFields::for_number("TMP-000123-7"))
            .is_err()
    );
}

/// The Magicard's panels: 641 printed rows × 1016 lines.
fn magicard() -> PanelGeometry {
    PanelGeometry::new(641, 1016, 300).unwrap()
}

#[test]
fn a_face_prepared_at_another_geometry_renders_like_a_full_render_at_it() {
    for name in ["temporary", "temporary-duplex"] {
        let t = builtin_template(name).unwrap();
        let face = PreparedFace::new_at(&t, magicard()).unwrap();
        assert_eq!(face.geometry(), magicard());
        for number in ["TMP-000001-3", "TMP-999999-9"] {
            let fields = CardFields::for_number(number);
            let prepared = face.render(&fields).unwrap();
            let full = render_full_at(&t, &fields, magicard()).unwrap();
            assert!(
                prepared == full,
                "{name} {number}: prepared and full differ"
            );
            assert_eq!(prepared.geometry(), Ok(Some(magicard())));
        }
    }
}

#[test]
fn rendering_at_641_rows_samples_the_648_row_render_without_cropping_the_bottom() {
    let t = builtin_template("temporary").unwrap();
    let fields = CardFields::for_number("TMP-000042-7");
    let id1 = PreparedFace::new(&t).unwrap().render(&fields).unwrap();
    let native = PreparedFace::new_at(&t, magicard())
        .unwrap()
        .render(&fields)
        .unwrap();
    let map = PanelMap::new(magicard());
    let (c648, c641) = (
        id1.front.color.as_ref().unwrap(),
        native.front.color.as_ref().unwrap(),
    );
    let (k648, k641) = (
        id1.front.black.as_ref().unwrap(),
        native.front.black.as_ref().unwrap(),
    );
    let mut k_dots = 0;
    for py in 0..1016 {
        for px in 0..641 {
            let (x, y) = map.design_of(px, py);
            let (qx, qy) = design_to_panel(x, y);
            assert_eq!(c641.get(px, py), c648.get(qx, qy), "colour at ({px}, {py})");
            assert_eq!(k641.get(px, py), k648.get(qx, qy), "black at ({px}, {py})");
            k_dots += usize::from(k641.get(px, py));
        }
    }
    assert!(
        k_dots > 1000,
        "the card number and codes are on K: {k_dots}"
    );
    // The last design row (647) is printed on panel dot 0, not dropped.
    assert_eq!(map.design_of(0, 500), (500, 647));
    // The chip hole is a hole in the 641-row overlay too, at the same card place.
    let Overlay::Masked(mask) = &native.front.overlay else {
        panic!("the temporary card has a masked overlay");
    };
    let hole = CHIP_AREA;
    let (px, py) = map.panel_of(hole.x + 10, hole.y + 10).unwrap();
    assert!(!mask.get(px, py));
    let (px, py) = map.panel_of(800, 500).unwrap();
    assert!(mask.get(px, py));
    assert_eq!(side_picture(&native.front).dimensions(), (1016, 641));
}
