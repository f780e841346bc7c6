//! Bytes per card on the wire for the default temporary card design, panel by panel,
//! `Dbc`-compressed vs raw `Db` (run with `--nocapture` to see the figures).

use cardline_device::{MonoPanel, Overlay};
use cardline_evolis::{ColorLevels, color_levels, compress_color, compress_mono};
use cardline_issuance::face::{CardFields, PreparedFace, builtin_template};

#[test]
fn default_temporary_card_bytes_compressed_vs_raw() {
    let face = PreparedFace::new(&builtin_template("temporary").unwrap()).unwrap();
    let card = face.render(&CardFields::for_number("TMP-000042")).unwrap();
    let side = &card.front;
    let k = side
        .black
        .as_ref()
        .expect("the default face has black text and codes");
    let o = match &side.overlay {
        Overlay::Full => MonoPanel::full(),
        Overlay::Masked(m) => m.clone(),
        Overlay::None => panic!("the default face has an overlay"),
    };
    let raw_mono = MonoPanel::blank().bits().len();
    // The driver sends `Dbc` only when it is smaller than `Db` (plus one for each header's size
    // digits, ignored here).
    let (k_c, o_c) = (
        compress_mono(k).len().min(raw_mono),
        compress_mono(&o).len().min(raw_mono),
    );
    println!("K panel: {k_c} bytes sent vs Db {raw_mono} bytes");
    println!(
        "O panel: {o_c} bytes sent (Dbc {}) vs Db {raw_mono} bytes",
        compress_mono(&o).len()
    );
    for levels in [ColorLevels::L32, ColorLevels::L64, ColorLevels::L128] {
        let ymc = 3 * levels.panel_bytes();
        println!(
            "{} levels, colour raw (compress_color = false): YMC {ymc} + K + O = {}, all raw {}",
            levels.count(),
            ymc + k_c + o_c,
            ymc + 2 * raw_mono
        );
    }
    assert!(
        k_c < raw_mono / 2,
        "text and codes leave most K lines short"
    );
    assert!(o_c <= raw_mono);
    let color = side
        .color
        .as_ref()
        .expect("the default face has colour bands");
    for levels in [ColorLevels::L32, ColorLevels::L64, ColorLevels::L128] {
        let rle: usize = color_levels(color, levels)
            .iter()
            .map(|v| compress_color(v, levels).len().min(levels.panel_bytes()))
            .sum();
        println!(
            "{} levels as sent by default (run-length YMC): YMC {rle} + K + O = {}",
            levels.count(),
            rle + k_c + o_c
        );
        assert!(rle < 3 * levels.panel_bytes() / 10);
        let raw = 3 * levels.panel_bytes() + 2 * raw_mono;
        assert!(
            rle + k_c + o_c <= raw / 4,
            "issue 6: at most a quarter of the raw panels"
        );
    }
}
