//! The one send path: frame a command, send it, read its reply with a timeout, classify it.
//!
//! Resynchronisation, NUL padding, empty replies and the mapping of `ERR …` faults to
//! [`PrinterError`] all happen here and nowhere else (STYLE.md #4).

use crate::commands::{Answer, Command};
use crate::frame::{MAX_REPLY, REPLY_START, Reply, ReplyAssembler};
use cardline_device::{JobPhase, LinkError, PrinterError, PrinterLink, echo};
use std::time::{Duration, Instant};

/// How long one `send` may block per byte batch; large payloads get proportionally more.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Most bytes one wait for a reply may receive, whatever they are (NUL padding, empty lines,
/// the tail of a stale reply): sixteen times the longest reply. A peer that keeps sending
/// bytes that never form a reply ends the wait with [`PrinterError::ReplyOverflow`] instead of
/// keeping the station busy up to the command's timeout (120 s for mechanics).
pub const MAX_READ: usize = 16 * MAX_REPLY;

/// A command channel over a [`PrinterLink`].
pub struct CommandChannel<L: PrinterLink> {
    link: L,
    replies: ReplyAssembler,
    bytes_sent: u64,
    reply_timeout_cap: Option<Duration>,
}

impl<L: PrinterLink> CommandChannel<L> {
    /// Wraps a link.
    pub fn new(link: L) -> Self {
        Self {
            link,
            replies: ReplyAssembler::default(),
            bytes_sent: 0,
            reply_timeout_cap: None,
        }
    }

    /// Caps every reply timeout (the per-command defaults are generous: up to 120 s for
    /// mechanics). For fast simulated printers and tests.
    pub fn with_reply_timeout_cap(mut self, cap: Option<Duration>) -> Self {
        self.reply_timeout_cap = cap;
        self
    }

    /// The link underneath.
    pub fn link(&self) -> &L {
        &self.link
    }

    /// Gives the link back.
    pub fn into_link(self) -> L {
        self.link
    }

    /// Bytes sent since the channel was created (frames and payloads).
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Sends `command` and returns its parsed reply. A fault reply becomes the matching
    /// [`PrinterError`] (jams carry `phase`); `ERROR CDE`, `ERROR PARAMETERS` and unknown `ERR …`
    /// become [`PrinterError::Refused`]; a reply the command cannot parse is
    /// [`PrinterError::Protocol`].
    pub fn execute<C: Command>(
        &mut self,
        command: &C,
        phase: JobPhase,
    ) -> Result<C::Output, PrinterError> {
        let text = command.text();
        let stale = self.replies.discard();
        if !stale.is_empty() {
            tracing::debug!(link = %self.link.describe(), ?stale, "dropping stale replies before {text}");
        }
        let frame = command.frame();
        tracing::trace!(link = %self.link.describe(), ">> {text}");
        self.link
            .send(&frame, SEND_TIMEOUT.max(transfer_allowance(frame.len())))?;
        self.bytes_sent += frame.len() as u64;
        let timeout = match self.reply_timeout_cap {
            Some(cap) => command.timeout().min(cap),
            None => command.timeout(),
        };
        let reply = self.read_reply(&text, timeout)?;
        tracing::trace!(link = %self.link.describe(), "<< {reply}");
        let answer = match Reply::classify(&reply) {
            Reply::Ok => Answer::Ok,
            Reply::CleaningDue => {
                tracing::warn!(command = %text, "printer reports cleaning due");
                Answer::Ok
            }
            Reply::Value(_) => Answer::Value(reply.trim()),
            Reply::Fault(fault) => return Err(fault.into_error(phase)),
            Reply::UnknownCommand | Reply::BadParameters | Reply::Error(_) => {
                return Err(PrinterError::Refused {
                    command: text,
                    reply,
                });
            }
        };
        command.parse(answer).ok_or(PrinterError::Protocol {
            command: text,
            reply: reply.clone(),
        })
    }

    /// Drops buffered replies and resets the link.
    pub fn reset(&mut self) -> Result<(), PrinterError> {
        self.replies.discard();
        self.link.reset().map_err(PrinterError::from)
    }

    /// Waits for one reply: ends with it, with [`PrinterError::ReplyOverflow`] when a reply
    /// passes [`MAX_REPLY`] or the wait receives more than [`MAX_READ`] bytes, or with a link
    /// timeout at `timeout` (however slowly the bytes drip in).
    fn read_reply(&mut self, command: &str, timeout: Duration) -> Result<String, PrinterError> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 256];
        let mut received = 0usize;
        let mut start = Vec::with_capacity(REPLY_START);
        loop {
            let overflow = |limit: usize, first: &[u8]| {
                tracing::warn!(link = %self.link.describe(), command, received, "printer floods the link");
                PrinterError::ReplyOverflow {
                    command: command.to_string(),
                    limit,
                    received,
                    start: echo::bytes(first, REPLY_START),
                }
            };
            match self.replies.next_reply() {
                Some(Ok(reply)) => return Ok(reply),
                Some(Err(long)) => return Err(overflow(MAX_REPLY, &long.start)),
                None if received > MAX_READ => return Err(overflow(MAX_READ, &start)),
                None => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(LinkError::Timeout {
                    link: self.link.describe(),
                    operation: "waiting for a reply",
                    after: timeout,
                }
                .into());
            }
            let n = self.link.recv(&mut buf, left)?;
            received += n;
            let keep = (REPLY_START + 1 - start.len().min(REPLY_START + 1)).min(n);
            start.extend_from_slice(&buf[..keep]);
            self.replies.push(&buf[..n]);
        }
    }
}

/// Extra send time for big payloads: at least 1 s per 10 kB (≈ 115 200 baud serial).
fn transfer_allowance(len: usize) -> Duration {
    Duration::from_millis((len / 10) as u64)
}
