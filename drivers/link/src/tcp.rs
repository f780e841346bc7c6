//! [`TcpLink`]: a printer (or the simulator) on a raw TCP socket.
//!
//! Evolis Ethernet printers take escape commands on a raw socket (spec §1.2; the port is not
//! documented, 9100 is likely). Connect and I/O timeouts are explicit; Nagle is off so short
//! commands are not delayed.

use crate::io_error;
use cardline_device::{LinkError, PrinterLink};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Default connect timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A TCP printer link.
pub struct TcpLink {
    address: String,
    connect_timeout: Duration,
    stream: Option<TcpStream>,
}

impl TcpLink {
    /// Connects to `host:port` within `connect_timeout`, trying each resolved address.
    pub fn connect(address: &str, connect_timeout: Duration) -> Result<Self, LinkError> {
        let stream = open(address, connect_timeout)?;
        Ok(Self {
            address: address.to_string(),
            connect_timeout,
            stream: Some(stream),
        })
    }

    fn stream(&mut self) -> Result<&mut TcpStream, LinkError> {
        let link = self.describe();
        self.stream.as_mut().ok_or(LinkError::Disconnected {
            link,
            detail: "socket closed after an error; reset to reconnect".into(),
        })
    }

    fn fail(&mut self, operation: &'static str, after: Duration, e: std::io::Error) -> LinkError {
        let err = io_error(self.describe(), operation, after, e);
        if matches!(err, LinkError::Disconnected { .. }) {
            self.stream = None;
        }
        err
    }
}

fn open(address: &str, timeout: Duration) -> Result<TcpStream, LinkError> {
    let open_err = |reason: String| LinkError::Open {
        uri: format!("tcp://{address}"),
        reason,
    };
    let addrs: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|e| open_err(e.to_string()))?
        .collect();
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                s.set_nodelay(true).map_err(|e| open_err(e.to_string()))?;
                return Ok(s);
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(open_err(last))
}

impl PrinterLink for TcpLink {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        let s = self.stream()?;
        let r = s
            .set_write_timeout(Some(timeout.max(Duration::from_millis(1))))
            .and_then(|_| s.write_all(bytes));
        r.map_err(|e| self.fail("sending", timeout, e))
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let s = self.stream()?;
        let r = s
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .and_then(|_| s.read(buf));
        match r {
            Ok(0) => {
                self.stream = None;
                Err(LinkError::Disconnected {
                    link: self.describe(),
                    detail: "peer closed the connection".into(),
                })
            }
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail("receiving", timeout, e)),
        }
    }

    fn reset(&mut self) -> Result<(), LinkError> {
        if let Some(s) = self.stream.take() {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        self.stream = Some(open(&self.address, self.connect_timeout)?);
        Ok(())
    }

    fn describe(&self) -> String {
        format!("tcp:{}", self.address)
    }
}
