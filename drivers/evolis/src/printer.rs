//! [`EvolisPrinter`]: the [`CardPrinter`] of the Evolis family (spec §1.7 job flows).

use crate::channel::CommandChannel;
use crate::color_wire::{ColorPayload, ColorRowCache};
use crate::commands::{
    DownloadCompressed, DownloadCompressedColor, DownloadPanel, EjectAtEnd, EndSequence,
    ErrorManagement, Identity, InsertToContactStation, PanelName, ReadCardPosition,
    ReadCardsInserted, ReadIdentity, ReadRejectBox, ReadRibbon, ReadRibbonType, ReadSensor,
    RejectBox, RejectCard, RejectDestination, RibbonQuantity, RibbonType, SelectSide, Sensor,
    StartSequence,
};
use crate::model::capabilities_for_model;
use crate::panels::{ColorLevels, compress_mono};
use cardline_device::{
    CardImage, CardPosition, CardPrinter, CardSide, ColorPanel, JobPhase, MonoPanel, Overlay,
    PanelGeometry, PrinterCapabilities, PrinterError, PrinterFault, PrinterLink, PrinterStatus,
};
use std::time::{Duration, Instant};

/// Driver settings; the defaults suit a Primacy/Zenius with a smart-card contact station.
#[derive(Clone, Debug)]
pub struct EvolisConfig {
    /// Grey levels of the colour panels.
    pub color_levels: ColorLevels,
    /// Send K/O panels with the `Dbc` line compression when it is smaller (true), or always raw
    /// `Db` (false).
    pub compress_mono: bool,
    /// How long `park_for_encoding` waits for `SMART CARD`.
    pub park_timeout: Duration,
    /// Interval between `Rlr;p` polls while parking.
    pub poll_interval: Duration,
    /// Which reject box `reject` uses.
    pub reject_box: RejectBox,
    /// Overrides the duplex capability inferred from the model.
    pub duplex: Option<bool>,
    /// Send Y/M/C with the run-length `Dbc` of the A5013 guide when it is smaller than `Db`
    /// (default; ≈ 11 % of the raw panels for the temporary card). The format follows the
    /// guide and the simulator's independent decoder, not a real printer's trace (spec §1.6,
    /// §5): set it off to send raw `Db`, which every Evolis colour printer accepts.
    pub compress_color: bool,
    /// Caps every reply timeout (defaults: 5 s queries, 30 s downloads, 120 s mechanics).
    pub reply_timeout_cap: Option<Duration>,
}

impl Default for EvolisConfig {
    fn default() -> Self {
        Self {
            color_levels: ColorLevels::default(),
            compress_mono: true,
            park_timeout: Duration::from_secs(20),
            poll_interval: Duration::from_millis(100),
            reject_box: RejectBox::default(),
            duplex: None,
            compress_color: true,
            reply_timeout_cap: None,
        }
    }
}

/// Model, serial number and firmware read at session start (`Rtp`, `Rsn`, `Rfv`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrinterIdentity {
    /// `Rtp`.
    pub model: Option<String>,
    /// `Rsn`.
    pub serial: Option<String>,
    /// `Rfv`.
    pub firmware: Option<String>,
}

/// An Evolis printer over any [`PrinterLink`].
pub struct EvolisPrinter<L: PrinterLink> {
    channel: CommandChannel<L>,
    config: EvolisConfig,
    identity: PrinterIdentity,
    capabilities: PrinterCapabilities,
    /// The last front and back colour panels sent, so the next card's unchanged rows are
    /// copied ([`ColorRowCache`]).
    color_rows: [ColorRowCache; 2],
}

