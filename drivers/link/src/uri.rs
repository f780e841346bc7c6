//! Link URIs: `serial:///dev/ttyUSB0?baud=115200&parity=none&flow=none`,
//! `usb://0f49:0a00[?serial=…]`, `tcp://host:port` — parsed into [`LinkUri`] and opened by
//! [`open_link`].

use crate::serial::SerialSettings;
use crate::tcp::{CONNECT_TIMEOUT, TcpLink};
use crate::usb::{UsbLink, UsbSelector};
use cardline_device::{LinkError, PrinterLink};
use serialport::{DataBits, FlowControl, Parity, StopBits};
use std::time::Duration;

/// A parsed link URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkUri {
    /// `serial://<path>?baud=&parity=none|odd|even&data=5..8&stop=1|2&flow=none|software|hardware`.
    Serial(SerialSettings),
    /// `usb://<vid>:<pid>[?serial=<serial number>]` (hex ids; `usb://<vid>` for any product).
    Usb(UsbSelector),
    /// `tcp://<host>:<port>[?connect_timeout_ms=<ms>]`.
    Tcp {
        /// `host:port`.
        address: String,
        /// Connect timeout.
        connect_timeout: Duration,
    },
}

fn bad(uri: &str, reason: impl Into<String>) -> LinkError {
    LinkError::Open {
        uri: uri.to_string(),
        reason: reason.into(),
    }
}

fn split_query(rest: &str) -> (&str, Vec<(&str, &str)>) {
    match rest.split_once('?') {
        None => (rest, Vec::new()),
        Some((head, q)) => (
            head,
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect(),
        ),
    }
}

impl LinkUri {
    /// Parses a link URI; errors name the URI and what is wrong with it.
    pub fn parse(uri: &str) -> Result<LinkUri, LinkError> {
        let (scheme, rest) = uri
            .split_once("://")
            .ok_or_else(|| bad(uri, "expected <scheme>://…"))?;
        let (target, query) = split_query(rest);
        match scheme {
            "serial" => {
                if target.is_empty() {
                    return Err(bad(uri, "missing device path, e.g. serial:///dev/ttyUSB0"));
                }
                let mut s = SerialSettings::new(target);
                for (k, v) in query {
                    s = match k {
                        "baud" => s.baud(
                            v.parse()
                                .map_err(|_| bad(uri, format!("baud {v:?} is not a number")))?,
                        ),
                        "parity" => s.parity(match v {
                            "none" | "n" | "N" => Parity::None,
                            "odd" | "o" | "O" => Parity::Odd,
                            "even" | "e" | "E" => Parity::Even,
                            _ => {
                                return Err(bad(
                                    uri,
                                    format!("parity {v:?}: use none, odd or even"),
                                ));
                            }
                        }),
                        "data" => s.data_bits(match v {
                            "5" => DataBits::Five,
                            "6" => DataBits::Six,
                            "7" => DataBits::Seven,
                            "8" => DataBits::Eight,
                            _ => return Err(bad(uri, format!("data bits {v:?}: use 5..8"))),
                        }),
                        "stop" => s.stop_bits(match v {
                            "1" => StopBits::One,
                            "2" => StopBits::Two,
                            _ => return Err(bad(uri, format!("stop bits {v:?}: use 1 or 2"))),
                        }),
                        "flow" => s.flow_control(match v {
                            "none" => FlowControl::None,
                            "software" | "xonxoff" => FlowControl::Software,
                            "hardware" | "rtscts" => FlowControl::Hardware,
                            _ => {
                                return Err(bad(
                                    uri,
                                    format!("flow {v:?}: use none, software or hardware"),
                                ));
                            }
                        }),
                        _ => return Err(bad(uri, format!("unknown serial option {k:?}"))),
                    };
                }
                Ok(LinkUri::Serial(s))
            }
            "usb" => {
                let hex = |t: &str| {
                    u16::from_str_radix(t, 16)
                        .map_err(|_| bad(uri, format!("{t:?} is not a hex USB id")))
                };
                let (vendor_id, product_id) = match target.split_once(':') {
                    Some((v, p)) => (hex(v)?, Some(hex(p)?)),
                    None => (hex(target)?, None),
                };
                let mut serial = None;
                for (k, v) in query {
                    match k {
                        "serial" => serial = Some(v.to_string()),
                        _ => return Err(bad(uri, format!("unknown usb option {k:?}"))),
                    }
                }
                Ok(LinkUri::Usb(UsbSelector {
                    vendor_id,
                    product_id,
                    serial,
                }))
            }
            "tcp" => {
                if target
                    .rsplit_once(':')
                    .is_none_or(|(h, p)| h.is_empty() || p.parse::<u16>().is_err())
                {
                    return Err(bad(uri, "expected tcp://host:port"));
                }
                let mut connect_timeout = CONNECT_TIMEOUT;
                for (k, v) in query {
                    match k {
                        "connect_timeout_ms" => {
                            connect_timeout = Duration::from_millis(
                                v.parse()
                                    .map_err(|_| bad(uri, "connect_timeout_ms is not a number"))?,
                            )
                        }
                        _ => return Err(bad(uri, format!("unknown tcp option {k:?}"))),
                    }
                }
                Ok(LinkUri::Tcp {
                    address: target.to_string(),
                    connect_timeout,
                })
            }
            other => Err(bad(
                uri,
                format!("unknown link scheme {other:?}: use serial, usb or tcp"),
            )),
        }
    }

