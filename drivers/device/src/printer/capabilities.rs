//! [`PrinterCapabilities`]: what a printer can do, queried rather than assumed.

use crate::image::PanelGeometry;

/// How a printer takes colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColorModel {
    /// Ribbon panels downloaded one by one, the ribbon chosen per card: YMCKO (Y, M, C at
    /// 32–128 levels, resin black K and overlay O at 1 bit), KO or K (Evolis).
    #[default]
    RibbonPanels,
    /// One page per side whose header names its planes: BGR (Y, M, C at 6 bits), BGRK (plus
    /// resin black K at 1 bit) or K; the overcoat is a header flag with rectangular holes
    /// (Magicard).
    PagePlanes,
}

impl ColorModel {
    /// The ribbon or plane layouts of this model, as the printer's documentation names them.
    pub fn layouts(self) -> &'static [&'static str] {
        match self {
            ColorModel::RibbonPanels => &["YMCKO", "KO", "K"],
            ColorModel::PagePlanes => &["BGR", "BGRK", "K"],
        }
    }
}

/// What a printer can do, queried rather than assumed.
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct PrinterCapabilities {
    /// Prints both sides.
    pub duplex: bool,
    /// Has a smart-card contact station.
    pub contact_station: bool,
    /// Has a contactless encoding position.
    pub contactless_station: bool,
    /// Prints colour (YMC panels).
    pub color: bool,
    /// Has a reject box.
    pub reject_box: bool,
    /// The size and resolution of the panels it prints: the card face is rendered at it.
    pub geometry: PanelGeometry,
    /// How it takes colour.
    pub color_model: ColorModel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_default_to_the_id1_panels_of_evolis() {
        let c = PrinterCapabilities::default();
        assert_eq!(c.geometry, PanelGeometry::ID1_300_DPI);
        assert_eq!(c.color_model, ColorModel::RibbonPanels);
        assert_eq!(ColorModel::PagePlanes.layouts(), ["BGR", "BGRK", "K"]);
    }
}
