//! The station registry: turns the stations file's URIs into concrete stations (the
//! composition root of production). `issuance` only sees the device seams; this is where
//! Evolis, the links, PC/SC, PIV and the simulator are named.
//!
//! | printer URI | printer | reader |
//! |---|---|---|
//! | `evolis+serial:///dev/ttyUSB0?baud=115200`, `evolis+tcp://host:port`, `evolis+usb://0f49:0a00` | Evolis driver over the link | the PC/SC reader matching the pattern |
//! | `sim://name?...` | a SimPrinter driven by the real Evolis driver (in-process link, or a pseudo-terminal with `link=pty`) | the SimStation's contact reader, chips driven by the real PIV driver |
//!
//! `sim://` parameters: `faults=jam@3:printing,cover-opens@5:3` (printer faults, comma
//! separated), `mute_chips=4,9` (card numbers whose chip is mute), `time_scale=0.01`,
//! `feeder=N` (blank cards, default 100000), `ribbon=N` (prints left, default 100000), `seed=N`,
//! `png_dir=DIR`, `link=pty|inproc`.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use cardline_device::{
    CardImage, CardPrinter, CardReader, LinkError, PrinterCapabilities, PrinterError, PrinterLink,
    PrinterStatus,
};
use cardline_evolis::{EvolisConfig, EvolisPrinter};
use cardline_issuance::production::Station;
use cardline_issuance::stations::{PrinterUri, ReaderSpec, StationSpec, StationsFile};
use cardline_piv::PivEncoder;
use cardline_sim::card::{SimCard, SimCardConfig};
use cardline_sim::clock::TimeModel;
use cardline_sim::faults::{PrinterFaultPlan, ScriptedFault};
use cardline_sim::printer::{
    PtyEndpoint, RibbonLoad, SimPrinter, SimPrinterConfig, SimPrinterHandle,
};
use cardline_sim::station::SimStation;

use crate::context::Context;

/// A simulated station's device side, kept alive while the station is used.
pub struct SimDevice {
    /// The station name.
    pub name: String,
    /// The simulated printer (cover, feeder, printed cards).
    pub printer: SimPrinterHandle,
    /// The pseudo-terminal serving it, when `link=pty`.
    pub pty: Option<PtyEndpoint>,
    /// Where its PNGs go.
    pub png_dir: Option<PathBuf>,
}

/// Stations opened from a stations file, with the simulated devices behind them.
pub struct OpenedLine {
    /// The stations, in file order.
    pub stations: Vec<Station>,
    /// The simulated devices (empty for real hardware).
    pub sims: Vec<SimDevice>,
}

/// Opens the stations of the home's stations file: all of them, or those named in `only`.
/// Keep the returned line alive while producing: it owns the simulated devices.
pub fn open_home_stations(ctx: &Context, only: &[String]) -> anyhow::Result<OpenedLine> {
    let mut file = StationsFile::load(&ctx.home.stations_file())?;
    if !only.is_empty() {
        for name in only {
            if !file.stations.iter().any(|s| &s.name == name) {
                bail!(
                    "no station named `{name}` in {} (see `cardline stations list`)",
                    ctx.home.stations_file().display()
                );
            }
        }
        file.stations.retain(|s| only.contains(&s.name));
    }
    if file.stations.is_empty() {
        bail!(
            "no station is configured: declare printers in {} (see docs/production.md, or try `cardline demo`)",
            ctx.home.stations_file().display()
        );
    }
    let default_png = ctx.home_dir().join("printed");
    open_line(&file, Some(&default_png))
}

/// Opens the stations of `file`; simulated printers write PNGs under `png_root/<station>/`
/// unless their URI says otherwise.
pub fn open_line(
    file: &StationsFile,
    png_root: Option<&std::path::Path>,
) -> anyhow::Result<OpenedLine> {
    let mut line = OpenedLine {
        stations: Vec::new(),
        sims: Vec::new(),
    };
    for spec in &file.stations {
        let (station, sim) = open_station(spec, png_root)
            .with_context(|| format!("station `{}` ({})", spec.name, spec.printer_uri))?;
        line.stations.push(station);
        line.sims.extend(sim);
    }
    Ok(line)
}

