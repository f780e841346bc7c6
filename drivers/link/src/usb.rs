//! [`UsbLink`]: an Evolis printer on USB bulk endpoints via `rusb` (libusb).
//!
//! Evolis printers are USB printer-class devices with vendor id 0x0F49 (spec §1.2). The link
//! claims the printer-class interface (class 7), writes to its bulk OUT and reads its bulk IN
//! endpoint with explicit timeouts, clears a halted endpoint on stall, reports a vanished device
//! as [`LinkError::Disconnected`] and, on [`PrinterLink::reset`], resets the device and reopens
//! it. `rusb::Context::new()` is always used (the global context panics without libudev).

use cardline_device::{LinkError, PrinterLink};
use rusb::{Context, Device, DeviceHandle, Direction, TransferType, UsbContext};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// USB vendor id of Evolis SA.
pub const EVOLIS_VENDOR_ID: u16 = 0x0F49;
/// USB interface class of printers.
const PRINTER_CLASS: u8 = 7;

/// Which USB printer to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsbSelector {
    /// Vendor id.
    pub vendor_id: u16,
    /// Product id, `None` for any.
    pub product_id: Option<u16>,
    /// Serial number string, `None` for the first match.
    pub serial: Option<String>,
}

/// A USB printer found by [`list_usb_printers`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UsbPrinterEntry {
    /// Bus number.
    pub bus: u8,
    /// Device address on the bus.
    pub address: u8,
    /// Vendor id.
    pub vendor_id: u16,
    /// Product id.
    pub product_id: u16,
    /// Product string, when the device could be opened.
    pub product: Option<String>,
    /// Serial number string, when the device could be opened.
    pub serial: Option<String>,
    /// A link URI that opens this printer.
    pub uri: String,
}

fn usb_unavailable(e: rusb::Error) -> String {
    format!(
        "USB unavailable: {e} (libusb could not start; is this a container without /dev/bus/usb?)"
    )
}

/// Printers with `vendor_id` (normally [`EVOLIS_VENDOR_ID`]). Never fails: when USB itself is
/// unavailable the list is empty and the reason is returned next to it.
pub fn list_usb_printers(vendor_id: u16) -> (Vec<UsbPrinterEntry>, Option<String>) {
    let context = match Context::new() {
        Ok(c) => c,
        Err(e) => return (Vec::new(), Some(usb_unavailable(e))),
    };
    let devices = match context.devices() {
        Ok(d) => d,
        Err(e) => return (Vec::new(), Some(usb_unavailable(e))),
    };
    let mut out = Vec::new();
    for device in devices.iter() {
        let Ok(desc) = device.device_descriptor() else {
            continue;
        };
        if desc.vendor_id() != vendor_id {
            continue;
        }
        let (product, serial) = match device.open() {
            Ok(h) => (
                h.read_product_string_ascii(&desc).ok(),
                h.read_serial_number_string_ascii(&desc).ok(),
            ),
            Err(_) => (None, None),
        };
        let mut uri = format!("usb://{:04x}:{:04x}", desc.vendor_id(), desc.product_id());
        if let Some(s) = &serial {
            uri.push_str(&format!("?serial={s}"));
        }
        out.push(UsbPrinterEntry {
            bus: device.bus_number(),
            address: device.address(),
            vendor_id: desc.vendor_id(),
            product_id: desc.product_id(),
            product,
            serial,
            uri,
        });
    }
    (out, None)
}

struct Opened {
    handle: DeviceHandle<Context>,
    interface: u8,
    ep_in: u8,
    ep_out: u8,
    max_packet: usize,
}

/// A USB printer link.
pub struct UsbLink {
    context: Context,
    selector: UsbSelector,
    opened: Option<Opened>,
    pending: VecDeque<u8>,
}

impl UsbLink {
    /// Opens the first printer matching `selector`.
    pub fn open(selector: UsbSelector) -> Result<Self, LinkError> {
        let uri = describe_selector(&selector);
        let context = Context::new().map_err(|e| LinkError::Open {
            uri: uri.clone(),
            reason: usb_unavailable(e),
        })?;
        let opened = open_device(&context, &selector)?;
        Ok(Self {
            context,
            selector,
            opened: Some(opened),
            pending: VecDeque::new(),
        })
    }

    fn opened(&self) -> Result<&Opened, LinkError> {
        self.opened.as_ref().ok_or(LinkError::Disconnected {
            link: self.describe(),
            detail: "device gone; reset to reopen".into(),
        })
    }

    fn map(&mut self, operation: &'static str, after: Duration, e: rusb::Error) -> LinkError {
        let link = self.describe();
        match e {
            rusb::Error::Timeout => LinkError::Timeout {
                link,
                operation,
                after,
            },
            rusb::Error::NoDevice | rusb::Error::NotFound | rusb::Error::Io => {
                self.opened = None;
                LinkError::Disconnected {
                    link,
                    detail: e.to_string(),
                }
            }
            other => LinkError::Io {
                link,
                source: std::io::Error::other(other.to_string()),
            },
        }
    }
}

