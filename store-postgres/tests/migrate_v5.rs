//! Migration 5 on a database written by schema 4: certificates older versions left valid for
//! spoiled chips or ended cards are revoked, good and in-flight ones kept; old audit rows stay
//! as legacy (no chain fields) and new entries start each writer's chain at 1.

mod common;

use cardline_issuance::audit::{AuditKey, AuditSealer};
use cardline_issuance::store::{Actor, AuditLog, CertificateIndex};
use cardline_postgres::PostgresStore;
use common::TempDb;

const T: &str = "2026-01-01T00:00:00.000Z";

#[test]
fn v5_revokes_what_v4_left_spoiled_and_keeps_old_audit_rows_as_legacy() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::empty(&server);
    PostgresStore::migrate_to(&db.url, 4, &Actor("admin".into())).unwrap();
    let mut client = db.client();
    client
        .batch_execute(&format!(
            "INSERT INTO orders (id, state, created_by, created_at) VALUES (1, 'open', 'a', '{T}');
             INSERT INTO cards (id, number, state, order_id, created_at, updated_at, requested_at)
             VALUES (1, 'GOOD', 'assigned', 1, '{T}', '{T}', '{T}'),
                    (2, 'SPOILED', 'in_production', 1, '{T}', '{T}', '{T}'),
                    (3, 'LOCKED', 'locked', 1, '{T}', '{T}', '{T}'),
                    (4, 'FLIGHT', 'in_production', 1, '{T}', '{T}', '{T}');
             INSERT INTO attempts (id, card_id, order_id, station, status, started_at)
             VALUES (1, 1, 1, 's', 'succeeded', '{T}'), (2, 2, 1, 's', 'failed', '{T}'),
                    (3, 3, 1, 's', 'succeeded', '{T}'), (4, 4, 1, 's', 'in_flight', '{T}');
             INSERT INTO attempt_certificates VALUES (1, 'fp-good'), (2, 'fp-spoiled'),
                    (3, 'fp-locked');
             INSERT INTO issued_certificates (spki_sha256, card_number, profile, serial,
                    fingerprint, issued_at, not_after, der)
             VALUES ('k1', 'GOOD', 'p', '01', 'fp-good', '{T}', '{T}', '\\x00'),
                    ('k2', 'SPOILED', 'p', '02', 'fp-spoiled', '{T}', '{T}', '\\x00'),
                    ('k3', 'LOCKED', 'p', '03', 'fp-locked', '{T}', '{T}', '\\x00'),
                    ('k4', 'FLIGHT', 'p', '04', 'fp-flight', '{T}', '{T}', '\\x00');
             INSERT INTO audit (at, operator, action) VALUES ('{T}', 'old', 'note');"
        ))
        .unwrap();
    PostgresStore::migrate(&db.url, &Actor("admin".into())).unwrap();
    let store = PostgresStore::open(&db.url).unwrap();
    let reason = |card: &str| {
        let certs = store.certificates_of_card(card).unwrap();
        assert_eq!(certs.len(), 1, "{card}");
        (
            certs[0].revoked_at.is_some(),
            certs[0].revocation_reason.clone(),
        )
    };
    assert_eq!(reason("GOOD"), (false, None));
    assert_eq!(
        reason("FLIGHT"),
        (false, None),
        "an attempt in flight may still succeed"
    );
    assert_eq!(
        reason("SPOILED"),
        (true, Some("cessation_of_operation".into()))
    );
    assert_eq!(reason("LOCKED"), (true, Some("privilege_withdrawn".into())));

    let key = AuditKey::from_bytes([3; 32]);
    store.set_audit_sealer(AuditSealer::new("h", Some(key.clone())));
    store
        .audit_note("order.note", None, None, None, &Actor("alice".into()))
        .unwrap();
    let records = store.audit_records().unwrap();
    assert_eq!(records.entries.len(), 2);
    assert!(records.entries[0].chain.is_none(), "the old row is legacy");
    let chain = records.entries[1].chain.as_ref().unwrap();
    assert_eq!((chain.writer.as_str(), chain.seq), ("h", 1));
    assert_eq!(records.heads.len(), 1);
    assert_eq!(records.heads[0].hash, chain.entry_hash);
}
