//! The stations file (`<home>/stations.toml`): which printers and readers make up the line.
//!
//! ```toml
//! [[station]]
//! name = "desk-1"
//! printer = "evolis+serial:///dev/ttyUSB0?baud=115200"   # or evolis+tcp://host:port,
//!                                                        # evolis+usb://0f49:0a00, sim://desk-1
//! reader = "OMNIKEY"          # a reader name pattern, or "sim" with a sim:// printer
//! encode = true               # optional: false for a print-only station
//! compress_color = true       # optional: false sends colour panels raw (`Db`)
//! ```
//!
//! ```
//! use cardline_issuance::stations::{StationsFile, PrinterUri};
//! let f = StationsFile::parse("[[station]]\nname = \"a\"\nprinter = \"sim://a?faults=jam@3\"\nreader = \"sim\"\n", "stations.toml").unwrap();
//! assert!(matches!(&f.stations[0].printer, PrinterUri::Sim { name, .. } if name == "a"));
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Where a station's printer is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PrinterUri {
    /// An Evolis printer on a serial port (or a pseudo-terminal).
    EvolisSerial {
        /// Device path.
        path: String,
        /// Baud rate (default 115200).
        baud: u32,
    },
    /// An Evolis printer on TCP.
    EvolisTcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
    /// An Evolis printer on USB.
    EvolisUsb {
        /// Vendor id.
        vendor: u16,
        /// Product id.
        product: u16,
    },
    /// A simulated station in this process (`sim://name?faults=...&time_scale=...`).
    Sim {
        /// The simulated station's name.
        name: String,
        /// The query parameters (`faults`, `seed`, `time_scale`, `feeder`, ...).
        params: BTreeMap<String, String>,
    },
}

impl PrinterUri {
    /// Parses a printer URI; the error says what is wrong.
    pub fn parse(uri: &str) -> Result<PrinterUri, String> {
        let (scheme, rest) = uri.split_once("://").ok_or_else(|| {
            "expected scheme://..., e.g. evolis+serial:///dev/ttyUSB0".to_string()
        })?;
        let (target, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut params = BTreeMap::new();
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            params.insert(k.to_string(), v.to_string());
        }
        match scheme {
            "evolis+serial" => {
                if !target.starts_with('/') {
                    return Err(
                        "a serial URI names an absolute device path: evolis+serial:///dev/ttyUSB0"
                            .into(),
                    );
                }
                let baud = match params.get("baud") {
                    None => 115_200,
                    Some(b) => b
                        .parse()
                        .map_err(|_| format!("baud `{b}` is not a number"))?,
                };
                Ok(PrinterUri::EvolisSerial {
                    path: target.to_string(),
                    baud,
                })
            }
            "evolis+tcp" => {
                let (host, port) = target
                    .rsplit_once(':')
                    .ok_or_else(|| "a TCP URI needs host:port".to_string())?;
                let port = port
                    .parse()
                    .map_err(|_| format!("port `{port}` is not a number"))?;
                Ok(PrinterUri::EvolisTcp {
                    host: host.to_string(),
                    port,
                })
            }
            "evolis+usb" => {
                let (v, p) = target.split_once(':').unwrap_or((target, "0000"));
                let hex = |s: &str| {
                    u16::from_str_radix(s, 16).map_err(|_| format!("`{s}` is not a hex USB id"))
                };
                Ok(PrinterUri::EvolisUsb {
                    vendor: hex(v)?,
                    product: hex(p)?,
                })
            }
            "sim" => {
                if target.is_empty() {
                    return Err("a simulated station needs a name: sim://station-1".into());
                }
                Ok(PrinterUri::Sim {
                    name: target.to_string(),
                    params,
                })
            }
            other => Err(format!(
                "unknown printer scheme `{other}` (known: evolis+serial, evolis+tcp, evolis+usb, sim)"
            )),
        }
    }
}

/// Which contact reader belongs to a station.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "pattern", rename_all = "snake_case")]
pub enum ReaderSpec {
    /// The simulated station's own reader (only with a `sim://` printer).
    Sim,
    /// The PC/SC reader whose name contains this pattern.
    Pcsc(String),
}

