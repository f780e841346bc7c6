//! [`TcpEndpoint`]: a simulated printer behind a TCP listener (`evolis+tcp://host:port`,
//! `magicard+tcp://host:port`).
//! One client at a time, as a real printer's raw port; a disconnect drops any partial command.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{EndpointError, SimulatedPrinter};
use crate::device_thread::DeviceThread;

/// How often the device thread checks for a stop request.
const POLL: Duration = Duration::from_millis(50);

/// A running TCP endpoint. Dropping it stops the listener.
#[derive(Debug)]
pub struct TcpEndpoint {
    addr: SocketAddr,
    family: &'static str,
    device: DeviceThread,
}

impl TcpEndpoint {
    /// Listens on `addr` (e.g. `127.0.0.1:0` for any free port) and serves `printer`.
    pub fn start(printer: impl SimulatedPrinter, addr: &str) -> Result<Self, EndpointError> {
        let family = printer.family();
        let bind = |source| EndpointError::Bind {
            addr: addr.to_string(),
            source,
        };
        let listener = TcpListener::bind(addr).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let local = listener.local_addr().map_err(bind)?;
        let device = DeviceThread::spawn("sim-printer-tcp".into(), move |stop| {
            accept_loop(listener, printer, stop)
        })
        .map_err(|source| EndpointError::Thread { source })?;
        Ok(Self {
            addr: local,
            family,
            device,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The printer URI for cardline: `evolis+tcp://127.0.0.1:9100` (`magicard+tcp://…` for a
    /// Magicard).
    pub fn uri(&self) -> String {
        format!("{}+tcp://{}", self.family, self.addr)
    }

    /// Stops the listener and closes any client connection.
    pub fn stop(mut self) {
        self.device.stop();
    }
}

fn accept_loop(listener: TcpListener, printer: impl SimulatedPrinter, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                tracing::debug!("tcp endpoint: client {peer}");
                if let Err(e) = serve(stream, &printer, &stop) {
                    tracing::debug!("tcp endpoint: client {peer}: {e}");
                }
                printer.reset_link();
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(e) => {
                tracing::warn!("tcp endpoint: accept failed: {e}");
                std::thread::sleep(POLL);
            }
        }
    }
}

fn serve(
    mut stream: TcpStream,
    printer: &impl SimulatedPrinter,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                let replies = printer.feed(&buf[..n]);
                if !replies.is_empty() {
                    stream.write_all(&replies)?;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
