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

fn desk_ca(desk: &str, id: &str) -> crate::ca::DeskCaRecord {
    crate::ca::DeskCaRecord {
        desk: desk.into(),
        serial: format!("{id}5e71a1"),
        fingerprint: format!("{id}{id}{id}{id}"),
        issuer_id: format!("ca-{id}"),
        subject: format!("CN=cardline desk {desk} issuing CA"),
        not_after: "2031-11-29T10:00:00Z".into(),
        recorded_at: String::new(),
        der: "3082".into(),
        revoked_at: None,
        revocation_reason: None,
    }
}

/// Conformance case.
pub fn a_desk_ca_is_revoked_alone_and_its_desk_may_not_encode(db: &dyn TestDatabase) {
    use crate::ca::revocation::RevocationReason;
    use crate::model::ProductionStep;
    use crate::store::{AttemptKeys, JournalRecord};
    let store = db.open();
    let op = Actor("admin-ann".into());
    let (one, two) = (
        desk_ca("desk-1", "1111222233334444"),
        desk_ca("desk-2", "5555666677778888"),
    );
    store.record_desk_ca(&one).unwrap();
    store.record_desk_ca(&two).unwrap();
    store.record_desk_ca(&one).unwrap();
    let recorded = store.desk_cas().unwrap();
    assert_eq!(recorded.len(), 2, "recorded once each: {recorded:?}");
    assert_eq!(recorded[0].desk, "desk-1");
    assert!(!recorded[0].recorded_at.is_empty());
    assert_eq!(recorded[0].revoked_at, None);

    match store.revoke_desk_ca("desk-9", RevocationReason::KeyCompromise, &op) {
        Err(StoreError::UnknownDeskCa { desk, known }) => {
            assert_eq!(desk, "desk-9");
            assert_eq!(known, "desk-1, desk-2");
        }
        other => panic!("an unknown desk must be refused, got {other:?}"),
    }

    store.request_cards(3, &Numbering::default(), &op).unwrap();
    let order = store.create_order(&OrderSelection::All, &op).unwrap();
    let keys = |issuer: &str| AttemptKeys {
        management_master: "aaaa000011112222".into(),
        seal: "5eal5eal5eal5eal".into(),
        issuer: Some(issuer.into()),
    };
    let (_, a1) = begin_attempt(&*store, order.id, "st1", &op)
        .unwrap()
        .unwrap();
    store
        .journal(a1, &[JournalRecord::Keys(&keys("ca-1111222233334444"))])
        .unwrap();

    let revoked = store
        .revoke_desk_ca("desk-1", RevocationReason::KeyCompromise, &op)
        .unwrap();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].serial, one.serial);
    assert!(revoked[0].revoked_at.is_some());
    let now = store.desk_cas().unwrap();
    assert_eq!(now[0].revocation_reason.as_deref(), Some("key_compromise"));
    assert_eq!(now[0].revoked_at, revoked[0].revoked_at);
    assert_eq!(now[1].revoked_at, None, "desk-2 keeps its CA");
    let audited: Vec<_> = store
        .audit(&AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "ca.desk_revoke")
        .collect();
    assert_eq!(audited.len(), 1);
    let note = audited[0].reason.as_deref().unwrap();
    assert!(
        note.contains("desk-1") && note.contains(&one.serial) && note.contains("keyCompromise"),
        "{note}"
    );
    assert_eq!(audited[0].operator, "admin-ann");

    match store.revoke_desk_ca("desk-1", RevocationReason::Superseded, &op) {
        Err(StoreError::DeskCaAlreadyRevoked {
            desk,
            serial,
            revoked,
        }) => {
            assert_eq!(desk, "desk-1");
            assert_eq!(serial, one.serial);
            assert!(revoked.ends_with("(keyCompromise)"), "{revoked}");
        }
        other => panic!("a second revocation must be refused, got {other:?}"),
    }

    // The revoked desk's next attempt is refused with the feed's intent: nothing is written.
    let (c2, a2) = begin_attempt(&*store, order.id, "st2", &op)
        .unwrap()
        .unwrap();
    let refused = store.journal(
        a2,
        &[
            JournalRecord::Keys(&keys("ca-1111222233334444")),
            JournalRecord::StepStarted(ProductionStep::Feed),
        ],
    );
    match refused {
        Err(e @ StoreError::IssuerRevoked { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("desk-1")
                    && text.contains("keyCompromise")
                    && text.contains("ca desk-init")
                    && text.contains("ca desk-import"),
                "{text}"
            );
        }
        other => panic!("a revoked issuer must be refused, got {other:?}"),
    }
    let attempt = &store.attempts_of_card(&c2.number).unwrap()[0];
    assert_eq!(attempt.key_ids, None);
    assert!(attempt.steps.is_empty(), "no blank fed: {attempt:?}");

    // Another desk's CA still encodes.
    let (_, a3) = begin_attempt(&*store, order.id, "st3", &op)
        .unwrap()
        .unwrap();
    store
        .journal(
            a3,
            &[
                JournalRecord::Keys(&keys("ca-5555666677778888")),
                JournalRecord::StepStarted(ProductionStep::Feed),
            ],
        )
        .unwrap();
}