impl<L: PrinterLink> EvolisPrinter<L> {
    /// Opens a session: host error management (`Pem;2`, §1.8), then model, serial and firmware.
    pub fn connect(link: L, config: EvolisConfig) -> Result<Self, PrinterError> {
        let mut channel =
            CommandChannel::new(link).with_reply_timeout_cap(config.reply_timeout_cap);
        channel.execute(&ErrorManagement(2), JobPhase::Feeding)?;
        let mut read = |which| optional(channel.execute(&ReadIdentity(which), JobPhase::Feeding));
        let identity = PrinterIdentity {
            model: read(Identity::Model)?,
            serial: read(Identity::Serial)?,
            firmware: read(Identity::Firmware)?,
        };
        let mut capabilities = capabilities_for_model(identity.model.as_deref().unwrap_or(""));
        if let Some(duplex) = config.duplex {
            capabilities.duplex = duplex;
        }
        Ok(Self {
            channel,
            config,
            identity,
            capabilities,
            color_rows: Default::default(),
        })
    }

    /// Model, serial and firmware.
    pub fn identity(&self) -> &PrinterIdentity {
        &self.identity
    }

    /// Bytes sent to the printer since `connect`.
    pub fn bytes_sent(&self) -> u64 {
        self.channel.bytes_sent()
    }

    /// Recovers after a lost link or a printer reset: drops buffered replies, resets the link
    /// (reopen / reconnect / USB reset) and re-applies host error management (`Pem;2`).
    pub fn reconnect(&mut self) -> Result<(), PrinterError> {
        self.channel.reset()?;
        self.channel.execute(&ErrorManagement(2), JobPhase::Feeding)
    }

    /// The link underneath.
    pub fn link(&self) -> &L {
        self.channel.link()
    }

    fn run<C: crate::commands::Command>(
        &mut self,
        c: &C,
        phase: JobPhase,
    ) -> Result<C::Output, PrinterError> {
        self.channel.execute(c, phase)
    }

    /// Sends a 1-bit panel: `Dbc` when compression is on and actually saves bytes, else `Db`
    /// (a panel whose lines all reach the right edge, e.g. a full or chip-masked overlay, is
    /// 1 016 bytes bigger compressed).
    fn send_mono(&mut self, panel: PanelName, bits: &MonoPanel) -> Result<(), PrinterError> {
        if self.config.compress_mono {
            let data = compress_mono(bits);
            if data.len() < bits.bits().len() {
                return self.run(
                    &DownloadCompressed { panel, data: &data },
                    JobPhase::Printing,
                );
            }
        }
        self.run(
            &DownloadPanel {
                panel,
                levels: 2,
                data: bits.bits(),
            },
            JobPhase::Printing,
        )
    }

    /// Sends the Y, M and C panels: run-length `Dbc` when enabled and smaller, else raw `Db`.
    fn send_color(&mut self, color: &ColorPanel, side: usize) -> Result<(), PrinterError> {
        let levels = self.config.color_levels;
        let panels = [PanelName::Yellow, PanelName::Magenta, PanelName::Cyan];
        let run_length = self.config.compress_color;
        // Encoded once per shared panel for every printer of the process (the cards of an
        // order share their colour side), else with this printer's row cache.
        let key = format!("evolis {levels:?} run-length {run_length}");
        let rows = &mut self.color_rows[side];
        let payloads = color.derived(&key, |p| rows.payloads(p, levels, run_length));
        for (panel, payload) in panels.into_iter().zip(payloads.iter()) {
            match payload {
                ColorPayload::RunLength(data) => {
                    let c = DownloadCompressedColor {
                        panel,
                        levels: levels.count(),
                        data,
                    };
                    self.run(&c, JobPhase::Printing)?;
                }
                ColorPayload::Raw(data) => {
                    let d = DownloadPanel {
                        panel,
                        levels: levels.count(),
                        data,
                    };
                    self.run(&d, JobPhase::Printing)?;
                }
            }
        }
        Ok(())
    }

