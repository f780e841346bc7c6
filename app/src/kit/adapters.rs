//! What the orchestrator calls back into: the station-key sealer, the prepared card face, the
//! certificate issuer. Shared by `order produce`, the demo, hil-tests and benches.

use std::sync::{Arc, Mutex};

use cardline_device::{
    CardImage, CertificateIssuer, CertificateRequest, IssuerError, PanelGeometry, Pin, Puk,
};
use cardline_issuance::ca::ProfileIssuer;
use cardline_issuance::escrow::{EscrowRecipient, seal_to_escrow};
use cardline_issuance::face::{CardFields, PreparedFace};
use cardline_issuance::model::Card;
use cardline_issuance::production::{FaceError, FaceRenderer, SealError, SecretSealer};
use cardline_issuance::secrets::{StationKey, seal_card_secrets};
use cardline_issuance::store::SealedSecrets;

/// Seals each card's initial PIN and PUK: to the office's escrow key when the home has one
/// installed (`keys/escrow.pub`: any desk seals, only the escrow key's holder reveals), under
/// the station key otherwise. Print-only production has no key (nothing to seal): sealing then
/// fails, and the orchestrator never asks.
pub struct StationSealer {
    station: Option<StationKey>,
    escrow: Option<EscrowRecipient>,
}

impl StationSealer {
    /// Seals under `key`.
    pub fn new(key: StationKey) -> StationSealer {
        StationSealer {
            station: Some(key),
            escrow: None,
        }
    }

    /// Seals to the escrow key `recipient` instead of the station key.
    pub fn to_escrow(mut self, recipient: EscrowRecipient) -> StationSealer {
        self.escrow = Some(recipient);
        self
    }

    /// A sealer for print-only production, which seals nothing.
    pub fn print_only() -> StationSealer {
        StationSealer {
            station: None,
            escrow: None,
        }
    }

    /// True when it holds a key to seal with.
    pub fn has_key(&self) -> bool {
        self.station.is_some() || self.escrow.is_some()
    }

    /// The id of the key secrets are sealed with (`escrow-…` or the station key's).
    pub fn key_id(&self) -> Option<String> {
        match (&self.escrow, &self.station) {
            (Some(e), _) => Some(e.key_id()),
            (None, Some(s)) => Some(s.key_id()),
            (None, None) => None,
        }
    }
}

impl std::fmt::Debug for StationSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StationSealer")
            .field("station", &self.station.as_ref().map(|_| "***"))
            .field("escrow", &self.escrow)
            .finish()
    }
}

impl SecretSealer for StationSealer {
    fn seal(&self, card: &str, pin: &Pin, puk: &Puk) -> Result<SealedSecrets, SealError> {
        let fail = |detail: String| SealError {
            card: card.to_string(),
            detail,
        };
        if let Some(recipient) = &self.escrow {
            return seal_to_escrow(recipient, card, pin, puk).map_err(|e| fail(e.to_string()));
        }
        let key = self.station.as_ref().ok_or_else(|| {
            fail("no station key: print-only production seals no PIN/PUK (`cardline keys init` to encode)".into())
        })?;
        seal_card_secrets(key, card, pin, puk).map_err(|e| fail(e.to_string()))
    }
}

/// The card face prepared once per order, with the issue date and the expiry printed on a
/// card in stock (not yet assigned: its chip's certificates end then). Each image is labelled
/// with its card number ([`CardImage::label`]), so a simulated printer names its PNG after it.
///
/// The face is rendered at each station printer's panel geometry
/// ([`FaceRenderer::render_at`]): prepared at the default geometry up front, and once for
/// every other geometry the first time a printer asks for it (a Magicard's 641 × 1016), so a
/// line mixing printer families prints every card at its printer's size.
pub struct KitFace {
    face: PreparedFace,
    /// Faces prepared for other geometries, on first use.
    others: Mutex<Vec<Arc<PreparedFace>>>,
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
            others: Mutex::new(Vec::new()),
            issued: issued.into(),
            card_expiry: card_expiry.into(),
        }
    }

    /// The prepared face (at the geometry it was prepared for, the default one in a kit).
    pub fn prepared(&self) -> &PreparedFace {
        &self.face
    }

    /// Geometries prepared besides the first one, in the order printers asked for them.
    pub fn other_geometries(&self) -> Vec<PanelGeometry> {
        self.lock_others().iter().map(|f| f.geometry()).collect()
    }

    fn lock_others(&self) -> std::sync::MutexGuard<'_, Vec<Arc<PreparedFace>>> {
        self.others.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The face prepared for `geometry`, preparing it the first time.
    fn face_at(&self, geometry: PanelGeometry) -> Result<Arc<PreparedFace>, String> {
        let mut others = self.lock_others();
        if let Some(face) = others.iter().find(|f| f.geometry() == geometry) {
            return Ok(face.clone());
        }
        let face = PreparedFace::new_at(self.face.template(), geometry)
            .map_err(|e| format!("at the printer's panel geometry {geometry}: {e}"))?;
        tracing::debug!(%geometry, template = %self.face.template().name, "card face prepared for another printer geometry");
        let face = Arc::new(face);
        others.push(face.clone());
        Ok(face)
    }

    fn render_with(&self, face: &PreparedFace, card: &Card) -> Result<CardImage, FaceError> {
        let mut fields = CardFields::from_card(card, self.issued.clone());
        if fields.valid_until.is_empty() {
            fields.valid_until = self.card_expiry.clone();
        }
        let mut image = face.render(&fields).map_err(|e| FaceError {
            card: card.number.clone(),
            detail: e.to_string(),
        })?;
        image.label = Some(card.number.clone());
        Ok(image)
    }
}

impl FaceRenderer for KitFace {
    fn render(&self, card: &Card) -> Result<CardImage, FaceError> {
        self.render_with(&self.face, card)
    }

    fn render_at(&self, card: &Card, geometry: PanelGeometry) -> Result<CardImage, FaceError> {
        if geometry == self.face.geometry() {
            return self.render_with(&self.face, card);
        }
        let face = self.face_at(geometry).map_err(|detail| FaceError {
            card: card.number.clone(),
            detail,
        })?;
        self.render_with(&face, card)
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

    fn key_id(&self) -> Option<String> {
        self.0.as_ref().and_then(CertificateIssuer::key_id)
    }
}
