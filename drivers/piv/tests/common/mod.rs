//! Test doubles shared by the PIV integration tests: a scripted card (expected APDU → canned
//! or computed response) and a tiny rcgen CA implementing `CertificateIssuer`.
#![allow(dead_code)]

pub mod sim;

use std::collections::VecDeque;

use cardline_device::{
    CardTransport, CertificateIssuer, CertificateRequest, IssuerError, TransportError,
};

/// Hex to bytes, spaces allowed.
pub fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).expect("test hex")
}

type Responder = Box<dyn FnMut(&[u8]) -> Vec<u8> + Send>;

enum Step {
    Exact(Vec<u8>, Vec<u8>),
    Computed(Vec<u8>, Responder),
}

/// A card that expects an exact sequence of APDUs.
#[derive(Default)]
pub struct ScriptedCard {
    steps: VecDeque<Step>,
    /// Every APDU received, in order.
    pub received: Vec<Vec<u8>>,
}

impl ScriptedCard {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Expects exactly `command` (hex) and answers `response` (hex).
    pub fn expect(mut self, command: &str, response: &str) -> Self {
        self.steps
            .push_back(Step::Exact(hex(command), hex(response)));
        self
    }

    /// Expects a command starting with `prefix` (hex) and answers with `respond(command)`.
    pub fn compute(
        mut self,
        prefix: &str,
        respond: impl FnMut(&[u8]) -> Vec<u8> + Send + 'static,
    ) -> Self {
        self.steps
            .push_back(Step::Computed(hex(prefix), Box::new(respond)));
        self
    }

    /// True when every scripted step was consumed.
    pub fn finished(&self) -> bool {
        self.steps.is_empty()
    }
}

impl CardTransport for ScriptedCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.received.push(command.to_vec());
        let n = self.received.len();
        match self.steps.pop_front() {
            Some(Step::Exact(want, answer)) => {
                assert_eq!(
                    hex::encode_upper(command),
                    hex::encode_upper(&want),
                    "APDU #{n} differs from the script"
                );
                Ok(answer)
            }
            Some(Step::Computed(prefix, mut respond)) => {
                assert!(
                    command.starts_with(&prefix),
                    "APDU #{n} {} does not start with {}",
                    hex::encode_upper(command),
                    hex::encode_upper(&prefix)
                );
                Ok(respond(command))
            }
            None => panic!("unexpected APDU #{n}: {}", hex::encode_upper(command)),
        }
    }
    fn atr(&self) -> Vec<u8> {
        hex("3BFD1300008131FE158073C021C057597562694B657940")
    }
    fn reader_name(&self) -> String {
        "scripted".into()
    }
}

/// A throwaway issuing CA (rcgen, P-256) for tests.
pub struct TestCa {
    key: rcgen::KeyPair,
    params: rcgen::CertificateParams,
}

impl TestCa {
    /// A new CA with a fresh key.
    pub fn new() -> Self {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "cardline test CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.not_before = rcgen::date_time_ymd(2026, 1, 1);
        params.not_after = rcgen::date_time_ymd(2031, 1, 1);
        Self { key, params }
    }
}

impl CertificateIssuer for TestCa {
    fn issue(&self, request: &CertificateRequest) -> Result<Vec<u8>, IssuerError> {
        let spki = rcgen::SubjectPublicKeyInfo::from_der(&request.public_key_spki)
            .map_err(|e| IssuerError::BadPublicKey(e.to_string()))?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
            .map_err(|e| IssuerError::Authority(e.to_string()))?;
        params.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!("Card {}", request.card_number),
        );
        params.not_before = rcgen::date_time_ymd(2026, 11, 1);
        params.not_after = rcgen::date_time_ymd(2027, 11, 1);
        let issuer = rcgen::Issuer::from_params(&self.params, &self.key);
        params
            .signed_by(&spki, &issuer)
            .map(|c| c.der().to_vec())
            .map_err(|e| IssuerError::Authority(e.to_string()))
    }
}
