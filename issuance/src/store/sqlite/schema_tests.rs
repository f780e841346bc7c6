//! Migrating a v4 database to v5: old audit rows become legacy, spoiled certificates revoked.

use rusqlite::Connection;

use super::*;
use crate::audit::{AuditKey, verify::verify};

fn v4_database() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    let tx = conn.transaction().unwrap();
    for sql in &MIGRATIONS[..4] {
        tx.execute_batch(sql).unwrap();
    }
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID};
         CREATE TABLE schema_version (version INTEGER NOT NULL);
         INSERT INTO schema_version VALUES (4);
         INSERT INTO orders (id, state, created_by, created_at) VALUES (1, 'open', 'a', 't');
         INSERT INTO cards (id, number, state, created_at, updated_at) VALUES
             (1, 'GOOD', 'unassigned', 't', 't'), (2, 'SPOILT', 'in_production', 't', 't'),
             (3, 'LOCKED', 'locked', 't', 't'), (4, 'BUSY', 'in_production', 't', 't');
         INSERT INTO attempts (id, card_id, order_id, station, status, started_at) VALUES
             (1, 1, 1, 's', 'succeeded', 't'), (2, 2, 1, 's', 'void', 't'),
             (3, 3, 1, 's', 'succeeded', 't'), (4, 4, 1, 's', 'in_flight', 't');
         INSERT INTO attempt_certificates VALUES (1, 'fp-good'), (3, 'fp-locked');
         INSERT INTO issued_certificates (spki_sha256, card_number, profile, serial, fingerprint,
             issued_at, not_after, der) VALUES
             ('k1', 'GOOD', 'p', '01', 'fp-good', 't', 't', x'30'),
             ('k2', 'SPOILT', 'p', '02', 'fp-spoilt', 't', 't', x'30'),
             ('k3', 'LOCKED', 'p', '03', 'fp-locked', 't', 't', x'30'),
             ('k4', 'BUSY', 'p', '04', 'fp-busy', 't', 't', x'30');
         INSERT INTO audit (at, operator, action) VALUES ('t', 'a', 'home.init'), ('t', 'a', 'x');"
    ))
    .unwrap();
    tx.commit().unwrap();
    conn
}

#[test]
fn v5_revokes_what_v4_left_spoiled_and_keeps_old_audit_rows_as_legacy() {
    let mut conn = v4_database();
    assert_eq!(migrate(&mut conn, false, "test").unwrap(), 4);
    let reasons: Vec<(String, Option<String>)> = conn
        .prepare("SELECT card_number, revocation_reason FROM issued_certificates ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = [
        ("GOOD", None),
        ("SPOILT", Some("cessation_of_operation")),
        ("LOCKED", Some("privilege_withdrawn")),
        ("BUSY", None),
    ];
    assert_eq!(
        reasons,
        expected.map(|(c, r)| (c.to_string(), r.map(str::to_string)))
    );

    let key = AuditKey::from_bytes([5; 32]);
    let sealer = crate::audit::AuditSealer::new("h", Some(key.clone()));
    let w = super::super::writer::Writer::new(&conn, "a", std::sync::Arc::new(sealer));
    w.audit("after", None, None, None, None, None).unwrap();
    let records = super::super::writer::audit_records(&conn).unwrap();
    let report = verify(&records.entries, &[key], &records.heads, None);
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(report.legacy, 2);
}

mod first_open {
    use super::*;
    use crate::store::CardStore;
    use crate::store::sqlite::SqliteStore;

    /// A database as the first released cardline left it: schema 1, one card.
    fn schema_1_database(path: &std::path::Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID};"))
            .unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version (version) VALUES (1);
             INSERT INTO cards (number, state, created_at, updated_at)
             VALUES ('TMP-000001', 'requested', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');",
        )
        .unwrap();
    }

    #[test]
    fn an_old_database_migrates_on_first_open_and_keeps_its_cards() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cardline.db");
        schema_1_database(&path);
        // Inspecting reads the old version and changes nothing.
        assert_eq!(SqliteStore::inspect(&path).unwrap().found, 1);
        assert_eq!(SqliteStore::inspect(&path).unwrap().found, 1);
        // The first open (a daemon starting, any command) migrates it.
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.migrated_from(), 1);
        const { assert!(LATEST > 1) };
        let cards = store.list_cards(&Default::default()).unwrap();
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].number, "TMP-000001");
        drop(store);
        let info = SqliteStore::inspect(&path).unwrap();
        assert_eq!((info.found, info.supported), (LATEST, LATEST));
    }

    #[test]
    fn an_order_is_never_deleted() {
        use crate::store::{CardStore, OrderStore};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cardline.db");
        let store = SqliteStore::create(&path).unwrap();
        let actor = crate::store::Actor("olga".into());
        store
            .request_cards(2, &crate::numbering::Numbering::default(), &actor)
            .unwrap();
        let order = store
            .create_order(&crate::model::OrderSelection::All, &actor)
            .unwrap();
        drop(store);
        let raw = Connection::open(&path).unwrap();
        let e = raw
            .execute("DELETE FROM orders WHERE id = ?1", [order.id])
            .unwrap_err();
        assert!(e.to_string().contains("never deleted"), "{e}");
        let left: i64 = raw
            .query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 1);
    }
}
