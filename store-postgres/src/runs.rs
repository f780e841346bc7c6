//! Production runs and their leases (by the server's clock, so desks with drifting clocks
//! agree), station claims and station pauses.

use std::time::Duration;

use cardline_issuance::model::*;
use cardline_issuance::store::StoreError;
use cardline_issuance::store::ownership::RunStart;
use cardline_issuance::store::sqlite::timestamp;
use postgres::Row;

use crate::rows::get;
use crate::tx::Tx;

/// The run columns and whether the lease ran out by the server's clock now.
const RUN_SELECT: &str = "SELECT id, kind, host, pid, pid_started, operator, started_at, \
     lease_until_ms, ended_at, \
     lease_until_ms < (extract(epoch FROM clock_timestamp()) * 1000)::bigint, desk FROM runs";

fn run_from_row(r: &Row) -> Result<Run, StoreError> {
    let pid: i64 = get(r, 3)?;
    let pid_started: Option<i64> = get(r, 4)?;
    Ok(Run {
        id: get(r, 0)?,
        kind: get(r, 1)?,
        host: get(r, 2)?,
        pid: u32::try_from(pid).unwrap_or(0),
        pid_started: pid_started.and_then(|t| u64::try_from(t).ok()),
        operator: get(r, 5)?,
        started_at: get(r, 6)?,
        lease_until: timestamp::from_ms(get(r, 7)?),
        ended_at: get(r, 8)?,
        lease_expired: get(r, 9)?,
        desk: get(r, 10)?,
    })
}

