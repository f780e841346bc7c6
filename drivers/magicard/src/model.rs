//! USB identifiers for discovery and capabilities from the model name
//! (`docs/magicard-protocol.md` §6).

use crate::job::geometry::NATIVE;
use cardline_device::{ColorModel, PrinterCapabilities};

/// USB vendor id of Magicard printers (`0x0C1F`, \[DOC\] usb.ids and Gutenprint). Any product id
/// of this vendor is a Magicard.
pub const MAGICARD_VENDOR_ID: u16 = 0x0C1F;

/// Product ids seen in public sources, with the model names they stand for \[DOC\].
pub const MAGICARD_PRODUCTS: &[(u16, &str)] = &[
    (0x1800, "Tango 2E / Rio 2E"),
    (0x4800, "Enduro"),
    (0x880A, "Enduro+"),
];

/// The model name of a known product id; `None` for a product id not in
/// [`MAGICARD_PRODUCTS`] (still a Magicard when the vendor id is [`MAGICARD_VENDOR_ID`]).
pub fn model_for_product(product_id: u16) -> Option<&'static str> {
    MAGICARD_PRODUCTS
        .iter()
        .find(|(pid, _)| *pid == product_id)
        .map(|(_, name)| *name)
}

/// True when a USB device is a Magicard printer (vendor id only: every product id counts).
pub fn is_magicard(vendor_id: u16) -> bool {
    vendor_id == MAGICARD_VENDOR_ID
}

/// Capabilities of a model named by `STA,MDL`. No public source lists capabilities per model,
/// so this is cardline's inference (\[CL\]), overridable by the configuration: duplex when the
/// name says `Duo`, `Duplex` or `Dual`; colour unless it says `Mono`; the contact station is
/// assumed (the option cardline needs); the reject box is assumed (`RJT`, `STA,RJB`). Every
/// model prints 641 × 1016 dots at 300 dpi (the printed rows of the fixtures, §3) from page
/// planes (BGR, BGRK, K).
pub fn capabilities_for_model(model: &str) -> PrinterCapabilities {
    let m = model.to_ascii_lowercase();
    let any = |keys: &[&str]| keys.iter().any(|k| m.contains(k));
    PrinterCapabilities {
        duplex: any(&["duo", "duplex", "dual"]),
        contact_station: true,
        contactless_station: false,
        color: !any(&["mono"]),
        reject_box: true,
        geometry: NATIVE,
        color_model: ColorModel::PagePlanes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_products_have_names_and_any_product_of_the_vendor_counts() {
        assert_eq!(model_for_product(0x1800), Some("Tango 2E / Rio 2E"));
        assert_eq!(model_for_product(0x880A), Some("Enduro+"));
        assert_eq!(model_for_product(0x1234), None);
        assert!(is_magicard(0x0C1F) && !is_magicard(0x0F49));
    }

    #[test]
    fn duplex_and_colour_follow_the_model_name() {
        assert!(capabilities_for_model("Rio Pro 360 Duo").duplex);
        assert!(!capabilities_for_model("Enduro 3E").duplex);
        assert!(capabilities_for_model("Enduro 3E").color);
        assert!(!capabilities_for_model("Enduro Mono").color);
        assert!(capabilities_for_model("0").contact_station);
        let c = capabilities_for_model("Rio Pro 360");
        assert_eq!(
            (c.geometry.dots, c.geometry.lines, c.geometry.dpi),
            (641, 1016, 300)
        );
        assert_eq!(c.color_model, ColorModel::PagePlanes);
    }
}
