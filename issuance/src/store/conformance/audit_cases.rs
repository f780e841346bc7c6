//! Conformance cases of the tamper-evident audit chain: every backend seals entries with the
//! shared [`crate::audit`] code inside its write transactions.

use super::*;
use crate::audit::verify::{FindingKind, verify};
use crate::audit::{AuditKey, AuditSealer};

/// Entries written by two handles (two writers, as two hosts would) chain per writer, carry
/// the key id and MAC, record the OS user beside a differing operator, and verify clean; an
/// entry of a handle without a key is reported as unprotected.
pub fn audit_entries_chain_per_writer_and_verify(db: &dyn TestDatabase) {
    let key = AuditKey::from_bytes([9; 32]);
    let a = db.open();
    a.set_audit_sealer(AuditSealer::new("host-a", Some(key.clone())).with_os_user("root"));
    let b = db.open();
    b.set_audit_sealer(AuditSealer::new("host-b/desk-1", Some(key.clone())));
    let cards = a
        .request_cards(3, &Numbering::default(), &Actor("root".into()))
        .unwrap();
    b.audit_note(
        "secrets.reveal",
        Some(&cards[0].number),
        None,
        None,
        &Actor("bob".into()),
    )
    .unwrap();
    a.audit_note("ca.init", None, None, Some("x"), &Actor("alice".into()))
        .unwrap();
    let records = a.audit_records().unwrap();
    assert_eq!(records.entries.len(), 5);
    let seqs = |w: &str| {
        records
            .entries
            .iter()
            .filter_map(|e| e.chain.as_ref())
            .filter(|c| c.writer == w)
            .map(|c| c.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(seqs("host-a"), [1, 2, 3, 4]);
    assert_eq!(seqs("host-b/desk-1"), [1]);
    let last = records.entries.last().unwrap();
    assert_eq!(last.content.operator, "alice");
    assert_eq!(
        last.content.os_user.as_deref(),
        Some("root"),
        "claimed operator differs"
    );
    assert_eq!(
        records.entries[0].content.os_user, None,
        "same user recorded once"
    );
    assert_eq!(
        last.chain.as_ref().unwrap().key_id.as_deref(),
        Some(key.key_id().as_str())
    );
    assert_eq!(records.heads.len(), 2);
    let report = verify(
        &records.entries,
        std::slice::from_ref(&key),
        &records.heads,
        None,
    );
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(report.writers.get("host-a"), Some(&4));

    let keyless = db.open();
    keyless.set_audit_sealer(AuditSealer::new("host-c", None));
    keyless
        .audit_note("order.note", None, None, None, &Actor("alice".into()))
        .unwrap();
    let records = a.audit_records().unwrap();
    let report = verify(&records.entries, &[key], &records.heads, None);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].kind, FindingKind::Unprotected);
    assert_eq!(report.findings[0].entries, [records.entries[5].id]);
}
