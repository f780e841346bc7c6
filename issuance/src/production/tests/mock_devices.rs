//! Scripted mock printer, reader and encoder (unit tests of the orchestrator only; the
//! drivers and the simulator are exercised in hil-tests).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardline_device::*;

use crate::model::Card;
use crate::production::{FaceError, FaceRenderer, SealError, SecretSealer};
use crate::store::SealedSecrets;

/// Which printer operation a scripted fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Park,
    Print,
    Eject,
}

#[derive(Default)]
pub struct PrinterScript {
    /// Faults returned by the next matching operation, in order.
    pub faults: VecDeque<(Op, PrinterError)>,
    /// While > 0, `status()` reports the cover open and decrements it.
    pub cover_open_polls: u32,
    pub position: Option<CardPosition>,
    pub ejected: u32,
    pub rejected: u32,
    pub printed: u32,
    /// `park_for_encoding` waits until this flag is set (to order two stations in a test).
    pub gate: Option<Arc<AtomicBool>>,
    /// Set when a scripted fault fires.
    pub fault_fired: Option<Arc<AtomicBool>>,
    /// Cards taken from the feeder.
    pub parks: u32,
    /// While > 0, `status()` and `reject()` time out (a silent printer) and decrement it.
    pub silent_polls: u32,
    /// Calls of `resync()`.
    pub resyncs: u32,
    /// When a scripted fault fires, the printer goes silent for this many polls.
    pub silence_on_fault: u32,
    /// Called (outside the script's lock) while each card ejects.
    pub on_eject: Option<Arc<dyn Fn() + Send + Sync>>,
}

#[derive(Clone, Default)]
pub struct MockPrinter(pub Arc<Mutex<PrinterScript>>);

impl MockPrinter {
    fn op(&self, op: Op) -> Result<(), PrinterError> {
        let mut s = self.0.lock().unwrap();
        if s.faults.front().is_some_and(|(o, _)| *o == op) {
            let (_, e) = s.faults.pop_front().unwrap();
            if let Some(f) = &s.fault_fired {
                f.store(true, Ordering::SeqCst);
            }
            s.silent_polls = s.silent_polls.max(s.silence_on_fault);
            if matches!(e, PrinterError::CoverOpen) {
                s.cover_open_polls = s.cover_open_polls.max(2);
            }
            return Err(e);
        }
        Ok(())
    }
}

/// The error of a silent printer link.
pub fn timeout() -> PrinterError {
    PrinterError::Link(LinkError::Timeout {
        link: "mock link".into(),
        operation: "waiting for a reply",
        after: Duration::from_millis(1),
    })
}

impl CardPrinter for MockPrinter {
    fn resync(&mut self) -> Result<PrinterStatus, PrinterError> {
        self.0.lock().unwrap().resyncs += 1;
        self.status()
    }
    fn status(&mut self) -> Result<PrinterStatus, PrinterError> {
        let mut s = self.0.lock().unwrap();
        if s.silent_polls > 0 {
            s.silent_polls -= 1;
            return Err(timeout());
        }
        let cover_open = s.cover_open_polls > 0;
        s.cover_open_polls = s.cover_open_polls.saturating_sub(1);
        Ok(PrinterStatus {
            cover_open,
            position: Some(s.position.clone().unwrap_or(CardPosition::NoCard)),
            ..Default::default()
        })
    }
    fn park_for_encoding(&mut self) -> Result<(), PrinterError> {
        let gate = self.0.lock().unwrap().gate.clone();
        while let Some(g) = &gate {
            if g.load(Ordering::SeqCst) {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        self.0.lock().unwrap().parks += 1;
        self.op(Op::Park)?;
        self.0.lock().unwrap().position = Some(CardPosition::ContactStation);
        Ok(())
    }
    fn print(&mut self, _: &CardImage) -> Result<(), PrinterError> {
        self.op(Op::Print)?;
        let mut s = self.0.lock().unwrap();
        s.printed += 1;
        s.position = Some(CardPosition::PrintPosition);
        Ok(())
    }
    fn eject(&mut self) -> Result<(), PrinterError> {
        let hook = self.0.lock().unwrap().on_eject.clone();
        if let Some(hook) = hook {
            hook();
        }
        self.op(Op::Eject)?;
        let mut s = self.0.lock().unwrap();
        s.ejected += 1;
        s.position = Some(CardPosition::NoCard);
        Ok(())
    }
    fn reject(&mut self) -> Result<(), PrinterError> {
        let mut s = self.0.lock().unwrap();
        if s.silent_polls > 0 {
            s.silent_polls -= 1;
            return Err(timeout());
        }
        s.rejected += 1;
        s.position = Some(CardPosition::NoCard);
        Ok(())
    }
    fn capabilities(&self) -> PrinterCapabilities {
        PrinterCapabilities {
            contact_station: true,
            ..Default::default()
        }
    }
    fn describe(&self) -> String {
        "mock printer".into()
    }
}

/// A reader whose card answers once per connect; `mute_next` makes the next connects fail
/// as a mute chip (a card fault), `no_card_next` as no card in the reader (a setup fault).
#[derive(Clone, Default)]
pub struct MockReader {
    pub mute_next: Arc<Mutex<u32>>,
    pub no_card_next: Arc<Mutex<u32>>,
}

struct MockTransport;

impl CardTransport for MockTransport {
    fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(vec![0x90, 0x00])
    }
    fn atr(&self) -> Vec<u8> {
        vec![0x3B]
    }
    fn reader_name(&self) -> String {
        "mock reader".into()
    }
}

impl CardReader for MockReader {
    fn name(&self) -> String {
        "mock reader".into()
    }
    fn connect(&mut self, _: Duration) -> Result<Box<dyn CardTransport + '_>, TransportError> {
        let mut none = self.no_card_next.lock().unwrap();
        if *none > 0 {
            *none -= 1;
            return Err(TransportError::NoCard {
                reader: "mock reader".into(),
                waited: Duration::from_millis(1),
            });
        }
        drop(none);
        let mut m = self.mute_next.lock().unwrap();
        if *m > 0 {
            *m -= 1;
            return Err(TransportError::Mute {
                reader: "mock reader".into(),
            });
        }
        Ok(Box::new(MockTransport))
    }
}

