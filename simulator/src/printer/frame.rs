//! Evolis escape-command framing, parsed from the printer's side (spec §1.3).
//!
//! `ESC <command> [; <param>]* CR`. The parser is a byte-at-a-time state machine fed with
//! whatever chunks the link delivers:
//! * NUL bytes (and stray LF / CR) between commands are padding and skipped;
//! * the start character is optional (a command may start right after the previous CR);
//! * `Psc;<start>;<sep>;<end>` changes the three framing characters, `Psc` alone restores them;
//! * binary payloads are read by length, never by scanning for CR: `Db` (size implied by the
//!   level count, §1.6; the guide's larger sizes are accepted too), `Dbc`/`Dbpc` (byte count
//!   parameter), `Dbp` (line count parameter), `Dbmp` (size from the BMP header).
//!
//! Memory is bounded whatever a host sends: a header longer than [`MAX_HEADER`] is refused
//! once (`ERROR CDE`) and the rest of it is skipped up to the next end or start character;
//! byte-counted payloads are capped at [`MAX_PAYLOAD`], BMP payloads at [`MAX_BMP`].

use super::panels;

/// Default start character (ESC).
pub const ESC: u8 = 0x1B;
/// Default parameter separator.
pub const SEP: u8 = b';';
/// Default end character (CR).
pub const CR: u8 = 0x0D;
/// Longest accepted command header (without payload): the longest real one (`Pcom`, `Pfs`,
/// `Ppws` with a time) is under 64 bytes.
pub const MAX_HEADER: usize = 4096;
/// Largest accepted byte-counted payload (a 256-level panel is 658 368 bytes).
pub const MAX_PAYLOAD: usize = 4 * 1024 * 1024;
/// Largest accepted `Dbmp` BMP file (a 1 016 × 648 24-bit BMP is under 2 MB).
pub const MAX_BMP: usize = 16 * 1024 * 1024;

/// The three framing characters (changed by `Psc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framing {
    /// Start of a command (ESC by default).
    pub start: u8,
    /// Parameter separator (`;` by default).
    pub separator: u8,
    /// End of a command (CR by default).
    pub end: u8,
}

impl Default for Framing {
    fn default() -> Self {
        Self {
            start: ESC,
            separator: SEP,
            end: CR,
        }
    }
}

/// One command as the printer received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The mnemonic, e.g. `Dbc`.
    pub name: String,
    /// The text parameters (for binary commands, those before the payload).
    pub params: Vec<String>,
    /// The binary payload of `Db`, `Dbc`, `Dbp`, `Dbpc`, `Dbmp`.
    pub payload: Option<Vec<u8>>,
}

impl Frame {
    /// The parameter at `i`, if present.
    pub fn param(&self, i: usize) -> Option<&str> {
        self.params.get(i).map(String::as_str)
    }

    /// The command as text, without payload (for logs and error messages).
    pub fn display(&self) -> String {
        let mut s = self.name.clone();
        for p in &self.params {
            s.push(';');
            s.push_str(p);
        }
        if let Some(p) = &self.payload {
            s.push_str(&format!(";<{} bytes>", p.len()));
        }
        s
    }
}

/// What the parser produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameEvent {
    /// A complete command.
    Command(Frame),
    /// Bytes that do not form a command; the printer answers `ERROR CDE` or `ERROR PARAMETERS`.
    Malformed(FrameProblem),
}

/// Why bytes were not a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameProblem {
    /// A header grew past the limit without an end character.
    #[error("command header longer than {MAX_HEADER} bytes")]
    HeaderTooLong,
    /// A binary command whose length parameters make no sense; the payload is skipped.
    #[error("binary command `{header}` has an unusable length")]
    BadPayloadLength {
        /// The header as received.
        header: String,
    },
    /// A payload was not followed by the end character.
    #[error("payload of `{header}` not terminated (found 0x{found:02X})")]
    UnterminatedPayload {
        /// The header as received.
        header: String,
        /// The byte found instead.
        found: u8,
    },
}

impl FrameProblem {
    /// True when the command was recognised but its parameters were wrong.
    pub fn is_parameter_error(&self) -> bool {
        !matches!(self, FrameProblem::HeaderTooLong)
    }
}

/// How long a binary payload is.
#[derive(Clone, Copy, Debug)]
enum PayloadLen {
    /// Exactly this many bytes.
    Exact(usize),
    /// The standard size, or the guide's larger size when no end character follows.
    EitherOf(usize, usize),
    /// A BMP file: the size is in its header.
    Bmp,
}

#[derive(Debug)]
enum State {
    Idle,
    Header,
    Payload {
        need: usize,
        alt: Option<usize>,
    },
    BmpHeader,
    PayloadEnd {
        alt: Option<usize>,
    },
    /// Skipping a payload we cannot size: wait for end followed by start.
    Resync {
        saw_end: bool,
    },
    /// Skipping the rest of an overlong header: wait for an end or start character.
    Overlong,
}

