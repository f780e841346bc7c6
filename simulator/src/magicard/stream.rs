//! The Magicard byte stream from the device's side (docs/magicard-protocol.md §1–§3), written
//! independently of the `cardline-magicard` driver.
//!
//! ```text
//! job:     05 × n  01  header  1C  plane₁ 1C B :  plane₂ 1C G :  …  03
//! command: 05 × n  01  "REQ," text ","  1C 03
//! ```
//!
//! Everything is bounded: a header or command longer than [`MAX_HEADER`] bytes, a plane longer
//! than 672 × 1016 × 1 bytes (refused from the header, before any byte of it is stored), at
//! most one plane of each letter. Any framing problem is reported once as
//! [`StreamEvent::Malformed`]; the parser then discards bytes until it sees a credible frame
//! start again, a run of at least [`RESYNC_GUARD`] `0x05` followed by `0x01` (every cardline and
//! Gutenprint frame starts so), so the rest of a broken job's binary planes cannot start false
//! frames. In sync, any run of `0x05` (even none) before `0x01` is accepted, and `0x00`
//! padding between frames is skipped.

use std::fmt;

use super::header::{HeaderError, JobHeader};
use super::planes::PlaneLetter;

/// Guard byte before every frame.
pub const SYNC: u8 = 0x05;
/// Start of a frame.
pub const SOH: u8 = 0x01;
/// End of a header or command text (and start of a plane terminator).
pub const FS: u8 = 0x1C;
/// End of a job or command.
pub const ETX: u8 = 0x03;
/// Longest header or command text accepted (the Gutenprint header is 188 bytes).
pub const MAX_HEADER: usize = 4096;
/// Length of the `0x05` run that ends a resynchronisation (the 9 guard bytes of a command; a job
/// has 64).
pub const RESYNC_GUARD: usize = 9;

/// A print job as received: its header and the raw bytes of each plane, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedJob {
    /// The header.
    pub header: JobHeader,
    /// The planes, in the order of the `SZ*` tokens.
    pub planes: Vec<(PlaneLetter, Vec<u8>)>,
}

/// What the parser found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// A command: the text between `REQ,` and the final `,` (e.g. `STA,MSR`).
    Command(String),
    /// A complete print job (ETX received).
    Job(ReceivedJob),
    /// Bytes that do not form a frame; the parser resynchronises.
    Malformed(StreamError),
}

/// A framing problem, with what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamError {
    /// A byte that cannot start a frame.
    Garbage {
        /// The byte.
        byte: u8,
    },
    /// A header or command cut by the start of another frame before its FS.
    Unterminated {
        /// Bytes of text received.
        length: usize,
        /// The byte that cut it (`0x05` or `0x01`).
        cut_by: u8,
    },
    /// A header or command longer than [`MAX_HEADER`].
    TooLong,
    /// A job header the device refuses.
    Header(HeaderError),
    /// A command whose FS is not followed by ETX.
    CommandWithoutEnd {
        /// The byte found instead.
        found: u8,
    },
    /// A command frame that is not `REQ,<text>,`.
    CommandSyntax {
        /// The text received (at most 64 characters shown).
        text: String,
    },
    /// A plane not followed by `1C <letter> :`.
    PlaneTerminator {
        /// The plane.
        letter: char,
        /// Which byte of the terminator was wrong (0 = the FS).
        position: usize,
        /// The byte found.
        found: u8,
    },
    /// A job whose last plane is not followed by ETX.
    MissingEtx {
        /// The byte found instead.
        found: u8,
    },
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Garbage { byte } => write!(
                f,
                "byte 0x{byte:02X} between frames: a frame starts with 0x05 … 0x01"
            ),
            Self::Unterminated { length, cut_by } => write!(
                f,
                "header or command of {length} bytes cut by 0x{cut_by:02X} before its FS (0x1C)"
            ),
            Self::TooLong => write!(
                f,
                "header or command longer than {MAX_HEADER} bytes without FS (0x1C)"
            ),
            Self::Header(e) => write!(f, "job header refused: {e}"),
            Self::CommandWithoutEnd { found } => write!(
                f,
                "command FS followed by 0x{found:02X}: a command ends with 1C 03"
            ),
            Self::CommandSyntax { text } => write!(
                f,
                "command `{text}` is not REQ,<command>, (it needs the REQ, prefix and a final comma)"
            ),
            Self::PlaneTerminator {
                letter,
                position,
                found,
            } => write!(
                f,
                "plane {letter} not followed by 1C {letter} : (byte {position} of the terminator is 0x{found:02X}): the SZ{letter} length does not match the data"
            ),
            Self::MissingEtx { found } => write!(
                f,
                "job not ended by ETX (0x03) after its last plane: found 0x{found:02X}"
            ),
        }
    }
}

#[derive(Debug)]
struct PartialJob {
    header: JobHeader,
    planes: Vec<(PlaneLetter, Vec<u8>)>,
}

impl PartialJob {
    /// The plane being received (or whose terminator is awaited).
    fn current(&self) -> (PlaneLetter, usize) {
        self.header.planes[self.planes.len() - 1]
    }
}

#[derive(Debug, Default)]
enum State {
    /// Between frames, in sync.
    #[default]
    Idle,
    /// In a run of `0x05`, in sync.
    Guard,
    /// After `0x01`: header or command text until FS.
    Text(Vec<u8>),
    /// After a command's FS: ETX expected.
    CommandEnd(Vec<u8>),
    /// Receiving the last plane of `planes`.
    Plane(PartialJob),
    /// After a plane: `matched` bytes of its terminator seen.
    Terminator(PartialJob, usize),
    /// After the last terminator: ETX expected.
    JobEnd(PartialJob),
    /// Out of sync: `run` bytes `0x05` seen in a row.
    Lost(usize),
}

