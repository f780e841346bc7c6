//! A desk opens its database connections ahead (`prepare_writers`): as many as it has writers,
//! capped by the pool's size, and none more when it asks again — counted by the server.

mod common;

use cardline_issuance::store::ProductionJournal;
use cardline_postgres::{DEFAULT_POOL_MAX_SIZE, PostgresStore};
use common::TempDb;

/// The sessions the server has open on `db` besides `watcher`'s own.
fn sessions(db: &TempDb, watcher: &mut postgres::Client) -> i64 {
    watcher
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&db.name],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_desk_opens_its_connections_ahead_and_no_more_when_asked_again() {
    let Some(server) = common::server() else {
        return;
    };
    let db = TempDb::migrated(&server);
    let mut watcher = db.client();
    let store = PostgresStore::open(&db.url).unwrap();
    let before = sessions(&db, &mut watcher);
    assert!(
        before <= 1,
        "open holds at most the connection it checked the schema on: {before}"
    );
    store.prepare_writers(5);
    assert_eq!(sessions(&db, &mut watcher), 5, "{store:?}");
    // Asking for fewer, or as many again, opens nothing.
    store.prepare_writers(3);
    store.prepare_writers(5);
    assert_eq!(sessions(&db, &mut watcher), 5, "{store:?}");
    // The connections are usable: a call runs on one of them, and none is added for it.
    assert!(store.released_orders().unwrap().is_empty());
    assert_eq!(sessions(&db, &mut watcher), 5);
    // More writers than the pool may hold: capped at its size.
    store.prepare_writers(1000);
    assert_eq!(
        sessions(&db, &mut watcher),
        i64::from(DEFAULT_POOL_MAX_SIZE),
        "{store:?}"
    );
}
