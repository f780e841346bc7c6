//! Bytes on the wire for the default temporary card, panel by panel: the real driver prints
//! the rendered card to the simulated printer through a link that records every frame sent,
//! and the frames are measured here against raw panel sizes computed from the spec, not from
//! the driver's own functions (run with `--nocapture` to see the figures).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardline_device::{CardPrinter, LinkError, PrinterLink};
use cardline_evolis::{ColorLevels, EvolisConfig, EvolisPrinter};
use cardline_issuance::face::{CardFields, PreparedFace, builtin_template};
use cardline_sim::printer::{SimPrinter, SimPrinterConfig, SimPrinterHandle, SimPrinterLink};

/// A panel is 648 dots across the head × 1016 lines (spec §1.6, "Bitmap geometry": 648 × 1016
/// portrait, the card's 1016 × 648 dots at 300 dpi turned a quarter).
const DOTS_PER_LINE: usize = 648;
const LINES: usize = 1016;

/// Raw `Db` payload of one panel at `bits` per dot, bits packed continuously (spec §1.6 table:
/// 82 296 / 411 480 / 493 776 / 576 072 bytes for 1 / 5 / 6 / 7 bits).
fn raw_panel_bytes(bits: usize) -> usize {
    DOTS_PER_LINE * LINES * bits / 8
}

/// Records every frame the driver sends (one `send` per command) and passes it on.
struct RecordingLink {
    inner: SimPrinterLink,
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl PrinterLink for RecordingLink {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        self.sent.lock().unwrap().push(bytes.to_vec());
        self.inner.send(bytes, timeout)
    }
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        self.inner.recv(buf, timeout)
    }
    fn reset(&mut self) -> Result<(), LinkError> {
        self.inner.reset()
    }
    fn describe(&self) -> String {
        format!("recording {}", self.inner.describe())
    }
}

/// One panel download as it went over the wire.
#[derive(Debug)]
struct PanelFrame {
    /// `Db` or `Dbc`.
    command: String,
    /// `y`, `m`, `c`, `k` or `o`.
    panel: String,
    /// Payload bytes (between the last `;` of the header and the final CR).
    payload: usize,
    /// The whole frame, ESC to CR.
    frame: usize,
}

/// Parses a download frame, written here from spec §1.5: `ESC Db;<panel>;<levels>;<data> CR`
/// and `ESC Dbc;<panel>;<levels>;<nbytes>;<data> CR`. Other commands give `None`.
fn panel_frame(frame: &[u8]) -> Option<PanelFrame> {
    let (command, params) = if frame.starts_with(b"\x1bDbc;") {
        ("Dbc", 3)
    } else if frame.starts_with(b"\x1bDb;") {
        ("Db", 2)
    } else {
        return None;
    };
    let mut header_end = 1 + command.len() + 1; // ESC, mnemonic, ';'
    let mut fields = Vec::new();
    for _ in 0..params {
        let field_len = frame[header_end..].iter().position(|&b| b == b';')?;
        fields.push(String::from_utf8(frame[header_end..header_end + field_len].to_vec()).ok()?);
        header_end += field_len + 1;
    }
    assert_eq!(frame.last(), Some(&b'\r'), "{command} frame ends with CR");
    let payload = frame.len() - header_end - 1;
    if command == "Dbc" {
        let declared: usize = fields[2].parse().expect("Dbc byte count");
        assert_eq!(
            declared, payload,
            "Dbc;{} declares its payload size",
            fields[0]
        );
    }
    Some(PanelFrame {
        command: command.to_string(),
        panel: fields[0].clone(),
        payload,
        frame: frame.len(),
    })
}

/// Prints the default temporary card at `levels` and returns the panel frames sent, the
/// driver's own byte counter, and every byte that went over the link.
fn print_default_card(levels: ColorLevels) -> (Vec<PanelFrame>, u64, u64) {
    let face = PreparedFace::new(&builtin_template("temporary").unwrap()).unwrap();
    let card = face.render(&CardFields::for_number("TMP-000042")).unwrap();
    let sim = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let link = RecordingLink {
        inner: sim.link(),
        sent: sent.clone(),
    };
    let config = EvolisConfig {
        color_levels: levels,
        reply_timeout_cap: Some(Duration::from_secs(5)),
        ..EvolisConfig::default()
    };
    let mut printer = EvolisPrinter::connect(link, config).unwrap();
    let before = printer.bytes_sent();
    sent.lock().unwrap().clear();
    printer.print(&card).unwrap();
    printer.eject().unwrap();
    assert_eq!(
        sim.state().counters.cards_printed,
        1,
        "the simulator decoded and printed every frame"
    );
    let frames = sent.lock().unwrap();
    let on_wire: u64 = frames.iter().map(|f| f.len() as u64).sum();
    let panels = frames.iter().filter_map(|f| panel_frame(f)).collect();
    (panels, printer.bytes_sent() - before, on_wire)
}

#[test]
fn default_temporary_card_bytes_on_the_wire_vs_raw_panels() {
    let raw_mono = raw_panel_bytes(1);
    assert_eq!(raw_mono, 82_296, "spec §1.6 table");
    for (levels, bits) in [
        (ColorLevels::L32, 5),
        (ColorLevels::L64, 6),
        (ColorLevels::L128, 7),
    ] {
        let (panels, counted, on_wire) = print_default_card(levels);
        assert_eq!(
            counted, on_wire,
            "bytes_sent() counts what went over the link"
        );
        let names: Vec<&str> = panels.iter().map(|p| p.panel.as_str()).collect();
        assert_eq!(names, ["y", "m", "c", "k", "o"], "one download per panel");
        let raw_color = raw_panel_bytes(bits);
        let raw_card = 3 * raw_color + 2 * raw_mono;
        let sent_card: usize = panels.iter().map(|p| p.frame).sum();
        for p in &panels {
            println!(
                "{} levels: {} {} payload {} bytes (frame {}) vs raw {}",
                levels.count(),
                p.command,
                p.panel,
                p.payload,
                p.frame,
                if matches!(p.panel.as_str(), "k" | "o") {
                    raw_mono
                } else {
                    raw_color
                }
            );
        }
        println!(
            "{} levels: card {sent_card} bytes in panel frames vs raw payloads {raw_card} ({:.1} %)",
            levels.count(),
            100.0 * sent_card as f64 / raw_card as f64
        );

        let k = &panels[3];
        assert_eq!(
            k.command, "Dbc",
            "K goes compressed: text and codes leave lines short"
        );
        assert!(
            k.frame < raw_mono,
            "K: {} bytes on the wire vs raw {raw_mono}",
            k.frame
        );
        let o = &panels[4];
        let longest_header = "\x1bDbc;o;2;82296;\r".len();
        assert!(
            o.payload <= raw_mono && o.frame <= raw_mono + longest_header,
            "the overlay is never sent bigger than raw: {o:?}"
        );
        for p in &panels[..3] {
            assert!(
                p.frame < raw_color,
                "{} at {} levels: {p:?}",
                p.panel,
                levels.count()
            );
        }
        assert!(
            4 * sent_card <= raw_card,
            "issue 6: at most a quarter of the raw panels ({sent_card} of {raw_card})"
        );
    }
}