fn lease_ms(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Registers a run.
pub fn start(tx: &Tx<'_>, start: &RunStart) -> Result<Run, StoreError> {
    let row = tx.query_one(
        "registering a production run",
        &format!(
            "INSERT INTO runs (kind, host, pid, pid_started, operator, started_at, lease_until_ms, \
             desk) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {}",
            RUN_SELECT
                .trim_start_matches("SELECT ")
                .trim_end_matches(" FROM runs")
        ),
        &[
            &start.kind,
            &start.host,
            &i64::from(start.pid),
            &start.pid_started.and_then(|t| i64::try_from(t).ok()),
            &tx.operator(),
            &tx.now,
            &(tx.now_ms + lease_ms(start.lease)),
            &start.desk,
        ],
    )?;
    run_from_row(&row)
}

/// One run; with `share`, its row locked against ending until commit.
fn get_run(tx: &Tx<'_>, id: RunId, share: bool) -> Result<Run, StoreError> {
    let sql = if share {
        format!("{RUN_SELECT} WHERE id = $1 FOR SHARE")
    } else {
        format!("{RUN_SELECT} WHERE id = $1")
    };
    tx.query_opt("reading a production run", &sql, &[&id])?
        .map(|r| run_from_row(&r))
        .transpose()?
        .ok_or(StoreError::RunNotFound(id))
}

/// Runs, newest first: those not ended, or every run.
pub fn list(tx: &Tx<'_>, include_ended: bool) -> Result<Vec<Run>, StoreError> {
    let sql = if include_ended {
        format!("{RUN_SELECT} ORDER BY id DESC")
    } else {
        format!("{RUN_SELECT} WHERE ended_at IS NULL ORDER BY id DESC")
    };
    tx.query("listing runs", &sql, &[])?
        .iter()
        .map(run_from_row)
        .collect()
}

/// One run.
pub fn get_one(tx: &Tx<'_>, id: RunId) -> Result<Run, StoreError> {
    get_run(tx, id, false)
}

/// Renews a live run's lease.
pub fn renew(tx: &Tx<'_>, id: RunId, lease: Duration) -> Result<(), StoreError> {
    let changed = tx.execute(
        "renewing a lease",
        "UPDATE runs SET lease_until_ms = \
           (extract(epoch FROM clock_timestamp()) * 1000)::bigint + $1 \
         WHERE id = $2 AND ended_at IS NULL",
        &[&lease_ms(lease), &id],
    )?;
    if changed == 0 {
        get_run(tx, id, false)?;
        return Err(StoreError::RunEnded(id));
    }
    Ok(())
}

/// Ends a run and releases its stations.
pub fn end(tx: &Tx<'_>, id: RunId) -> Result<(), StoreError> {
    const OP: &str = "ending a production run";
    get_run(tx, id, false)?;
    tx.execute(
        OP,
        "UPDATE runs SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL",
        &[&tx.now, &id],
    )?;
    tx.execute(OP, "DELETE FROM station_claims WHERE run_id = $1", &[&id])?;
    Ok(())
}

/// The run holding a station (live, or dead and not yet cleared).
pub fn owner(tx: &Tx<'_>, station: &str) -> Result<Option<Run>, StoreError> {
    let run: Option<RunId> = tx
        .query_opt(
            "reading a station claim",
            "SELECT run_id FROM station_claims WHERE station = $1",
            &[&station],
        )?
        .map(|r| get(&r, 0))
        .transpose()?;
    run.map(|id| get_run(tx, id, false)).transpose()
}

/// Claims a station (see
/// [`ProductionJournal::claim_station`](cardline_issuance::store::ProductionJournal::claim_station)).
/// Two runs claiming a free station at once: one inserts the claim, the other finds it taken.
pub fn claim(
    tx: &Tx<'_>,
    run: RunId,
    station: &str,
    take_over_from: Option<RunId>,
) -> Result<Result<(), Run>, StoreError> {
    const OP: &str = "claiming a station";
    let me = get_run(tx, run, true)?;
    if me.ended_at.is_some() {
        return Err(StoreError::RunEnded(run));
    }
    let inserted = tx.execute(
        OP,
        "INSERT INTO station_claims (station, run_id, claimed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (station) DO NOTHING",
        &[&station, &run, &tx.now],
    )?;
    if inserted == 1 {
        return Ok(Ok(()));
    }
    let Some(current) = owner(tx, station)? else {
        // Released between the two statements: the caller tries again.
        return Err(StoreError::Conflict {
            operation: OP.into(),
            detail: format!("station {station} was released while claiming it; try again"),
        });
    };
    if current.id == run {
        return Ok(Ok(()));
    }
    if Some(current.id) != take_over_from {
        return Ok(Err(current));
    }
    let moved = tx.execute(
        OP,
        "UPDATE station_claims SET run_id = $1, claimed_at = $2, printer_status = NULL \
         WHERE station = $3 AND run_id = $4",
        &[&run, &tx.now, &station, &current.id],
    )?;
    if moved == 0 {
        // Another run took it over first.
        return match owner(tx, station)? {
            Some(o) if o.id == run => Ok(Ok(())),
            Some(o) => Ok(Err(o)),
            None => Err(StoreError::Conflict {
                operation: OP.into(),
                detail: format!("station {station} was released while taking it over"),
            }),
        };
    }
    let why = format!(
        "run {} (host {}, pid {}) is gone; station taken over by run {run}",
        current.id, current.host, current.pid
    );
    tx.audit(
        "station.take_over",
        None,
        None,
        None,
        None,
        Some(&format!("{station}: {why}")),
    )?;
    Ok(Ok(()))
}

/// Releases a station held by `run`.
pub fn release(tx: &Tx<'_>, run: RunId, station: &str) -> Result<(), StoreError> {
    tx.execute(
        "releasing a station",
        "DELETE FROM station_claims WHERE station = $1 AND run_id = $2",
        &[&station, &run],
    )?;
    Ok(())
}

/// Fencing: `run` must be live and hold `station`. Both rows stay share-locked until commit,
/// so the run cannot end and the station cannot be taken over while the caller's
/// transaction relies on them.
pub fn require_owner(tx: &Tx<'_>, run: RunId, station: &str) -> Result<(), StoreError> {
    require_owner_of_all(tx, run, &[station])
}

/// [`require_owner`] for several stations in two statements: the run's row, then the
/// stations' claims (share-locked in the order of their names). The first station of
/// `stations` that `run` does not hold is the error.
pub fn require_owner_of_all(tx: &Tx<'_>, run: RunId, stations: &[&str]) -> Result<(), StoreError> {
    let me = get_run(tx, run, true)?;
    if me.ended_at.is_some() {
        return Err(StoreError::RunEnded(run));
    }
    let held: Vec<String> = tx
        .query(
            "reading a station claim",
            "SELECT station FROM station_claims WHERE station = ANY($1) AND run_id = $2 \
             ORDER BY station FOR SHARE",
            &[&stations, &run],
        )?
        .iter()
        .map(|r| get(r, 0))
        .collect::<Result<_, _>>()?;
    match stations.iter().find(|s| !held.iter().any(|h| h == *s)) {
        None => Ok(()),
        Some(station) => Err(StoreError::NotStationOwner {
            run,
            station: station.to_string(),
        }),
    }
}

fn pause_from_row(r: &Row) -> Result<StationPause, StoreError> {
    Ok(StationPause {
        station: get(r, 0)?,
        reason: get(r, 1)?,
        paused_at: get(r, 2)?,
        run_id: get(r, 3)?,
    })
}

/// Pauses a station (replacing an earlier pause's reason).
pub fn pause(
    tx: &Tx<'_>,
    station: &str,
    reason: &str,
    run: Option<RunId>,
) -> Result<(), StoreError> {
    tx.execute(
        "pausing a station",
        "INSERT INTO station_pauses (station, reason, paused_at, run_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (station) DO UPDATE SET reason = excluded.reason, \
         paused_at = excluded.paused_at, run_id = excluded.run_id",
        &[&station, &reason, &tx.now, &run],
    )?;
    tx.audit(
        "station.pause",
        None,
        None,
        None,
        None,
        Some(&format!("{station}: {reason}")),
    )
}

/// A station's pause.
pub fn pause_of(tx: &Tx<'_>, station: &str) -> Result<Option<StationPause>, StoreError> {
    tx.query_opt(
        "reading a station pause",
        "SELECT station, reason, paused_at, run_id FROM station_pauses WHERE station = $1",
        &[&station],
    )?
    .map(|r| pause_from_row(&r))
    .transpose()
}

/// Every pause, by station name.
pub fn pauses(tx: &Tx<'_>) -> Result<Vec<StationPause>, StoreError> {
    tx.query(
        "listing station pauses",
        "SELECT station, reason, paused_at, run_id FROM station_pauses ORDER BY station",
        &[],
    )?
    .iter()
    .map(pause_from_row)
    .collect()
}

/// Resumes a station; `false` when it was not paused.
pub fn resume(tx: &Tx<'_>, station: &str) -> Result<bool, StoreError> {
    let Some(row) = tx.query_opt(
        "resuming a station",
        "DELETE FROM station_pauses WHERE station = $1 RETURNING reason",
        &[&station],
    )?
    else {
        return Ok(false);
    };
    let reason: String = get(&row, 0)?;
    tx.audit(
        "station.resume",
        None,
        None,
        None,
        None,
        Some(&format!("{station} (was paused: {reason})")),
    )?;
    Ok(true)
}
