//! [`verify`]: checks every audit entry against the chain and the audit key, and the heads
//! against a signed checkpoint, naming every entry that was edited, deleted, reordered or
//! inserted, and a tail cut off. Backend-neutral: a store hands over its rows.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::chain::{self, ChainFields, EntryContent, GENESIS_HASH, WriterHead};
use super::checkpoint::Checkpoint;
use super::key::AuditKey;

/// One stored audit row: its row id, content and chain fields (`None`: written before the
/// chain existed, schema v4 and older, or inserted without them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEntry {
    /// The row id (the order entries are listed in).
    pub id: i64,
    /// What it says.
    pub content: EntryContent,
    /// Its chain fields.
    pub chain: Option<ChainFields>,
}

/// What is wrong with an entry or a writer's chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The content no longer matches its MAC, in a place that belongs to it: edited.
    Edited,
    /// An entry no key holder wrote (its MAC is wrong or missing, or it has no chain fields)
    /// where no entry belongs: inserted (forged).
    Inserted,
    /// Sequence numbers missing between entries: deleted.
    Deleted,
    /// An entry stands before one with a lower sequence number: reordered.
    Reordered,
    /// An entry's `prev_hash` is not the hash of the writer's previous entry.
    BrokenLink,
    /// The newest entries of a writer are gone (the recorded head or a checkpoint names them).
    TailCut,
    /// The entry at a checkpoint's sequence number is not the one the checkpoint signed.
    CheckpointMismatch,
    /// Written without the audit key (no MAC): nothing proves who wrote it.
    Unprotected,
    /// MACed with a key this home does not have.
    UnknownKey,
}

/// One problem found, naming the entries concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// The writer whose chain it is in (`None` for rows without chain fields).
    pub writer: Option<String>,
    /// Row ids of the entries concerned (empty for deleted or cut entries).
    pub entries: Vec<i64>,
    /// Sequence numbers concerned.
    pub seqs: Vec<i64>,
    /// A sentence for the operator.
    pub detail: String,
}

/// The outcome of [`verify`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Entries examined.
    pub entries: u64,
    /// Writers whose chains were checked, with their newest sequence number found.
    pub writers: BTreeMap<String, i64>,
    /// Rows written before the chain existed (schema v4 and older): not protected, not
    /// counted as tampering.
    pub legacy: u64,
    /// Whether a checkpoint was checked.
    pub checkpoint_checked: bool,
    /// Every problem found, in order of the writers and sequence numbers.
    pub findings: Vec<Finding>,
}

