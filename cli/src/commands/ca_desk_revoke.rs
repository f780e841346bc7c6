//! `cardline ca desk-revoke`: the administrator revokes one desk's issuing CA alone
//! (docs/revocation.md). The revocation is recorded in the shared database, audited
//! `ca.desk_revoke`; the root's CRL (`ca crl`) lists it; the desk's production refuses every
//! card before a blank is fed.

use std::path::Path;

use anyhow::Context as _;
use cardline_issuance::ca::revocation::RevocationReason;
use cardline_issuance::ca::{CA_CERT_FILE, DeskCaRecord};
use serde::Serialize;

use crate::context::Context;

#[derive(Serialize)]
struct Revoked {
    desk: String,
    reason: &'static str,
    certificates: Vec<RevokedCa>,
}

#[derive(Serialize)]
struct RevokedCa {
    serial: String,
    issuer_id: String,
    fingerprint: String,
    revoked_at: String,
}

/// Runs `ca desk-revoke` in the home whose CA directory is `dir` (the root's).
pub fn run(
    ctx: &Context,
    dir: &Path,
    desk: &str,
    reason: RevocationReason,
    cert: Option<&Path>,
) -> anyhow::Result<()> {
    cardline_issuance::ca::check_desk_name(desk)?;
    let store = ctx.store()?;
    ctx.identity(&*store)?
        .require_admin(&format!("revoking the CA of desk {desk}"))?;
    if let Some(file) = cert {
        let pem = std::fs::read_to_string(file)
            .with_context(|| format!("reading the desk CA certificate {}", file.display()))?;
        let root_file = dir.join(CA_CERT_FILE);
        let root = std::fs::read_to_string(&root_file).with_context(|| {
            format!(
                "reading this home's root certificate {} (run desk-revoke on the \
                 administrator's home)",
                root_file.display()
            )
        })?;
        let record = DeskCaRecord::from_pem_issued_by(desk, &pem, &root)
            .with_context(|| format!("the certificate {}", file.display()))?;
        store.record_desk_ca(&record)?;
    }
    let revoked = store.revoke_desk_ca(desk, reason, &ctx.actor())?;
    let shown = Revoked {
        desk: desk.to_string(),
        reason: reason.crl_name(),
        certificates: revoked
            .into_iter()
            .map(|r| RevokedCa {
                serial: r.serial,
                issuer_id: r.issuer_id,
                fingerprint: r.fingerprint,
                revoked_at: r.revoked_at.unwrap_or_default(),
            })
            .collect(),
    };
    ctx.emit(&shown, || {
        let mut text = String::new();
        for c in &shown.certificates {
            text.push_str(&format!(
                "revoked the CA of desk {} (serial {}, {}) at {}: {}\n",
                shown.desk, c.serial, c.issuer_id, c.revoked_at, shown.reason
            ));
        }
        text.push_str(&format!(
            "desk {desk} can no longer issue: its production refuses every card before a blank \
             is fed\npublish the root's CRL: cardline ca crl --out FILE\ngive the desk a new CA: \
             cardline ca desk-init --desk {desk} --out FILE, then on the desk move ca/ aside \
             and cardline ca desk-import FILE"
        ));
        text
    })
}
