//! D-family panel downloads (spec §1.5 "D — download", §1.6 encodings).

use super::{Answer, Command, DOWNLOAD_TIMEOUT, expect_ok};
use crate::frame::frame_with_payload;
use std::time::Duration;

/// A printer panel (§1.5 `Db`: panel y/m/c/k/o).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelName {
    /// Yellow dye.
    Yellow,
    /// Magenta dye.
    Magenta,
    /// Cyan dye.
    Cyan,
    /// Resin black.
    Black,
    /// Overlay varnish.
    Overlay,
}

impl PanelName {
    /// The panel letter on the wire.
    pub fn letter(self) -> &'static str {
        match self {
            PanelName::Yellow => "y",
            PanelName::Magenta => "m",
            PanelName::Cyan => "c",
            PanelName::Black => "k",
            PanelName::Overlay => "o",
        }
    }
}

/// `Db;<panel>;<levels>;<raw bitmap>` CR: an uncompressed panel (§1.5 `Db`, §1.6 sizes).
/// `levels` is 2 for K/O, 32/64/128 for Y/M/C; the payload size is implied by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadPanel<'a> {
    /// Which panel.
    pub panel: PanelName,
    /// Grey levels (2, 32, 64 or 128).
    pub levels: u16,
    /// The packed bitmap.
    pub data: &'a [u8],
}

impl Command for DownloadPanel<'_> {
    type Output = ();
    fn text(&self) -> String {
        format!(
            "Db;{};{};<{} bytes>",
            self.panel.letter(),
            self.levels,
            self.data.len()
        )
    }
    fn frame(&self) -> Vec<u8> {
        frame_with_payload(
            "Db",
            &[self.panel.letter(), &self.levels.to_string()],
            self.data,
        )
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
    fn timeout(&self) -> Duration {
        DOWNLOAD_TIMEOUT
    }
}

/// `Dbc;<panel>;2;<nbytes>;<compressed>` CR: a line-compressed 1-bit panel in the
/// three-parameter form the Windows driver uses (§1.5 `Dbc`, §1.6 "Dbc compression for K and O").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadCompressed<'a> {
    /// Which panel (K or O).
    pub panel: PanelName,
    /// The compressed lines (see [`crate::panels::compress_mono`]).
    pub data: &'a [u8],
}

impl Command for DownloadCompressed<'_> {
    type Output = ();
    fn text(&self) -> String {
        format!("Dbc;{};2;{}", self.panel.letter(), self.data.len())
    }
    fn frame(&self) -> Vec<u8> {
        frame_with_payload(
            "Dbc",
            &[self.panel.letter(), "2", &self.data.len().to_string()],
            self.data,
        )
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
    fn timeout(&self) -> Duration {
        DOWNLOAD_TIMEOUT
    }
}

/// `Dbc;<y|m|c>;<levels>;<nbytes>;<run-length data>` CR: a run-length compressed colour panel
/// (§1.6 "Dbc compression for Y/M/C" — guide wording, not verified on a trace; opt-in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadCompressedColor<'a> {
    /// Which panel (Y, M or C).
    pub panel: PanelName,
    /// Grey levels (32, 64 or 128).
    pub levels: u16,
    /// The run-length data (see [`crate::panels::compress_color`]).
    pub data: &'a [u8],
}

impl Command for DownloadCompressedColor<'_> {
    type Output = ();
    fn text(&self) -> String {
        format!(
            "Dbc;{};{};{}",
            self.panel.letter(),
            self.levels,
            self.data.len()
        )
    }
    fn frame(&self) -> Vec<u8> {
        frame_with_payload(
            "Dbc",
            &[
                self.panel.letter(),
                &self.levels.to_string(),
                &self.data.len().to_string(),
            ],
            self.data,
        )
    }
    fn parse(&self, a: Answer<'_>) -> Option<()> {
        expect_ok(a)
    }
    fn timeout(&self) -> Duration {
        DOWNLOAD_TIMEOUT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_frame_payload_after_last_separator() {
        let db = DownloadPanel {
            panel: PanelName::Yellow,
            levels: 64,
            data: &[1, 2, 0x0D],
        };
        assert_eq!(db.frame(), b"\x1bDb;y;64;\x01\x02\x0d\r");
        assert_eq!(db.text(), "Db;y;64;<3 bytes>");
        let dbc = DownloadCompressed {
            panel: PanelName::Overlay,
            data: &[1, 0],
        };
        assert_eq!(dbc.frame(), b"\x1bDbc;o;2;2;\x01\x00\r");
        assert_eq!(dbc.text(), "Dbc;o;2;2");
        assert_eq!(dbc.timeout(), DOWNLOAD_TIMEOUT);
        let ymc = DownloadCompressedColor {
            panel: PanelName::Cyan,
            levels: 64,
            data: &[0x80, 0],
        };
        assert_eq!(ymc.frame(), b"\x1bDbc;c;64;2;\x80\x00\r");
        assert_eq!(ymc.text(), "Dbc;c;64;2");
        for (p, l) in [
            (PanelName::Yellow, "y"),
            (PanelName::Magenta, "m"),
            (PanelName::Cyan, "c"),
            (PanelName::Black, "k"),
            (PanelName::Overlay, "o"),
        ] {
            assert_eq!(p.letter(), l);
        }
    }
}