    /// Sends one side's panels; `index` 0 for the front, 1 for the back.
    fn send_side(
        &mut self,
        ribbon: RibbonType,
        side: &CardSide,
        index: usize,
    ) -> Result<(), PrinterError> {
        if let (RibbonType::Ymcko, Some(color)) = (ribbon, &side.color) {
            self.send_color(color, index)?;
        }
        if let Some(black) = &side.black {
            self.send_mono(PanelName::Black, black)?;
        }
        if ribbon != RibbonType::K {
            match &side.overlay {
                Overlay::None => {}
                Overlay::Full => self.send_mono(PanelName::Overlay, &MonoPanel::full())?,
                Overlay::Masked(mask) => self.send_mono(PanelName::Overlay, mask)?,
            }
        }
        Ok(())
    }

    /// Runs a status query; a refusal (older model) or a nonsense reply leaves the field empty,
    /// a fault is recorded in `status`, a link error or a flooded link aborts.
    fn query<C: crate::commands::Command>(
        &mut self,
        c: &C,
        status: &mut PrinterStatus,
    ) -> Result<Option<C::Output>, PrinterError> {
        match self.channel.execute(c, JobPhase::Feeding) {
            Ok(v) => Ok(Some(v)),
            Err(e @ (PrinterError::Link(_) | PrinterError::ReplyOverflow { .. })) => Err(e),
            Err(PrinterError::Refused { .. }) => Ok(None),
            Err(PrinterError::Protocol { command, reply }) => {
                tracing::warn!(%command, %reply, "status query answered with an unexpected reply");
                Ok(None)
            }
            Err(fault) => {
                record_fault(status, &fault);
                Ok(None)
            }
        }
    }
}

