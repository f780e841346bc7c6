//! The cheap change mark a console polls often (`ProductionJournal::change_mark`): the same
//! few index lookups as the SQLite store (the newest audit entry, attempt and step, the steps
//! of the attempts in flight, the paused stations), every part as text.

use cardline_issuance::store::{ChangeMark, StoreError};

use crate::tx::Tx;

const SQL: &str = "SELECT \
    (SELECT max(id) FROM audit)::text, \
    (SELECT at FROM audit ORDER BY id DESC LIMIT 1), \
    (SELECT max(id) FROM attempts)::text, \
    (SELECT count(*) FROM attempts WHERE status = 'in_flight')::text, \
    (SELECT max(finished_at) FROM (SELECT finished_at FROM attempts ORDER BY id DESC LIMIT 64) t), \
    (SELECT max(id) FROM attempt_steps)::text, \
    (SELECT count(s.finished_at)::text || '/' || coalesce(max(coalesce(s.finished_at, s.started_at)), '') \
       FROM attempts a JOIN attempt_steps s ON s.attempt_id = a.id WHERE a.status = 'in_flight'), \
    (SELECT max(coalesce(s.finished_at, s.started_at)) \
       FROM attempts a JOIN attempt_steps s ON s.attempt_id = a.id WHERE a.status = 'in_flight'), \
    (SELECT count(*)::text || '/' || coalesce(max(paused_at), '') FROM station_pauses), \
    (SELECT max(paused_at) FROM station_pauses)";

/// The mark and the newest store time among its parts.
pub fn mark(tx: &Tx<'_>) -> Result<ChangeMark, StoreError> {
    let row = tx.query_one("reading the change mark", SQL, &[])?;
    let parts: Vec<Option<String>> = (0..10).map(|i| row.get::<_, Option<String>>(i)).collect();
    let at = [1, 4, 7, 9]
        .iter()
        .filter_map(|&i| parts[i].clone())
        .max()
        .unwrap_or_default();
    let mark = parts
        .iter()
        .map(|p| p.as_deref().unwrap_or("-"))
        .collect::<Vec<_>>()
        .join(",");
    Ok(ChangeMark { mark, at })
}