/// The stream parser. Feed it bytes in pieces of any size.
#[derive(Debug, Default)]
pub struct StreamParser {
    state: State,
    discarded: u64,
}

impl StreamParser {
    /// A parser between frames.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops any partial frame (the link was reset).
    pub fn reset(&mut self) {
        self.state = State::Idle;
    }

    /// Bytes thrown away while out of sync, since creation.
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// True while a frame is partly received.
    pub fn in_frame(&self) -> bool {
        !matches!(self.state, State::Idle | State::Guard | State::Lost(_))
    }

    /// Parses `input`, calling `emit` for every event in order.
    pub fn push(&mut self, input: &[u8], emit: &mut dyn FnMut(StreamEvent)) {
        let mut i = 0;
        while i < input.len() {
            let state = std::mem::take(&mut self.state);
            let (next, used) = self.step(state, &input[i..], emit);
            self.state = next;
            i += used;
        }
    }

    /// One transition on the front of `rest`; returns the next state and the bytes used (0 when
    /// the byte is to be looked at again in the next state, which is then `Lost`).
    fn step(
        &mut self,
        state: State,
        rest: &[u8],
        emit: &mut dyn FnMut(StreamEvent),
    ) -> (State, usize) {
        let b = rest[0];
        let mut fail = |e: StreamError, used: usize| {
            tracing::debug!("magicard stream: {e}");
            emit(StreamEvent::Malformed(e));
            (State::Lost(0), used)
        };
        match state {
            State::Idle | State::Guard => match b {
                SYNC => (
                    State::Guard,
                    rest.iter().take_while(|&&b| b == SYNC).count(),
                ),
                SOH => (State::Text(Vec::new()), 1),
                0x00 if matches!(state, State::Idle) => (State::Idle, 1),
                _ => fail(StreamError::Garbage { byte: b }, 1),
            },
            State::Lost(mut run) => {
                // a tight loop: a flood is discarded at memory speed, one byte of state
                // (a run of guard bytes is counted as discarded only once it is broken)
                for (i, &b) in rest.iter().enumerate() {
                    match b {
                        SYNC => run = run.saturating_add(1),
                        SOH if run >= RESYNC_GUARD => return (State::Text(Vec::new()), i + 1),
                        _ => {
                            self.discarded += run as u64 + 1;
                            run = 0;
                        }
                    }
                }
                (State::Lost(run), rest.len())
            }
            State::Text(mut text) => match b {
                FS if text.starts_with(b"REQ") => (State::CommandEnd(text), 1),
                FS => match JobHeader::parse(&text) {
                    Ok(header) => {
                        let (letter, size) = header.planes[0];
                        let planes = vec![(letter, Vec::with_capacity(size))];
                        (State::Plane(PartialJob { header, planes }), 1)
                    }
                    Err(e) => fail(StreamError::Header(e), 1),
                },
                SYNC | SOH => fail(
                    StreamError::Unterminated {
                        length: text.len(),
                        cut_by: b,
                    },
                    0,
                ),
                _ if text.len() >= MAX_HEADER => fail(StreamError::TooLong, 1),
                _ => {
                    text.push(b);
                    (State::Text(text), 1)
                }
            },
            State::CommandEnd(text) if b == ETX => {
                let t = String::from_utf8_lossy(&text).into_owned();
                match t.strip_prefix("REQ,").and_then(|c| c.strip_suffix(',')) {
                    Some(c) if !c.is_empty() => emit(StreamEvent::Command(c.to_string())),
                    _ => {
                        let text: String = t.chars().take(64).collect();
                        let e = StreamError::CommandSyntax { text };
                        tracing::debug!("magicard stream: {e}");
                        emit(StreamEvent::Malformed(e));
                    }
                }
                (State::Idle, 1)
            }
            State::CommandEnd(_) => fail(StreamError::CommandWithoutEnd { found: b }, 0),
            State::Plane(mut job) => {
                let (_, size) = job.current();
                let buf = &mut job.planes.last_mut().expect("a plane is open").1;
                let n = (size - buf.len()).min(rest.len());
                buf.extend_from_slice(&rest[..n]);
                if buf.len() == size {
                    (State::Terminator(job, 0), n)
                } else {
                    (State::Plane(job), n)
                }
            }
            State::Terminator(mut job, matched) => {
                let (letter, _) = job.current();
                let expected = [FS, letter.as_char() as u8, b':'];
                if b != expected[matched] {
                    return fail(
                        StreamError::PlaneTerminator {
                            letter: letter.as_char(),
                            position: matched,
                            found: b,
                        },
                        0,
                    );
                }
                if matched + 1 < expected.len() {
                    return (State::Terminator(job, matched + 1), 1);
                }
                match job.header.planes.get(job.planes.len()).copied() {
                    Some((next, size)) => {
                        job.planes.push((next, Vec::with_capacity(size)));
                        (State::Plane(job), 1)
                    }
                    None => (State::JobEnd(job), 1),
                }
            }
            State::JobEnd(job) if b == ETX => {
                emit(StreamEvent::Job(ReceivedJob {
                    header: job.header,
                    planes: job.planes,
                }));
                (State::Idle, 1)
            }
            State::JobEnd(_) => fail(StreamError::MissingEtx { found: b }, 0),
        }
    }
}
