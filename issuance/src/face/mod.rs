//! The card face: what is printed on a temporary card.
//!
//! A template (TOML, see `docs/card-face.md`) describes the front and an optional back in
//! landscape card coordinates (1016 × 648 dots, 300 dpi ID-1): background colour or image,
//! colour boxes, text lines with placeholders (`{card_number}`, `{valid_until}`, `{issued}`,
//! `{order}`), a Code 128 barcode and/or a QR code of the card number, and the overlay varnish
//! (full, or masked to leave the chip contacts free). Templates are looked up by the name in the
//! options' `face_template`: `temporary` (and `temporary-duplex`) are built in, any other name
//! is `<home>/faces/<name>.toml`.
//!
//! Rendering produces the printer's [`CardImage`](cardline_device::CardImage): pure black text,
//! boxes and codes go to the resin black (K) panel, everything else to the colour panel, rotated
//! into the printer's portrait orientation at the printer's panel geometry (648 × 1016 by
//! default and for Evolis, 641 × 1016 for a Magicard: [`PanelMap`], [`PreparedFace::new_at`]).
//! [`PreparedFace`] renders the static parts once per order; [`PreparedFace::render`] adds one
//! card's fields in a few milliseconds.
//!
//! ```
//! use cardline_issuance::face::{CardFields, PreparedFace, builtin_template};
//!
//! let template = builtin_template("temporary").unwrap();
//! let face = PreparedFace::new(&template).unwrap();
//! let card = face.render(&CardFields::for_number("TMP-000042")).unwrap();
//! assert!(card.front.black.is_some());
//! ```

mod canvas;
mod codes;
mod design;
mod error;
mod panel_map;
mod plan;
mod preview;
mod template;
mod text;

use std::path::{Path, PathBuf};

pub use canvas::{
    BLACK_THRESHOLD, Canvas, DesignCanvas, PanelCanvas, blend, design_to_panel, overlay_panel,
    overlay_panel_at, panel_to_design,
};
pub use codes::{
    BARCODE_QUIET_MODULES, BarcodeLayout, QR_QUIET_MODULES, QrLayout, barcode_layout,
    code128_input, qr_layout,
};
pub use design::{
    Align, BLACK, Background, BarcodeElement, BoxElement, CHIP_AREA, CardFields, DESIGN_HEIGHT,
    DESIGN_WIDTH, FaceTemplate, Field, OverlayKind, QrEcc, QrElement, Rect, Rgb, SideDesign,
    TextElement, TextPattern, WHITE,
};
pub use error::{FaceError, InvalidEntry, InvalidKind, TemplateError};
pub use panel_map::PanelMap;
pub use plan::{PreparedFace, render_design, render_full, render_full_at};
pub use preview::{PreviewError, design_picture, side_picture, write_png, write_side_png};
pub use template::{
    MAX_IMAGE_SIDE, MAX_NAME_CHARS, MAX_TEXT_CHARS, parse_color, parse_template,
    parse_template_file,
};
pub use text::{fitted_size, text_width};

/// Name of the built-in single-sided temporary card template (the options' default).
pub const DEFAULT_TEMPLATE: &str = "temporary";

const TEMPORARY_FRONT: &str = include_str!("../../assets/faces/temporary.toml");
const DUPLEX_BACK: &str = include_str!("../../assets/faces/temporary-back.toml");

/// The TOML text of a built-in template: `temporary` (front only) or `temporary-duplex`
/// (the same front plus a back).
pub fn builtin_source(name: &str) -> Option<String> {
    match name {
        "temporary" => Some(TEMPORARY_FRONT.to_owned()),
        "temporary-duplex" => Some(
            TEMPORARY_FRONT.replace("name = \"temporary\"", "name = \"temporary-duplex\"")
                + "\n"
                + DUPLEX_BACK,
        ),
        _ => None,
    }
}

/// A built-in template, parsed.
pub fn builtin_template(name: &str) -> Option<FaceTemplate> {
    let source = builtin_source(name)?;
    let file = PathBuf::from(format!("<built-in {name}>"));
    Some(parse_template(&source, &file, None, name).expect("built-in templates are valid"))
}

/// Where a named template lives under the cardline home folder.
pub fn template_path(home: &Path, name: &str) -> PathBuf {
    home.join("faces").join(format!("{name}.toml"))
}

/// Loads the template named in the options: a built-in one (`temporary`, `temporary-duplex`),
/// otherwise `<home>/faces/<name>.toml`.
pub fn load_template(home: &Path, name: &str) -> Result<FaceTemplate, TemplateError> {
    if let Some(t) = builtin_template(name) {
        return Ok(t);
    }
    let path = template_path(home, name);
    if !path.is_file() {
        return Err(TemplateError::NotFound {
            name: name.to_owned(),
            path,
        });
    }
    parse_template_file(&path)
}
