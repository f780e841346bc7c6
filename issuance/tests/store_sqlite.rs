//! The SQLite store: the conformance suite every backend passes, and what only a file
//! database has (persistence, WAL, audit triggers, schema versions, refusing a file that is
//! not a cardline database, file mode).

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use cardline_issuance::numbering::Numbering;
use cardline_issuance::store::conformance::TestDatabase;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::*;

/// A fresh database file in its own directory; every `open` is a new handle with its own
/// connections, as another process would have.
struct SqliteDb {
    dir: tempfile::TempDir,
}

impl SqliteDb {
    fn path(&self) -> PathBuf {
        self.dir.path().join("cardline.db")
    }
}

impl TestDatabase for SqliteDb {
    fn open(&self) -> Arc<dyn Store> {
        Arc::new(SqliteStore::create(&self.path()).expect("the test database opens"))
    }
}

cardline_issuance::conformance_tests!(|| SqliteDb {
    dir: tempfile::tempdir().unwrap()
});

fn alice() -> Actor {
    Actor("alice".into())
}

#[test]
fn the_file_persists_refuses_audit_rewrites_and_newer_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cardline.db");
    {
        let store = SqliteStore::create(&path).unwrap();
        assert_eq!(store.migrated_from(), 0);
        store
            .request_cards(2, &Numbering::default(), &alice())
            .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.migrated_from(), store.schema_version());
    assert_eq!(store.list_cards(&CardFilter::default()).unwrap().len(), 2);
    drop(store);
    let info = SqliteStore::inspect(&path).unwrap();
    assert_eq!(
        (info.found, info.supported),
        (store_version(), store_version())
    );

    let raw = rusqlite::Connection::open(&path).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(
        raw.execute("UPDATE audit SET operator = 'mallory'", [])
            .is_err()
    );
    assert!(raw.execute("DELETE FROM audit", []).is_err());
    raw.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(raw);
    // Inspecting reads the version without refusing or changing the file.
    let info = SqliteStore::inspect(&path).unwrap();
    assert_eq!(info.found, 99);
    assert!(info.supported < 99, "{info:?}");
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::SchemaTooNew { found: 99, .. })
    ));
    assert_eq!(SqliteStore::inspect(&path).unwrap().found, 99);
}

#[test]
fn an_empty_missing_or_foreign_file_is_refused_and_never_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let e = SqliteStore::open(&missing).unwrap_err();
    assert!(matches!(e, StoreError::NoDatabase { .. }), "{e}");
    assert!(e.to_string().contains("cardline init"));
    assert!(!missing.exists(), "opening never creates");

    let empty = dir.path().join("cardline.db");
    std::fs::write(&empty, b"").unwrap();
    for attempt in [SqliteStore::open(&empty), SqliteStore::create(&empty)] {
        let e = attempt.unwrap_err();
        assert!(matches!(e, StoreError::NotADatabase { .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.contains("empty (0 bytes)") && text.contains("backup"),
            "{text}"
        );
    }
    assert_eq!(
        std::fs::metadata(&empty).unwrap().len(),
        0,
        "left as it was"
    );

    let text_file = dir.path().join("notes.db");
    std::fs::write(&text_file, b"shopping list: milk, eggs\n").unwrap();
    let e = SqliteStore::open(&text_file).unwrap_err().to_string();
    assert!(e.contains("SQLite header") && e.contains("shopping"), "{e}");

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE recipes (name TEXT);")
        .unwrap();
    let e = SqliteStore::open(&other).unwrap_err().to_string();
    assert!(e.contains("without cardline's tables"), "{e}");
    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("PRAGMA application_id = 1234; CREATE TABLE t (x);")
        .unwrap();
    let e = SqliteStore::open(&foreign).unwrap_err().to_string();
    assert!(e.contains("another program (application_id 0x4d2)"), "{e}");
}

#[test]
fn init_creates_the_file_private_and_marked_and_is_safe_to_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cardline.db");
    let store = SqliteStore::create(&path).unwrap();
    store
        .request_cards(1, &Numbering::default(), &alice())
        .unwrap();
    drop(store);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the database is readable by its owner only");
    let raw = rusqlite::Connection::open(&path).unwrap();
    let app: i32 = raw
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app, 0x434C_4E31, "marked as cardline's");
    drop(raw);
    let again = SqliteStore::create(&path).unwrap();
    assert_eq!(again.list_cards(&CardFilter::default()).unwrap().len(), 1);
    assert_ne!(again.migrated_from(), 0, "an existing database is kept");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("creating"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_database_made_before_the_mark_is_still_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cardline.db");
    drop(SqliteStore::create(&path).unwrap());
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch("PRAGMA application_id = 0").unwrap();
    drop(raw);
    SqliteStore::open(&path).expect("a cardline database without the mark opens");
    let raw = rusqlite::Connection::open(&path).unwrap();
    let app: i32 = raw
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app, 0x434C_4E31, "and gets the mark");
}

/// The schema version this build writes, from a fresh in-memory store.
fn store_version() -> i64 {
    SqliteStore::open_in_memory().unwrap().schema_version()
}
