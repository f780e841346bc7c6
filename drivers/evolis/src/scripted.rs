//! [`ScriptedLink`]: a [`PrinterLink`] that plays a script of expected frames and replies, for
//! unit tests of the driver (STYLE.md #1) without a printer or simulator.

use cardline_device::{LinkError, PrinterLink};
use std::collections::VecDeque;
use std::time::Duration;

/// What the script expects the driver to send next.
#[derive(Clone, Debug)]
enum Expected {
    /// Exactly these bytes.
    Exact(Vec<u8>),
    /// A frame of `len` bytes starting with `prefix` (panel downloads).
    Prefix { prefix: Vec<u8>, len: usize },
}

/// One exchange: an expected frame and the reply bytes to hand back (`None` = stay silent).
#[derive(Clone, Debug)]
struct Exchange {
    expected: Expected,
    reply: Option<Vec<u8>>,
}

/// A scripted printer: each `send` must match the next expected frame, then its reply becomes
/// readable, delivered in chunks of `chunk` bytes to exercise reply assembly.
#[derive(Debug, Default)]
pub struct ScriptedLink {
    script: VecDeque<Exchange>,
    pending: VecDeque<u8>,
    sent: Vec<Vec<u8>>,
    chunk: usize,
    mismatch: Option<String>,
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

    /// Expects `frame` exactly and replies `reply` (sent as given, e.g. `b"OK\r"`).
    pub fn expect(mut self, frame: &[u8], reply: &[u8]) -> Self {
        self.script.push_back(Exchange {
            expected: Expected::Exact(frame.to_vec()),
            reply: Some(reply.to_vec()),
        });
        self
    }

    /// Expects the escape command `text` (framed as `ESC text CR`) and replies `reply` + CR.
    pub fn command(self, text: &str, reply: &str) -> Self {
        let frame = [&[0x1B][..], text.as_bytes(), b"\r"].concat();
        let reply = [reply.as_bytes(), b"\r"].concat();
        self.expect(&frame, &reply)
    }

    /// Expects a frame of `len` bytes starting with `ESC prefix` and replies `reply` + CR.
    pub fn download(mut self, prefix: &str, len: usize, reply: &str) -> Self {
        let prefix = [&[0x1B][..], prefix.as_bytes()].concat();
        let reply = [reply.as_bytes(), b"\r"].concat();
        self.script.push_back(Exchange {
            expected: Expected::Prefix { prefix, len },
            reply: Some(reply),
        });
        self
    }

    /// Expects the escape command `text` and never answers it.
    pub fn silent(mut self, text: &str) -> Self {
        let frame = [&[0x1B][..], text.as_bytes(), b"\r"].concat();
        self.script.push_back(Exchange {
            expected: Expected::Exact(frame),
            reply: None,
        });
        self
    }

    /// Every frame sent so far.
    pub fn sent(&self) -> &[Vec<u8>] {
        &self.sent
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

fn show(bytes: &[u8]) -> String {
    let head: Vec<u8> = bytes.iter().take(40).copied().collect();
    format!(
        "{:?} ({} bytes)",
        String::from_utf8_lossy(&head),
        bytes.len()
    )
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
            Expected::Prefix { prefix, len } => bytes.starts_with(prefix) && bytes.len() == *len,
        };
        if !ok {
            self.mismatch.get_or_insert(format!(
                "expected {:?}, got {}",
                next.expected,
                show(bytes)
            ));
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
