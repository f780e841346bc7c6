//! The options profile: the default profile in the store is valid (a profile that does not
//! validate stops every order made with it). A store without a profile yet gets the built-in
//! defaults, or the home's legacy `options.toml`, on first use: that file is validated here.

use cardline_issuance::home::Home;
use cardline_issuance::options::Options;
use cardline_issuance::store::OptionProfileStore;

use super::{Check, Found};

const FAMILY: &str = "options";

/// Checks the default option profile (read only: nothing is created).
pub(crate) fn check(home: &Home, found: &Found, out: &mut Vec<Check>) {
    let Some(store) = &found.store else {
        out.push(Check::warning(
            FAMILY,
            "profile",
            format!("not checked: {}", found.no_store),
            "fix the database first (see above)",
        ));
        return;
    };
    let profiles = match store.option_profiles() {
        Ok(p) => p,
        Err(e) => {
            out.push(Check::problem(
                FAMILY,
                "profile",
                format!("the profiles cannot be read: {e}"),
                "check the database (see above)",
            ));
            return;
        }
    };
    let Some(default) = profiles.iter().find(|p| p.is_default) else {
        let legacy = home.options_file();
        if legacy.is_file() {
            match Options::load(&legacy) {
                Ok(o) => out.push(Check::ok(
                    FAMILY,
                    "profile",
                    format!(
                        "{} becomes the default profile on first use ({})",
                        legacy.display(),
                        summary(&o)
                    ),
                )),
                Err(e) => out.push(Check::problem(
                    FAMILY,
                    "profile",
                    e.to_string(),
                    format!(
                        "correct {} (docs/batch-orders.md lists every option)",
                        legacy.display()
                    ),
                )),
            }
        } else {
            out.push(Check::ok(
                FAMILY,
                "profile",
                "no profile yet: the built-in defaults become the `default` profile on first use",
            ));
        }
        return;
    };
    match default.options() {
        Ok(o) => out.push(Check::ok(
            FAMILY,
            "profile",
            format!("`{}` (the default): {}", default.name, summary(&o)),
        )),
        Err(e) => out.push(Check::problem(
            FAMILY,
            "profile",
            format!(
                "the default profile `{}` does not validate: {e}",
                default.name
            ),
            format!(
                "correct it with `cardline options edit --profile {}` (or `cardline options set`)",
                default.name
            ),
        )),
    }
}

fn summary(o: &Options) -> String {
    if o.encode {
        format!(
            "encodes PIV cards, PIN {} digits, {} certificate(s), cards valid {} days",
            o.pin_length,
            o.certificates.len(),
            o.validity_days
        )
    } else {
        format!("print only, cards valid {} days", o.validity_days)
    }
}
