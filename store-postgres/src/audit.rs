//! The audit chain as stored: every entry with its chain fields and every writer's head, for
//! `audit verify` (the chain itself is written by [`crate::tx::Tx::audit`]).

use cardline_issuance::audit::{ChainFields, EntryContent, StoredEntry, WriterHead};
use cardline_issuance::store::{AuditRecords, StoreError};

use crate::rows::get;
use crate::tx::Tx;

/// Every audit row with its chain fields, in id order, and every writer's recorded head.
pub fn records(tx: &Tx<'_>) -> Result<AuditRecords, StoreError> {
    const OP: &str = "reading the audit chain";
    let entries = tx
        .query(
            OP,
            "SELECT id, at, operator, os_user, action, card_number, order_id, from_state, \
             to_state, reason, writer, seq, prev_hash, entry_hash, mac, key_id FROM audit \
             ORDER BY id",
            &[],
        )?
        .iter()
        .map(|r| {
            let writer: Option<String> = get(r, 10)?;
            let seq: Option<i64> = get(r, 11)?;
            let prev_hash: Option<String> = get(r, 12)?;
            let entry_hash: Option<String> = get(r, 13)?;
            let chain = match (writer, seq, prev_hash, entry_hash) {
                (Some(writer), Some(seq), Some(prev_hash), Some(entry_hash)) => Some(ChainFields {
                    writer,
                    seq,
                    prev_hash,
                    entry_hash,
                    mac: get(r, 14)?,
                    key_id: get(r, 15)?,
                }),
                _ => None,
            };
            Ok(StoredEntry {
                id: get(r, 0)?,
                content: EntryContent {
                    at: get(r, 1)?,
                    operator: get(r, 2)?,
                    os_user: get(r, 3)?,
                    action: get(r, 4)?,
                    card_number: get(r, 5)?,
                    order_id: get(r, 6)?,
                    from_state: get(r, 7)?,
                    to_state: get(r, 8)?,
                    reason: get(r, 9)?,
                },
                chain,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // seq 0 marks a head row locked for a writer's first entry: it never commits as such.
    let heads = tx
        .query(
            OP,
            "SELECT writer, seq, hash FROM audit_heads WHERE seq > 0 ORDER BY writer",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(WriterHead {
                writer: get(r, 0)?,
                seq: get(r, 1)?,
                hash: get(r, 2)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(AuditRecords { entries, heads })
}
