//! What the orchestrator calls back into: the station-key sealer, the prepared card face, the
//! certificate issuer. Shared by `order produce`, the demo, hil-tests and benches.

use cardline_device::{CardImage, CertificateIssuer, CertificateRequest, IssuerError, Pin, Puk};
use cardline_issuance::ca::ProfileIssuer;
use cardline_issuance::face::{CardFields, PreparedFace};
use cardline_issuance::model::Card;
use cardline_issuance::production::{FaceError, FaceRenderer, SealError, SecretSealer};
use cardline_issuance::secrets::{StationKey, seal_card_secrets};
use cardline_issuance::store::SealedSecrets;

/// Seals each card's initial PIN and PUK under the station key. Print-only production has no
/// key (nothing to seal): sealing then fails, and the orchestrator never asks.
pub struct StationSealer(Option<StationKey>);

impl StationSealer {
    /// Seals under `key`.
    pub fn new(key: StationKey) -> StationSealer {
        StationSealer(Some(key))
    }

    /// A sealer for print-only production, which seals nothing.
    pub fn print_only() -> StationSealer {
        StationSealer(None)
    }

    /// True when it holds the station key.
    pub fn has_key(&self) -> bool {
        self.0.is_some()
    }
}

impl std::fmt::Debug for StationSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StationSealer")
            .field(&self.0.as_ref().map(|_| "***"))
            .finish()
    }
}

impl SecretSealer for StationSealer {
    fn seal(&self, card: &str, pin: &Pin, puk: &Puk) -> Result<SealedSecrets, SealError> {
        let fail = |detail: String| SealError {
            card: card.to_string(),
            detail,
        };
        let key = self.0.as_ref().ok_or_else(|| {
            fail("no station key: print-only production seals no PIN/PUK (`cardline keys init` to encode)".into())
        })?;
        seal_card_secrets(key, card, pin, puk).map_err(|e| fail(e.to_string()))
    }
}

/// The card face prepared once per order, with the issue date and the expiry printed on a
/// card in stock (not yet assigned: its chip's certificates end then). Each image is labelled
/// with its card number ([`CardImage::label`]), so a simulated printer names its PNG after it.
pub struct KitFace {
    face: PreparedFace,
    issued: String,
    card_expiry: String,
}

impl KitFace {
    /// `issued` and `card_expiry` as printed (`2026-11-24`).
    pub fn new(
        face: PreparedFace,
        issued: impl Into<String>,
        card_expiry: impl Into<String>,
    ) -> KitFace {
        KitFace {
            face,
            issued: issued.into(),
            card_expiry: card_expiry.into(),
        }
    }

    /// The prepared face.
    pub fn prepared(&self) -> &PreparedFace {
        &self.face
    }
}

impl FaceRenderer for KitFace {
    fn render(&self, card: &Card) -> Result<CardImage, FaceError> {
        let mut fields = CardFields::from_card(card, self.issued.clone());
        if fields.valid_until.is_empty() {
            fields.valid_until = self.card_expiry.clone();
        }
        let mut image = self.face.render(&fields).map_err(|e| FaceError {
            card: card.number.clone(),
            detail: e.to_string(),
        })?;
        image.label = Some(card.number.clone());
        Ok(image)
    }
}

/// The CA's profile issuer when encoding is on; refuses when it is off (never called then).
pub struct KitIssuer<'a>(Option<ProfileIssuer<'a>>);

impl<'a> KitIssuer<'a> {
    /// Issues with `issuer` (`None`: encoding is off).
    pub fn new(issuer: Option<ProfileIssuer<'a>>) -> KitIssuer<'a> {
        KitIssuer(issuer)
    }
}

impl CertificateIssuer for KitIssuer<'_> {
    fn issue(&self, request: &CertificateRequest) -> Result<Vec<u8>, IssuerError> {
        match &self.0 {
            Some(i) => i.issue(request),
            None => Err(IssuerError::Authority(
                "encoding is off in the options".into(),
            )),
        }
    }
}
