//! The cheap change mark a console polls often ([`ProductionJournal::change_mark`]): a few
//! index-only lookups (the newest audit entry, attempt and step; the steps of the attempts in
//! flight; the paused stations), never a scan of the cards.
//!
//! [`ProductionJournal::change_mark`]: crate::store::ProductionJournal::change_mark

use rusqlite::Connection;

use super::backend;
use crate::store::StoreError;
use crate::store::traits::ChangeMark;

/// One query: every part that moves when production or an order changes, and the newest time.
const SQL: &str = "SELECT \
    (SELECT max(id) FROM audit), \
    (SELECT at FROM audit ORDER BY id DESC LIMIT 1), \
    (SELECT max(id) FROM attempts), \
    (SELECT count(*) FROM attempts WHERE status = 'in_flight'), \
    (SELECT max(finished_at) FROM (SELECT finished_at FROM attempts ORDER BY id DESC LIMIT 64)), \
    (SELECT max(id) FROM attempt_steps), \
    (SELECT count(s.finished_at) || '/' || max(coalesce(s.finished_at, s.started_at)) \
       FROM attempts a JOIN attempt_steps s ON s.attempt_id = a.id WHERE a.status = 'in_flight'), \
    (SELECT max(coalesce(s.finished_at, s.started_at)) \
       FROM attempts a JOIN attempt_steps s ON s.attempt_id = a.id WHERE a.status = 'in_flight'), \
    (SELECT count(*) || '/' || coalesce(max(paused_at), '') FROM station_pauses), \
    (SELECT max(paused_at) FROM station_pauses)";

/// The mark and the newest store time among its parts.
pub fn mark(conn: &Connection) -> Result<ChangeMark, StoreError> {
    let parts: Vec<Option<String>> = conn
        .prepare_cached(SQL)
        .and_then(|mut st| {
            st.query_row([], |r| {
                (0..10)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                            rusqlite::types::Value::Integer(n) => Some(n.to_string()),
                            rusqlite::types::Value::Text(t) => Some(t),
                            _ => None,
                        })
                    })
                    .collect()
            })
        })
        .map_err(backend("reading the change mark"))?;
    // Parts 1, 4, 7, 9 are times (text order is time order in the store's format).
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