/// Opens one station.
pub fn open_station(
    spec: &StationSpec,
    png_root: Option<&std::path::Path>,
) -> anyhow::Result<(Station, Option<SimDevice>)> {
    let encoder = spec
        .encode
        .then(|| Box::new(PivEncoder::new()) as Box<dyn cardline_device::CardEncoder>);
    match &spec.printer {
        PrinterUri::Sim { name, params } => {
            let png_dir = params
                .get("png_dir")
                .map(PathBuf::from)
                .or_else(|| png_root.map(|r| r.join(&spec.name)));
            let driver = driver_config(spec);
            let (station, device) = open_sim(&spec.name, name, params, png_dir, encoder, driver)?;
            if let ReaderSpec::Pcsc(pattern) = &spec.reader {
                bail!(
                    "a sim:// printer uses its own reader: write reader = \"sim\" (not `{pattern}`)"
                );
            }
            Ok((station, Some(device)))
        }
        _ => {
            let link_uri = spec.printer_uri.trim_start_matches("evolis+");
            let link = cardline_link::open_link(link_uri)?;
            let printer = EvolisPrinter::connect(link, driver_config(spec))?;
            let reader = match &spec.reader {
                ReaderSpec::Pcsc(_) if !spec.encode => Box::new(NoReader(spec.name.clone())),
                ReaderSpec::Pcsc(pattern) => open_pcsc_reader(pattern)?,
                ReaderSpec::Sim => bail!("reader = \"sim\" goes only with a sim:// printer"),
            };
            Ok((
                Station::new(
                    spec.name.clone(),
                    Box::new(Reconnecting(printer)),
                    reader,
                    encoder,
                ),
                None,
            ))
        }
    }
}

/// The PC/SC reader whose name contains `pattern`.
/// The Evolis driver settings a station's declaration asks for.
fn driver_config(spec: &StationSpec) -> EvolisConfig {
    EvolisConfig {
        compress_color: spec.compress_color,
        ..EvolisConfig::default()
    }
}

fn open_pcsc_reader(pattern: &str) -> anyhow::Result<Box<dyn CardReader>> {
    let readers = cardline_pcsc::PcscReaders::establish()?;
    Ok(Box::new(readers.find(pattern)?))
}

fn open_sim(
    station_name: &str,
    sim_name: &str,
    params: &std::collections::BTreeMap<String, String>,
    png_dir: Option<PathBuf>,
    encoder: Option<Box<dyn cardline_device::CardEncoder>>,
    driver: EvolisConfig,
) -> anyhow::Result<(Station, SimDevice)> {
    let num = |k: &str| -> anyhow::Result<Option<u64>> {
        params
            .get(k)
            .map(|v| {
                v.parse::<u64>()
                    .with_context(|| format!("sim parameter {k}={v} is not a number"))
            })
            .transpose()
    };
    let seed = num("seed")?.unwrap_or_else(|| seed_from_name(sim_name));
    let mut scripted = Vec::new();
    if let Some(faults) = params.get("faults") {
        for f in faults.split(',').filter(|f| !f.is_empty()) {
            scripted.push(f.parse::<ScriptedFault>()?);
        }
    }
    let time_scale: f64 = match params.get("time_scale") {
        Some(v) => v
            .parse()
            .with_context(|| format!("time_scale={v} is not a number"))?,
        None => 0.0,
    };
    let mute: Vec<u32> = match params.get("mute_chips") {
        Some(v) => v
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse()
                    .with_context(|| format!("mute_chips: `{s}` is not a card number"))
            })
            .collect::<anyhow::Result<_>>()?,
        None => Vec::new(),
    };
    if let Some(dir) = &png_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let config = SimPrinterConfig {
        serial: format!("SIM-{sim_name}"),
        feeder_cards: num("feeder")?.unwrap_or(100_000) as u32,
        ribbon: Some(RibbonLoad::fresh(
            "ymcko",
            num("ribbon")?.unwrap_or(100_000) as u32,
        )),
        time: TimeModel::scaled(time_scale),
        png_dir: png_dir.clone(),
        faults: PrinterFaultPlan::scripted(scripted),
        ..SimPrinterConfig::default()
    };
    let handle = SimPrinterHandle::new(SimPrinter::new(config));
    let reader = SimStation::new(handle.clone(), move |n: u32| {
        let mut card = SimCard::new(SimCardConfig::from_seed(seed.wrapping_add(u64::from(n))));
        if mute.contains(&n) {
            card.faults_mut().mute = true;
        }
        card
    });
    let use_pty = params.get("link").map(String::as_str) == Some("pty");
    let (printer, pty): (Box<dyn CardPrinter>, _) = if use_pty {
        let pty = PtyEndpoint::start(handle.clone())?;
        let link: Box<dyn PrinterLink> =
            cardline_link::open_link(&format!("serial://{}", pty.path().display()))?;
        (
            Box::new(Reconnecting(EvolisPrinter::connect(link, driver)?)),
            Some(pty),
        )
    } else {
        (
            Box::new(EvolisPrinter::connect(handle.link(), driver)?),
            None,
        )
    };
    Ok((
        Station::new(station_name, printer, Box::new(reader), encoder),
        SimDevice {
            name: station_name.to_string(),
            printer: handle,
            pty,
            png_dir,
        },
    ))
}