/// An encoder that asks the issuer for one certificate per key and returns a receipt.
#[derive(Clone, Default)]
pub struct MockEncoder {
    pub encoded: Arc<Mutex<Vec<[u8; 16]>>>,
}

impl CardEncoder for MockEncoder {
    fn encode(
        &mut self,
        card: &mut dyn CardTransport,
        plan: &EncodingPlan,
        issuer: &dyn CertificateIssuer,
    ) -> Result<EncodingReceipt, EncodeError> {
        card.transmit(&[0, 0xA4, 4, 0])?;
        let mut slots = vec![];
        for k in &plan.keys {
            let cert = issuer.issue(&CertificateRequest {
                card_number: plan.card_number.clone(),
                profile: k.profile.clone(),
                slot: k.slot,
                algorithm: k.algorithm,
                public_key_spki: vec![1, 2, 3],
                chip_id: hex::encode(plan.guid),
            })?;
            slots.push(SlotReceipt {
                slot: k.slot,
                algorithm: k.algorithm,
                public_key_spki: vec![1, 2, 3],
                certificate: cert,
            });
        }
        self.encoded.lock().unwrap().push(plan.guid);
        Ok(EncodingReceipt {
            chip_id: hex::encode(plan.guid),
            guid: hex::encode(plan.guid),
            slots,
            apdus: 1,
            bytes_out: 4,
            bytes_in: 2,
        })
    }
    fn inspect(&mut self, _: &mut dyn CardTransport) -> Result<ChipInspection, EncodeError> {
        Ok(ChipInspection::default())
    }
}

/// Counts certificates issued, per card number.
#[derive(Default)]
pub struct CountingIssuer(pub Mutex<Vec<String>>);

impl CertificateIssuer for CountingIssuer {
    fn issue(&self, r: &CertificateRequest) -> Result<Vec<u8>, IssuerError> {
        self.0.lock().unwrap().push(r.card_number.clone());
        Ok(r.card_number.as_bytes().to_vec())
    }
}

pub struct BlankFace;

impl FaceRenderer for BlankFace {
    fn render(&self, _: &Card) -> Result<CardImage, FaceError> {
        Ok(CardImage::default())
    }
}

pub struct FakeSealer;

impl SecretSealer for FakeSealer {
    fn seal(&self, card: &str, pin: &Pin, _: &Puk) -> Result<SealedSecrets, SealError> {
        assert_eq!(pin.len(), 6, "PIN length from the settings");
        Ok(SealedSecrets {
            key_id: "test".into(),
            nonce: vec![0; 12],
            ciphertext: card.as_bytes().to_vec(),
        })
    }
}
