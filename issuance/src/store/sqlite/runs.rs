//! Production runs and their leases, station claims and station pauses.

use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::writer::Writer;
use super::{backend, timestamp};
use crate::model::*;
use crate::store::StoreError;
use crate::store::ownership::RunStart;

const RUN_SELECT: &str = "SELECT id, kind, host, pid, pid_started, operator, started_at, \
     lease_until_ms, ended_at, desk FROM runs";

fn run_from_row(r: &rusqlite::Row<'_>, now_ms: i64) -> rusqlite::Result<Run> {
    let lease_until_ms: i64 = r.get(7)?;
    let pid: i64 = r.get(3)?;
    let pid_started: Option<i64> = r.get(4)?;
    Ok(Run {
        id: r.get(0)?,
        kind: r.get(1)?,
        host: r.get(2)?,
        pid: u32::try_from(pid).unwrap_or(0),
        pid_started: pid_started.and_then(|t| u64::try_from(t).ok()),
        operator: r.get(5)?,
        started_at: r.get(6)?,
        desk: r.get(9)?,
        lease_until: timestamp::from_ms(lease_until_ms),
        lease_expired: lease_until_ms < now_ms,
        ended_at: r.get(8)?,
    })
}

fn lease_ms(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Registers a run.
pub fn start(w: &Writer<'_>, start: &RunStart) -> Result<Run, StoreError> {
    const OP: &str = "registering a production run";
    let until = timestamp::now_ms() + lease_ms(start.lease);
    w.conn
        .execute(
            "INSERT INTO runs (kind, host, pid, pid_started, operator, started_at, lease_until_ms, \
             desk) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                start.kind,
                start.host,
                i64::from(start.pid),
                start.pid_started.and_then(|t| i64::try_from(t).ok()),
                w.operator(),
                w.now,
                until,
                start.desk
            ],
        )
        .map_err(backend(OP))?;
    let id = w.conn.last_insert_rowid();
    get(w.conn, id)
}

/// One run.
pub fn get(conn: &Connection, id: RunId) -> Result<Run, StoreError> {
    let now = timestamp::now_ms();
    conn.prepare_cached(&format!("{RUN_SELECT} WHERE id = ?1"))
        .and_then(|mut st| st.query_row([id], |r| run_from_row(r, now)).optional())
        .map_err(backend("reading a production run"))?
        .ok_or(StoreError::RunNotFound(id))
}

/// Renews a live run's lease.
pub fn renew(w: &Writer<'_>, id: RunId, lease: Duration) -> Result<(), StoreError> {
    let run = get(w.conn, id)?;
    if run.ended_at.is_some() {
        return Err(StoreError::RunEnded(id));
    }
    let until = timestamp::now_ms() + lease_ms(lease);
    w.conn
        .prepare_cached("UPDATE runs SET lease_until_ms = ?1 WHERE id = ?2")
        .and_then(|mut st| st.execute(params![until, id]))
        .map_err(backend("renewing a lease"))?;
    Ok(())
}

/// Ends a run and releases its stations.
pub fn end(w: &Writer<'_>, id: RunId) -> Result<(), StoreError> {
    const OP: &str = "ending a production run";
    get(w.conn, id)?;
    w.conn
        .execute(
            "UPDATE runs SET ended_at = ?1 WHERE id = ?2 AND ended_at IS NULL",
            params![w.now, id],
        )
        .map_err(backend(OP))?;
    w.conn
        .execute("DELETE FROM station_claims WHERE run_id = ?1", [id])
        .map_err(backend(OP))?;
    Ok(())
}

/// The live run (or a dead one not yet cleared) holding a station.
pub fn owner(conn: &Connection, station: &str) -> Result<Option<Run>, StoreError> {
    let run: Option<RunId> = conn
        .prepare_cached("SELECT run_id FROM station_claims WHERE station = ?1")
        .and_then(|mut st| st.query_row([station], |r| r.get(0)).optional())
        .map_err(backend("reading a station claim"))?;
    run.map(|id| get(conn, id)).transpose()
}

