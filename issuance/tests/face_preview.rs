//! Writes preview PNGs of the built-in templates when `CARDLINE_FACE_PREVIEW_DIR` is set, and
//! prints how long rendering one card takes (no timing assertion).

use std::time::Instant;

use cardline_issuance::face::{
    CardFields, PreparedFace, builtin_template, render_full, write_side_png,
};

fn sample_fields() -> CardFields {
    CardFields {
        card_number: "TMP-000123-7".into(),
        valid_until: "2026-12-31".into(),
        issued: "2026-11-24".into(),
        order: "42".into(),
    }
}

#[test]
fn builtin_templates_render_and_preview() {
    for name in ["temporary", "temporary-duplex"] {
        let template = builtin_template(name).expect("built-in");
        let face = PreparedFace::new(&template).expect("prepare");
        let card = face.render(&sample_fields()).expect("render");
        assert!(card.front.black.is_some(), "{name}: front has resin black");
        assert_eq!(card.back.is_some(), name == "temporary-duplex");
        match std::env::var_os("CARDLINE_FACE_PREVIEW_DIR") {
            Some(dir) => {
                let dir = std::path::PathBuf::from(dir);
                write_side_png(&card.front, &dir.join(format!("{name}-front.png"))).unwrap();
                if let Some(back) = &card.back {
                    write_side_png(back, &dir.join(format!("{name}-back.png"))).unwrap();
                }
            }
            None => cardline_device::skipped!(
                "preview PNGs (set CARDLINE_FACE_PREVIEW_DIR to write them)"
            ),
        }
    }
}

#[test]
fn per_card_render_time_is_reported() {
    let template = builtin_template("temporary-duplex").expect("built-in");
    let started = Instant::now();
    let face = PreparedFace::new(&template).expect("prepare");
    let prepare = started.elapsed();
    let cards = 20;
    let started = Instant::now();
    for i in 0..cards {
        let mut fields = sample_fields();
        fields.card_number = format!("TMP-{i:06}");
        let card = face.render(&fields).expect("render");
        assert!(card.front.black.is_some());
    }
    let per_card = started.elapsed() / cards;
    let started = Instant::now();
    render_full(&template, &sample_fields()).expect("render");
    let full = started.elapsed();
    println!(
        "face timing ({} build): prepare {prepare:?}, per card (duplex) {per_card:?}, unprepared full render {full:?}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
}