impl VerifyReport {
    /// True when nothing was found.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

fn finding(
    kind: FindingKind,
    writer: Option<&str>,
    entries: Vec<i64>,
    seqs: Vec<i64>,
    detail: String,
) -> Finding {
    Finding {
        kind,
        writer: writer.map(str::to_string),
        entries,
        seqs,
        detail,
    }
}

/// Verifies `entries` (in row-id order) with the audit `keys`, the heads the store recorded
/// and, when given, a checkpoint whose signature the caller has checked.
pub fn verify(
    entries: &[StoredEntry],
    keys: &[AuditKey],
    heads: &[WriterHead],
    checkpoint: Option<&Checkpoint>,
) -> VerifyReport {
    let mut report = VerifyReport {
        entries: entries.len() as u64,
        checkpoint_checked: checkpoint.is_some(),
        ..VerifyReport::default()
    };
    let first_chained = entries.iter().find(|e| e.chain.is_some()).map(|e| e.id);
    let mut by_writer: BTreeMap<&str, Vec<(&StoredEntry, &ChainFields, bool)>> = BTreeMap::new();
    for e in entries {
        let Some(c) = &e.chain else {
            if first_chained.is_none_or(|first| e.id < first) {
                report.legacy += 1;
            } else {
                report.findings.push(finding(
                    FindingKind::Inserted,
                    None,
                    vec![e.id],
                    vec![],
                    format!(
                        "entry #{} ({}) has no chain fields but stands after chained entries: \
                         inserted",
                        e.id, e.content.action
                    ),
                ));
            }
            continue;
        };
        let authentic = check_mac(e, c, keys, &mut report);
        by_writer
            .entry(&c.writer)
            .or_default()
            .push((e, c, authentic));
    }
    let recorded: BTreeMap<&str, i64> = heads.iter().map(|h| (h.writer.as_str(), h.seq)).collect();
    let signed: BTreeMap<&str, &WriterHead> = checkpoint
        .map(|cp| cp.heads.iter().map(|h| (h.writer.as_str(), h)).collect())
        .unwrap_or_default();
    let writers: BTreeSet<&str> = by_writer
        .keys()
        .copied()
        .chain(recorded.keys().copied())
        .chain(signed.keys().copied())
        .collect();
    for writer in writers {
        let rows = by_writer.get(writer).map(Vec::as_slice).unwrap_or(&[]);
        check_writer(
            writer,
            rows,
            recorded.get(writer).copied(),
            signed.get(writer).copied(),
            &mut report,
        );
    }
    report
}

/// Checks the MAC of one entry; true when a known key vouches for it.
fn check_mac(
    e: &StoredEntry,
    c: &ChainFields,
    keys: &[AuditKey],
    report: &mut VerifyReport,
) -> bool {
    let (Some(mac), Some(key_id)) = (&c.mac, &c.key_id) else {
        report.findings.push(finding(
            FindingKind::Unprotected,
            Some(&c.writer),
            vec![e.id],
            vec![c.seq],
            format!(
                "entry #{} (seq {} of {}) carries no MAC: written without the audit key",
                e.id, c.seq, c.writer
            ),
        ));
        return false;
    };
    let Some(key) = keys.iter().find(|k| &k.key_id() == key_id) else {
        report.findings.push(finding(
            FindingKind::UnknownKey,
            Some(&c.writer),
            vec![e.id],
            vec![c.seq],
            format!(
                "entry #{} (seq {} of {}) was MACed with audit key {key_id}, which this home does \
                 not have (copy that host's keys/audit.key, or it is forged)",
                e.id, c.seq, c.writer
            ),
        ));
        return false;
    };
    let bytes = chain::canonical(&e.content, &c.writer, c.seq, &c.prev_hash, Some(key_id));
    key.mac_matches(&bytes, mac) && chain::entry_hash(&e.content, c) == c.entry_hash
}

fn check_writer(
    writer: &str,
    rows: &[(&StoredEntry, &ChainFields, bool)],
    recorded_head: Option<i64>,
    signed: Option<&WriterHead>,
    report: &mut VerifyReport,
) {
    let w = Some(writer);
    // Authentic entries by sequence number (the first one wins a duplicate).
    let mut good: BTreeMap<i64, (&StoredEntry, &ChainFields)> = BTreeMap::new();
    for (e, c, ok) in rows {
        if *ok {
            good.entry(c.seq).or_insert((e, c));
        }
    }
    let max_good = good.keys().next_back().copied().unwrap_or(0);
    let bound = max_good
        .max(recorded_head.unwrap_or(0))
        .max(signed.map_or(0, |s| s.seq));
    // Entries no key vouches for: edited where they fill their own slot, inserted otherwise.
    let reported: BTreeSet<i64> = report
        .findings
        .iter()
        .filter(|f| matches!(f.kind, FindingKind::Unprotected | FindingKind::UnknownKey))
        .flat_map(|f| f.entries.iter().copied())
        .collect();
    let mut claimed: BTreeSet<i64> = good.keys().copied().collect();
    for (e, c, ok) in rows {
        if *ok {
            continue;
        }
        if reported.contains(&e.id) {
            // Unprotected or of an unknown key: reported already, and it holds its slot.
            claimed.insert(c.seq);
            continue;
        }
        let own_slot = c.seq >= 1 && c.seq <= bound && !claimed.contains(&c.seq);
        let (kind, what) = if own_slot {
            claimed.insert(c.seq);
            (
                FindingKind::Edited,
                "its content or chain fields were edited",
            )
        } else {
            (
                FindingKind::Inserted,
                "forged: its sequence number belongs to another entry or to none",
            )
        };
        report.findings.push(finding(
            kind,
            w,
            vec![e.id],
            vec![c.seq],
            format!(
                "entry #{} (seq {} of {writer}, {}) does not match its MAC: {what}",
                e.id, c.seq, e.content.action
            ),
        ));
    }
    // Order: sequence numbers must rise with the row ids.
    let mut highest: Option<(i64, i64)> = None;
    for (e, c, ok) in rows {
        if !*ok {
            continue;
        }
        match highest {
            Some((seq, id)) if c.seq < seq => report.findings.push(finding(
                FindingKind::Reordered,
                w,
                vec![id, e.id],
                vec![seq, c.seq],
                format!(
                    "entry #{} (seq {}) stands after entry #{id} (seq {seq}) of {writer}: reordered",
                    e.id, c.seq
                ),
            )),
            Some((seq, _)) if c.seq == seq => {}
            _ => highest = Some((c.seq, e.id)),
        }
    }
    // Links between consecutive authentic entries.
    for (seq, (e, c)) in &good {
        let expected = if *seq == 1 {
            Some(GENESIS_HASH.to_string())
        } else {
            good.get(&(seq - 1)).map(|(_, p)| p.entry_hash.clone())
        };
        if expected.is_some_and(|h| h != c.prev_hash) {
            report.findings.push(finding(
                FindingKind::BrokenLink,
                w,
                vec![e.id],
                vec![*seq],
                format!(
                    "entry #{} (seq {seq} of {writer}) does not link to the entry before it",
                    e.id
                ),
            ));
        }
    }
    // Gaps: deleted entries, and a cut tail.
    // Forged entries do not fill a gap: only authentic, edited and unprotected ones count.
    let present = claimed;
    let last_present = present.iter().next_back().copied().unwrap_or(0);
    for (start, end) in missing_ranges(&present, last_present) {
        let before = rows
            .iter()
            .filter(|(_, c, _)| c.seq < start)
            .map(|(e, _, _)| e.id)
            .max();
        let after = rows
            .iter()
            .filter(|(_, c, _)| c.seq > end)
            .map(|(e, _, _)| e.id)
            .min();
        report.findings.push(finding(
            FindingKind::Deleted,
            w,
            vec![],
            (start..=end).collect(),
            format!(
                "{writer}: {} missing between {} and {}: deleted",
                seq_range(start, end),
                before.map_or("the start".into(), |id| format!("entry #{id}")),
                after.map_or("the end".into(), |id| format!("entry #{id}")),
            ),
        ));
    }
    if let Some(head) = recorded_head.filter(|h| *h > last_present) {
        report.findings.push(finding(
            FindingKind::TailCut,
            w,
            vec![],
            (last_present + 1..=head).collect(),
            format!(
                "{writer}: the store's head is seq {head} but the log ends at seq {last_present}: \
                 {} cut off the end",
                seq_range(last_present + 1, head)
            ),
        ));
    }
    if let Some(cp) = signed {
        match good.get(&cp.seq) {
            Some((e, c)) if c.entry_hash != cp.hash => report.findings.push(finding(
                FindingKind::CheckpointMismatch,
                w,
                vec![e.id],
                vec![cp.seq],
                format!(
                    "entry #{} (seq {} of {writer}) is not the entry the checkpoint signed: the \
                     history up to it was rewritten",
                    e.id, cp.seq
                ),
            )),
            Some(_) => {}
            None if cp.seq > last_present => report.findings.push(finding(
                FindingKind::TailCut,
                w,
                vec![],
                (last_present + 1..=cp.seq).collect(),
                format!(
                    "{writer}: the checkpoint covers seq {} but the log ends at seq \
                     {last_present}: {} cut off after the checkpoint was taken",
                    cp.seq,
                    seq_range(last_present + 1, cp.seq)
                ),
            )),
            // Present but not authentic: already reported as edited or inserted.
            None => {}
        }
    }
    report.writers.insert(writer.to_string(), last_present);
}

fn missing_ranges(present: &BTreeSet<i64>, last: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut expected = 1;
    for &seq in present.iter().filter(|s| **s >= 1 && **s <= last) {
        if seq > expected {
            out.push((expected, seq - 1));
        }
        expected = seq + 1;
    }
    out
}

fn seq_range(start: i64, end: i64) -> String {
    if start == end {
        format!("seq {start}")
    } else {
        format!("seq {start}..={end}")
    }
}