/// One station as declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StationSpec {
    /// Unique name (journaled on every attempt).
    pub name: String,
    /// The printer URI as written.
    pub printer_uri: String,
    /// The parsed printer URI.
    pub printer: PrinterUri,
    /// The reader.
    pub reader: ReaderSpec,
    /// False for a print-only station.
    pub encode: bool,
    /// Colour panels go run-length compressed (`Dbc`, default) or raw (`Db`, when false).
    pub compress_color: bool,
}

/// The parsed stations file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StationsFile {
    /// The stations, in file order.
    pub stations: Vec<StationSpec>,
}

/// Errors of the stations file; each names the file and, where known, the line and key.
#[derive(Debug, thiserror::Error)]
pub enum StationsFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or misses a key.
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A value is not valid.
    #[error("{path}:{line}: station `{station}`: {key} = \"{value}\": {why}")]
    Invalid {
        /// The file.
        path: String,
        /// 1-based line of the value.
        line: usize,
        /// The station.
        station: String,
        /// The key.
        key: &'static str,
        /// The value.
        value: String,
        /// What is wrong and what is allowed.
        why: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    station: Vec<RawStation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStation {
    name: toml::Spanned<String>,
    printer: toml::Spanned<String>,
    reader: toml::Spanned<String>,
    #[serde(default = "yes")]
    encode: bool,
    #[serde(default = "yes")]
    compress_color: bool,
}

fn yes() -> bool {
    true
}

impl StationsFile {
    /// Loads the file; a missing file is an empty line (no station). A file larger than
    /// [`TOML_FILE_LIMIT`](crate::file_limits::TOML_FILE_LIMIT) is refused unread.
    pub fn load(path: &Path) -> Result<StationsFile, StationsFileError> {
        let shown = path.display().to_string();
        let limit = crate::file_limits::TOML_FILE_LIMIT;
        match crate::file_limits::read_text(path, limit, "a stations file") {
            Ok(text) => StationsFile::parse(&text, &shown),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StationsFile::default()),
            Err(source) => Err(StationsFileError::Read {
                path: shown,
                source,
            }),
        }
    }

    /// Parses the text of a stations file named `path` (for messages).
    pub fn parse(text: &str, path: &str) -> Result<StationsFile, StationsFileError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| StationsFileError::Syntax {
            path: path.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        let line_of = |span: std::ops::Range<usize>| {
            text[..span.start.min(text.len())].lines().count().max(1)
        };
        let mut out = StationsFile::default();
        for r in raw.station {
            let name = r.name.get_ref().trim().to_string();
            let invalid = |key: &'static str, v: &toml::Spanned<String>, why: String| {
                StationsFileError::Invalid {
                    path: path.to_string(),
                    line: line_of(v.span()),
                    station: name.clone(),
                    key,
                    value: v.get_ref().clone(),
                    why,
                }
            };
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(invalid(
                    "name",
                    &r.name,
                    "a station name is one word, not empty".into(),
                ));
            }
            if out.stations.iter().any(|s| s.name == name) {
                return Err(invalid(
                    "name",
                    &r.name,
                    "another station has this name".into(),
                ));
            }
            let printer = PrinterUri::parse(r.printer.get_ref())
                .map_err(|why| invalid("printer", &r.printer, why))?;
            let reader = match r.reader.get_ref().trim() {
                "sim" => ReaderSpec::Sim,
                "" => {
                    return Err(invalid(
                        "reader",
                        &r.reader,
                        "name a reader (pattern of its PC/SC name) or `sim`".into(),
                    ));
                }
                p => ReaderSpec::Pcsc(p.to_string()),
            };
            match (&printer, &reader) {
                (PrinterUri::Sim { .. }, ReaderSpec::Pcsc(_))
                | (PrinterUri::Sim { .. }, ReaderSpec::Sim) => {}
                (_, ReaderSpec::Sim) => {
                    return Err(invalid(
                        "reader",
                        &r.reader,
                        "`sim` goes only with a sim:// printer; name the PC/SC reader".into(),
                    ));
                }
                _ => {}
            }
            out.stations.push(StationSpec {
                name,
                printer_uri: r.printer.get_ref().clone(),
                printer,
                reader,
                encode: r.encode,
                compress_color: r.compress_color,
            });
        }
        Ok(out)
    }

    /// A stations file declaring `n` simulated stations `sim-1` … `sim-n`.
    pub fn simulated(n: usize, query: &str) -> String {
        let mut s = String::new();
        for i in 1..=n {
            let q = if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            };
            s.push_str(&format!("[[station]]\nname = \"sim-{i}\"\nprinter = \"sim://sim-{i}{q}\"\nreader = \"sim\"\n\n"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printer_scheme_parses() {
        assert_eq!(
            PrinterUri::parse("evolis+serial:///dev/ttyUSB0?baud=9600").unwrap(),
            PrinterUri::EvolisSerial {
                path: "/dev/ttyUSB0".into(),
                baud: 9600
            }
        );
        assert_eq!(
            PrinterUri::parse("evolis+tcp://10.0.0.5:9100").unwrap(),
            PrinterUri::EvolisTcp {
                host: "10.0.0.5".into(),
                port: 9100
            }
        );
        assert_eq!(
            PrinterUri::parse("evolis+usb://0f49:0a00").unwrap(),
            PrinterUri::EvolisUsb {
                vendor: 0x0f49,
                product: 0x0a00
            }
        );
        let PrinterUri::Sim { name, params } =
            PrinterUri::parse("sim://s1?faults=jam@2&seed=7").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (
                name.as_str(),
                params["faults"].as_str(),
                params["seed"].as_str()
            ),
            ("s1", "jam@2", "7")
        );
        assert!(
            PrinterUri::parse("zebra://x")
                .unwrap_err()
                .contains("unknown printer scheme")
        );
        assert!(PrinterUri::parse("evolis+tcp://host").is_err());
        assert!(PrinterUri::parse("evolis+serial://ttyUSB0").is_err());
    }

    #[test]
    fn errors_name_file_line_key_and_value() {
        let text =
            "[[station]]\nname = \"a\"\nprinter = \"evolis+tcp://h:x\"\nreader = \"OMNIKEY\"\n";
        let e = StationsFile::parse(text, "stations.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("stations.toml:3: station `a`: printer = \"evolis+tcp://h:x\""),
            "{e}"
        );
        let dup = "[[station]]\nname = \"a\"\nprinter = \"sim://a\"\nreader = \"sim\"\n[[station]]\nname = \"a\"\nprinter = \"sim://b\"\nreader = \"sim\"\n";
        assert!(
            StationsFile::parse(dup, "f")
                .unwrap_err()
                .to_string()
                .contains("another station")
        );
        let sim_reader =
            "[[station]]\nname = \"a\"\nprinter = \"evolis+tcp://h:1\"\nreader = \"sim\"\n";
        assert!(
            StationsFile::parse(sim_reader, "f")
                .unwrap_err()
                .to_string()
                .contains("only with a sim://")
        );
        assert!(
            StationsFile::parse("[[station]]\nname = \"a\"\n", "f")
                .unwrap_err()
                .to_string()
                .contains("missing field")
        );
    }

    #[test]
    fn colour_compression_is_on_unless_the_station_turns_it_off() {
        let text = "[[station]]\nname = \"a\"\nprinter = \"sim://a\"\nreader = \"sim\"\n\
                    [[station]]\nname = \"b\"\nprinter = \"evolis+tcp://h:9100\"\nreader = \"X\"\n\
                    compress_color = false\n";
        let f = StationsFile::parse(text, "f").unwrap();
        let flags: Vec<bool> = f.stations.iter().map(|s| s.compress_color).collect();
        assert_eq!(flags, [true, false]);
        let bad = text.replace("compress_color = false", "compress_color = \"no\"");
        let e = StationsFile::parse(&bad, "stations.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 9") && e.contains("boolean"), "{e}");
    }

    #[test]
    fn simulated_snippet_round_trips() {
        let f = StationsFile::parse(&StationsFile::simulated(3, "time_scale=0"), "f").unwrap();
        assert_eq!(f.stations.len(), 3);
        assert!(
            f.stations
                .iter()
                .all(|s| s.reader == ReaderSpec::Sim && s.encode)
        );
        assert!(
            StationsFile::load(Path::new("/nonexistent/stations.toml"))
                .unwrap()
                .stations
                .is_empty()
        );
    }
}
