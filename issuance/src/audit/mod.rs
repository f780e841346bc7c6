//! The tamper-evident audit log, independent of the store backend (docs/audit.md).
//!
//! Every entry belongs to the chain of its writer (a host, or `host/desk`): it carries the
//! writer's next sequence number, the hash of the writer's previous entry, its own hash, and an
//! HMAC-SHA256 under the [`AuditKey`] (a file in `<home>/keys/`, never in the database) with the
//! key's id. A store computes the chain fields with [`AuditSealer::seal`] inside the transaction
//! that writes the entry; [`verify`](verify::verify) checks the rows a store hands back, and
//! [`Checkpoint`] signs the writers' heads so a cut tail shows later.
//!
//! ```
//! use cardline_issuance::audit::*;
//! let key = AuditKey::from_bytes([1; 32]);
//! let sealer = AuditSealer::new("host-a", Some(key.clone()));
//! let content = EntryContent { action: "card.request".into(), ..EntryContent::default() };
//! let chain = sealer.seal(&content, None);
//! let heads = vec![WriterHead { writer: "host-a".into(), seq: 1, hash: chain.entry_hash.clone() }];
//! let mut rows = vec![StoredEntry { id: 1, content, chain: Some(chain) }];
//! assert!(verify::verify(&rows, &[key.clone()], &heads, None).is_clean());
//! rows[0].content.reason = Some("edited".into());
//! let report = verify::verify(&rows, &[key], &heads, None);
//! assert_eq!(report.findings[0].kind, verify::FindingKind::Edited);
//! ```

pub mod chain;
pub mod checkpoint;
pub mod key;
pub mod verify;

pub use chain::{AuditSealer, ChainFields, EntryContent, WriterHead};
pub use checkpoint::Checkpoint;
pub use key::AuditKey;
pub use verify::{StoredEntry, VerifyReport};
