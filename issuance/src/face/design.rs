//! The validated card face design: what a template says, in landscape card coordinates
//! (1016 × 648 dots at 300 dpi, origin top-left, x to the right, y down).

use std::borrow::Cow;
use std::sync::Arc;

/// Width of the landscape card design in dots (85.60 mm at 300 dpi).
pub const DESIGN_WIDTH: u32 = 1016;
/// Height of the landscape card design in dots (53.98 mm at 300 dpi).
pub const DESIGN_HEIGHT: u32 = 648;

/// An RGB colour.
pub type Rgb = [u8; 3];

/// Pure black: elements in this colour go to the resin black (K) panel.
pub const BLACK: Rgb = [0, 0, 0];
/// White: no dye.
pub const WHITE: Rgb = [255, 255, 255];

/// A rectangle in design coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width in dots.
    pub width: u32,
    /// Height in dots.
    pub height: u32,
}

/// The default overlay hole: the ISO/IEC 7816-2 contact area of a chip card seen from the front
/// in landscape (about 8–22 mm from the left edge, 17–31 mm from the top), with a margin.
pub const CHIP_AREA: Rect = Rect {
    x: 94,
    y: 200,
    width: 166,
    height: 166,
};

/// A variable field of one card, named in a template as `{card_number}` and so on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// `{card_number}`: the printed card number.
    CardNumber,
    /// `{valid_until}`: the last day the card is valid.
    ValidUntil,
    /// `{issued}`: the day the card was produced.
    Issued,
    /// `{order}`: the batch order number.
    Order,
}

impl Field {
    /// Every placeholder as written in a template.
    pub const ALL: [(&'static str, Field); 4] = [
        ("card_number", Field::CardNumber),
        ("valid_until", Field::ValidUntil),
        ("issued", Field::Issued),
        ("order", Field::Order),
    ];
}

/// The values that differ from card to card.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardFields {
    /// The card number, e.g. `TMP-000123`.
    pub card_number: String,
    /// Last valid day as it should be printed, e.g. `2026-12-31`.
    pub valid_until: String,
    /// Production day as it should be printed.
    pub issued: String,
    /// The batch order as it should be printed.
    pub order: String,
}

impl CardFields {
    /// Fields for a card number only (validity, issue day and order left empty).
    pub fn for_number(card_number: impl Into<String>) -> Self {
        Self {
            card_number: card_number.into(),
            ..Self::default()
        }
    }

    /// Fields from a card record; `issued` is the production day to print. A timestamp in
    /// `valid_until` is printed as its date (`2026-12-31T23:59:59Z` → `2026-12-31`); a card
    /// without one prints an empty validity (set [`CardFields::valid_until`] afterwards).
    pub fn from_card(card: &crate::model::Card, issued: impl Into<String>) -> Self {
        let date_part = |s: &String| match s.as_bytes().get(10) {
            Some(b'T' | b' ') => s[..10].to_owned(),
            _ => s.clone(),
        };
        Self {
            card_number: card.number.clone(),
            valid_until: card.valid_until.as_ref().map(date_part).unwrap_or_default(),
            issued: issued.into(),
            order: card
                .shown_order()
                .map(|o| o.to_string())
                .unwrap_or_default(),
        }
    }

    fn get(&self, field: Field) -> &str {
        match field {
            Field::CardNumber => &self.card_number,
            Field::ValidUntil => &self.valid_until,
            Field::Issued => &self.issued,
            Field::Order => &self.order,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Literal(String),
    Field(Field),
}

/// Text with `{placeholders}`; `{{` and `}}` stand for literal braces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextPattern {
    pieces: Vec<Piece>,
}

impl TextPattern {
    /// Parses a pattern; the error describes the first bad placeholder.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let rest = &s[i + 1..];
                    let end = rest
                        .find('}')
                        .ok_or_else(|| format!("`{{` at character {} is never closed", i + 1))?;
                    let name = &rest[..end];
                    let field = Field::ALL
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, f)| *f)
                        .ok_or_else(|| format!("`{{{name}}}` is not a placeholder"))?;
                    if !literal.is_empty() {
                        pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Field(field));
                    for _ in 0..=end {
                        chars.next();
                    }
                }
                '}' => return Err(format!("`}}` at character {} has no opening `{{`", i + 1)),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Literal(literal));
        }
        Ok(Self { pieces })
    }

    /// True when the pattern has no placeholder (it can be rendered once per order).
    pub fn is_static(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Literal(_)))
    }

    /// The text for one card.
    pub fn expand<'a>(&'a self, fields: &'a CardFields) -> Cow<'a, str> {
        match self.pieces.as_slice() {
            [] => Cow::Borrowed(""),
            [Piece::Literal(s)] => Cow::Borrowed(s),
            [Piece::Field(f)] => Cow::Borrowed(fields.get(*f)),
            pieces => Cow::Owned(
                pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Literal(s) => s.as_str(),
                        Piece::Field(f) => fields.get(*f),
                    })
                    .collect(),
            ),
        }
    }
}

