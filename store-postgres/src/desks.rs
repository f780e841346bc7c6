//! Desks: orders released to desk daemons, the claim of their cards, the runs and station
//! claims `cardline desks` shows, the attempts of lapsed runs that never touched a card, and
//! the work notifications (LISTEN/NOTIFY on [`WORK_CHANNEL`]) that wake waiting desks.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use cardline_issuance::model::*;
use cardline_issuance::store::StoreError;
use postgres::fallible_iterator::FallibleIterator;

use crate::rows::{ATTEMPT_SELECT, attempt, get};
use crate::tx::Tx;

/// The channel on which work for the desks is announced: an order released, a card put back
/// in the queue (attempt voided, lost or requeued). The payload is empty.
pub const WORK_CHANNEL: &str = "cardline_work";

/// Announces work to every desk listening; PostgreSQL delivers it when the transaction
/// commits (and not at all if it rolls back).
pub fn notify_work(tx: &Tx<'_>) -> Result<(), StoreError> {
    tx.execute(
        "announcing work to the desks",
        "SELECT pg_notify($1, '')",
        &[&WORK_CHANNEL],
    )
    .map(drop)
}

/// Releases an open order to the desks (audited `order.release`), its row locked meanwhile.
pub fn release(tx: &Tx<'_>, id: OrderId) -> Result<Order, StoreError> {
    let order = crate::orders::header(tx, id, true)?;
    if order.state != OrderState::Open {
        return Err(StoreError::OrderState {
            id,
            state: order.state.as_str().into(),
            what: "only an open order can be released to the desks".into(),
        });
    }
    if let (Some(at), Some(by)) = (&order.released_at, &order.released_by) {
        return Err(StoreError::OrderState {
            id,
            state: "released".into(),
            what: format!("{by} released it at {at}; the desks are producing it already"),
        });
    }
    tx.execute(
        "releasing an order",
        "UPDATE orders SET released_at = $1, released_by = $2 WHERE id = $3",
        &[&tx.now, &tx.operator(), &id],
    )?;
    tx.audit("order.release", None, Some(id), None, None, None)?;
    notify_work(tx)?;
    crate::orders::get_order(tx, id)
}

