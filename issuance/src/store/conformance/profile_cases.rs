//! Conformance cases: named option profiles, the default one, changes validated, logged and
//! audited.

use super::*;
use crate::options::profiles::{self, ProfileError};

/// Conformance case.
pub fn option_profiles_are_validated_logged_and_audited(db: &dyn TestDatabase) {
    let store = db.open();
    let admin = Actor("admin".into());
    // The first use creates the default profile from the built-in defaults.
    let (default, options) = profiles::options(&*store, None, &admin).unwrap();
    assert_eq!(default.name, "default");
    assert!(default.is_default);
    assert_eq!(options.pin_length, 6);
    // A named profile copied from it, then changed.
    profiles::create_from(&*store, "contractor-piv", None, &admin).unwrap();
    let changes = profiles::set(&*store, "contractor-piv", "pin_length", "8", &admin).unwrap();
    assert_eq!(
        changes,
        [("pin_length".to_string(), Some("6".into()), Some("8".into()))]
    );
    let (_, contractor) = profiles::options(&*store, Some("contractor-piv"), &admin).unwrap();
    assert_eq!(contractor.pin_length, 8);
    // An invalid change is refused and nothing is saved.
    let e = profiles::set(&*store, "contractor-piv", "pin_length", "12", &admin).unwrap_err();
    assert!(matches!(e, ProfileError::Invalid(_)), "{e}");
    assert!(e.to_string().contains("6–8"), "{e}");
    let (_, still) = profiles::options(&*store, Some("contractor-piv"), &admin).unwrap();
    assert_eq!(still.pin_length, 8);
    // Print-only: encode off alone is enough.
    profiles::create_from(&*store, "visitor-print-only", None, &admin).unwrap();
    profiles::set(&*store, "visitor-print-only", "encode", "false", &admin).unwrap();
    let (_, visitor) = profiles::options(&*store, Some("visitor-print-only"), &admin).unwrap();
    assert!(!visitor.encode && visitor.certificates.is_empty());
    // The default moves; there is one.
    profiles::make_default(&*store, "contractor-piv", &admin).unwrap();
    let defaults: Vec<String> = store
        .option_profiles()
        .unwrap()
        .into_iter()
        .filter(|p| p.is_default)
        .map(|p| p.name)
        .collect();
    assert_eq!(defaults, ["contractor-piv"]);
    // The log says who changed what from which value.
    let log = store.option_log(Some("contractor-piv"), None).unwrap();
    let pin = log.iter().find(|c| c.key == "pin_length").unwrap();
    assert_eq!(
        (
            pin.old_value.as_deref(),
            pin.new_value.as_deref(),
            pin.operator.as_str()
        ),
        (Some("6"), Some("8"), "admin")
    );
    assert_eq!(store.option_log(None, Some(2)).unwrap().len(), 2);
    let audit = store
        .audit(&AuditFilter {
            action: Some("options.change".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.reason.as_deref() == Some("profile contractor-piv: pin_length 6 → 8"))
    );
    // A numbering that would write numbers another prefix already wrote is refused.
    store
        .request_cards(
            1,
            &crate::numbering::Numbering::new("T", 9).unwrap(),
            &admin,
        )
        .unwrap();
    let schemes = store.numbering_schemes().unwrap();
    assert!(
        schemes
            .iter()
            .any(|s| s.prefix == "T" && s.number_len == 11),
        "{schemes:?}"
    );
    let text = "[numbering]\nprefix = \"T1\"\ndigits = 8\n";
    let e = profiles::import_text(&*store, "clash", text, &admin).unwrap_err();
    assert!(matches!(e, ProfileError::NumberingCollision { .. }), "{e}");
    assert!(e.to_string().contains("prefix `T` already in use"), "{e}");
    let e = profiles::set(&*store, "contractor-piv", "numbering.prefix", "T1", &admin).unwrap_err();
    assert!(
        matches!(e, ProfileError::NumberingCollision { .. })
            || matches!(e, ProfileError::Invalid(_)),
        "{e}"
    );
    // Unknown profiles and bad names say what exists.
    let e = profiles::options(&*store, Some("nope"), &admin)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("contractor-piv") && e.contains("visitor-print-only"),
        "{e}"
    );
    assert!(matches!(
        profiles::create_from(&*store, "bad name!", None, &admin),
        Err(ProfileError::BadName(_))
    ));
    assert!(matches!(
        profiles::create_from(&*store, "default", None, &admin),
        Err(ProfileError::Exists(_))
    ));
}
