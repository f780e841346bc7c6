//! The audit chain in PostgreSQL: entries appended by [`Tx::audit`] and [`Tx::audit_many`],
//! chained after the writer's head row locked `FOR UPDATE`; and the chain as stored (every
//! entry with its chain fields and every writer's head) for `audit verify`.

use cardline_issuance::audit::{ChainFields, EntryContent, StoredEntry, WriterHead};
use cardline_issuance::model::{CardState, OrderId};
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

impl Tx<'_> {
    /// Appends an audit entry, chained after this writer's head and MACed by the store's
    /// sealer. The head row in `audit_heads` is locked (`FOR UPDATE`) the first time, so two
    /// transactions of one writer chain one after the other, never both after the same entry.
    pub fn audit(
        &self,
        action: &str,
        card_number: Option<&str>,
        order_id: Option<OrderId>,
        from: Option<CardState>,
        to: Option<CardState>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        const OP: &str = "writing the audit log";
        let content = EntryContent {
            at: self.now.clone(),
            operator: self.operator().to_string(),
            os_user: self.sealer.os_user_for(self.operator()),
            action: action.to_string(),
            card_number: card_number.map(str::to_string),
            order_id,
            from_state: from.map(|s| s.as_str().to_string()),
            to_state: to.map(|s| s.as_str().to_string()),
            reason: reason.map(str::to_string),
        };
        let known = self.head.borrow().clone();
        let head = match known {
            Some(head) => head,
            None => self.lock_head()?,
        };
        let chain = self.sealer.seal(&content, head.as_ref());
        self.execute(
            OP,
            "INSERT INTO audit (at, operator, action, card_number, order_id, from_state, \
             to_state, reason, os_user, writer, seq, prev_hash, entry_hash, mac, key_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            &[
                &content.at,
                &content.operator,
                &content.action,
                &content.card_number,
                &content.order_id,
                &content.from_state,
                &content.to_state,
                &content.reason,
                &content.os_user,
                &chain.writer,
                &chain.seq,
                &chain.prev_hash,
                &chain.entry_hash,
                &chain.mac,
                &chain.key_id,
            ],
        )?;
        self.execute(
            OP,
            "UPDATE audit_heads SET seq = $2, hash = $3 WHERE writer = $1",
            &[&chain.writer, &chain.seq, &chain.entry_hash],
        )?;
        *self.head.borrow_mut() = Some(Some(WriterHead {
            writer: chain.writer,
            seq: chain.seq,
            hash: chain.entry_hash,
        }));
        Ok(())
    }

    /// The content of an entry this transaction writes (its time, its operator).
    pub fn entry(
        &self,
        action: &str,
        card_number: Option<&str>,
        order_id: Option<OrderId>,
        from: Option<CardState>,
        to: Option<CardState>,
        reason: Option<String>,
    ) -> EntryContent {
        EntryContent {
            at: self.now.clone(),
            operator: self.operator().to_string(),
            os_user: self.sealer.os_user_for(self.operator()),
            action: action.to_string(),
            card_number: card_number.map(str::to_string),
            order_id,
            from_state: from.map(|s| s.as_str().to_string()),
            to_state: to.map(|s| s.as_str().to_string()),
            reason,
        }
    }

    /// Appends many entries in this order with one COPY (bulk requests and orders), chained
    /// like [`audit`](Self::audit) one after the other; the head is updated once.
    pub fn audit_many(&self, entries: &[EntryContent]) -> Result<(), StoreError> {
        const OP: &str = "writing the audit log";
        if entries.is_empty() {
            return Ok(());
        }
        let known = self.head.borrow().clone();
        let mut head = match known {
            Some(head) => head,
            None => self.lock_head()?,
        };
        let mut chains = Vec::with_capacity(entries.len());
        for content in entries {
            let chain = self.sealer.seal(content, head.as_ref());
            head = Some(WriterHead {
                writer: chain.writer.clone(),
                seq: chain.seq,
                hash: chain.entry_hash.clone(),
            });
            chains.push(chain);
        }
        self.with_client(OP, |client| {
            use postgres::binary_copy::BinaryCopyInWriter;
            use postgres::types::Type;
            let sink = client.copy_in(
                "COPY audit (at, operator, action, card_number, order_id, from_state, to_state, \
                 reason, os_user, writer, seq, prev_hash, entry_hash, mac, key_id) \
                 FROM STDIN BINARY",
            )?;
            let t = Type::TEXT;
            let mut types = vec![t.clone(); 15];
            types[4] = Type::INT8;
            types[10] = Type::INT8;
            let mut w = BinaryCopyInWriter::new(sink, &types);
            for (c, chain) in entries.iter().zip(&chains) {
                w.write(&[
                    &c.at,
                    &c.operator,
                    &c.action,
                    &c.card_number,
                    &c.order_id,
                    &c.from_state,
                    &c.to_state,
                    &c.reason,
                    &c.os_user,
                    &chain.writer,
                    &chain.seq,
                    &chain.prev_hash,
                    &chain.entry_hash,
                    &chain.mac,
                    &chain.key_id,
                ])?;
            }
            w.finish()?;
            Ok(())
        })?;
        let head = head.expect("at least one entry was sealed");
        self.execute(
            OP,
            "UPDATE audit_heads SET seq = $2, hash = $3 WHERE writer = $1",
            &[&head.writer, &head.seq, &head.hash],
        )?;
        *self.head.borrow_mut() = Some(Some(head));
        Ok(())
    }

    /// Reads this writer's head under a row lock held to the end of the transaction. A writer
    /// without a row gets one (seq 0: no entry yet) first; two first transactions at once meet
    /// on its key, the second waiting for the first to commit.
    fn lock_head(&self) -> Result<Option<WriterHead>, StoreError> {
        const OP: &str = "locking the audit chain";
        const LOCK: &str = "SELECT seq, hash FROM audit_heads WHERE writer = $1 FOR UPDATE";
        let writer = &self.sealer.writer;
        let row = match self.query_opt(OP, LOCK, &[writer])? {
            Some(row) => row,
            None => {
                self.execute(
                    OP,
                    "INSERT INTO audit_heads (writer, seq, hash) VALUES ($1, 0, '') \
                     ON CONFLICT (writer) DO NOTHING",
                    &[writer],
                )?;
                self.query_one(OP, LOCK, &[writer])?
            }
        };
        let seq: i64 = crate::rows::get(&row, 0)?;
        if seq == 0 {
            return Ok(None);
        }
        Ok(Some(WriterHead {
            writer: writer.clone(),
            seq,
            hash: crate::rows::get(&row, 1)?,
        }))
    }
}
