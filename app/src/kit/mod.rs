//! [`ProductionKit`]: what production needs from a home — the orchestrator's settings from the
//! options, the CA and its certificate profiles, the station-key sealer, the prepared card
//! face with its issue and expiry dates.
//!
//! Print-only production (options `encode = false`) needs neither the station key nor the CA:
//! nothing is sealed and nothing certified.

mod adapters;
mod source;

use std::sync::Arc;

use cardline_issuance::ca::{CaError, CertProfileSpec, LocalCa, ProfileIssuer};
use cardline_issuance::face::{PreparedFace, TemplateError, load_template};
use cardline_issuance::home::Home;
use cardline_issuance::options::Options;
use cardline_issuance::production::{EncodingSettings, ProductionSettings};
use cardline_issuance::secrets::{KeyFiles, SecretsError};
use cardline_issuance::store::{Actor, CertificateIndex};
use time::OffsetDateTime;

pub use adapters::{KitFace, KitIssuer, StationSealer};
pub use source::{ProfileKits, RECHECK, Tune};

/// What a home lacks for production.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// Encoding is on and the station key is missing or unreadable: `cardline keys init`.
    #[error("encoded cards need the station key that seals PIN and PUK (`cardline keys init`)")]
    StationKey(#[source] SecretsError),
    /// Encoding is on and the management-key master is missing or unreadable.
    #[error("encoded cards need the management-key master (`cardline keys init`)")]
    MasterKey(#[source] SecretsError),
    /// Encoding is on and the CA is missing or cannot be opened: `cardline ca init`.
    #[error("encoded cards need the issuing CA (`cardline ca init`)")]
    Ca(#[source] CaError),
    /// The certificates would outlive the CA certificate: refused before any card is fed.
    #[error(
        "the CA certificate ends {ca_ends}, before the cards' certificates would ({cards_end}, \
         validity_days from today): create a new CA or lower validity_days"
    )]
    CaEndsTooSoon {
        /// When the CA certificate ends.
        ca_ends: String,
        /// When the cards' certificates would end.
        cards_end: String,
    },
    /// The options name a face template that cannot be loaded.
    #[error("the card face template `{name}` of the options cannot be loaded")]
    Template {
        /// The template name.
        name: String,
        /// Why.
        #[source]
        source: TemplateError,
    },
    /// The face template loads but cannot be prepared (a code does not fit its box).
    #[error("the card face template `{name}` cannot be prepared")]
    Face {
        /// The template name.
        name: String,
        /// Why.
        #[source]
        source: cardline_issuance::face::FaceError,
    },
}

/// Everything production needs besides the store and the stations.
pub struct ProductionKit {
    /// The orchestrator's settings (adjust retry delays and polls freely).
    pub settings: ProductionSettings,
    /// Seals PIN and PUK (no key for print-only production).
    pub sealer: StationSealer,
    /// The prepared card face.
    pub face: KitFace,
    ca: Option<LocalCa>,
    profiles: Vec<CertProfileSpec>,
    not_after: OffsetDateTime,
}

impl std::fmt::Debug for ProductionKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductionKit")
            .field("encoding", &self.settings.encoding.is_some())
            .field("ca", &self.ca.as_ref().map(|c| c.subject()))
            .field("not_after", &self.not_after)
            .finish()
    }
}

impl ProductionKit {
    /// Loads what production needs from `home` for `options`, as `actor`, issuing today; the
    /// CA records what it issues in `index` (the home's store).
    pub fn load(
        home: &Home,
        options: &Options,
        actor: Actor,
        index: Arc<dyn CertificateIndex>,
    ) -> Result<ProductionKit, KitError> {
        Self::load_at(home, options, actor, index, OffsetDateTime::now_utc())
    }

    /// Like [`load`](Self::load), with `now` as the issue time (certificates and printed
    /// dates end `validity_days` later).
    pub fn load_at(
        home: &Home,
        options: &Options,
        actor: Actor,
        index: Arc<dyn CertificateIndex>,
        now: OffsetDateTime,
    ) -> Result<ProductionKit, KitError> {
        let not_after = now + time::Duration::days(i64::from(options.validity_days));
        let keys = KeyFiles::in_home(home.root());
        let (encoding, ca, profiles, sealer) = if options.encode {
            let station_key = keys.station_key().map_err(KitError::StationKey)?;
            let master = keys.master_key().map_err(KitError::MasterKey)?;
            let ca = LocalCa::load(&home.ca_dir(), &station_key, index).map_err(KitError::Ca)?;
            if ca.not_after() < not_after {
                return Err(KitError::CaEndsTooSoon {
                    ca_ends: ca.not_after().date().to_string(),
                    cards_end: not_after.date().to_string(),
                });
            }
            let profile = options.card_profile;
            let encoding = EncodingSettings {
                pin_length: options.pin_length.into(),
                puk_length: options.puk_length.into(),
                transport_pin: profile.transport_pin(),
                transport_puk: profile.transport_puk(),
                transport_management_key: profile.transport_management_key(),
                management_key_master: master,
                keys: options.key_requests(),
                expiry: chuid_expiry(not_after),
            };
            let sealer = match keys.escrow_recipient().map_err(KitError::StationKey)? {
                Some(escrow) => StationSealer::new(station_key).to_escrow(escrow),
                None => StationSealer::new(station_key),
            };
            (
                Some(encoding),
                Some(ca),
                options.certificate_specs(),
                sealer,
            )
        } else {
            (None, None, Vec::new(), StationSealer::print_only())
        };
        let name = &options.face_template;
        let template = load_template(home.root(), name).map_err(|source| KitError::Template {
            name: name.clone(),
            source,
        })?;
        let face = PreparedFace::new(&template).map_err(|source| KitError::Face {
            name: name.clone(),
            source,
        })?;
        // The chip's certificates and CHUID end at `not_after`: a card in stock (not yet
        // assigned) prints that date as its last valid day.
        let face = KitFace::new(face, now.date().to_string(), not_after.date().to_string());
        Ok(ProductionKit {
            settings: ProductionSettings::new(actor, encoding),
            sealer,
            face,
            ca,
            profiles,
            not_after,
        })
    }

    /// The certificate issuer the encoder calls (refuses when encoding is off).
    pub fn issuer(&self) -> KitIssuer<'_> {
        KitIssuer::new(
            self.ca
                .as_ref()
                .map(|ca| ProfileIssuer::new(ca, &self.profiles, self.not_after)),
        )
    }

    /// The CA, when encoding is on.
    pub fn ca(&self) -> Option<&LocalCa> {
        self.ca.as_ref()
    }

    /// When the certificates issued now end.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }
}

/// The CHUID expiry `YYYYMMDD`.
fn chuid_expiry(at: OffsetDateTime) -> String {
    format!("{:04}{:02}{:02}", at.year(), u8::from(at.month()), at.day())
}

#[cfg(test)]
mod tests;