/// The streaming parser. Feed it with [`push`](Self::push).
#[derive(Debug)]
pub struct FrameParser {
    framing: Framing,
    state: State,
    header: Vec<u8>,
    frame: Option<Frame>,
    payload: Vec<u8>,
}

impl Default for FrameParser {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameParser {
    /// A parser with the default framing.
    pub fn new() -> Self {
        Self {
            framing: Framing::default(),
            state: State::Idle,
            header: Vec::new(),
            frame: None,
            payload: Vec::new(),
        }
    }

    /// The framing characters in force.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Drops any partial command and restores the default framing (link reset, `Srs`).
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// Restores the default framing characters only.
    pub fn restore_framing(&mut self) {
        self.framing = Framing::default();
    }

    /// Feeds bytes; `on_event` is called for every complete command or malformed sequence, in
    /// order. `Psc` (and `Srs`) change the framing before the next byte is parsed.
    pub fn push(&mut self, mut bytes: &[u8], on_event: &mut dyn FnMut(FrameEvent)) {
        while !bytes.is_empty() {
            match self.state {
                State::Payload { need, alt } => {
                    let take = (need - self.payload.len()).min(bytes.len());
                    self.payload.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if self.payload.len() == need {
                        self.state = State::PayloadEnd { alt };
                    }
                    continue;
                }
                State::BmpHeader => {
                    self.payload.push(bytes[0]);
                    bytes = &bytes[1..];
                    if self.payload.len() == 6 {
                        let size = u32::from_le_bytes([
                            self.payload[2],
                            self.payload[3],
                            self.payload[4],
                            self.payload[5],
                        ]) as usize;
                        if !(6..=MAX_BMP).contains(&size) {
                            let header = self.header_text();
                            self.start_resync(on_event, FrameProblem::BadPayloadLength { header });
                        } else {
                            self.state = State::Payload {
                                need: size,
                                alt: None,
                            };
                        }
                    }
                    continue;
                }
                _ => {}
            }
            let b = bytes[0];
            bytes = &bytes[1..];
            self.step(b, on_event);
        }
    }

    fn step(&mut self, b: u8, on_event: &mut dyn FnMut(FrameEvent)) {
        let f = self.framing;
        match self.state {
            State::Idle => {
                if b == f.start {
                    self.header.clear();
                    self.state = State::Header;
                } else if b == 0 || b == f.end || b == b'\n' || b == CR {
                    // padding between commands
                } else if b.is_ascii_graphic() {
                    // the start character is optional after CR (spec §1.3)
                    self.header.clear();
                    self.header.push(b);
                    self.state = State::Header;
                }
            }
            State::Header => {
                if b == f.end {
                    let frame = self.split_header();
                    self.state = State::Idle;
                    self.emit(frame, on_event);
                } else if b == f.start {
                    // previous command lost its end character: take it as complete
                    let frame = self.split_header();
                    self.emit(frame, on_event);
                    self.header.clear();
                    self.state = State::Header;
                } else if b == 0 {
                    // padding inside a header is ignored
                } else {
                    self.header.push(b);
                    if self.header.len() > MAX_HEADER {
                        self.header.clear();
                        self.state = State::Overlong;
                        on_event(FrameEvent::Malformed(FrameProblem::HeaderTooLong));
                    } else if b == f.separator {
                        self.check_binary(on_event);
                    }
                }
            }
            State::PayloadEnd { alt } => {
                if b == f.end {
                    self.finish_payload(on_event);
                    self.state = State::Idle;
                } else if let Some(alt) = alt {
                    // not the standard size: read on to the guide's size (spec §1.6 caveat)
                    self.payload.push(b);
                    self.state = if self.payload.len() >= alt {
                        State::PayloadEnd { alt: None }
                    } else {
                        State::Payload {
                            need: alt,
                            alt: None,
                        }
                    };
                } else if b == f.start {
                    self.finish_payload(on_event);
                    self.header.clear();
                    self.state = State::Header;
                } else {
                    let header = self.header_text();
                    self.frame = None;
                    self.payload = Vec::new();
                    self.state = State::Resync { saw_end: false };
                    on_event(FrameEvent::Malformed(FrameProblem::UnterminatedPayload {
                        header,
                        found: b,
                    }));
                }
            }
            State::Resync { saw_end } => {
                if saw_end && b == f.start {
                    self.header.clear();
                    self.state = State::Header;
                } else {
                    self.state = State::Resync {
                        saw_end: b == f.end,
                    };
                }
            }
            State::Overlong => {
                if b == f.end {
                    self.state = State::Idle;
                } else if b == f.start {
                    self.header.clear();
                    self.state = State::Header;
                }
            }
            State::Payload { .. } | State::BmpHeader => unreachable!("handled in push"),
        }
    }

    fn header_text(&self) -> String {
        String::from_utf8_lossy(&self.header).into_owned()
    }

