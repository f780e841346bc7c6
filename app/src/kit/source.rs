//! [`ProfileKits`]: the production kit of each order, from the option profile it names, for
//! desk daemons that produce orders of different profiles one card after the other.
//!
//! Kits are cached per profile and loaded again when the profile changed (an administrator
//! ran `options set`), when the day changed (printed dates and certificate validity run from
//! the day of issue), or at most every [`RECHECK`] otherwise.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardline_device::CertificateIssuer;
use cardline_issuance::home::Home;
use cardline_issuance::model::OrderId;
use cardline_issuance::options::profiles;
use cardline_issuance::production::{
    FaceRenderer, KitSource, OrderKit, ProductionSettings, SecretSealer,
};
use cardline_issuance::store::{Actor, Store};
use time::OffsetDateTime;

use super::ProductionKit;
use crate::error_chain;

/// How long a kit is used before its profile is looked at again.
pub const RECHECK: Duration = Duration::from_secs(10);

impl OrderKit for ProductionKit {
    fn settings(&self) -> &ProductionSettings {
        &self.settings
    }
    fn issuer(&self) -> Box<dyn CertificateIssuer + '_> {
        Box::new(ProductionKit::issuer(self))
    }
    fn sealer(&self) -> &dyn SecretSealer {
        &self.sealer
    }
    fn face(&self) -> &dyn FaceRenderer {
        &self.face
    }
}

/// Adjusts the settings of every kit loaded (shorter waits in tests and demos).
pub type Tune = dyn Fn(&mut ProductionSettings) + Send + Sync;

/// Kits per option profile, loaded on demand from the home and the store.
pub struct ProfileKits {
    home: Home,
    store: Arc<dyn Store>,
    actor: Actor,
    tune: Box<Tune>,
    profiles: Mutex<HashMap<OrderId, Option<String>>>,
    kits: Mutex<HashMap<Option<String>, Cached>>,
}

struct Cached {
    kit: Arc<ProductionKit>,
    updated_at: String,
    day: time::Date,
    checked: Instant,
}

impl ProfileKits {
    /// Kits of `home`'s profiles in `store`, for `actor`; `tune` adjusts each kit's settings.
    pub fn new(home: Home, store: Arc<dyn Store>, actor: Actor, tune: Box<Tune>) -> ProfileKits {
        ProfileKits {
            home,
            store,
            actor,
            tune,
            profiles: Mutex::new(HashMap::new()),
            kits: Mutex::new(HashMap::new()),
        }
    }

    /// The kit of profile `name` (`None`: the default profile).
    pub fn kit_of_profile(&self, name: Option<&str>) -> Result<Arc<ProductionKit>, String> {
        let key = name.map(str::to_string);
        let today = OffsetDateTime::now_utc().date();
        if let Some(c) = self.kits.lock().expect("kit cache").get(&key)
            && c.day == today
            && c.checked.elapsed() < RECHECK
        {
            return Ok(c.kit.clone());
        }
        let (record, options) =
            profiles::options(&*self.store, name, &self.actor).map_err(|e| error_chain(&e))?;
        let mut cache = self.kits.lock().expect("kit cache");
        if let Some(c) = cache.get_mut(&key)
            && c.day == today
            && c.updated_at == record.updated_at
        {
            c.checked = Instant::now();
            return Ok(c.kit.clone());
        }
        let mut kit =
            ProductionKit::load(&self.home, &options, self.actor.clone(), self.store.clone())
                .map_err(|e| format!("profile `{}`: {}", record.name, error_chain(&e)))?;
        (self.tune)(&mut kit.settings);
        let kit = Arc::new(kit);
        tracing::info!(profile = %record.name, updated_at = %record.updated_at, "production kit loaded");
        cache.insert(
            key,
            Cached {
                kit: kit.clone(),
                updated_at: record.updated_at,
                day: today,
                checked: Instant::now(),
            },
        );
        Ok(kit)
    }
}

impl KitSource for ProfileKits {
    fn kit_for(&self, order: OrderId) -> Result<Arc<dyn OrderKit>, String> {
        let profile = {
            // The lock is held over the read: the stations of a desk that all ask at once (the
            // first card after a release) wait for one read of the order's header instead of
            // each making its own.
            let mut profiles = self.profiles.lock().expect("profile cache");
            match profiles.get(&order) {
                Some(p) => p.clone(),
                None => {
                    let header = self
                        .store
                        .order_header(order)
                        .map_err(|e| error_chain(&e))?;
                    profiles.insert(order, header.profile.clone());
                    header.profile
                }
            }
        };
        Ok(self.kit_of_profile(profile.as_deref())?)
    }

    fn default_kit(&self) -> Result<Arc<dyn OrderKit>, String> {
        Ok(self.kit_of_profile(None)?)
    }
}
