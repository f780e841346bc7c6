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
    // 2: production runs with leases, station claims and pauses, attempts owned by runs, the
    // CA's issued-certificates index.
    r#"
CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    host           TEXT NOT NULL,
    pid            INTEGER NOT NULL,
    pid_started    INTEGER,
    operator       TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    lease_until_ms INTEGER NOT NULL,
    ended_at       TEXT
);
CREATE INDEX runs_live ON runs (id) WHERE ended_at IS NULL;
ALTER TABLE attempts ADD COLUMN run_id INTEGER REFERENCES runs (id);
CREATE INDEX attempts_by_run ON attempts (run_id) WHERE status = 'in_flight';
-- One run drives a station at a time.
CREATE TABLE station_claims (
    station    TEXT PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    claimed_at TEXT NOT NULL
);
-- A station paused until an operator resumes it (the breaker, a setup problem).
CREATE TABLE station_pauses (
    station   TEXT PRIMARY KEY,
    reason    TEXT NOT NULL,
    paused_at TEXT NOT NULL,
    run_id    INTEGER REFERENCES runs (id)
);
-- A key is certified once: the SHA-256 of its SubjectPublicKeyInfo is the key.
CREATE TABLE issued_certificates (
    id          INTEGER PRIMARY KEY,
    spki_sha256 TEXT NOT NULL UNIQUE,
    card_number TEXT NOT NULL,
    profile     TEXT NOT NULL,
    chip_id     TEXT,
    serial      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    not_after   TEXT NOT NULL,
    der         BLOB NOT NULL
);
CREATE INDEX issued_certificates_by_card ON issued_certificates (card_number);
"#,
    // 3: what a request says (requester, desk, purpose, note, requested_at) and the indexes of
    // the search model; the order that produced a card; card numbers in any case; named option
    // profiles with their change log; the profile an order is produced with.
    r#"
ALTER TABLE cards ADD COLUMN requester TEXT COLLATE NOCASE;
ALTER TABLE cards ADD COLUMN desk TEXT COLLATE NOCASE;
ALTER TABLE cards ADD COLUMN purpose TEXT;
ALTER TABLE cards ADD COLUMN note TEXT;
ALTER TABLE cards ADD COLUMN requested_at TEXT;
UPDATE cards SET requested_at = created_at;
ALTER TABLE cards ADD COLUMN produced_in_order INTEGER REFERENCES orders (id);
UPDATE cards SET produced_in_order = (
    SELECT a.order_id FROM attempts a
    WHERE a.card_id = cards.id AND a.status = 'succeeded' ORDER BY a.id DESC LIMIT 1);
CREATE INDEX cards_by_upper_number ON cards (upper(number));
CREATE INDEX cards_by_state_requested ON cards (state, requested_at, id);
CREATE INDEX cards_by_requester ON cards (requester, state, requested_at, id)
    WHERE requester IS NOT NULL;
