//! [`CountingLink`]: a printer link that counts the bytes sent through it (`printer test-card`
//! reports them; every opened printer has one, at the cost of one atomic add per send).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cardline_device::{LinkError, PrinterLink};

/// A link that adds every byte it sends to a shared counter.
pub struct CountingLink {
    inner: Box<dyn PrinterLink>,
    sent: Arc<AtomicU64>,
}

impl CountingLink {
    /// Counts what goes through `inner` into `sent`.
    pub fn new(inner: Box<dyn PrinterLink>, sent: Arc<AtomicU64>) -> CountingLink {
        CountingLink { inner, sent }
    }
}

impl PrinterLink for CountingLink {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        self.inner.send(bytes, timeout)?;
        self.sent.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(())
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
