//! The test server: `CARDLINE_TEST_POSTGRES` (set by scripts/with-postgres.sh), and fresh
//! databases on it that are dropped afterwards.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use cardline_issuance::store::Actor;
use cardline_postgres::{DatabaseUrl, PostgresStore};

/// The variable naming the test server.
pub const VAR: &str = "CARDLINE_TEST_POSTGRES";

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The test server's URL (its `postgres` database), or `None` after printing `skipped: no
/// postgres`. Under CI (`CI=true`) a missing server fails the test instead.
pub fn server() -> Option<DatabaseUrl> {
    match std::env::var(VAR) {
        Ok(url) if !url.trim().is_empty() => {
            Some(DatabaseUrl::parse(&url).unwrap_or_else(|e| panic!("{VAR}: {e}")))
        }
        _ => {
            assert!(
                !under_ci(),
                "CI is set but {VAR} is not: the PostgreSQL tests must run in CI \
                 (run them under scripts/with-postgres.sh)"
            );
            cardline_device::skipped!(
                "no postgres ({VAR} unset; scripts/with-postgres.sh sets it)"
            );
            None
        }
    }
}

/// True when the test server is there (else the skip line was printed).
pub fn ready() -> bool {
    server().is_some()
}

/// True when the server was started by scripts/with-postgres.sh for this run only, so a test
/// may change its configuration (TLS certificate).
pub fn throwaway() -> bool {
    std::env::var("CARDLINE_TEST_POSTGRES_THROWAWAY").is_ok_and(|v| v == "1")
}

/// A fresh database on the test server, dropped (with every connection to it) on drop.
pub struct TempDb {
    /// The URL of the new database.
    pub url: DatabaseUrl,
    admin: DatabaseUrl,
    /// Its name.
    pub name: String,
}

impl TempDb {
    /// A new empty database.
    pub fn empty(admin: &DatabaseUrl) -> TempDb {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "cardline_test_{}_{}_{}",
            std::process::id(),
            nanos,
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let mut client = PostgresStore::client(admin).expect("the test server accepts connections");
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("a test database is created");
        TempDb {
            url: admin.with_database(&name).unwrap(),
            admin: admin.clone(),
            name,
        }
    }

    /// A new database with cardline's schema.
    pub fn migrated(admin: &DatabaseUrl) -> TempDb {
        let db = TempDb::empty(admin);
        PostgresStore::migrate(&db.url, &Actor("test".into())).expect("the schema is created");
        db
    }

    /// A plain connection to this database.
    pub fn client(&self) -> postgres::Client {
        PostgresStore::client(&self.url).unwrap()
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        if let Ok(mut client) = PostgresStore::client(&self.admin) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}