fn describe_selector(s: &UsbSelector) -> String {
    let pid = s.product_id.map_or("*".to_string(), |p| format!("{p:04x}"));
    match &s.serial {
        Some(serial) => format!("usb://{:04x}:{pid}?serial={serial}", s.vendor_id),
        None => format!("usb://{:04x}:{pid}", s.vendor_id),
    }
}

fn matches(device: &Device<Context>, s: &UsbSelector) -> bool {
    let Ok(desc) = device.device_descriptor() else {
        return false;
    };
    if desc.vendor_id() != s.vendor_id || s.product_id.is_some_and(|p| p != desc.product_id()) {
        return false;
    }
    match &s.serial {
        None => true,
        Some(wanted) => device
            .open()
            .and_then(|h| h.read_serial_number_string_ascii(&desc))
            .is_ok_and(|serial| &serial == wanted),
    }
}

fn open_device(context: &Context, s: &UsbSelector) -> Result<Opened, LinkError> {
    let uri = describe_selector(s);
    let open_err = |reason: String| LinkError::Open {
        uri: uri.clone(),
        reason,
    };
    let devices = context
        .devices()
        .map_err(|e| open_err(usb_unavailable(e)))?;
    let device = devices
        .iter()
        .find(|d| matches(d, s))
        .ok_or_else(|| open_err("no such USB printer attached".into()))?;
    let config = device
        .active_config_descriptor()
        .map_err(|e| open_err(format!("config descriptor: {e}")))?;
    let mut found = None;
    for interface in config.interfaces() {
        for alt in interface.descriptors() {
            if alt.class_code() != PRINTER_CLASS {
                continue;
            }
            let bulk = |dir| {
                alt.endpoint_descriptors()
                    .find(|e| e.transfer_type() == TransferType::Bulk && e.direction() == dir)
                    .map(|e| (e.address(), e.max_packet_size() as usize))
            };
            if let (Some((ep_in, max_packet)), Some((ep_out, _))) =
                (bulk(Direction::In), bulk(Direction::Out))
            {
                found = Some((
                    alt.interface_number(),
                    alt.setting_number(),
                    ep_in,
                    ep_out,
                    max_packet.max(64),
                ));
                break;
            }
        }
    }
    let (interface, setting, ep_in, ep_out, max_packet) = found.ok_or_else(|| {
        open_err("no printer-class interface with bulk IN and OUT endpoints".into())
    })?;
    let handle = device
        .open()
        .map_err(|e| open_err(format!("open: {e} (check udev permissions)")))?;
    // Not supported on every platform; claiming then fails with Busy if a kernel driver holds it.
    let _ = handle.set_auto_detach_kernel_driver(true);
    handle
        .claim_interface(interface)
        .map_err(|e| open_err(format!("claim interface {interface}: {e} (usblp bound?)")))?;
    if setting != 0 {
        handle
            .set_alternate_setting(interface, setting)
            .map_err(|e| open_err(format!("alternate setting: {e}")))?;
    }
    Ok(Opened {
        handle,
        interface,
        ep_in,
        ep_out,
        max_packet,
    })
}

impl PrinterLink for UsbLink {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        let deadline = Instant::now() + timeout;
        let mut offset = 0;
        let mut stalls = 0;
        while offset < bytes.len() {
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            let (result, ep) = {
                let o = self.opened()?;
                (
                    o.handle.write_bulk(o.ep_out, &bytes[offset..], left),
                    o.ep_out,
                )
            };
            match result {
                Ok(n) => offset += n,
                Err(rusb::Error::Pipe) if stalls < 2 => {
                    stalls += 1;
                    tracing::debug!(link = %self.describe(), "bulk OUT stalled; clearing halt");
                    let _ = self.opened()?.handle.clear_halt(ep);
                }
                Err(e) => return Err(self.map("sending", timeout, e)),
            }
        }
        Ok(())
    }

    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        let deadline = Instant::now() + timeout;
        let mut stalls = 0;
        while self.pending.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(LinkError::Timeout {
                    link: self.describe(),
                    operation: "receiving",
                    after: timeout,
                });
            }
            let (result, ep, chunk) = {
                let o = self.opened()?;
                let mut chunk = vec![0u8; o.max_packet * 8];
                (
                    o.handle.read_bulk(o.ep_in, &mut chunk, left),
                    o.ep_in,
                    chunk,
                )
            };
            match result {
                Ok(n) => self.pending.extend(&chunk[..n]), // zero-length packets just loop
                Err(rusb::Error::Pipe) if stalls < 2 => {
                    stalls += 1;
                    tracing::debug!(link = %self.describe(), "bulk IN stalled; clearing halt");
                    let _ = self.opened()?.handle.clear_halt(ep);
                }
                Err(e) => return Err(self.map("receiving", timeout, e)),
            }
        }
        let n = buf.len().min(self.pending.len());
        for (slot, b) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }

    fn reset(&mut self) -> Result<(), LinkError> {
        self.pending.clear();
        if let Some(o) = self.opened.take() {
            let _ = o.handle.release_interface(o.interface);
            // A port reset may re-enumerate the device; reopen it either way.
            let _ = o.handle.reset();
        }
        self.opened = Some(open_device(&self.context, &self.selector)?);
        Ok(())
    }

    fn describe(&self) -> String {
        describe_selector(&self.selector)
    }
}