/// Maps a refusal to `None` (optional identity fields); other errors pass through.
fn optional<T>(r: Result<T, PrinterError>) -> Result<Option<T>, PrinterError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(PrinterError::Refused { .. } | PrinterError::Protocol { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Records a fault reply in a status snapshot, in the vocabulary of `cardline_device`
/// (names documented in `docs/printer-driver.md`); errors that are no printer fault are
/// dropped.
fn record_fault(status: &mut PrinterStatus, error: &PrinterError) {
    if let Some(fault) = error.fault() {
        status.record(fault);
    }
}

/// The panels of `image` must have the Evolis geometry (648 × 1016 at 300 dpi): anything else
/// is refused before a byte is sent.
fn check_geometry(image: &CardImage) -> Result<(), PrinterError> {
    match image.geometry() {
        Ok(None) => Ok(()),
        Ok(Some(g)) if g == PanelGeometry::ID1_300_DPI => Ok(()),
        Ok(Some(g)) => Err(PrinterError::Unsupported {
            what: format!(
                "print panels of {g} (an Evolis prints {}; render the card face at the printer's geometry)",
                PanelGeometry::ID1_300_DPI
            ),
        }),
        Err(why) => Err(PrinterError::Unsupported {
            what: format!("print a card whose panels disagree: {why}"),
        }),
    }
}

/// The ribbon a card needs: colour → `ymcko`, black with overlay → `ko`, black only → `k`.
pub fn ribbon_for(image: &CardImage) -> RibbonType {
    let sides = std::iter::once(&image.front).chain(image.back.as_ref());
    let (mut color, mut overlay) = (false, false);
    for side in sides {
        color |= side.color.is_some();
        overlay |= side.overlay != Overlay::None;
    }
    match (color, overlay) {
        (true, _) => RibbonType::Ymcko,
        (false, true) => RibbonType::Ko,
        (false, false) => RibbonType::K,
    }
}

impl<L: PrinterLink> CardPrinter for EvolisPrinter<L> {
    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        let mut s = PrinterStatus {
            model: self.identity.model.clone(),
            serial: self.identity.serial.clone(),
            firmware: self.identity.firmware.clone(),
            ..PrinterStatus::default()
        };
        s.position = self.query(&ReadCardPosition, &mut s)?;
        if let Some(v) = self.query(&ReadSensor(Sensor::Cover), &mut s)? {
            s.cover_open |= !v.is_high();
            s.cover_known = true;
        }
        if let Some(v) = self.query(&ReadSensor(Sensor::Feeder), &mut s)? {
            s.feeder_empty |= !v.is_high();
            s.feeder_known = true;
        }
        if let Some(full) = self.query(&ReadRejectBox, &mut s)? {
            s.reject_box_full |= full;
        }
        s.ribbon.kind = self.query(&ReadRibbonType, &mut s)?;
        // Some firmware answers a spurious `OK` to `Rrt` after cover events (§1.4): retry 3×.
        for _ in 0..3 {
            match self.query(&ReadRibbon(RibbonQuantity::Remaining), &mut s)? {
                Some(None) => continue,
                Some(Some(n)) => s.ribbon.remaining = Some(n),
                None => {}
            }
            break;
        }
        if s.ribbon.remaining == Some(0) {
            s.record(PrinterFault::RibbonOut);
        }
        if !s.has(&PrinterFault::RibbonMissing) {
            s.ribbon.capacity = self
                .query(&ReadRibbon(RibbonQuantity::Capacity), &mut s)?
                .flatten();
        } else {
            s.ribbon.kind = None;
        }
        s.total_cards = self.query(&ReadCardsInserted, &mut s)?;
        Ok(s)
    }

    fn park_for_encoding(&mut self) -> Result<(), PrinterError> {
        self.run(&InsertToContactStation, JobPhase::Parking)?;
        let started = Instant::now();
        loop {
            let position = self.run(&ReadCardPosition, JobPhase::Parking)?;
            if position == CardPosition::ContactStation {
                return Ok(());
            }
            if started.elapsed() >= self.config.park_timeout {
                return Err(PrinterError::NotPositioned {
                    wanted: "contact station".into(),
                    last_seen: format!("{position:?}"),
                    waited_ms: started.elapsed().as_millis() as u64,
                });
            }
            std::thread::sleep(self.config.poll_interval);
        }
    }

    fn print(&mut self, image: &CardImage) -> Result<(), PrinterError> {
        check_geometry(image)?;
        if image.back.is_some() && !self.capabilities.duplex {
            return Err(PrinterError::Unsupported {
                what: "print the back side (not a duplex printer)".into(),
            });
        }
        let ribbon = ribbon_for(image);
        let p = JobPhase::Printing;
        self.run(&EjectAtEnd(false), p)?;
        self.run(&ribbon, p)?;
        self.run(&StartSequence, p)?;
        self.run(&SelectSide::Front, p)?;
        self.send_side(ribbon, &image.front, 0)?;
        if let Some(back) = &image.back {
            self.run(&SelectSide::Back, p)?;
            self.send_side(ribbon, back, 1)?;
        }
        self.run(&EndSequence, p)
    }

    fn eject(&mut self) -> Result<(), PrinterError> {
        self.run(&EjectAtEnd(true), JobPhase::Ejecting)?;
        self.run(&EndSequence, JobPhase::Ejecting)
    }

    fn reject(&mut self) -> Result<(), PrinterError> {
        self.run(&EjectAtEnd(true), JobPhase::Rejecting)?;
        self.run(&RejectDestination, JobPhase::Rejecting)?;
        self.run(&RejectCard(self.config.reject_box), JobPhase::Rejecting)
    }

    fn capabilities(&self) -> PrinterCapabilities {
        self.capabilities.clone()
    }

    fn describe(&self) -> String {
        let model = self.identity.model.as_deref().unwrap_or("printer");
        format!("Evolis {model} on {}", self.channel.link().describe())
    }

    /// Drops half-read replies, resets the link, re-applies `Pem;2` and reads the status
    /// (card position included).
    fn resync(&mut self) -> Result<PrinterStatus, PrinterError> {
        self.reconnect()?;
        self.status()
    }
}
