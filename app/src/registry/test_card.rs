//! The test card of printers that print CR80 cards at 300 dpi (1016 × 648 dots): colour bars,
//! a grey ramp, a pure black frame and text (K panel), a full overlay.

/// The CR80 test card as a face template (`cardline printer test-card`).
pub const CR80_TEST_CARD: &str = r##"
name = "test-card"
[front]
background = "#FFFFFF"
overlay = "full"
[[front.box]]
x = 0
y = 0
width = 1016
height = 24
color = "#000000"
[[front.box]]
x = 0
y = 624
width = 1016
height = 24
color = "#000000"
[[front.box]]
x = 60
y = 300
width = 150
height = 120
color = "#FFFF00"
[[front.box]]
x = 210
y = 300
width = 150
height = 120
color = "#FF00FF"
[[front.box]]
x = 360
y = 300
width = 150
height = 120
color = "#00FFFF"
[[front.box]]
x = 510
y = 300
width = 150
height = 120
color = "#FF0000"
[[front.box]]
x = 660
y = 300
width = 150
height = 120
color = "#00A000"
[[front.box]]
x = 810
y = 300
width = 150
height = 120
color = "#0000FF"
[[front.box]]
x = 60
y = 440
width = 300
height = 60
color = "#404040"
[[front.box]]
x = 360
y = 440
width = 300
height = 60
color = "#808080"
[[front.box]]
x = 660
y = 440
width = 300
height = 60
color = "#C0C0C0"
[[front.text]]
text = "CARDLINE TEST CARD"
x = 60
y = 150
size = 80
bold = true
[[front.text]]
text = "{card_number}"
x = 60
y = 250
size = 48
[[front.text]]
text = "Y M C R G B  /  25% 50% 75% grey"
x = 60
y = 580
size = 36
color = "#5D6D7E"
"##;

use std::path::Path;

use cardline_device::{CardImage, PanelGeometry};
use cardline_issuance::face::{
    CardFields, FaceError, PreparedFace, TemplateError, load_template, parse_template,
};

use super::PrinterFamily;

/// What goes on a test card.
#[derive(Clone, Debug, Default)]
pub struct TestCardOptions {
    /// Print this face template of the home (e.g. `temporary`) instead of the family's test card.
    pub face: Option<String>,
    /// Black only: no colour, no overlay, no back.
    pub mono: bool,
    /// Print the back side too: the template's back, as `face preview --back` shows it (a
    /// template without a back is refused, as there); the test pattern's back is its front.
    pub back: bool,
}

/// A test card that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum TestCardError {
    /// The face template cannot be loaded.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The face cannot be rendered.
    #[error(transparent)]
    Face(#[from] FaceError),
    /// `--back` with a face template that has no back side.
    #[error("template `{0}` has no back side; add a [back] section or use --face temporary-duplex")]
    NoBack(String),
}

/// The image of a test card for a printer of `family`, numbered `label`, rendered at the
/// printer's panel `geometry` (its capabilities'; [`PanelGeometry::ID1_300_DPI`] for Evolis).
pub fn test_card_image(
    family: &PrinterFamily,
    home: &Path,
    options: &TestCardOptions,
    label: &str,
    geometry: PanelGeometry,
) -> Result<CardImage, TestCardError> {
    let template = match &options.face {
        Some(name) => load_template(home, name)?,
        None => parse_template(
            family.test_card,
            Path::new("<test card>"),
            None,
            "test-card",
        )?,
    };
    let prepared = PreparedFace::new_at(&template, geometry)?;
    let mut image = prepared.render(&CardFields::for_number(label))?;
    image.label = Some(label.to_string());
    if options.mono {
        image.front.color = None;
        image.front.overlay = cardline_device::Overlay::None;
        image.back = None;
    }
    if options.back && image.back.is_none() {
        match &options.face {
            // The same answer as `cardline face preview --back` for this template.
            Some(name) => return Err(TestCardError::NoBack(name.clone())),
            None => image.back = Some(image.front.clone()),
        }
    }
    Ok(image)
}

#[cfg(test)]
mod back_tests {
    use super::*;

    #[test]
    fn the_back_is_the_templates_back_or_refused_like_face_preview() {
        let family = &super::super::FAMILIES[0];
        let home = std::path::Path::new(".");
        let duplex = TestCardOptions {
            face: Some("temporary-duplex".into()),
            back: true,
            ..Default::default()
        };
        let image = test_card_image(
            family,
            home,
            &duplex,
            "TEST-0001",
            PanelGeometry::ID1_300_DPI,
        )
        .unwrap();
        let template = load_template(home, "temporary-duplex").unwrap();
        let preview = PreparedFace::new(&template)
            .unwrap()
            .render(&CardFields::for_number("TEST-0001"))
            .unwrap();
        assert_eq!(image.back, preview.back, "what face preview --back shows");
        assert_ne!(image.back.as_ref(), Some(&image.front));
        let single = TestCardOptions {
            face: Some("temporary".into()),
            back: true,
            ..Default::default()
        };
        let e = test_card_image(
            family,
            home,
            &single,
            "TEST-0001",
            PanelGeometry::ID1_300_DPI,
        )
        .unwrap_err();
        assert!(e.to_string().contains("has no back side"), "{e}");
        let pattern = TestCardOptions {
            back: true,
            ..Default::default()
        };
        let image = test_card_image(
            family,
            home,
            &pattern,
            "TEST-0001",
            PanelGeometry::ID1_300_DPI,
        )
        .unwrap();
        assert_eq!(image.back.as_ref(), Some(&image.front));
    }
}
