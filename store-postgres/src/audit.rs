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
    /// sealer when the transaction ends ([`flush_audit`](Self::flush_audit)): the writer's
    /// head row is then locked (`FOR UPDATE`) for the transaction's last statements and its
    /// commit only, so two transactions of one writer chain one after the other, never both
    /// after the same entry, and the desk's other stations do not wait through the rest of
    /// this one (they queued on that row for 5 ms a claim when it was locked mid-transaction,
    /// docs/PERFORMANCE.md).
    pub fn audit(
        &self,
        action: &str,
        card_number: Option<&str>,
        order_id: Option<OrderId>,
        from: Option<CardState>,
        to: Option<CardState>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        let content = self.entry(
            action,
            card_number,
            order_id,
            from,
            to,
            reason.map(str::to_string),
        );
        self.pending_audit.borrow_mut().push(content);
        Ok(())
    }

    /// Writes the entries [`audit`](Self::audit) kept, in order, chained after the writer's
    /// head (locked now) in one statement that also moves the head. The transaction runner
    /// calls it before it commits.
    pub(crate) fn flush_audit(&self) -> Result<(), StoreError> {
        const OP: &str = "writing the audit log";
        let entries = std::mem::take(&mut *self.pending_audit.borrow_mut());
        if entries.is_empty() {
            return Ok(());
        }
        let (chains, head) = self.seal_all(&entries)?;
        let column = |f: &dyn Fn(&EntryContent) -> Option<String>| -> Vec<Option<String>> {
            entries.iter().map(f).collect()
        };
        let chain_column = |f: &dyn Fn(&ChainFields) -> Option<String>| -> Vec<Option<String>> {
            chains.iter().map(f).collect()
        };
        let orders: Vec<Option<OrderId>> = entries.iter().map(|e| e.order_id).collect();
        let seqs: Vec<i64> = chains.iter().map(|c| c.seq).collect();
        self.execute(
            OP,
            "WITH e AS (INSERT INTO audit (at, operator, action, card_number, order_id, \
             from_state, to_state, reason, os_user, writer, seq, prev_hash, entry_hash, mac, \
             key_id) SELECT at, operator, action, card_number, order_id, from_state, to_state, \
             reason, os_user, writer, seq, prev_hash, entry_hash, mac, key_id FROM unnest(\
             $1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], \
             $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[], \
             $13::text[], $14::text[], $15::text[]) WITH ORDINALITY AS t (at, operator, action, \
             card_number, order_id, from_state, to_state, reason, os_user, writer, seq, \
             prev_hash, entry_hash, mac, key_id, n) ORDER BY n) \
             UPDATE audit_heads SET seq = $17, hash = $18 WHERE writer = $16",
            &[
                &column(&|e| Some(e.at.clone())),
                &column(&|e| Some(e.operator.clone())),
                &column(&|e| Some(e.action.clone())),
                &column(&|e| e.card_number.clone()),
                &orders,
                &column(&|e| e.from_state.clone()),
                &column(&|e| e.to_state.clone()),
                &column(&|e| e.reason.clone()),
                &column(&|e| e.os_user.clone()),
                &chain_column(&|c| Some(c.writer.clone())),
                &seqs,
                &chain_column(&|c| Some(c.prev_hash.clone())),
                &chain_column(&|c| Some(c.entry_hash.clone())),
                &chain_column(&|c| c.mac.clone()),
                &chain_column(&|c| c.key_id.clone()),
                &head.writer,
                &head.seq,
                &head.hash,
            ],
        )?;
        *self.head.borrow_mut() = Some(Some(head));
        Ok(())
    }

    /// Seals `entries` (at least one) in order after this transaction's chain head (locked
    /// now if not yet): their chain fields, and the head after the last.
    fn seal_all(
        &self,
        entries: &[EntryContent],
    ) -> Result<(Vec<ChainFields>, WriterHead), StoreError> {
        let mut head = self.current_head()?;
        let writer = self.writer();
        let mut chains = Vec::with_capacity(entries.len());
        for content in entries {
            let chain = self.sealer.seal_as(&writer, content, head.as_ref());
            head = Some(WriterHead {
                writer: chain.writer.clone(),
                seq: chain.seq,
                hash: chain.entry_hash.clone(),
            });
            chains.push(chain);
        }
        let head = head.expect("at least one entry was sealed");
        Ok((chains, head))
    }

    /// The chain this transaction's entries go to: the writer's own (`host/desk`) on its
    /// pool's first connection, `host/desk#n` on the connection of lane `n`.
    fn writer(&self) -> String {
        match self.lane {
            0 => self.sealer.writer.clone(),
            n => format!("{}#{n}", self.sealer.writer),
        }
    }

    /// The writer's head as this transaction sees it, locked (read the first time).
    fn current_head(&self) -> Result<Option<WriterHead>, StoreError> {
        let known = self.head.borrow().clone();
        match known {
            Some(head) => Ok(head),
            None => self.lock_head(),
        }
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
    /// Entries [`audit`](Self::audit) kept before are written first.
    pub fn audit_many(&self, entries: &[EntryContent]) -> Result<(), StoreError> {
        const OP: &str = "writing the audit log";
        self.flush_audit()?;
        if entries.is_empty() {
            return Ok(());
        }
        let (chains, head) = self.seal_all(entries)?;
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
        let writer = &self.writer();
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
