//! [`SerialLink`]: a printer on a serial port (or a pseudo-terminal) via `serialport`.
//!
//! Evolis serial settings (spec §1.2): 2400–115 200 baud, parity N/O/E, 1 or 2 stop bits, flow
//! control none / XON-XOFF / RTS-CTS. Safe default: 115 200 8N1 without flow control.

use crate::io_error;
use cardline_device::{LinkError, PrinterLink};
use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits, TTYPort};
use std::io::{Read, Write};
use std::time::Duration;

/// Serial line settings; build with [`SerialSettings::new`] and the setters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialSettings {
    /// Device path, e.g. `/dev/ttyUSB0` or `/dev/pts/3`.
    pub path: String,
    /// Baud rate.
    pub baud: u32,
    /// Parity.
    pub parity: Parity,
    /// Data bits.
    pub data_bits: DataBits,
    /// Stop bits.
    pub stop_bits: StopBits,
    /// Flow control.
    pub flow_control: FlowControl,
    /// Timeout for opening and the initial line setup.
    pub open_timeout: Duration,
}

impl SerialSettings {
    /// 115 200 baud, 8 data bits, no parity, 1 stop bit, no flow control.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            baud: 115_200,
            parity: Parity::None,
            data_bits: DataBits::Eight,
            stop_bits: StopBits::One,
            flow_control: FlowControl::None,
            open_timeout: Duration::from_secs(2),
        }
    }

    /// Sets the baud rate.
    pub fn baud(mut self, baud: u32) -> Self {
        self.baud = baud;
        self
    }

    /// Sets the parity.
    pub fn parity(mut self, parity: Parity) -> Self {
        self.parity = parity;
        self
    }

    /// Sets the data bits.
    pub fn data_bits(mut self, bits: DataBits) -> Self {
        self.data_bits = bits;
        self
    }

    /// Sets the stop bits.
    pub fn stop_bits(mut self, bits: StopBits) -> Self {
        self.stop_bits = bits;
        self
    }

    /// Sets the flow control.
    pub fn flow_control(mut self, flow: FlowControl) -> Self {
        self.flow_control = flow;
        self
    }

    /// Opens the port.
    pub fn open(self) -> Result<SerialLink, LinkError> {
        let port = self.open_port()?;
        Ok(SerialLink {
            settings: self,
            port: Some(port),
        })
    }

    fn open_port(&self) -> Result<TTYPort, LinkError> {
        serialport::new(&self.path, self.baud)
            .parity(self.parity)
            .data_bits(self.data_bits)
            .stop_bits(self.stop_bits)
            .flow_control(self.flow_control)
            .timeout(self.open_timeout)
            .open_native()
            .map_err(|e| LinkError::Open {
                uri: self.path.clone(),
                reason: e.to_string(),
            })
    }
}

/// A serial printer link.
pub struct SerialLink {
    settings: SerialSettings,
    port: Option<TTYPort>,
}

impl SerialLink {
    /// Wraps an already open port (e.g. one end of [`TTYPort::pair`]); `reset` reopens `path`.
    pub fn from_port(port: TTYPort, settings: SerialSettings) -> Self {
        Self {
            settings,
            port: Some(port),
        }
    }

    /// The line settings.
    pub fn settings(&self) -> &SerialSettings {
        &self.settings
    }

    fn port(&mut self) -> Result<&mut TTYPort, LinkError> {
        let link = self.describe();
        self.port.as_mut().ok_or(LinkError::Disconnected {
            link,
            detail: "port closed after an error; reset to reopen".into(),
        })
    }

    fn fail(&mut self, operation: &'static str, after: Duration, e: std::io::Error) -> LinkError {
        let err = io_error(self.describe(), operation, after, e);
        if matches!(err, LinkError::Disconnected { .. }) {
            self.port = None;
        }
        err
    }
}

impl PrinterLink for SerialLink {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        let port = self.port()?;
        let r = port
            .set_timeout(timeout)
            .map_err(std::io::Error::from)
            .and_then(|_| {
                port.write_all(bytes)?;
                port.flush()
            });
        r.map_err(|e| self.fail("sending", timeout, e))
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let port = self.port()?;
        let r = port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(std::io::Error::from)
            .and_then(|_| port.read(buf));
        match r {
            Ok(0) => {
                self.port = None;
                Err(LinkError::Disconnected {
                    link: self.describe(),
                    detail: "end of file".into(),
                })
            }
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail("receiving", timeout, e)),
        }
    }

    fn reset(&mut self) -> Result<(), LinkError> {
        if let Some(port) = self.port.as_mut()
            && port.clear(ClearBuffer::All).is_ok()
        {
            return Ok(());
        }
        self.port = None;
        self.port = Some(self.settings.open_port()?);
        Ok(())
    }

    fn describe(&self) -> String {
        format!("serial:{}@{}", self.settings.path, self.settings.baud)
    }
}

/// A serial port found on this machine.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SerialPortEntry {
    /// Device path.
    pub path: String,
    /// `usb`, `pci`, `bluetooth` or `unknown`.
    pub kind: String,
    /// USB vendor/product/product string when it is a USB serial adapter.
    pub description: Option<String>,
}

/// Serial ports on this machine; an empty list with the reason when enumeration fails.
pub fn list_serial_ports() -> (Vec<SerialPortEntry>, Option<String>) {
    match serialport::available_ports() {
        Ok(ports) => {
            let list = ports
                .into_iter()
                .map(|p| {
                    let (kind, description) = match p.port_type {
                        serialport::SerialPortType::UsbPort(u) => (
                            "usb",
                            Some(
                                format!(
                                    "{:04x}:{:04x} {}",
                                    u.vid,
                                    u.pid,
                                    u.product.unwrap_or_default()
                                )
                                .trim()
                                .to_string(),
                            ),
                        ),
                        serialport::SerialPortType::PciPort => ("pci", None),
                        serialport::SerialPortType::BluetoothPort => ("bluetooth", None),
                        serialport::SerialPortType::Unknown => ("unknown", None),
                    };
                    SerialPortEntry {
                        path: p.port_name,
                        kind: kind.into(),
                        description,
                    }
                })
                .collect();
            (list, None)
        }
        Err(e) => (
            Vec::new(),
            Some(format!("serial port enumeration failed: {e}")),
        ),
    }
}
