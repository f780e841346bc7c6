//! [`PtyEndpoint`]: a simulated printer behind a pseudo-terminal. The driver opens the slave
//! path (`/dev/pts/N`) as a real serial port; a device thread serves the master side.

use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

use super::{EndpointError, SimulatedPrinter};
use crate::device_thread::DeviceThread;

/// How often the device thread checks for a stop request.
const POLL: Duration = Duration::from_millis(50);

/// A running pseudo-terminal endpoint. Dropping it stops the device thread.
#[derive(Debug)]
pub struct PtyEndpoint {
    path: PathBuf,
    family: &'static str,
    device: DeviceThread,
    // Kept open so the master never sees EIO between two driver sessions.
    _slave: TTYPort,
}

impl PtyEndpoint {
    /// Creates a pseudo-terminal pair and serves `printer` on its master side.
    pub fn start(printer: impl SimulatedPrinter) -> Result<Self, EndpointError> {
        let family = printer.family();
        let (mut master, slave) =
            TTYPort::pair().map_err(|source| EndpointError::Pty { source })?;
        let path = PathBuf::from(slave.name().unwrap_or_default());
        master
            .set_timeout(POLL)
            .map_err(|source| EndpointError::Pty { source })?;
        let device = DeviceThread::spawn("sim-printer-pty".into(), move |stop| {
            serve(master, printer, stop)
        })
        .map_err(|source| EndpointError::Thread { source })?;
        Ok(Self {
            path,
            family,
            device,
            _slave: slave,
        })
    }

    /// The slave device path the driver opens, e.g. `/dev/pts/3`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The printer URI for cardline: `evolis+serial:///dev/pts/3` (`magicard+serial://…` for
    /// a Magicard).
    pub fn uri(&self) -> String {
        format!("{}+serial://{}", self.family, self.path.display())
    }

    /// Stops the device thread and closes the pseudo-terminal.
    pub fn stop(mut self) {
        self.device.stop();
    }
}

fn serve(mut master: TTYPort, printer: impl SimulatedPrinter, stop: Arc<AtomicBool>) {
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::SeqCst) {
        match master.read(&mut buf) {
            Ok(0) => std::thread::sleep(POLL),
            Ok(n) => {
                let replies = printer.feed(&buf[..n]);
                if !replies.is_empty()
                    && let Err(e) = master.write_all(&replies).and_then(|()| master.flush())
                {
                    tracing::warn!("pty endpoint: cannot write reply: {e}");
                }
            }
            Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                // EIO while no slave is open: wait for the next client
                tracing::debug!("pty endpoint: {e}");
                std::thread::sleep(POLL);
            }
        }
    }
}
