//! The conformance suite every store backend passes, on PostgreSQL: each case on a fresh
//! database of the server in `CARDLINE_TEST_POSTGRES` (created, migrated, dropped after).
//! Every `open` is a new store handle with its own pool, as another desk would have.

mod common;

use std::sync::Arc;

use cardline_issuance::store::Store;
use cardline_issuance::store::conformance::TestDatabase;
use cardline_postgres::PostgresStore;
use common::TempDb;

struct PgDb(TempDb);

impl TestDatabase for PgDb {
    fn open(&self) -> Arc<dyn Store> {
        Arc::new(PostgresStore::open(&self.0.url).expect("the test database opens"))
    }
}

cardline_issuance::conformance_tests!(
    || PgDb(TempDb::migrated(&common::server().expect("checked by `when`"))),
    when common::ready
);
