//! Hostile peers for the drivers' parsers: a printer link and a card whose every byte comes
//! from the fuzz input, with call budgets instead of clocks.
//!
//! [`HostileLink`] splits its input into reply segments at [`SEGMENT`] bytes and makes the next
//! segment readable after each `send` (a printer answers after a command); `recv` hands out at
//! most a few bytes at a time, in varying chunk sizes, and fails with a timeout at once when
//! nothing is pending. Since every successful `recv` delivers at least one byte, a driver that
//! needs more `recv` calls than bytes delivered plus one timeout per command loops without
//! consuming input: [`HostileLink::check_budget`] reports it as a hang.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardline_device::{CardTransport, LinkError, PrinterLink, TransportError};

/// Separates the reply segments of a [`HostileLink`] input.
pub const SEGMENT: u8 = 0xFF;

/// Chunk sizes `recv` cycles through.
const CHUNKS: [usize; 6] = [1, 7, 64, 3, 256, 2];

/// Counters of a hostile peer, shared with the test after the driver took the link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkCounters {
    /// `send` calls (commands and jobs).
    pub sends: u64,
    /// Bytes sent by the driver.
    pub bytes_sent: u64,
    /// `recv` calls that returned bytes.
    pub recv_data: u64,
    /// `recv` calls that timed out.
    pub recv_timeouts: u64,
    /// Bytes delivered to the driver.
    pub delivered: u64,
    /// `reset` calls.
    pub resets: u64,
}

/// A printer link whose replies are the fuzz input.
#[derive(Debug)]
pub struct HostileLink {
    segments: VecDeque<Vec<u8>>,
    pending: VecDeque<u8>,
    chunk: usize,
    counters: Arc<Mutex<LinkCounters>>,
}

impl HostileLink {
    /// A link answering with the segments of `input`; the counters stay readable after the
    /// driver took the link.
    pub fn new(input: &[u8]) -> (HostileLink, Arc<Mutex<LinkCounters>>) {
        let counters = Arc::new(Mutex::new(LinkCounters::default()));
        let link = HostileLink {
            segments: input.split(|b| *b == SEGMENT).map(<[u8]>::to_vec).collect(),
            pending: VecDeque::new(),
            chunk: 0,
            counters: counters.clone(),
        };
        (link, counters)
    }

    fn count(&self) -> std::sync::MutexGuard<'_, LinkCounters> {
        self.counters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks the iteration budget: the driver may not call `recv` more often than once per
    /// byte delivered plus one timeout per command (and per reset), nor send more than
    /// `max_sends` frames.
    pub fn check_budget(counters: &LinkCounters, max_sends: u64) -> Result<(), String> {
        if counters.sends > max_sends {
            return Err(format!(
                "hang: the driver sent {} frames, more than the {max_sends} its operations need",
                counters.sends
            ));
        }
        let allowed = counters.sends + counters.resets + 1;
        if counters.recv_timeouts > allowed {
            return Err(format!(
                "hang: the driver waited {} times on a silent link after {} commands and {} resets (at most one wait per command)",
                counters.recv_timeouts, counters.sends, counters.resets
            ));
        }
        if counters.recv_data > counters.delivered {
            return Err(format!(
                "hang: {} reads returned only {} bytes",
                counters.recv_data, counters.delivered
            ));
        }
        Ok(())
    }
}

impl PrinterLink for HostileLink {
    fn send(&mut self, bytes: &[u8], _timeout: Duration) -> Result<(), LinkError> {
        {
            let mut c = self.count();
            c.sends += 1;
            c.bytes_sent += bytes.len() as u64;
        }
        if let Some(segment) = self.segments.pop_front() {
            self.pending.extend(segment);
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        if self.pending.is_empty() || buf.is_empty() {
            self.count().recv_timeouts += 1;
            return Err(LinkError::Timeout {
                link: self.describe(),
                operation: "receiving",
                after: timeout,
            });
        }
        let size = CHUNKS[self.chunk % CHUNKS.len()];
        self.chunk += 1;
        let n = size.min(buf.len()).min(self.pending.len());
        for (slot, b) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *slot = b;
        }
        let mut c = self.count();
        c.recv_data += 1;
        c.delivered += n as u64;
        Ok(n)
    }