CREATE INDEX cards_by_desk ON cards (desk, state, requested_at, id) WHERE desk IS NOT NULL;
CREATE INDEX cards_by_requested_at ON cards (requested_at, id);
CREATE TABLE option_profiles (
    name       TEXT PRIMARY KEY,
    toml       TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX option_profiles_one_default ON option_profiles (is_default)
    WHERE is_default = 1;
CREATE TABLE option_changes (
    id        INTEGER PRIMARY KEY,
    profile   TEXT NOT NULL,
    key       TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    at        TEXT NOT NULL,
    operator  TEXT NOT NULL
);
CREATE INDEX option_changes_by_profile ON option_changes (profile, id);
ALTER TABLE orders ADD COLUMN profile TEXT;
"#,
    // 4: desks — orders released to desk daemons, the desk a run is.
    r#"
ALTER TABLE orders ADD COLUMN released_at TEXT;
ALTER TABLE orders ADD COLUMN released_by TEXT;
CREATE INDEX orders_released ON orders (id) WHERE state = 'open' AND released_at IS NOT NULL;
ALTER TABLE runs ADD COLUMN desk TEXT;
"#,
    // 5: the tamper-evident audit chain (docs/audit.md): per-writer sequence numbers, the hash
    // of the writer's previous entry, the entry's hash and MAC under the audit key (kept out of
    // the database), the key's id; the OS user when the operator named someone else; each
    // writer's newest entry. Rows written before v5 keep NULL chain fields (reported as legacy).
    r#"
ALTER TABLE audit ADD COLUMN os_user TEXT;
ALTER TABLE audit ADD COLUMN writer TEXT;
ALTER TABLE audit ADD COLUMN seq INTEGER;
ALTER TABLE audit ADD COLUMN prev_hash TEXT;
ALTER TABLE audit ADD COLUMN entry_hash TEXT;
ALTER TABLE audit ADD COLUMN mac TEXT;
ALTER TABLE audit ADD COLUMN key_id TEXT;
CREATE UNIQUE INDEX audit_by_writer_seq ON audit (writer, seq) WHERE writer IS NOT NULL;
CREATE TABLE audit_heads (
    writer TEXT PRIMARY KEY,
    seq    INTEGER NOT NULL,
    hash   TEXT NOT NULL
);
-- Revocation (docs/revocation.md): certificates of spoiled chips and of cards whose life
-- ended. Certificates issued before v5 to chips that never became a good card (no succeeded
-- attempt records them, no attempt of the card is in flight), or to cards already locked or
-- expired, are revoked now.
ALTER TABLE issued_certificates ADD COLUMN revoked_at TEXT;
ALTER TABLE issued_certificates ADD COLUMN revocation_reason TEXT;
UPDATE issued_certificates
   SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
       revocation_reason = 'cessation_of_operation'
 WHERE fingerprint NOT IN (SELECT ac.fingerprint FROM attempt_certificates ac
                             JOIN attempts a ON a.id = ac.attempt_id
                            WHERE a.status = 'succeeded')
   AND card_number NOT IN (SELECT c.number FROM cards c JOIN attempts a ON a.card_id = c.id
                            WHERE a.status = 'in_flight');
UPDATE issued_certificates
   SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
       revocation_reason = CASE (SELECT state FROM cards WHERE number = card_number)
                           WHEN 'locked' THEN 'privilege_withdrawn'
                           ELSE 'cessation_of_operation' END
 WHERE revoked_at IS NULL
   AND card_number IN (SELECT number FROM cards WHERE state IN ('locked', 'expired'));
CREATE INDEX issued_certificates_revoked ON issued_certificates (revoked_at)
    WHERE revoked_at IS NOT NULL;
"#,
    // Console users and API tokens (issue 13). Self-contained: v6 once the audit chain's v5
    // is merged before it.
    super::users::MIGRATION,
    // Console sessions (issue 13): the SHA-256 of each id, shared by `serve` processes.
    super::sessions::MIGRATION,
    // Key ids on every attempt, and the office's management-key master (issues 12 and 14).
    r#"
ALTER TABLE attempts ADD COLUMN key_ids TEXT;
CREATE TABLE key_registry (
    kind          TEXT PRIMARY KEY,
    key_id        TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL
);
"#,
    // 9: desk CA certificates, revoked alone by the root (`ca desk-revoke`, docs/revocation.md).
    r#"
CREATE TABLE desk_cas (
    id                INTEGER PRIMARY KEY,
    desk              TEXT NOT NULL,
    serial            TEXT NOT NULL,
    fingerprint       TEXT NOT NULL UNIQUE,
    issuer_id         TEXT NOT NULL,
    subject           TEXT NOT NULL,
    not_after         TEXT NOT NULL,
    recorded_at       TEXT NOT NULL,
    der               BLOB NOT NULL,
    revoked_at        TEXT,
    revocation_reason TEXT
);
CREATE INDEX desk_cas_by_issuer ON desk_cas (issuer_id);
"#,
    // 10: what each station's printer last reported (ribbon, cover, feeder, errors; JSON of
    // `printer_report::PrinterReport`), on the claim row its desk heartbeats (issue 13).
    r#"
ALTER TABLE station_claims ADD COLUMN printer_status TEXT;
"#,
    // 11: per-order counters of the order page, kept by triggers (issue 13).
    super::order_counts::MIGRATION,
    // 12: when each API token last authenticated a request (issue 13).
    super::users::LAST_USED_MIGRATION,
    // 13: an order is cancelled, never deleted (its memberships, attempts and audit entries
    // name it). PostgreSQL's migration 13 also drops the memberships' per-row foreign key to
    // orders for the speed of million-card orders and relies on this guard; SQLite keeps
    // its key.
    r#"
CREATE TRIGGER orders_are_kept BEFORE DELETE ON orders
BEGIN
    SELECT RAISE(ABORT, 'orders are never deleted: cancel the order instead');
END;
"#,
    // 14: on PostgreSQL a claim's and a success's counter moves are written by the store
    // instead of PL/pgSQL triggers (their cost with 8 desks at once, docs/PERFORMANCE.md).
    // SQLite's triggers run in process, inside the one writer's transaction, and stay: the
    // schema level is shared by both backends, so this level changes nothing here.
    "-- 14: nothing to change on SQLite (PostgreSQL's migration 14).\n",
];

