//! [`ProfileIssuer`]: a [`CertificateAuthority`] seen through the encoder's
//! [`CertificateIssuer`] callback, for one card.

use cardline_device::{CertificateIssuer, CertificateRequest, IssuerError};
use time::OffsetDateTime;

use super::{CertProfileSpec, CertificateAuthority, IssueRequest};

/// Issues certificates for one card: looks the request's profile up by name and makes every
/// certificate end when the temporary card expires.
pub struct ProfileIssuer<'a> {
    ca: &'a dyn CertificateAuthority,
    profiles: &'a [CertProfileSpec],
    not_after: OffsetDateTime,
}

impl<'a> ProfileIssuer<'a> {
    /// An issuer over `ca` with the options' `profiles`, for a card valid until `card_expiry`.
    pub fn new(
        ca: &'a dyn CertificateAuthority,
        profiles: &'a [CertProfileSpec],
        card_expiry: OffsetDateTime,
    ) -> Self {
        Self {
            ca,
            profiles,
            not_after: card_expiry,
        }
    }
}

impl CertificateIssuer for ProfileIssuer<'_> {
    fn issue(&self, request: &CertificateRequest) -> Result<Vec<u8>, IssuerError> {
        let profile = self
            .profiles
            .iter()
            .find(|p| p.name == request.profile)
            .ok_or_else(|| IssuerError::UnknownProfile(request.profile.clone()))?;
        if profile.slot != request.slot || profile.algorithm != request.algorithm {
            return Err(IssuerError::Authority(format!(
                "profile `{}` certifies {} keys in slot {}, the card asked for {} in slot {}",
                profile.name,
                profile.algorithm.name(),
                profile.slot,
                request.algorithm.name(),
                request.slot
            )));
        }
        let issued = self.ca.issue(&IssueRequest {
            card_number: &request.card_number,
            profile,
            public_key_spki: &request.public_key_spki,
            not_after: self.not_after,
            chip_id: (!request.chip_id.is_empty()).then_some(request.chip_id.as_str()),
        })?;
        Ok(issued.der)
    }

    /// `ca-` and the first 16 hex digits of the SHA-256 of the issuing CA's certificate.
    fn key_id(&self) -> Option<String> {
        let fingerprint = super::sha256_hex(self.ca.ca_certificate_der());
        Some(format!("ca-{}", &fingerprint[..16]))
    }
}