    fn reset(&mut self) -> Result<(), LinkError> {
        self.count().resets += 1;
        self.pending.clear();
        Ok(())
    }

    fn describe(&self) -> String {
        "hostile".into()
    }
}

/// A card whose responses are the fuzz input: each response is one length byte and that many
/// bytes (cut short at the end of the input); when the input is used up the card is mute.
#[derive(Debug)]
pub struct HostileCard {
    input: Vec<u8>,
    at: usize,
    /// Command APDUs received.
    pub commands: Vec<Vec<u8>>,
}

impl HostileCard {
    /// A card answering from `input`.
    pub fn new(input: &[u8]) -> HostileCard {
        HostileCard {
            input: input.to_vec(),
            at: 0,
            commands: Vec::new(),
        }
    }

    /// True when every response byte was used.
    pub fn exhausted(&self) -> bool {
        self.at >= self.input.len()
    }
}

impl CardTransport for HostileCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.commands.push(command.to_vec());
        let Some(&len) = self.input.get(self.at) else {
            return Err(TransportError::Mute {
                reader: self.reader_name(),
            });
        };
        let start = self.at + 1;
        let end = (start + usize::from(len)).min(self.input.len());
        self.at = end.max(start);
        Ok(self.input.get(start..end).unwrap_or_default().to_vec())
    }

    fn atr(&self) -> Vec<u8> {
        vec![0x3B, 0x00]
    }

    fn reader_name(&self) -> String {
        "hostile card".into()
    }
}

/// A link that records every byte the driver sends through it (the driver's own print jobs
/// become seeds of the stream targets).
pub struct Recording<L> {
    inner: L,
    /// Everything sent so far.
    pub sent: Vec<u8>,
}

impl<L> Recording<L> {
    /// Records what goes through `inner`.
    pub fn new(inner: L) -> Self {
        Self {
            inner,
            sent: Vec::new(),
        }
    }
}

impl<L: PrinterLink> PrinterLink for Recording<L> {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        self.sent.extend_from_slice(bytes);
        self.inner.send(bytes, timeout)
    }
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        self.inner.recv(buf, timeout)
    }
    fn reset(&mut self) -> Result<(), LinkError> {
        self.inner.reset()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_become_readable_one_per_send_in_varying_chunks() {
        let (mut link, counters) = HostileLink::new(b"OK\r\xffSMART CARD\r");
        let mut buf = [0u8; 64];
        assert!(
            link.recv(&mut buf, Duration::ZERO).is_err(),
            "nothing before a command"
        );
        link.send(b"\x1bSs\r", Duration::ZERO).unwrap();
        assert_eq!(link.recv(&mut buf, Duration::ZERO).unwrap(), 1);
        assert_eq!(link.recv(&mut buf, Duration::ZERO).unwrap(), 2);
        assert!(link.recv(&mut buf, Duration::ZERO).is_err());
        link.send(b"\x1bRlr;p\r", Duration::ZERO).unwrap();
        assert_eq!(link.recv(&mut buf, Duration::ZERO).unwrap(), 11);
        let c = counters.lock().unwrap().clone();
        assert_eq!((c.sends, c.delivered, c.recv_timeouts), (2, 14, 2));
        assert!(HostileLink::check_budget(&c, 10).is_ok());
        let looping = LinkCounters {
            sends: 2,
            recv_timeouts: 9,
            ..c
        };
        assert!(
            HostileLink::check_budget(&looping, 10)
                .unwrap_err()
                .starts_with("hang")
        );
    }

    #[test]
    fn card_answers_length_prefixed_then_goes_mute() {
        let mut card = HostileCard::new(&[2, 0x90, 0x00, 5, 0x61]);
        assert_eq!(card.transmit(&[0, 0xA4, 4, 0]).unwrap(), vec![0x90, 0x00]);
        assert_eq!(card.transmit(&[0, 0xC0, 0, 0]).unwrap(), vec![0x61]);
        assert!(card.exhausted());
        assert!(card.transmit(&[0, 0xC0, 0, 0]).is_err());
        assert_eq!(card.commands.len(), 3);
    }
}