/// Claims a station (see [`crate::store::ProductionJournal::claim_station`]).
pub fn claim(
    w: &Writer<'_>,
    run: RunId,
    station: &str,
    take_over_from: Option<RunId>,
) -> Result<Result<(), Run>, StoreError> {
    const OP: &str = "claiming a station";
    let me = get(w.conn, run)?;
    if me.ended_at.is_some() {
        return Err(StoreError::RunEnded(run));
    }
    match owner(w.conn, station)? {
        None => {
            w.conn
                .execute(
                    "INSERT INTO station_claims (station, run_id, claimed_at) VALUES (?1, ?2, ?3)",
                    params![station, run, w.now],
                )
                .map_err(backend(OP))?;
        }
        Some(current) if current.id == run => return Ok(Ok(())),
        Some(current) if Some(current.id) == take_over_from => {
            w.conn
                .execute(
                    "UPDATE station_claims SET run_id = ?1, claimed_at = ?2, \
                     printer_status = NULL WHERE station = ?3 AND run_id = ?4",
                    params![run, w.now, station, current.id],
                )
                .map_err(backend(OP))?;
            let why = format!(
                "run {} (host {}, pid {}) is gone; station taken over by run {run}",
                current.id, current.host, current.pid
            );
            w.audit(
                "station.take_over",
                None,
                None,
                None,
                None,
                Some(&format!("{station}: {why}")),
            )?;
        }
        Some(current) => return Ok(Err(current)),
    }
    Ok(Ok(()))
}

/// Releases a station held by `run`.
pub fn release(w: &Writer<'_>, run: RunId, station: &str) -> Result<(), StoreError> {
    w.conn
        .execute(
            "DELETE FROM station_claims WHERE station = ?1 AND run_id = ?2",
            params![station, run],
        )
        .map_err(backend("releasing a station"))?;
    Ok(())
}

/// Fencing: `run` must be live and hold `station`.
pub fn require_owner(conn: &Connection, run: RunId, station: &str) -> Result<(), StoreError> {
    let me = get(conn, run)?;
    if me.ended_at.is_some() {
        return Err(StoreError::RunEnded(run));
    }
    match owner(conn, station)? {
        Some(o) if o.id == run => Ok(()),
        _ => Err(StoreError::NotStationOwner {
            run,
            station: station.to_string(),
        }),
    }
}

fn pause_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StationPause> {
    Ok(StationPause {
        station: r.get(0)?,
        reason: r.get(1)?,
        paused_at: r.get(2)?,
        run_id: r.get(3)?,
    })
}

/// Pauses a station (replacing an earlier pause's reason).
pub fn pause(
    w: &Writer<'_>,
    station: &str,
    reason: &str,
    run: Option<RunId>,
) -> Result<(), StoreError> {
    w.conn
        .execute(
            "INSERT INTO station_pauses (station, reason, paused_at, run_id) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (station) DO UPDATE SET reason = excluded.reason, \
             paused_at = excluded.paused_at, run_id = excluded.run_id",
            params![station, reason, w.now, run],
        )
        .map_err(backend("pausing a station"))?;
    w.audit(
        "station.pause",
        None,
        None,
        None,
        None,
        Some(&format!("{station}: {reason}")),
    )
}

/// A station's pause.
pub fn pause_of(conn: &Connection, station: &str) -> Result<Option<StationPause>, StoreError> {
    conn.prepare_cached(
        "SELECT station, reason, paused_at, run_id FROM station_pauses WHERE station = ?1",
    )
    .and_then(|mut st| st.query_row([station], pause_from_row).optional())
    .map_err(backend("reading a station pause"))
}

/// Every pause, by station name.
pub fn pauses(conn: &Connection) -> Result<Vec<StationPause>, StoreError> {
    conn.prepare("SELECT station, reason, paused_at, run_id FROM station_pauses ORDER BY station")
        .and_then(|mut st| st.query_map([], pause_from_row)?.collect())
        .map_err(backend("listing station pauses"))
}

/// Resumes a station; `false` when it was not paused.
pub fn resume(w: &Writer<'_>, station: &str) -> Result<bool, StoreError> {
    let Some(p) = pause_of(w.conn, station)? else {
        return Ok(false);
    };
    w.conn
        .execute("DELETE FROM station_pauses WHERE station = ?1", [station])
        .map_err(backend("resuming a station"))?;
    w.audit(
        "station.resume",
        None,
        None,
        None,
        None,
        Some(&format!("{station} (was paused: {})", p.reason)),
    )?;
    Ok(true)
}