/// Horizontal alignment of a text relative to its `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// `x` is the left end of the text.
    Left,
    /// `x` is the middle of the text.
    Center,
    /// `x` is the right end of the text.
    Right,
}

/// What is under everything else on a side.
#[derive(Clone, Debug, PartialEq)]
pub enum Background {
    /// One colour.
    Color(Rgb),
    /// A picture, already scaled to 1016 × 648.
    Image(Arc<image::RgbImage>),
}

/// A filled rectangle (colour band, frame line).
#[derive(Clone, Debug, PartialEq)]
pub struct BoxElement {
    /// Where.
    pub rect: Rect,
    /// Fill colour; pure black goes to the K panel.
    pub color: Rgb,
}

/// A line of text.
#[derive(Clone, Debug, PartialEq)]
pub struct TextElement {
    /// The text, possibly with placeholders.
    pub pattern: TextPattern,
    /// Anchor x (left end, middle or right end, see `align`).
    pub x: u32,
    /// Baseline y.
    pub y: u32,
    /// Font size in dots (the em height; 300 dots = 1 inch, 10 pt ≈ 42 dots).
    pub size: f32,
    /// Text colour; pure black goes to the K panel, anything else to colour.
    pub color: Rgb,
    /// How `x` anchors the text.
    pub align: Align,
    /// DejaVu Sans Bold instead of DejaVu Sans.
    pub bold: bool,
    /// Shrink the font so the text is at most this wide.
    pub max_width: Option<u32>,
}

/// A Code 128 barcode, drawn in resin black.
#[derive(Clone, Debug, PartialEq)]
pub struct BarcodeElement {
    /// The box the symbol and its quiet zones are centred in.
    pub rect: Rect,
    /// What to encode (default `{card_number}`).
    pub data: TextPattern,
}

/// QR code error correction level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QrEcc {
    /// About 7 % recovery.
    L,
    /// About 15 % recovery.
    M,
    /// About 25 % recovery.
    Q,
    /// About 30 % recovery.
    H,
}

/// A QR code, drawn in resin black.
#[derive(Clone, Debug, PartialEq)]
pub struct QrElement {
    /// Left edge of the square box.
    pub x: u32,
    /// Top edge of the square box.
    pub y: u32,
    /// Side of the box; the symbol with a 4-module quiet zone is scaled by the largest whole
    /// number of dots per module that fits, and centred.
    pub size: u32,
    /// What to encode (default `{card_number}`).
    pub data: TextPattern,
    /// Error correction level.
    pub ecc: QrEcc,
}

/// The overlay varnish of a side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverlayKind {
    /// Varnish everywhere.
    Full,
    /// Varnish everywhere except this rectangle (the chip contacts).
    Masked(Rect),
    /// No varnish.
    None,
}

/// One side of the card.
#[derive(Clone, Debug, PartialEq)]
pub struct SideDesign {
    /// Background.
    pub background: Background,
    /// Filled rectangles, drawn in order above the background.
    pub boxes: Vec<BoxElement>,
    /// Texts, drawn in order above the boxes (static texts first, then variable ones).
    pub texts: Vec<TextElement>,
    /// Optional Code 128 barcode.
    pub barcode: Option<BarcodeElement>,
    /// Optional QR code.
    pub qr: Option<QrElement>,
    /// Overlay varnish.
    pub overlay: OverlayKind,
}

/// A whole card face template: front and optional back.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceTemplate {
    /// Template name (`temporary` for the built-in one).
    pub name: String,
    /// The front side.
    pub front: SideDesign,
    /// The back side, printed only by duplex printers.
    pub back: Option<SideDesign>,
}
