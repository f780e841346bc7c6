//! Schema migrations of the SQLite store, recorded in the `schema_version` table.
//!
//! Each migration runs once, in order, inside the opening write transaction; a database whose
//! version is newer than [`LATEST`] is refused ([`StoreError::SchemaTooNew`]).

use rusqlite::{Connection, OptionalExtension};

use super::backend;
use crate::store::StoreError;

/// The migrations, index = version − 1. Never edit a released one: append.
const MIGRATIONS: &[&str] = &[
    // 1: cards, orders and their membership, production journal, secrets, audit.
    r#"
CREATE TABLE numbering_sequence (
    prefix        TEXT PRIMARY KEY,
    last_sequence INTEGER NOT NULL
);
CREATE TABLE orders (
    id         INTEGER PRIMARY KEY,
    state      TEXT NOT NULL CHECK (state IN ('open','completed','cancelled')),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at  TEXT
);
CREATE INDEX orders_by_state ON orders (state);
-- `order_id`/`order_position`: the open order holding the card (mirrors the open row of
-- order_cards) so that the production queue is one indexed lookup.
CREATE TABLE cards (
    id             INTEGER PRIMARY KEY,
    number         TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL CHECK (state IN ('requested','in_production','unassigned',
                                                  'failed','assigned','locked','expired')),
    order_id       INTEGER REFERENCES orders (id),
    order_position INTEGER,
    assigned_to    TEXT,
    valid_until    TEXT,
    failure_reason TEXT,
    chip_id        TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX cards_by_state ON cards (state, id);
CREATE INDEX cards_by_validity ON cards (valid_until) WHERE state = 'assigned';
CREATE INDEX cards_production_queue ON cards (order_id, order_position)
    WHERE state = 'in_production';
CREATE INDEX cards_by_open_order ON cards (order_id, state) WHERE order_id IS NOT NULL;
-- Which cards an order holds (open = 1) or held; `position` is the production order.
CREATE TABLE order_cards (
    order_id INTEGER NOT NULL REFERENCES orders (id),
    card_id  INTEGER NOT NULL REFERENCES cards (id),
    position INTEGER NOT NULL,
    open     INTEGER NOT NULL DEFAULT 1 CHECK (open IN (0, 1)),
    PRIMARY KEY (order_id, card_id)
);
-- A card is in at most one open order.
CREATE UNIQUE INDEX order_cards_one_open_order ON order_cards (card_id) WHERE open = 1;
CREATE INDEX order_cards_by_position ON order_cards (order_id, position);
CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    card_id     INTEGER NOT NULL REFERENCES cards (id),
    order_id    INTEGER NOT NULL REFERENCES orders (id),
    station     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('in_flight','succeeded','failed','void')),
    chip_id     TEXT,
    reason      TEXT,
    started_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX attempts_by_status ON attempts (status, id);
CREATE INDEX attempts_by_card ON attempts (card_id, id);
-- A card has at most one attempt in flight.
CREATE UNIQUE INDEX attempts_one_in_flight ON attempts (card_id) WHERE status = 'in_flight';
CREATE TABLE attempt_steps (
    id          INTEGER PRIMARY KEY,
    attempt_id  INTEGER NOT NULL REFERENCES attempts (id),
    step        TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT
);
CREATE INDEX attempt_steps_by_attempt ON attempt_steps (attempt_id, id);
CREATE TABLE attempt_certificates (
    attempt_id  INTEGER NOT NULL REFERENCES attempts (id),
    fingerprint TEXT NOT NULL
);
CREATE INDEX attempt_certificates_by_attempt ON attempt_certificates (attempt_id);
-- The sealed initial PIN/PUK of the card's current physical card (ciphertext only).
CREATE TABLE card_secrets (
    card_id    INTEGER PRIMARY KEY REFERENCES cards (id),
    key_id     TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    sealed_at  TEXT NOT NULL
);
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    operator    TEXT NOT NULL,
    action      TEXT NOT NULL,
    card_number TEXT,
    order_id    INTEGER,
    from_state  TEXT,
    to_state    TEXT,
    reason      TEXT
);
CREATE INDEX audit_by_card ON audit (card_number, id) WHERE card_number IS NOT NULL;
CREATE INDEX audit_by_order ON audit (order_id, id) WHERE order_id IS NOT NULL;
CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#,
];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`LATEST`]; returns the version it was at before.
pub fn migrate(conn: &mut Connection) -> Result<i64, StoreError> {
    const OP: &str = "migrating the schema";
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend(OP))?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);")
        .map_err(backend(OP))?;
    let found: i64 = tx
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()
        .map_err(backend(OP))?
        .flatten()
        .unwrap_or(0);
    if found > LATEST {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: LATEST,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        tracing::info!(version, "applying schema migration");
        tx.execute_batch(sql).map_err(backend(OP))?;
        tx.execute("DELETE FROM schema_version", [])
            .map_err(backend(OP))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [version],
        )
        .map_err(backend(OP))?;
    }
    tx.commit().map_err(backend(OP))?;
    Ok(found)
}