/// Open orders released to the desks, oldest first.
pub fn released(tx: &Tx<'_>) -> Result<Vec<OrderId>, StoreError> {
    tx.query(
        "listing released orders",
        "SELECT id FROM orders WHERE state = 'open' AND released_at IS NOT NULL ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| get(r, 0))
    .collect()
}

/// Takes the next waiting card of the oldest released open order (skipping the orders in
/// `skip`) and opens an attempt for it on `station`, owned by `run`: the run and its claim
/// of the station checked under share locks (fencing), each order share-locked and checked
/// open, its next card taken with `FOR UPDATE SKIP LOCKED` — desks claiming at once never
/// wait for each other's cards and never take the same one.
pub fn begin_released(
    tx: &Tx<'_>,
    run: RunId,
    station: &str,
    skip: &[OrderId],
) -> Result<Option<(Card, AttemptId)>, StoreError> {
    Ok(begin_released_for(tx, run, &[station], skip)?
        .pop()
        .flatten())
}

/// [`begin_released`] for several stations at once, in a handful of statements whatever
/// their number: the i-th station takes the i-th next waiting card (the oldest released
/// order's first, then the next order's), `None` for the stations left when no card
/// waits. The first station `run` does not hold fails them all.
pub fn begin_released_for(
    tx: &Tx<'_>,
    run: RunId,
    stations: &[&str],
    skip: &[OrderId],
) -> Result<Vec<Option<(Card, AttemptId)>>, StoreError> {
    crate::runs::require_owner_of_all(tx, run, stations)?;
    let mut claims = Vec::with_capacity(stations.len());
    for order_id in released(tx)?.into_iter().filter(|o| !skip.contains(o)) {
        let taken = claims.len();
        if taken == stations.len() {
            break;
        }
        let cards = crate::journal::next_waiting(tx, order_id, stations.len() - taken)?;
        let names = &stations[taken..taken + cards.len()];
        let opened = crate::journal::open_attempts(tx, run, cards, order_id, names)?;
        claims.extend(opened.into_iter().map(Some));
    }
    claims.resize_with(stations.len(), || None);
    Ok(claims)
}

/// Voids the in-flight attempts of runs that ended or whose lease ran out (by the server's
/// clock), when the attempt never started a physical step: the card never left the store, so
/// it simply waits again (audited `attempt.requeue`, desks notified). Attempts that touched a
/// card are left for recovery. The attempts are locked with `SKIP LOCKED`: one being closed
/// right now by its desk is left alone.
pub fn requeue_untouched(tx: &Tx<'_>) -> Result<Vec<Attempt>, StoreError> {
    let found: Vec<Attempt> = tx
        .query(
            "finding attempts of lapsed runs",
            &format!(
                "{ATTEMPT_SELECT} JOIN runs r ON r.id = a.run_id \
                 WHERE a.status = 'in_flight' AND (r.ended_at IS NOT NULL OR \
                 r.lease_until_ms < (extract(epoch FROM clock_timestamp()) * 1000)::bigint) \
                 AND NOT EXISTS (SELECT 1 FROM attempt_steps s WHERE s.attempt_id = a.id) \
                 ORDER BY a.id FOR UPDATE OF a SKIP LOCKED"
            ),
            &[],
        )?
        .iter()
        .map(attempt)
        .collect::<Result<_, _>>()?;
    for a in &found {
        let reason = format!(
            "run {} stopped renewing its lease before card {} was touched; it waits again",
            a.run_id.unwrap_or_default(),
            a.card_number
        );
        crate::journal::voided(tx, a.id, &reason, "attempt.requeue")?;
    }
    Ok(found)
}

/// Every station claim, by station name, with its printer's last report.
pub fn claims(tx: &Tx<'_>) -> Result<Vec<StationClaim>, StoreError> {
    tx.query(
        "listing station claims",
        "SELECT station, run_id, claimed_at, printer_status FROM station_claims ORDER BY station",
        &[],
    )?
    .iter()
    .map(|r| {
        let printer: Option<String> = get(r, 3)?;
        Ok(StationClaim {
            station: get(r, 0)?,
            run: get(r, 1)?,
            claimed_at: get(r, 2)?,
            printer: printer
                .as_deref()
                .and_then(cardline_issuance::printer_report::parse_stored),
        })
    })
    .collect()
}

/// Stores a printer report (JSON) on the claim `run` holds on `station`; false when it holds
/// none.
pub fn report_printer(
    tx: &Tx<'_>,
    run: RunId,
    station: &str,
    json: &str,
) -> Result<bool, StoreError> {
    let n = tx.execute(
        "recording a printer status",
        "UPDATE station_claims SET printer_status = $1 WHERE station = $2 AND run_id = $3",
        &[&json, &station, &run],
    )?;
    Ok(n == 1)
}

/// Work announcements for every thread of one store handle: a thread of its own holds the
/// connection that LISTENs on [`WORK_CHANNEL`] (outside the pool, reconnecting after a
/// failure) and counts the notifications; [`wait`](Self::wait) blocks until the count moves
/// past what the calling thread saw when its previous wait returned, so a notification that
/// arrives while a station is busy still wakes its next wait, and one notification wakes
/// every station of the desk.
pub(crate) struct WorkSignal {
    /// Unique in the process (never reused, unlike an address).
    id: u64,
    state: Mutex<SignalState>,
    moved: Condvar,
    stop: AtomicBool,
}

#[derive(Default)]
struct SignalState {
    generation: u64,
    started: bool,
}

thread_local! {
    /// Per store handle (by [`WorkSignal::id`]): the generation this thread saw last.
    static SEEN: RefCell<HashMap<u64, u64>> = RefCell::new(HashMap::new());
}

/// How often the listening thread looks at the stop flag.
const LISTEN_SLICE: Duration = Duration::from_millis(500);

impl WorkSignal {
    /// Not listening yet: the first wait starts the listener.
    pub(crate) fn new() -> Arc<WorkSignal> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Arc::new(WorkSignal {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(SignalState::default()),
            moved: Condvar::new(),
            stop: AtomicBool::new(false),
        })
    }

    /// Stops the listening thread (the store handle is dropped).
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Blocks until work was announced since this thread's previous wait, or `timeout`
    /// passed. While the listener is not connected (starting, server unreachable) it simply
    /// sleeps `timeout`: the desk polls.
    pub(crate) fn wait(self: &Arc<Self>, url: &crate::DatabaseUrl, timeout: Duration) {
        let key = self.id;
        let Ok(mut state) = self.state.lock() else {
            std::thread::sleep(timeout);
            return;
        };
        if !state.started {
            state.started = true;
            let (me, url) = (self.clone(), url.clone());
            let spawned = std::thread::Builder::new()
                .name("cardline-pg-listen".into())
                .spawn(move || me.listen(&url));
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the work listener; polling instead");
            }
        }
        let seen = SEEN.with(|s| *s.borrow_mut().entry(key).or_insert(state.generation));
        let state = match self
            .moved
            .wait_timeout_while(state, timeout, |s| s.generation <= seen)
        {
            Ok((state, _)) => state,
            Err(_) => return,
        };
        let now = state.generation;
        SEEN.with(|s| s.borrow_mut().insert(key, now));
    }

    fn bump(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.generation += 1;
            self.moved.notify_all();
        }
    }

    /// The listening thread: connect, LISTEN, count notifications; reconnect after a failure
    /// (then wake every waiter once, since announcements may have been missed meanwhile).
    fn listen(&self, url: &crate::DatabaseUrl) {
        let mut reconnecting = false;
        while !self.stop.load(Ordering::SeqCst) {
            let connected = crate::migrate::connect(url).and_then(|mut c| {
                c.client
                    .batch_execute(&format!("LISTEN {WORK_CHANNEL}"))
                    .map_err(|e| crate::error::store_error("listening for work", &e))?;
                Ok(c.client)
            });
            let mut client = match connected {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for work; the desks poll meanwhile");
                    for _ in 0..4 {
                        if self.stop.load(Ordering::SeqCst) {
                            return;
                        }
                        std::thread::sleep(LISTEN_SLICE);
                    }
                    reconnecting = true;
                    continue;
                }
            };
            if reconnecting {
                self.bump();
            }
            reconnecting = true;
            while !self.stop.load(Ordering::SeqCst) {
                let mut notes = client.notifications();
                let first = notes.timeout_iter(LISTEN_SLICE).next().map(|n| n.is_some());
                match first {
                    Ok(true) => {
                        // Several announcements at once wake the waiters once.
                        while let Ok(Some(_)) = notes.iter().next() {}
                        self.bump();
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the work listener's connection failed");
                        break;
                    }
                }
            }
        }
    }
}
