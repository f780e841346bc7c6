//! An independent reader of Magicard print streams, written for the tests from
//! `docs/magicard-protocol.md` §1–§3 (it shares no code with the driver's encoder): it splits a
//! stream into pages, reads the header tokens, cuts the planes by their `SZ` sizes and checks
//! their terminators, and turns 8-bit or native 6-bit planes into ink fractions per landscape
//! dot.

/// One page of a stream: `05… 01 header 1C planes 03`.
#[derive(Debug)]
pub struct Page {
    /// The header split at commas (the leading comma gives no token).
    pub tokens: Vec<String>,
    /// The planes in stream order: (letter, bytes).
    pub planes: Vec<(char, Vec<u8>)>,
}

impl Page {
    /// The plane with this letter.
    pub fn plane(&self, letter: char) -> Option<&[u8]> {
        self.planes
            .iter()
            .find(|(l, _)| *l == letter)
            .map(|(_, p)| p.as_slice())
    }

    /// The value of the first token starting with `prefix`.
    pub fn token(&self, prefix: &str) -> Option<&str> {
        self.tokens.iter().find_map(|t| t.strip_prefix(prefix))
    }

    /// True when the header carries `X-GP-8` (one byte per dot).
    pub fn eight_bit(&self) -> bool {
        self.tokens.iter().any(|t| t == "X-GP-8")
    }
}

/// Splits a stream into pages; panics with a message naming the offset on any framing error.
pub fn parse_stream(stream: &[u8]) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut i = 0;
    while i < stream.len() {
        let guards = stream[i..].iter().take_while(|&&b| b == 0x05).count();
        assert!(guards >= 1, "page at {i}: no 0x05 guard");
        i += guards;
        assert_eq!(stream[i], 0x01, "page at {i}: no SOH after the guards");
        i += 1;
        let fs = i + stream[i..]
            .iter()
            .position(|&b| b == 0x1C)
            .expect("header ends with 0x1C");
        let header = std::str::from_utf8(&stream[i..fs]).expect("ASCII header");
        assert!(
            header.starts_with(','),
            "header starts with a comma: {header}"
        );
        assert!(!header.ends_with(','), "no comma right before FS: {header}");
        let tokens: Vec<String> = header[1..].split(',').map(str::to_string).collect();
        i = fs + 1;
        let mut planes = Vec::new();
        for t in &tokens {
            let Some(rest) = t.strip_prefix("SZ") else {
                continue;
            };
            let letter = rest.chars().next().expect("plane letter");
            let n: usize = rest[1..].parse().expect("plane size");
            let data = stream[i..i + n].to_vec();
            i += n;
            assert_eq!(
                &stream[i..i + 3],
                &[0x1C, letter as u8, b':'],
                "terminator of plane {letter} at {i}"
            );
            i += 3;
            planes.push((letter, data));
        }
        assert_eq!(stream[i], 0x03, "page ends with ETX at {i}");
        i += 1;
        pages.push(Page { tokens, planes });
    }
    pages
}

/// Lines and dots of a plane.
pub const LINES: usize = 1016;
/// Dots per line.
pub const DOTS: usize = 672;

/// Ink per (line, dot), 0.0‥1.0, of an 8-bit plane (672 bytes per line, 0 = no ink).
pub fn ink_8bit(plane: &[u8]) -> Vec<f32> {
    assert_eq!(plane.len(), LINES * DOTS);
    plane.iter().map(|&v| f32::from(v) / 255.0).collect()
}

/// Ink per (line, dot), 0.0‥1.0, of a native colour plane: 504 bytes per line, six 84-byte
/// stripes, stripe j = bit j of every dot, first dot in the top bit.
pub fn ink_native_color(plane: &[u8]) -> Vec<f32> {
    levels_native_color(plane)
        .into_iter()
        .map(|l| f32::from(l) / 63.0)
        .collect()
}

/// The 6-bit level per (line, dot) of a native colour plane.
pub fn levels_native_color(plane: &[u8]) -> Vec<u8> {
    assert_eq!(plane.len(), LINES * 504);
    let mut out = vec![0u8; LINES * DOTS];
    for line in 0..LINES {
        for stripe in 0..6 {
            let bytes = &plane[line * 504 + stripe * 84..line * 504 + (stripe + 1) * 84];
            for dot in 0..DOTS {
                if bytes[dot / 8] >> (7 - dot % 8) & 1 == 1 {
                    out[line * DOTS + dot] |= 1 << stripe;
                }
            }
        }
    }
    out
}

/// Dot printed per (line, dot) of a native 1-bit black plane (84 bytes per line).
pub fn dots_native_black(plane: &[u8]) -> Vec<bool> {
    assert_eq!(plane.len(), LINES * 84);
    (0..LINES * DOTS)
        .map(|i| {
            let (line, dot) = (i / DOTS, i % DOTS);
            plane[line * 84 + dot / 8] >> (7 - dot % 8) & 1 == 1
        })
        .collect()
}

/// Ink fractions of a colour plane of either format.
pub fn ink(page: &Page, letter: char) -> Vec<f32> {
    let plane = page
        .plane(letter)
        .unwrap_or_else(|| panic!("plane {letter}"));
    if page.eight_bit() {
        ink_8bit(plane)
    } else {
        ink_native_color(plane)
    }
}

/// Landscape (x, y) of plane (line, dot), `None` for a margin dot (§3: x → line 1015 − x,
/// y → dot 15 + y, y ≤ 640).
pub fn to_landscape(line: usize, dot: usize) -> Option<(usize, usize)> {
    (15..=655).contains(&dot).then(|| (1015 - line, dot - 15))
}