/// cardline's mark in the SQLite header (`PRAGMA application_id`): "CLN1".
pub const APPLICATION_ID: i32 = 0x434C_4E31;

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// The schema version recorded in a database, read only (0 when it has none yet).
pub fn version_of(conn: &Connection) -> Result<i64, StoreError> {
    const OP: &str = "reading the schema version";
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version')",
            [],
            |r| r.get(0),
        )
        .map_err(backend(OP))?;
    if !has_table {
        return Ok(0);
    }
    conn.query_row("SELECT MAX(version) FROM schema_version", [], |r| {
        r.get::<_, Option<i64>>(0)
    })
    .map_err(backend(OP))
    .map(Option::unwrap_or_default)
}

/// The schema version of the database file at `path` (0: no file yet), read without
/// changing it. A file that is not a cardline database is refused like [`migrate`] would.
pub fn version_of_file(path: &std::path::Path) -> Result<i64, StoreError> {
    const OP: &str = "reading the schema version";
    if !path.exists() {
        return Ok(0);
    }
    super::file::check_existing(path)?;
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(backend(OP))?;
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(backend(OP))?;
    let has_versions: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .map_err(backend(OP))?;
    if app_id != APPLICATION_ID && has_versions == 0 {
        return Err(StoreError::NotADatabase {
            path: path.display().to_string(),
            why: "it is a SQLite database without cardline's tables".into(),
        });
    }
    version_of(&conn)
}

/// Brings the database up to [`LATEST`]; returns the version it was at before. A `new`
/// database gets cardline's [`APPLICATION_ID`]; an existing one must carry it (or, made by a
/// cardline older than the mark, hold cardline's tables), else it is refused as
/// [`StoreError::NotADatabase`] naming `shown`.
pub fn migrate(conn: &mut Connection, new: bool, shown: &str) -> Result<i64, StoreError> {
    const OP: &str = "migrating the schema";
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(backend(OP))?;
    let app_id: i32 = tx
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(backend(OP))?;
    let has_table = |name: &str| -> Result<bool, StoreError> {
        tx.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
        .map_err(backend(OP))
    };
    if !new && app_id != APPLICATION_ID {
        let legacy = app_id == 0 && has_table("schema_version")? && has_table("cards")?;
        if !legacy {
            return Err(StoreError::NotADatabase {
                path: shown.to_string(),
                why: if app_id == 0 {
                    "it is a SQLite database without cardline's tables".into()
                } else {
                    format!("it belongs to another program (application_id {app_id:#x})")
                },
            });
        }
    }
    if app_id != APPLICATION_ID {
        tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))
            .map_err(backend(OP))?;
    }
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

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
