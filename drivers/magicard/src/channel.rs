//! The one send path: frame a command (or a print job), send it, read its reply with a timeout
//! and a bounded buffer, classify it, map `ERR,<code>` to a [`PrinterError`].
//!
//! Resynchronisation (stale replies dropped before each command), NUL padding, the reply size
//! limit and the error mapping happen here and nowhere else (STYLE.md #4).

use crate::commands::{Answer, Command};
use crate::error_codes::MagicardFault;
use crate::frame::Reply;
use crate::reply_reader::ReplyReader;
use cardline_device::{JobPhase, LinkError, PrinterError, PrinterLink};
use std::time::{Duration, Instant};

/// The least time one `send` may take; large frames (a print job) get more.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// A command channel over a [`PrinterLink`].
pub struct CommandChannel<L: PrinterLink> {
    link: L,
    replies: ReplyReader,
    bytes_sent: u64,
    reply_timeout_cap: Option<Duration>,
}

/// What a command came back with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    /// The command was done; its parsed reply.
    Done(T),
    /// The printer answered `ERR,<code>` (a fault of §5, never a warning).
    Fault(MagicardFault),
    /// A complete reply that makes no sense for this command (e.g. a status value outside the
    /// contract); [`CommandChannel::execute`] makes it a [`PrinterError::Protocol`].
    Unexpected(String),
}

/// Why a reply could not be read.
enum ReadFailure {
    Link(LinkError),
    Overflow(String),
}

impl<L: PrinterLink> CommandChannel<L> {
    /// Wraps a link.
    pub fn new(link: L) -> Self {
        Self {
            link,
            replies: ReplyReader::default(),
            bytes_sent: 0,
            reply_timeout_cap: None,
        }
    }

    /// Caps every reply timeout (defaults: 5 s queries, 120 s mechanics, 300 s print jobs). For
    /// fast simulated printers and tests.
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

    /// Bytes sent since the channel was created (commands and jobs).
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Sends `command` and returns its parsed reply.
    ///
    /// `ERR,<code>` becomes the error of [`MagicardFault::error`] for `phase` (the cleaning
    /// warning counts as done); everything else as in [`Self::exchange`].
    pub fn execute<C: Command>(
        &mut self,
        command: &C,
        phase: JobPhase,
    ) -> Result<C::Output, PrinterError> {
        match self.exchange(command)? {
            Outcome::Done(output) => Ok(output),
            Outcome::Fault(fault) => Err(fault.error(&command.text(), phase)),
            Outcome::Unexpected(reply) => Err(PrinterError::Protocol {
                command: command.text(),
                reply,
            }),
        }
    }

    /// Sends `command` and returns its parsed reply, the fault the printer answered with (never
    /// the cleaning warning, which counts as done and is logged), or a reply the command cannot
    /// parse.
    ///
    /// `ERR,UNKNOWN` and other `ERR…` replies are [`PrinterError::Refused`]; more than
    /// [`MAX_REPLY_BYTES`](crate::reply_reader::MAX_REPLY_BYTES) without a complete reply is
    /// [`PrinterError::Protocol`]; silence past the command's timeout is a link timeout.
    pub fn exchange<C: Command>(
        &mut self,
        command: &C,
    ) -> Result<Outcome<C::Output>, PrinterError> {
        let text = command.text();
        let stale = self.replies.discard();
        if !stale.is_empty() {
            tracing::debug!(link = %self.link.describe(), ?stale, "dropping stale replies before {text}");
        }
        let frame = command.frame();
        tracing::trace!(link = %self.link.describe(), ">> {text}");
        let send_timeout = SEND_TIMEOUT.max(transfer_allowance(frame.len()));
        self.link.send(&frame, send_timeout)?;
        self.bytes_sent += frame.len() as u64;
        let timeout = match self.reply_timeout_cap {
            Some(cap) => command.timeout().min(cap),
            None => command.timeout(),
        };
        let reply = match self.read_reply(timeout) {
            Ok(reply) => reply,
            Err(ReadFailure::Link(e)) => return Err(e.into()),
            Err(ReadFailure::Overflow(why)) => {
                return Err(PrinterError::Protocol {
                    command: text,
                    reply: why,
                });
            }
        };
        tracing::trace!(link = %self.link.describe(), "<< {reply}");
        let answer = match Reply::classify(&reply) {
            Reply::Ok => Answer::Ok,
            Reply::Value(_) => Answer::Value(reply.trim()),
            Reply::Fault(fault) if fault.is_warning() => {
                tracing::warn!(command = %text, "printer warns: {fault}");
                Answer::Ok
            }
            Reply::Fault(fault) => return Ok(Outcome::Fault(fault)),
            Reply::UnknownCommand | Reply::Error(_) => {
                return Err(PrinterError::Refused {
                    command: text,
                    reply,
                });
            }
        };
        Ok(match command.parse(answer) {
            Some(output) => Outcome::Done(output),
            None => Outcome::Unexpected(reply.clone()),
        })
    }

    /// Drops buffered replies and resets the link (reopen, reconnect, USB reset).
    pub fn reset(&mut self) -> Result<(), PrinterError> {
        self.replies.discard();
        self.link.reset().map_err(PrinterError::from)
    }

    fn read_reply(&mut self, timeout: Duration) -> Result<String, ReadFailure> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 512];
        loop {
            if let Some(reply) = self.replies.next_reply() {
                return Ok(reply);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ReadFailure::Link(LinkError::Timeout {
                    link: self.link.describe(),
                    operation: "waiting for a reply",
                    after: timeout,
                }));
            }
            let n = self.link.recv(&mut buf, left).map_err(ReadFailure::Link)?;
            self.replies
                .push(&buf[..n])
                .map_err(|overflow| ReadFailure::Overflow(overflow.to_string()))?;
        }
    }
}

/// Extra send time for big frames: 1 s per 10 kB (≈ 115 200 baud serial).
fn transfer_allowance(len: usize) -> Duration {
    Duration::from_millis((len / 10) as u64)
}