    fn split_header(&mut self) -> Frame {
        let text = self.header_text();
        let mut parts = text.split(self.framing.separator as char);
        let name = parts.next().unwrap_or_default().to_string();
        let params = parts.map(str::to_string).collect();
        Frame {
            name,
            params,
            payload: None,
        }
    }

    /// Called after each separator: does a binary payload start here?
    fn check_binary(&mut self, on_event: &mut dyn FnMut(FrameEvent)) {
        // Cheap test first (binary mnemonics have at most 4 letters and their payload starts
        // by the fifth separator), so a header of thousands of separators costs linear time.
        let sep = self.framing.separator;
        let Some(name_end) = self.header.iter().take(5).position(|&b| b == sep) else {
            return;
        };
        if !matches!(
            &self.header[..name_end],
            b"Db" | b"Dbc" | b"Dbp" | b"Dbpc" | b"Dbmp"
        ) || self.header.iter().filter(|&&b| b == sep).count() > 5
        {
            return;
        }
        let frame = self.split_header();
        // `params` ends with the empty string after the separator just received
        let given = frame.params.len() - 1;
        let p = |i: usize| frame.params.get(i).map(String::as_str).unwrap_or("");
        let num = |i: usize| p(i).trim().parse::<usize>().ok();
        let len = match (frame.name.as_str(), given) {
            ("Db", 2) => num(1).and_then(|levels| {
                let std = panels::raw_panel_len(levels)?;
                Some(match panels::guide_panel_len(levels) {
                    Some(g) if g > std => PayloadLen::EitherOf(std, g),
                    _ => PayloadLen::Exact(std),
                })
            }),
            ("Dbc", 3) | ("Dbpc", 4) => num(given - 1)
                .filter(|n| *n <= MAX_PAYLOAD)
                .map(PayloadLen::Exact),
            ("Dbp", 4) => match (num(1), num(3)) {
                (Some(levels), Some(lines)) => {
                    panels::raw_lines_len(levels, lines).map(PayloadLen::Exact)
                }
                _ => None,
            },
            ("Dbmp", 4) => Some(PayloadLen::Bmp),
            _ => return,
        };
        let mut frame = frame;
        frame.params.pop();
        self.payload = Vec::new();
        match len {
            Some(PayloadLen::Exact(n)) => {
                self.payload.reserve(n);
                self.frame = Some(frame);
                self.state = if n == 0 {
                    State::PayloadEnd { alt: None }
                } else {
                    State::Payload { need: n, alt: None }
                };
            }
            Some(PayloadLen::EitherOf(n, alt)) => {
                self.payload.reserve(n);
                self.frame = Some(frame);
                self.state = State::Payload {
                    need: n,
                    alt: Some(alt),
                };
            }
            Some(PayloadLen::Bmp) => {
                self.frame = Some(frame);
                self.state = State::BmpHeader;
            }
            None => {
                let header = self.header_text();
                self.start_resync(on_event, FrameProblem::BadPayloadLength { header });
            }
        }
    }

    fn start_resync(&mut self, on_event: &mut dyn FnMut(FrameEvent), problem: FrameProblem) {
        self.frame = None;
        self.payload = Vec::new();
        self.state = State::Resync { saw_end: false };
        on_event(FrameEvent::Malformed(problem));
    }

    fn finish_payload(&mut self, on_event: &mut dyn FnMut(FrameEvent)) {
        if let Some(mut frame) = self.frame.take() {
            frame.payload = Some(std::mem::take(&mut self.payload));
            self.emit(frame, on_event);
        }
    }

    fn emit(&mut self, frame: Frame, on_event: &mut dyn FnMut(FrameEvent)) {
        match frame.name.as_str() {
            "Psc" => self.apply_psc(&frame),
            // a software reset restores the framing before the next byte is parsed
            "Srs" => self.framing = Framing::default(),
            _ => {}
        }
        on_event(FrameEvent::Command(frame));
    }

    /// `Psc` changes (or with no parameter restores) the framing characters (spec §1.3).
    fn apply_psc(&mut self, frame: &Frame) {
        if frame.params.is_empty() {
            self.framing = Framing::default();
            return;
        }
        let codes: Vec<Option<u8>> = frame.params.iter().map(|p| p.trim().parse().ok()).collect();
        if let [Some(start), Some(separator), Some(end)] = codes[..]
            && start != separator
            && separator != end
            && start != end
        {
            self.framing = Framing {
                start,
                separator,
                end,
            };
        }
    }
}

/// True when `frame` is a valid `Psc` (the dispatcher answers `ERROR PARAMETERS` otherwise).
pub fn psc_is_valid(frame: &Frame) -> bool {
    if frame.params.is_empty() {
        return true;
    }
    let codes: Vec<Option<u8>> = frame.params.iter().map(|p| p.trim().parse().ok()).collect();
    matches!(codes[..], [Some(a), Some(b), Some(c)] if a != b && b != c && a != c)
}
