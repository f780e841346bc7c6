//! [`StoreError`]: what can go wrong in any store backend, each variant saying what to do.

use crate::model::*;

/// Errors of the store. Each says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No card with this number.
    #[error("no card numbered `{0}` (list cards with `cardline cards list`)")]
    CardNotFound(String),
    /// No order with this id.
    #[error("no order {0} (list orders with `cardline order list`)")]
    OrderNotFound(OrderId),
    /// No attempt with this id.
    #[error("no production attempt {0}")]
    AttemptNotFound(AttemptId),
    /// A transition the lifecycle does not allow.
    #[error(transparent)]
    Transition(#[from] crate::lifecycle::TransitionError),
    /// The order is not in a state that allows the operation.
    #[error("order {id} is {state}: {what}")]
    OrderState {
        /// The order.
        id: OrderId,
        /// Its state name.
        state: String,
        /// What was refused and why.
        what: String,
    },
    /// Another process took the card first, or a selected card is not available.
    #[error("card `{number}` cannot be taken into an order: {why}")]
    NotSelectable {
        /// The card.
        number: String,
        /// Why (state, already in order N).
        why: String,
    },
    /// Fewer requested cards match than the operator asked for.
    #[error(
        "only {found} requested card(s) match, {asked} asked for: order {found} (`--first {found}`), \
         or allow fewer (`--allow-fewer`)"
    )]
    TooFewCards {
        /// How many were asked for.
        asked: u32,
        /// How many match.
        found: u64,
    },
    /// The selection matched no card.
    #[error(
        "no requested card to put in an order (request some with `cardline request --count N`)"
    )]
    NothingToOrder,
    /// The database is newer than this program.
    #[error(
        "database schema version {found} is newer than this cardline ({supported}); upgrade cardline"
    )]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// A search query or page that is not acceptable (page size, cursor, date).
    #[error("search: {0}")]
    InvalidQuery(String),
    /// A request's data is not acceptable (too long, control characters, a bad date).
    #[error("request: {0}")]
    InvalidRequest(String),
    /// The numbering scheme cannot give the numbers asked for.
    #[error(transparent)]
    Numbering(#[from] crate::numbering::NumberingError),
    /// The production attempt is already closed; it cannot be closed again.
    #[error("production attempt {id} is already closed ({status})")]
    AttemptClosed {
        /// The attempt.
        id: AttemptId,
        /// Its status name.
        status: String,
    },
    /// A value that must be an RFC 3339 time is not one.
    #[error("{field} `{value}` is not an RFC 3339 time (e.g. 2026-12-01T12:00:00Z)")]
    InvalidTime {
        /// Which value.
        field: String,
        /// What was given.
        value: String,
    },
    /// The event belongs to an order or production operation, not to `apply_event`.
    #[error("card `{number}`: {event:?} happens through {through}, not on its own")]
    NotADirectEvent {
        /// The card.
        number: String,
        /// The event.
        event: CardEvent,
        /// The operation that performs it.
        through: String,
    },
    /// The event needs a detail that was not given.
    #[error("card `{number}`: {what} is required")]
    MissingDetail {
        /// The card.
        number: String,
        /// What is missing (e.g. "the person to assign to").
        what: String,
    },
    /// The database stayed locked by another writer longer than the store waits. Transient:
    /// the operation can be tried again.
    #[error("the database is busy ({operation}): another process held it too long; try again")]
    Busy {
        /// What was being done.
        operation: String,
    },
    /// The database cannot be reached now (connection refused or lost, server restarting).
    /// Nothing is known to be written; try again when it is back.
    #[error("the database is unavailable while {operation}: {detail}")]
    Unavailable {
        /// What was being done.
        operation: String,
        /// What the connection said.
        detail: String,
    },
    /// Another writer changed what this operation relied on (a uniqueness or state race).
    /// Nothing was written; read again and decide.
    #[error("conflict while {operation}: {detail}")]
    Conflict {
        /// What was being done.
        operation: String,
        /// What collided.
        detail: String,
    },
    /// The database file exists but is not a cardline database (empty, or another program's).
    #[error(
        "{path} is not a cardline database: {why}. cardline never recreates an existing file; \
         restore it from a backup, or point --home at the right directory (`cardline init` \
         creates a database only where none exists)"
    )]
    NotADatabase {
        /// The file.
        path: String,
        /// What was found.
        why: String,
    },
    /// A key differs from the one the database recorded for the whole office.
    #[error(
        "this desk's {kind} has key id {found}, but every card in this database was encoded with \
         key id {registered} (first used {since}): a replaced {kind} would make those cards \
         unmanageable, so it is not used. Install the office's key (`cardline ca desk-import` \
         of the bundle from the administrator), then start production on this desk again"
    )]
    KeyReplaced {
        /// Which key (`management-master`).
        kind: String,
        /// The key id the database knows.
        registered: String,
        /// The key id this desk has.
        found: String,
        /// When the database first saw the registered key.
        since: String,
    },
    /// The issuing CA of this desk was revoked (`ca desk-revoke`): it may not certify cards.
    #[error(
        "the issuing CA of desk {desk} ({issuer}) was revoked at {revoked}: this \
         desk may not issue card certificates with it, so no blank is fed. Get a new desk CA: \
         on the administrator's home `cardline ca desk-init --desk {desk} --out FILE`, then on \
         this desk move its ca/ directory aside and `cardline ca desk-import FILE`, then start \
         production again"
    )]
    IssuerRevoked {
        /// The desk the CA belongs to.
        desk: String,
        /// The issuer key id (`ca-…`).
        issuer: String,
        /// When and why: `2026-11-29T19:40:00Z (keyCompromise)`.
        revoked: String,
    },
    /// `ca desk-revoke` of a desk whose CA this database does not know.
    #[error(
        "no CA certificate of desk {desk} is recorded in this database (desks recorded: \
         {known}): check the desk's name; a desk CA made before cardline recorded them is \
         revoked with `--cert` naming its certificate (the desk's ca/ca.crt)"
    )]
    UnknownDeskCa {
        /// The desk asked for.
        desk: String,
        /// The desks whose CAs are recorded (`none`).
        known: String,
    },
    /// `ca desk-revoke` of a desk whose every CA certificate is revoked already.
    #[error(
        "the CA of desk {desk} (serial {serial}) is already revoked, at {revoked}; \
         nothing to do (publish the root's CRL again with `cardline ca crl` if relying parties \
         have not got it)"
    )]
    DeskCaAlreadyRevoked {
        /// The desk.
        desk: String,
        /// The newest revoked certificate's serial.
        serial: String,
        /// When and why: `2026-11-29T19:40:00Z (keyCompromise)`.
        revoked: String,
    },
    /// No database where one was expected.
    #[error("no database at {path}: create the home with `cardline init`")]
    NoDatabase {
        /// The file.
        path: String,
    },
    /// A station is driven by another live production run.
    #[error(
        "station {station} is in use by run {run} on host {host}, pid {pid} (since {since}); \
         stop that run first, or choose other stations with --station"
    )]
    StationInUse {
        /// The station.
        station: String,
        /// The run holding it.
        run: RunId,
        /// Its host.
        host: String,
        /// Its process id.
        pid: u32,
        /// When it took the station.
        since: String,
    },
    /// No production run with this id.
    #[error("no production run {0}")]
    RunNotFound(RunId),
    /// The run ended (or was declared gone): it may not write any more.
    #[error("production run {0} has ended; it may not take or journal cards any more")]
    RunEnded(RunId),
    /// The run does not hold the station it tries to produce on (fencing).
    #[error("run {run} does not hold station {station}: another run took it over")]
    NotStationOwner {
        /// The run.
        run: RunId,
        /// The station.
        station: String,
    },
    /// The disk holding the database is full: the database or its journal could not grow.
    /// The transaction was rolled back, nothing of it was written. Free space on that disk,
    /// then run `cardline recover` (production settles the card that was in hand) and produce
    /// again.
    #[error(
        "the disk holding the database {database} is full: {operation} was not written. Free \
         space on that disk (`df {database}` shows it), then run `cardline recover` and produce \
         again"
    )]
    DiskFull {
        /// What was being done.
        operation: String,
        /// The database file (or `the database` when the store does not know its path).
        database: String,
    },
    /// No console user by this name.
    #[error("no user `{0}` (list users with `cardline users list`)")]
    UserNotFound(String),
    /// A console user by this name exists already.
    #[error(
        "a user `{0}` exists already (change it with `cardline users reset-password` or `users disable`)"
    )]
    UserExists(String),
    /// A user name that is not allowed.
    #[error("user name `{name}` is not allowed: {why}")]
    InvalidUserName {
        /// The name given (at most 80 characters of it).
        name: String,
        /// Why it is refused.
        why: String,
    },
    /// No API token with this id.
    #[error("no API token {0} (list them with `cardline users tokens`)")]
    TokenNotFound(i64),
    /// Any SQLite/PostgreSQL failure, with the operation that failed.
    #[error("store error while {operation}: {detail}")]
    Backend {
        /// What was being done.
        operation: String,
        /// The database's message.
        detail: String,
    },
}

impl StoreError {
    /// True when trying the same operation again later may succeed (the database was busy,
    /// or could not be reached).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Busy { .. } | StoreError::Unavailable { .. }
        )
    }
}
