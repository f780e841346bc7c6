//! [`MagicardPrinter`]: the [`CardPrinter`] of the Magicard family (`docs/magicard-protocol.md`).

use crate::channel::{CommandChannel, Outcome};
use crate::commands::{
    Command, ContactsDown, ContactsUp, CounterKey, Eject, IdentityKey, ReadCounter, ReadErrorCode,
    ReadHopper, ReadIdentity, ReadLid, ReadPosition, ReadRejectBox, ReadRibbon, Reject, Reset,
};
use crate::job::{JobSettings, PrintJob};
use crate::model::capabilities_for_model;
use crate::status_report::record_fault;
use cardline_device::{
    CardImage, CardPosition, CardPrinter, JobPhase, PrinterCapabilities, PrinterError,
    PrinterFault, PrinterLink, PrinterStatus,
};
use std::time::{Duration, Instant};

/// Driver settings; the defaults suit a Magicard with a smart-card contact station.
#[derive(Clone, Debug)]
pub struct MagicardConfig {
    /// How long `park_for_encoding` waits for `STA,POS` to say `CONTACTS` after `CHPDOWN`.
    pub park_timeout: Duration,
    /// Interval between `STA,POS` polls while parking.
    pub poll_interval: Duration,
    /// Overrides the duplex capability inferred from the model name.
    pub duplex: Option<bool>,
    /// Caps every reply timeout (defaults: 5 s queries, 120 s mechanics, 300 s print jobs).
    pub reply_timeout_cap: Option<Duration>,
}

impl Default for MagicardConfig {
    fn default() -> Self {
        Self {
            park_timeout: Duration::from_secs(20),
            poll_interval: Duration::from_millis(100),
            duplex: None,
            reply_timeout_cap: None,
        }
    }
}

/// Model, serial number and firmware read at connect (`STA,MDL`, `STA,MSR`, `STA,VRS`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrinterIdentity {
    /// `STA,MDL`.
    pub model: Option<String>,
    /// `STA,MSR`.
    pub serial: Option<String>,
    /// `STA,VRS`.
    pub firmware: Option<String>,
}

/// A Magicard printer over any [`PrinterLink`].
pub struct MagicardPrinter<L: PrinterLink> {
    channel: CommandChannel<L>,
    config: MagicardConfig,
    identity: PrinterIdentity,
    capabilities: PrinterCapabilities,
}

/// Opens a session with a Magicard printer on `link` (the entry point of the registry).
pub fn connect<L: PrinterLink>(
    link: L,
    config: MagicardConfig,
) -> Result<MagicardPrinter<L>, PrinterError> {
    MagicardPrinter::connect(link, config)
}

