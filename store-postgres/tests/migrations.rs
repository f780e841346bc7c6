//! What only a PostgreSQL database has: versioned migrations recorded in the database, an
//! empty, older, newer or foreign database refused with the fix, an append-only audit log
//! enforced by the server, passwords kept out of every message.

mod common;

use cardline_issuance::numbering::Numbering;
use cardline_issuance::store::{Actor, AuditFilter, AuditLog, CardStore, OrderStore, Store};
use cardline_postgres::{DatabaseUrl, PostgresError, PostgresStore};
use common::TempDb;

fn admin() -> Actor {
    Actor("admin".into())
}

#[test]
fn a_fresh_database_is_refused_until_migrated_then_up_to_date() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::empty(&server);
    let status = PostgresStore::status(&db.url).unwrap();
    assert_eq!(status.backend, "postgresql");
    assert!(
        status.server_version.starts_with(char::is_numeric),
        "{status:?}"
    );
    assert_eq!(status.schema_version, 0);
    assert_eq!(status.latest, PostgresStore::schema_version());
    assert_eq!(status.pending, PostgresStore::migrations());
    assert!(!status.is_current());
    assert!(
        status.to_string().contains("cardline db migrate"),
        "{status}"
    );

    let e = PostgresStore::open(&db.url).unwrap_err();
    assert!(matches!(e, PostgresError::NoSchema { .. }), "{e}");
    assert!(e.to_string().contains("`cardline db migrate`"), "{e}");

    let report = PostgresStore::migrate(&db.url, &admin()).unwrap();
    assert_eq!(
        (report.from, report.to),
        (0, PostgresStore::schema_version())
    );
    assert_eq!(report.applied, PostgresStore::migrations());
    let recorded: Vec<(i64, String, String)> = db
        .client()
        .query(
            "SELECT version, application, applied_by FROM schema_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(recorded.len() as i64, PostgresStore::schema_version());
    assert!(
        recorded
            .iter()
            .all(|(_, app, by)| app == "cardline" && by == "admin")
    );

    let again = PostgresStore::migrate(&db.url, &admin()).unwrap();
    assert!(again.applied.is_empty(), "{again}");
    assert!(again.to_string().contains("up to date"), "{again}");
    let status = PostgresStore::status(&db.url).unwrap();
    assert!(status.is_current() && status.pending.is_empty(), "{status}");
    let store = PostgresStore::open(&db.url).unwrap();
    store
        .request_cards(2, &Numbering::default(), &admin())
        .unwrap();
    assert!(store.describe().starts_with("postgresql:postgres://"));
}

