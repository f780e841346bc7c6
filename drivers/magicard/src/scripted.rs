//! [`ScriptedLink`]: a [`PrinterLink`] that plays a script of expected frames and replies, for
//! tests of the driver's flows (STYLE.md #1) without a printer or simulator.

use crate::frame::{ETX, GUARD, JOB_GUARDS, REPLY_END, SOH, command_frame};
use cardline_device::{LinkError, PrinterLink};
use std::collections::VecDeque;
use std::time::Duration;

/// What the script expects the driver to send next.
#[derive(Clone, Debug)]
enum Expected {
    /// Exactly these bytes.
    Exact(Vec<u8>),
    /// A print job: `05×64 01 … 03`.
    Job,
}

/// One exchange: an expected frame and the reply bytes to hand back (`None` = stay silent).
#[derive(Clone, Debug)]
struct Exchange {
    expected: Expected,
    reply: Option<Vec<u8>>,
}

/// A scripted Magicard printer: each `send` must match the next expected frame, then its reply
/// becomes readable, delivered in chunks of `chunk` bytes to exercise reply assembly.
#[derive(Debug, Default)]
pub struct ScriptedLink {
    script: VecDeque<Exchange>,
    pending: VecDeque<u8>,
    sent: Vec<Vec<u8>>,
    chunk: usize,
    mismatch: Option<String>,
}

/// Frames a reply text: `01 text 2C 03`.
pub fn reply_frame(text: &str) -> Vec<u8> {
    [&[SOH][..], text.as_bytes(), &REPLY_END].concat()
}

impl ScriptedLink {
    /// An empty script.
    pub fn new() -> Self {
        Self {
            chunk: 64,
            ..Self::default()
        }
    }

    /// Delivers replies `n` bytes per `recv` (default 64).
    pub fn chunked(mut self, n: usize) -> Self {
        self.chunk = n.max(1);
        self
    }

    /// Expects `frame` exactly and replies with the raw bytes `reply`.
    pub fn expect(mut self, frame: &[u8], reply: &[u8]) -> Self {
        self.script.push_back(Exchange {
            expected: Expected::Exact(frame.to_vec()),
            reply: Some(reply.to_vec()),
        });
        self
    }

    /// Expects the command `text` (framed `05×9 01 REQ,text, 1C 03`) and replies `01 reply 2C 03`.
    pub fn command(self, text: &str, reply: &str) -> Self {
        self.expect(&command_frame(text), &reply_frame(reply))
    }

    /// Expects the status query `STA,key` and replies `STA,key,value`.
    pub fn status(self, key: &str, value: &str) -> Self {
        self.command(&format!("STA,{key}"), &format!("STA,{key},{value}"))
    }

    /// Expects the command `text` and never answers it.
    pub fn silent(mut self, text: &str) -> Self {
        self.script.push_back(Exchange {
            expected: Expected::Exact(command_frame(text)),
            reply: None,
        });
        self
    }

    /// Expects a print job (`05×64 01 … 03`, one or more pages in one send) and replies
    /// `01 reply 2C 03`.
    pub fn job(mut self, reply: &str) -> Self {
        self.script.push_back(Exchange {
            expected: Expected::Job,
            reply: Some(reply_frame(reply)),
        });
        self
    }

    /// Every frame sent so far.
    pub fn sent(&self) -> &[Vec<u8>] {
        &self.sent
    }

    /// The print jobs sent so far.
    pub fn jobs(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.sent.iter().filter(|f| is_job(f))
    }

    /// True when every scripted exchange happened and nothing unexpected was sent.
    pub fn finished(&self) -> bool {
        self.script.is_empty() && self.mismatch.is_none()
    }

    /// The first unexpected frame, if any, described for a test failure message.
    pub fn mismatch(&self) -> Option<&str> {
        self.mismatch.as_deref()
    }

    /// What is left of the script, for a test failure message.
    pub fn remaining(&self) -> usize {
        self.script.len()
    }
}

fn is_job(bytes: &[u8]) -> bool {
    bytes.len() > JOB_GUARDS + 2
        && bytes[..JOB_GUARDS].iter().all(|&b| b == GUARD)
        && bytes[JOB_GUARDS] == SOH
        && bytes.last() == Some(&ETX)
}

fn show(bytes: &[u8]) -> String {
    let start = bytes.iter().position(|&b| b != GUARD).unwrap_or(0);
    let head: Vec<u8> = bytes[start..].iter().take(40).copied().collect();
    format!("{} ({} bytes)", head.escape_ascii(), bytes.len())
}

impl PrinterLink for ScriptedLink {
    fn send(&mut self, bytes: &[u8], _timeout: Duration) -> Result<(), LinkError> {
        self.sent.push(bytes.to_vec());
        let Some(next) = self.script.pop_front() else {
            self.mismatch.get_or_insert(format!(
                "unexpected frame after the script ended: {}",
                show(bytes)
            ));
            return Err(LinkError::Disconnected {
                link: self.describe(),
                detail: "script ended".into(),
            });
        };
        let ok = match &next.expected {
            Expected::Exact(e) => e == bytes,
            Expected::Job => is_job(bytes),
        };
        if !ok {
            let wanted = match &next.expected {
                Expected::Exact(e) => show(e),
                Expected::Job => "a print job".into(),
            };
            self.mismatch
                .get_or_insert(format!("expected {wanted}, got {}", show(bytes)));
            return Err(LinkError::Disconnected {
                link: self.describe(),
                detail: "script mismatch".into(),
            });
        }
        if let Some(reply) = next.reply {
            self.pending.extend(reply);
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        if self.pending.is_empty() {
            return Err(LinkError::Timeout {
                link: self.describe(),
                operation: "receiving",
                after: timeout,
            });
        }
        let n = self.pending.len().min(buf.len()).min(self.chunk);
        for (slot, byte) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }

    fn reset(&mut self) -> Result<(), LinkError> {
        self.pending.clear();
        Ok(())
    }

    fn describe(&self) -> String {
        "scripted".into()
    }
}
