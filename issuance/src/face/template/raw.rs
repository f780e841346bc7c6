//! The template file as written: serde structs that keep each value's position for errors.

use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTemplate {
    pub(super) name: Option<Spanned<String>>,
    #[allow(dead_code)]
    pub(super) description: Option<String>,
    pub(super) front: RawSide,
    pub(super) back: Option<RawSide>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSide {
    pub(super) background: Option<Spanned<String>>,
    pub(super) background_image: Option<Spanned<String>>,
    pub(super) overlay: Option<Spanned<String>>,
    pub(super) overlay_hole: Option<RawRect>,
    #[serde(default, rename = "box")]
    pub(super) boxes: Vec<RawBox>,
    #[serde(default)]
    pub(super) text: Vec<RawText>,
    pub(super) barcode: Option<RawBarcode>,
    pub(super) qr: Option<RawQr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRect {
    pub(super) x: Spanned<i64>,
    pub(super) y: Spanned<i64>,
    pub(super) width: Spanned<i64>,
    pub(super) height: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBox {
    pub(super) x: Spanned<i64>,
    pub(super) y: Spanned<i64>,
    pub(super) width: Spanned<i64>,
    pub(super) height: Spanned<i64>,
    pub(super) color: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawText {
    pub(super) text: Spanned<String>,
    pub(super) x: Spanned<i64>,
    pub(super) y: Spanned<i64>,
    pub(super) size: Spanned<f64>,
    pub(super) color: Option<Spanned<String>>,
    pub(super) align: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) bold: bool,
    pub(super) max_width: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBarcode {
    pub(super) x: Spanned<i64>,
    pub(super) y: Spanned<i64>,
    pub(super) width: Spanned<i64>,
    pub(super) height: Spanned<i64>,
    pub(super) data: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQr {
    pub(super) x: Spanned<i64>,
    pub(super) y: Spanned<i64>,
    pub(super) size: Spanned<i64>,
    pub(super) data: Option<Spanned<String>>,
    pub(super) ecc: Option<Spanned<String>>,
}