impl<L: PrinterLink> MagicardPrinter<L> {
    /// Opens a session: model, serial number and firmware. A refused identity query, or one
    /// answered with a value that makes no sense, leaves that field empty; a fault, a link
    /// failure or a broken reply stream (a peer flooding bytes) fails the connect.
    pub fn connect(link: L, config: MagicardConfig) -> Result<Self, PrinterError> {
        let mut channel =
            CommandChannel::new(link).with_reply_timeout_cap(config.reply_timeout_cap);
        let mut read = |key| {
            let query = ReadIdentity(key);
            match channel.exchange(&query) {
                Ok(Outcome::Done(v)) => Ok(v),
                Ok(Outcome::Unexpected(reply)) => {
                    tracing::warn!(command = %query.text(), %reply, "unexpected identity reply");
                    Ok(None)
                }
                Ok(Outcome::Fault(fault)) => Err(fault.error(&query.text(), JobPhase::Feeding)),
                Err(PrinterError::Refused { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        };
        let identity = PrinterIdentity {
            model: read(IdentityKey::Model)?,
            serial: read(IdentityKey::Serial)?,
            firmware: read(IdentityKey::Firmware)?,
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
        })
    }

    /// Model, serial number and firmware.
    pub fn identity(&self) -> &PrinterIdentity {
        &self.identity
    }

    /// Bytes sent to the printer since `connect`.
    pub fn bytes_sent(&self) -> u64 {
        self.channel.bytes_sent()
    }

    /// The link underneath.
    pub fn link(&self) -> &L {
        self.channel.link()
    }

    /// Recovers after a lost link or a printer fault: drops buffered replies, resets the link
    /// (reopen / reconnect / USB reset) and resets the printer (`RST`: clears the error, drops a
    /// partial job, leaves a card inside where it is).
    pub fn reconnect(&mut self) -> Result<(), PrinterError> {
        self.channel.reset()?;
        self.channel.execute(&Reset, JobPhase::Feeding)
    }

    fn run<C: Command>(&mut self, c: &C, phase: JobPhase) -> Result<C::Output, PrinterError> {
        self.channel.execute(c, phase)
    }

    /// Runs a status query: a fault answer is recorded in `status`, a refusal or an unexpected
    /// value leaves the field empty, a link failure or a broken reply stream (flooding) aborts.
    fn query<C: Command>(
        &mut self,
        c: &C,
        status: &mut PrinterStatus,
    ) -> Result<Option<C::Output>, PrinterError> {
        match self.channel.exchange(c) {
            Ok(Outcome::Done(v)) => Ok(Some(v)),
            Ok(Outcome::Fault(fault)) => {
                record_fault(status, fault);
                Ok(None)
            }
            Ok(Outcome::Unexpected(reply)) => {
                tracing::warn!(command = %c.text(), %reply, "status query answered with an unexpected reply");
                Ok(None)
            }
            Err(PrinterError::Refused { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl<L: PrinterLink> CardPrinter for MagicardPrinter<L> {
    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        let mut s = PrinterStatus {
            model: self.identity.model.clone(),
            serial: self.identity.serial.clone(),
            firmware: self.identity.firmware.clone(),
            ..PrinterStatus::default()
        };
        s.position = self.query(&ReadPosition, &mut s)?;
        if let Some(Some(fault)) = self.query(&ReadErrorCode, &mut s)? {
            record_fault(&mut s, fault);
        }
        if let Some(open) = self.query(&ReadLid, &mut s)? {
            s.cover_open |= open;
            s.cover_known = true;
        }
        if let Some(empty) = self.query(&ReadHopper, &mut s)? {
            s.feeder_empty |= empty;
            s.feeder_known = true;
        }
        s.reject_box_full |= self.query(&ReadRejectBox, &mut s)?.unwrap_or(false);
        match self.query(&ReadRibbon, &mut s)? {
            Some(Some(kind)) => s.ribbon.kind = Some(kind),
            Some(None) => s.record(PrinterFault::RibbonMissing),
            None => {}
        }
        let remaining = self.query(&ReadCounter(CounterKey::PanelsRemaining), &mut s)?;
        s.ribbon.remaining = remaining.map(|n| n.min(u64::from(u32::MAX)) as u32);
        if s.ribbon.remaining == Some(0) && s.ribbon.kind.is_some() {
            s.record(PrinterFault::RibbonOut);
        }
        s.total_cards = self.query(&ReadCounter(CounterKey::TotalCards), &mut s)?;
        Ok(s)
    }

    fn park_for_encoding(&mut self) -> Result<(), PrinterError> {
        self.run(&ContactsDown, JobPhase::Parking)?;
        let started = Instant::now();
        loop {
            let position = self.run(&ReadPosition, JobPhase::Parking)?;
            if position == CardPosition::ContactStation {
                return Ok(());
            }
            if started.elapsed() >= self.config.park_timeout {
                return Err(PrinterError::NotPositioned {
                    wanted: "smart-card contacts".into(),
                    last_seen: format!("{position:?}"),
                    waited_ms: started.elapsed().as_millis() as u64,
                });
            }
            std::thread::sleep(self.config.poll_interval);
        }
    }

    fn print(&mut self, image: &CardImage) -> Result<(), PrinterError> {
        let job = PrintJob::build(image, &JobSettings::now(self.capabilities.duplex))?;
        if self.run(&ReadPosition, JobPhase::Printing)? == CardPosition::ContactStation {
            self.run(&ContactsUp, JobPhase::Printing)?;
        }
        for page in job.pages() {
            self.run(page, JobPhase::Printing)?;
        }
        Ok(())
    }

    fn eject(&mut self) -> Result<(), PrinterError> {
        self.run(&Eject, JobPhase::Ejecting)
    }

    fn reject(&mut self) -> Result<(), PrinterError> {
        self.run(&Reject, JobPhase::Rejecting)
    }

    fn capabilities(&self) -> PrinterCapabilities {
        self.capabilities.clone()
    }

    fn describe(&self) -> String {
        let model = self.identity.model.as_deref().unwrap_or("printer");
        format!("Magicard {model} on {}", self.channel.link().describe())
    }

    /// Drops half-read replies, resets the link, sends `RST` (the error is cleared, a partial
    /// job dropped, a card inside stays where it is) and reads the status, card position
    /// included.
    fn resync(&mut self) -> Result<PrinterStatus, PrinterError> {
        self.reconnect()?;
        self.status()
    }
}