#[test]
fn an_older_schema_is_refused_with_the_fix_and_upgraded_in_place() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::empty(&server);
    let first = PostgresStore::migrate_to(&db.url, 1, &admin()).unwrap();
    assert_eq!(first.to, 1);
    db.client()
        .batch_execute(
            "INSERT INTO numbering_sequence VALUES ('TMP', 0); \
             INSERT INTO audit (at, operator, action) VALUES ('2026-01-01T00:00:00.000Z', 'old', 'note')",
        )
        .unwrap();
    let e = PostgresStore::open(&db.url).unwrap_err();
    assert!(
        matches!(e, PostgresError::SchemaBehind { found: 1, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("`cardline db migrate`"), "{e}");
    let status = PostgresStore::status(&db.url).unwrap();
    assert_eq!(status.schema_version, 1);
    assert_eq!(
        status.pending.iter().map(|m| m.version).collect::<Vec<_>>(),
        (2..=PostgresStore::schema_version()).collect::<Vec<_>>()
    );
    let report = PostgresStore::migrate(&db.url, &admin()).unwrap();
    assert_eq!(report.from, 1);
    assert_eq!(
        report.applied.len() as i64,
        PostgresStore::schema_version() - 1
    );
    let store = PostgresStore::open(&db.url).unwrap();
    let old = store
        .audit(&AuditFilter {
            operator: Some("old".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        old.len(),
        1,
        "the data written under the old schema is kept"
    );
}

#[test]
fn a_newer_schema_is_refused_and_two_migrations_at_once_apply_each_step_once() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::empty(&server);
    let reports: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| s.spawn(|| PostgresStore::migrate(&db.url, &admin()).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let applied: usize = reports.iter().map(|r| r.applied.len()).sum();
    assert_eq!(
        applied as i64,
        PostgresStore::schema_version(),
        "{reports:?}"
    );
    db.client()
        .execute(
            "INSERT INTO schema_migrations VALUES (99, 'from the future', 'cardline', 'x', 'y')",
            &[],
        )
        .unwrap();
    let e = PostgresStore::open(&db.url).unwrap_err();
    assert!(
        matches!(e, PostgresError::SchemaTooNew { found: 99, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("upgrade cardline"), "{e}");
    assert!(matches!(
        PostgresStore::migrate(&db.url, &admin()),
        Err(PostgresError::SchemaTooNew { .. })
    ));
    assert!(
        PostgresStore::status(&db.url)
            .unwrap()
            .to_string()
            .contains("newer")
    );
}

#[test]
fn another_applications_database_is_refused_and_left_alone() {
    let Some(server) = common::server() else {
        return;
    };
    let recipes = TempDb::empty(&server);
    recipes
        .client()
        .batch_execute("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup')")
        .unwrap();
    let rails = TempDb::empty(&server);
    rails
        .client()
        .batch_execute(
            "CREATE TABLE schema_migrations (version VARCHAR PRIMARY KEY); \
             INSERT INTO schema_migrations VALUES ('20240101000000')",
        )
        .unwrap();
    for (db, why) in [(&recipes, "public.recipes"), (&rails, "another tool's")] {
        let refusals = [
            PostgresStore::open(&db.url).unwrap_err(),
            PostgresStore::migrate(&db.url, &admin()).unwrap_err(),
            PostgresStore::status(&db.url).unwrap_err(),
        ];
        for e in refusals {
            assert!(matches!(e, PostgresError::Foreign { .. }), "{e}");
            let text = e.to_string();
            assert!(
                text.contains("not a cardline database") && text.contains(why),
                "{text}"
            );
        }
        let tables: i64 = db
            .client()
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(tables, 1, "nothing was created in {}", db.name);
    }
}

#[test]
fn orders_are_never_deleted_and_memberships_name_existing_orders() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::migrated(&server);
    let store = PostgresStore::open(&db.url).unwrap();
    store
        .request_cards(5, &Numbering::default(), &admin())
        .unwrap();
    let order = store
        .create_order(&cardline_issuance::model::OrderSelection::All, &admin())
        .unwrap();
    store.cancel_order(order.id, &admin()).unwrap();
    store
        .create_order(&cardline_issuance::model::OrderSelection::All, &admin())
        .unwrap();
    let mut raw = db.client();
    // The memberships' foreign key to orders is gone (migration 13); the guard refuses what it
    // guarded: an order deleted under its memberships.
    let e = raw
        .batch_execute(&format!("DELETE FROM orders WHERE id = {}", order.id))
        .unwrap_err();
    let text = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_default();
    assert!(text.contains("never deleted"), "{e}");
    let orphans: i64 = raw
        .query_one(
            "SELECT count(*) FROM order_cards m LEFT JOIN orders o ON o.id = m.order_id \
             WHERE o.id IS NULL",
            &[],
        )
        .unwrap()
        .get(0);
    let members: i64 = raw
        .query_one("SELECT count(*) FROM order_cards", &[])
        .unwrap()
        .get(0);
    assert_eq!((orphans, members), (0, 10));
}

#[test]
fn the_server_refuses_to_rewrite_or_erase_the_audit_log() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::migrated(&server);
    let store = PostgresStore::open(&db.url).unwrap();
    store
        .request_cards(2, &Numbering::default(), &admin())
        .unwrap();
    let mut raw = db.client();
    for sql in [
        "UPDATE audit SET operator = 'mallory'",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ] {
        let e = raw.batch_execute(sql).unwrap_err();
        let text = e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_default();
        assert!(text.contains("append-only"), "{sql}: {e}");
    }
    let entries = store.audit(&AuditFilter::default()).unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.operator == "admin"));
}

#[test]
fn a_wrong_password_or_a_missing_database_is_explained_without_the_password() {
    let Some(server) = common::server() else {
        return;
    };
    let text = std::env::var(common::VAR).unwrap();
    let with_wrong = match text.split_once("@") {
        Some((head, tail)) => {
            let user = head.rsplit_once(':').map_or(head, |(u, _)| u);
            format!("{user}:wrong-Secret-4711@{tail}")
        }
        None => return,
    };
    let url = DatabaseUrl::parse(&with_wrong).unwrap();
    let shown = format!("{url} {url:?}");
    assert!(!shown.contains("wrong-Secret-4711"), "{shown}");
    let e = PostgresStore::open(&url).unwrap_err();
    let text = format!("{e} {e:?}");
    assert!(matches!(e, PostgresError::Connect { .. }), "{text}");
    assert!(!text.contains("wrong-Secret-4711"), "{text}");
    assert!(text.contains("password"), "says what failed: {text}");
    assert!(!e.is_transient(), "a refused login needs the operator");

    let missing = server.with_database("cardline_no_such_database").unwrap();
    let e = PostgresStore::open(&missing).unwrap_err().to_string();
    assert!(
        e.contains("cardline_no_such_database") && e.contains("CREATE DATABASE"),
        "{e}"
    );
}
