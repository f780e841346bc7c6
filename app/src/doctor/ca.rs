//! The issuing CA: present, its certificate valid now (not yet valid means this PC's clock is
//! behind), the days left (a warning under [`WARN_DAYS`]), and its key opens with this
//! station's key.

use std::sync::Arc;

use cardline_issuance::ca::LocalCa;
use cardline_issuance::home::Home;
use cardline_issuance::secrets::KeyFiles;
use cardline_issuance::store::CertificateIndex;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Check, Found};

const FAMILY: &str = "ca";
/// Fewer days of validity left than this is a warning.
pub const WARN_DAYS: i64 = 30;

/// Checks the CA of the home against `now`.
pub(crate) fn check(home: &Home, found: &Found, now: OffsetDateTime, out: &mut Vec<Check>) {
    let dir = home.ca_dir();
    if !LocalCa::exists(&dir) {
        let fix = "create it with `cardline ca init` (after `cardline keys init`)";
        out.push(if found.print_only {
            Check::warning(
                FAMILY,
                "certificate",
                format!(
                    "no CA in {} (the default profile is print-only: needed only to encode)",
                    dir.display()
                ),
                fix,
            )
        } else {
            Check::problem(
                FAMILY,
                "certificate",
                format!("no CA in {}", dir.display()),
                format!("{fix}; print-only production (options encode = false) does not need it"),
            )
        });
        return;
    }
    let Some(store) = &found.store else {
        out.push(Check::warning(
            FAMILY,
            "certificate",
            format!("not checked: {}", found.no_store),
            "fix the database first (see above)",
        ));
        return;
    };
    let summary = match LocalCa::summary(&dir, store.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                "certificate",
                e.to_string(),
                "restore the CA directory from the backup of this home",
            ));
            return;
        }
    };
    let parse = |t: &str| OffsetDateTime::parse(t, &Rfc3339).ok();
    let (Some(not_before), Some(not_after)) =
        (parse(&summary.not_before), parse(&summary.not_after))
    else {
        out.push(Check::problem(
            FAMILY,
            "certificate",
            format!(
                "the CA certificate's validity ({} .. {}) cannot be read",
                summary.not_before, summary.not_after
            ),
            "restore the CA directory from the backup of this home",
        ));
        return;
    };
    let subject = &summary.subject;
    let days_left = (not_after - now).whole_days();
    if now < not_before {
        out.push(Check::problem(
            FAMILY,
            "certificate",
            format!("`{subject}` is valid only from {}: this PC's clock is behind", summary.not_before),
            "set the clock right (see the clock check below); certificates issued now would not be valid yet",
        ));
    } else if now >= not_after {
        out.push(Check::problem(
            FAMILY,
            "certificate",
            format!("`{subject}` expired on {}", summary.not_after),
            "cards cannot be certified by an expired CA: create a new CA in a new home (`cardline ca init`) and distribute its certificate",
        ));
    } else if days_left < WARN_DAYS {
        out.push(Check::warning(
            FAMILY,
            "certificate",
            format!(
                "`{subject}` expires in {days_left} days ({})",
                summary.not_after
            ),
            "plan the new CA now: certificates cannot outlive it",
        ));
    } else {
        out.push(Check::ok(
            FAMILY,
            "certificate",
            format!(
                "`{subject}` valid until {} ({days_left} days left)",
                summary.not_after
            ),
        ));
    }
    match KeyFiles::in_home(home.root()).station_key() {
        Err(e) => out.push(Check::problem(
            FAMILY,
            "key",
            format!("the CA key is sealed under the station key, which does not load: {e}"),
            "fix the station key (see the keys check above)",
        )),
        Ok(key) => {
            let index: Arc<dyn CertificateIndex> = store.clone();
            match LocalCa::load(&dir, &key, index) {
                Ok(_) => out.push(Check::ok(FAMILY, "key", "opens with this station's key")),
                Err(e) => out.push(Check::problem(
                    FAMILY,
                    "key",
                    e.to_string(),
                    "this home's CA was sealed under another station key: restore the matching keys/station.key",
                )),
            }
        }
    }
}
