//! Conformance cases of revocation: every backend revokes certificates with the rules of
//! [`crate::ca::revocation`] in the transaction that spoils the chip or ends the card.

use super::*;
use crate::ca::IssuedRecord;

fn cert(spki: &str, card: &str) -> IssuedRecord {
    IssuedRecord {
        spki_sha256: spki.into(),
        card_number: card.into(),
        profile: "piv-auth".into(),
        chip_id: Some(format!("chip-{spki}")),
        serial: format!("{spki}01"),
        fingerprint: format!("{spki}ff"),
        issued_at: "2026-11-29T10:00:00Z".into(),
        not_after: "2026-12-29T10:00:00Z".into(),
        der: "3082".into(),
        revoked_at: None,
        revocation_reason: None,
    }
}

fn reasons(store: &dyn Store, card: &str) -> Vec<Option<String>> {
    store
        .certificates_of_card(card)
        .unwrap()
        .into_iter()
        .map(|r| {
            assert_eq!(r.revoked_at.is_some(), r.revocation_reason.is_some());
            r.revocation_reason
        })
        .collect()
}

/// A voided attempt's chip is revoked (`cessation_of_operation`) but the certificate of the
/// card's later succeeded attempt stays valid until the card is locked
/// (`privilege_withdrawn`); a failed attempt's chip is revoked; revocations are audited.
pub fn spoiled_chips_and_ended_cards_are_revoked(db: &dyn TestDatabase) {
    let store = db.open();
    let actor = Actor("alice".into());
    let cards = store
        .request_cards(2, &Numbering::default(), &actor)
        .unwrap();
    let order = store.create_order(&OrderSelection::All, &actor).unwrap();
    let (card, first) = begin_attempt(store.as_ref(), order.id, "st-1", &actor)
        .unwrap()
        .unwrap();
    assert_eq!(card.number, cards[0].number);
    store.record_issued(&cert("a1", &card.number)).unwrap();
    store.attempt_voided(first, "jam", &actor).unwrap();
    assert_eq!(
        reasons(store.as_ref(), &card.number),
        [Some("cessation_of_operation".to_string())]
    );

    let (again, second) = begin_attempt(store.as_ref(), order.id, "st-1", &actor)
        .unwrap()
        .unwrap();
    assert_eq!(
        again.number, card.number,
        "the voided card is produced again"
    );
    store.record_issued(&cert("a2", &card.number)).unwrap();
    store
        .attempt_succeeded(
            second,
            &AttemptSuccess {
                chip_id: Some("chip-a2".into()),
                certificate_fingerprints: vec!["a2ff".into()],
                secrets: None,
            },
            &actor,
        )
        .unwrap();
    assert_eq!(
        reasons(store.as_ref(), &card.number),
        [Some("cessation_of_operation".to_string()), None],
        "the good chip's certificate stays valid"
    );
    store
        .apply_event(
            &card.number,
            CardEvent::Lock,
            &EventDetail::default(),
            &actor,
        )
        .unwrap();
    assert_eq!(
        reasons(store.as_ref(), &card.number),
        [
            Some("cessation_of_operation".to_string()),
            Some("privilege_withdrawn".to_string())
        ]
    );

    let (other, third) = begin_attempt(store.as_ref(), order.id, "st-1", &actor)
        .unwrap()
        .unwrap();
    store.record_issued(&cert("b1", &other.number)).unwrap();
    store.attempt_failed(third, "chip mute", &actor).unwrap();
    assert_eq!(
        reasons(store.as_ref(), &other.number),
        [Some("cessation_of_operation".to_string())]
    );
    let audited = store
        .audit(&AuditFilter {
            action: Some("ca.revoke".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(audited.len(), 3, "{audited:?}");
    assert!(audited[0].reason.as_deref().unwrap().contains("a101"));
}