    /// Opens the link.
    pub fn open(&self) -> Result<Box<dyn PrinterLink>, LinkError> {
        Ok(match self {
            LinkUri::Serial(s) => Box::new(s.clone().open()?),
            LinkUri::Usb(sel) => Box::new(UsbLink::open(sel.clone())?),
            LinkUri::Tcp {
                address,
                connect_timeout,
            } => Box::new(TcpLink::connect(address, *connect_timeout)?),
        })
    }
}

/// Parses and opens a link URI.
pub fn open_link(uri: &str) -> Result<Box<dyn PrinterLink>, LinkError> {
    LinkUri::parse(uri)?.open()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_uri_with_every_option() {
        let LinkUri::Serial(s) = LinkUri::parse(
            "serial:///dev/ttyUSB0?baud=9600&parity=even&data=7&stop=2&flow=hardware",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(s.path, "/dev/ttyUSB0");
        assert_eq!(s.baud, 9600);
        assert_eq!(s.parity, Parity::Even);
        assert_eq!(s.data_bits, DataBits::Seven);
        assert_eq!(s.stop_bits, StopBits::Two);
        assert_eq!(s.flow_control, FlowControl::Hardware);
    }

    #[test]
    fn serial_defaults_are_115200_8n1() {
        assert_eq!(
            LinkUri::parse("serial:///dev/pts/3").unwrap(),
            LinkUri::Serial(SerialSettings::new("/dev/pts/3"))
        );
        let s = SerialSettings::new("x");
        assert_eq!(
            (s.baud, s.parity, s.data_bits, s.stop_bits, s.flow_control),
            (
                115_200,
                Parity::None,
                DataBits::Eight,
                StopBits::One,
                FlowControl::None
            )
        );
    }

    #[test]
    fn usb_and_tcp_uris() {
        assert_eq!(
            LinkUri::parse("usb://0f49:0a00?serial=ABC").unwrap(),
            LinkUri::Usb(UsbSelector {
                vendor_id: 0x0F49,
                product_id: Some(0x0A00),
                serial: Some("ABC".into())
            })
        );
        assert_eq!(
            LinkUri::parse("usb://0f49").unwrap(),
            LinkUri::Usb(UsbSelector {
                vendor_id: 0x0F49,
                product_id: None,
                serial: None
            })
        );
        assert_eq!(
            LinkUri::parse("tcp://127.0.0.1:9100?connect_timeout_ms=250").unwrap(),
            LinkUri::Tcp {
                address: "127.0.0.1:9100".into(),
                connect_timeout: Duration::from_millis(250)
            }
        );
    }

    #[test]
    fn bad_uris_say_what_is_wrong() {
        for (uri, needle) in [
            ("/dev/ttyUSB0", "scheme"),
            ("serial://", "path"),
            ("serial:///dev/x?baud=fast", "baud"),
            ("serial:///dev/x?parity=mark", "parity"),
            ("serial:///dev/x?speed=1", "unknown serial option"),
            ("usb://zz:0a00", "hex"),
            ("tcp://localhost", "host:port"),
            ("tcp://:9100", "host:port"),
            ("lp:///dev/usb/lp0", "unknown link scheme"),
        ] {
            let e = LinkUri::parse(uri).unwrap_err().to_string();
            assert!(e.contains(needle), "{uri}: {e}");
        }
    }
}