/// A stable seed from a station name, so chips differ between stations.
fn seed_from_name(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The reader of a print-only station: there is no chip to talk to.
struct NoReader(String);

impl CardReader for NoReader {
    fn name(&self) -> String {
        format!("{} (print only, no reader)", self.0)
    }
    fn connect(
        &mut self,
        _timeout: std::time::Duration,
    ) -> Result<Box<dyn cardline_device::CardTransport + '_>, cardline_device::TransportError> {
        Err(cardline_device::TransportError::NoReader {
            pattern: format!("{} is a print-only station", self.0),
        })
    }
}

/// An Evolis printer that reconnects its link after a disconnect (cable pulled, printer
/// switched off and on, a pseudo-terminal reopened): `status` is asked again at once; other
/// operations report the (transient) error, so the orchestrator retries the step on the
/// reconnected link.
struct Reconnecting<L: PrinterLink>(EvolisPrinter<L>);

impl<L: PrinterLink> Reconnecting<L> {
    fn after<T>(&mut self, r: Result<T, PrinterError>) -> Result<T, PrinterError> {
        if let Err(PrinterError::Link(LinkError::Disconnected { .. })) = &r {
            tracing::warn!(printer = %self.0.describe(), "link lost: reconnecting");
            let _ = self.0.reconnect();
        }
        r
    }
}

impl<L: PrinterLink> CardPrinter for Reconnecting<L> {
    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        let first = self.0.status();
        if matches!(
            first,
            Err(PrinterError::Link(LinkError::Disconnected { .. }))
        ) {
            let _ = self.after(first);
            return self.0.status();
        }
        first
    }
    fn park_for_encoding(&mut self) -> Result<(), PrinterError> {
        let r = self.0.park_for_encoding();
        self.after(r)
    }
    fn print(&mut self, image: &CardImage) -> Result<(), PrinterError> {
        let r = self.0.print(image);
        self.after(r)
    }
    fn eject(&mut self) -> Result<(), PrinterError> {
        let r = self.0.eject();
        self.after(r)
    }
    fn reject(&mut self) -> Result<(), PrinterError> {
        let r = self.0.reject();
        self.after(r)
    }
    fn capabilities(&self) -> PrinterCapabilities {
        self.0.capabilities()
    }
    fn describe(&self) -> String {
        self.0.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_station_declaration_chooses_raw_or_compressed_colour() {
        let text = "[[station]]\nname = \"a\"\nprinter = \"sim://a\"\nreader = \"sim\"\n\
                    compress_color = false\n[[station]]\nname = \"b\"\nprinter = \"sim://b\"\n\
                    reader = \"sim\"\n";
        let f = StationsFile::parse(text, "f").unwrap();
        let chosen: Vec<bool> = f
            .stations
            .iter()
            .map(|s| driver_config(s).compress_color)
            .collect();
        assert_eq!(chosen, [false, true]);
    }
}
