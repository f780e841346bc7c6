//! Capabilities from the model name returned by `Rtp` (spec §1.9 model list).
//!
//! The escape protocol has no capability query (the binary CFG word of §1.8 is not reachable by
//! a documented command), so the driver infers capabilities from the model name and lets the
//! URI override them.

use cardline_device::{ColorModel, PanelGeometry, PrinterCapabilities};

/// Capabilities of a model named by `Rtp`. Duplex: names with `Duplex`, `Dualys`, `Quantum`,
/// `Securion`, `KC200`, `Avansia`; colour unless the name says `Mono` or it is a `Tattoo`/`Pebble 4 mono`;
/// contact station assumed (the option cardline needs); reject box on Primacy, Zenius, Quantum,
/// KC and Agilia families. Every model prints 648 × 1016 panels at 300 dpi from ribbon panels
/// (YMCKO, KO, K; §1.6).
pub fn capabilities_for_model(model: &str) -> PrinterCapabilities {
    let m = model.to_ascii_lowercase();
    let any = |keys: &[&str]| keys.iter().any(|k| m.contains(k));
    PrinterCapabilities {
        duplex: any(&[
            "duplex", "dualys", "quantum", "securion", "kc200", "avansia",
        ]),
        contact_station: true,
        contactless_station: any(&["contactless", "kc"]),
        color: !any(&["mono", "tattoo"]),
        reject_box: any(&["primacy", "zenius", "quantum", "kc", "agilia", "dualys"]),
        geometry: PanelGeometry::ID1_300_DPI,
        color_model: ColorModel::RibbonPanels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplex_and_colour_follow_the_model_name() {
        let p = capabilities_for_model("Primacy 2 Duplex");
        assert!(p.duplex && p.color && p.reject_box && p.contact_station);
        let z = capabilities_for_model("Zenius");
        assert!(!z.duplex && z.color && z.reject_box);
        assert!(capabilities_for_model("Dualys 3").duplex);
        assert!(!capabilities_for_model("Tattoo Mono").color);
        assert!(!capabilities_for_model("Badgy200").reject_box);
    }
}
