//! `cardline audit verify [--checkpoint FILE]` and `cardline audit checkpoint --out FILE`: the
//! tamper-evident chain of the audit log (docs/audit.md).

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context as _;
use cardline_issuance::audit::checkpoint::MAX_CHECKPOINT_BYTES;
use cardline_issuance::audit::verify::verify as verify_chain;
use cardline_issuance::audit::{Checkpoint, VerifyReport};
use cardline_issuance::store::sqlite::timestamp;
use serde::Serialize;

use crate::context::Context;
use crate::output::Exit;

/// The exit code of `audit verify` when it found tampering.
pub const EXIT_TAMPERED: u8 = 4;

/// Arguments of `cardline audit verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// A checkpoint written earlier by `audit checkpoint`: also proves nothing it covers was
    /// cut off the end of the log.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
}

/// Arguments of `cardline audit checkpoint`.
#[derive(Debug, clap::Args)]
pub struct CheckpointArgs {
    /// Where to write the signed checkpoint (JSON); an existing file is not replaced.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Verifies the chain; exits [`EXIT_TAMPERED`] when anything is found.
pub fn verify(ctx: &Context, args: VerifyArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let key = ctx.audit_key()?;
    let checkpoint = match &args.checkpoint {
        Some(path) => Some(read_checkpoint(path, &key)?),
        None => None,
    };
    let records = store.audit_records()?;
    let report = verify_chain(
        &records.entries,
        std::slice::from_ref(&key),
        &records.heads,
        checkpoint.as_ref(),
    );
    ctx.emit(&report, || render(&report, checkpoint.as_ref()))?;
    if report.is_clean() {
        return Ok(());
    }
    Err(Exit {
        code: EXIT_TAMPERED,
        message: Some(format!(
            "the audit log failed verification: {} problem(s) found",
            report.findings.len()
        )),
    }
    .into())
}

fn read_checkpoint(
    path: &std::path::Path,
    key: &cardline_issuance::audit::AuditKey,
) -> anyhow::Result<Checkpoint> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the checkpoint {}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_CHECKPOINT_BYTES + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read the checkpoint {}", path.display()))?;
    if text.len() as u64 > MAX_CHECKPOINT_BYTES {
        anyhow::bail!(
            "{} is larger than {MAX_CHECKPOINT_BYTES} bytes: not a checkpoint written by \
             `cardline audit checkpoint`",
            path.display()
        );
    }
    Checkpoint::parse_and_check(&text, key).with_context(|| format!("{}", path.display()))
}

fn render(report: &VerifyReport, checkpoint: Option<&Checkpoint>) -> String {
    let mut out = String::new();
    let writers = report
        .writers
        .iter()
        .map(|(w, seq)| format!("{w} (seq {seq})"))
        .collect::<Vec<_>>()
        .join(", ");
    out.push_str(&format!(
        "{} entries, writers: {}\n",
        report.entries,
        if writers.is_empty() {
            "none".into()
        } else {
            writers
        }
    ));
    if let Some(cp) = checkpoint {
        out.push_str(&format!(
            "checked against the checkpoint of {} ({} writer(s))\n",
            cp.created_at,
            cp.heads.len()
        ));
    }
    if report.legacy > 0 {
        out.push_str(&format!(
            "note: {} entries were written before the chain existed (schema v4 and older) and \
             are not protected\n",
            report.legacy
        ));
    }
    if report.is_clean() {
        out.push_str("the audit log verifies: no entry edited, deleted, reordered or inserted");
    } else {
        for f in &report.findings {
            let kind = serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            out.push_str(&format!("{kind:<20} {}\n", crate::output::clean(&f.detail)));
        }
        out.pop();
    }
    out
}

#[derive(Serialize)]
struct Written {
    file: String,
    created_at: String,
    key_id: String,
    heads: Vec<cardline_issuance::audit::WriterHead>,
}

/// Writes a signed checkpoint of every writer's head.
pub fn checkpoint(ctx: &Context, args: CheckpointArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let key = ctx.audit_key()?;
    let records = store.audit_records()?;
    let cp = Checkpoint::sign(&key, records.heads, &timestamp::now());
    let mut text = serde_json::to_string_pretty(&cp)?;
    text.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.out)
        .with_context(|| {
            format!(
                "cannot create the checkpoint {} (an existing file is never replaced: choose \
                 another name)",
                args.out.display()
            )
        })?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", args.out.display()))?;
    store.audit_note(
        "audit.checkpoint",
        None,
        None,
        Some(&format!(
            "{} writer(s): {}",
            cp.heads.len(),
            cp.heads
                .iter()
                .map(|h| format!("{} seq {}", h.writer, h.seq))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        &ctx.actor(),
    )?;
    let written = Written {
        file: args.out.display().to_string(),
        created_at: cp.created_at.clone(),
        key_id: cp.key_id.clone(),
        heads: cp.heads.clone(),
    };
    ctx.emit(&written, || {
        format!(
            "wrote {} (key id {}, {} writer(s)); keep it off this machine, then check with \
             `cardline audit verify --checkpoint {}`",
            written.file,
            written.key_id,
            written.heads.len(),
            written.file
        )
    })
}
