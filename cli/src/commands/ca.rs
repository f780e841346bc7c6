//! `cardline ca init|show`: the local issuing CA of this home.

use anyhow::Context as _;
use cardline_issuance::ca::revocation::RevocationReason;
use cardline_issuance::ca::{CaKeyAlgorithm, DeskCaBundle, DeskCaRecord, LocalCa};
use cardline_issuance::secrets::KeyFiles;
use serde::Serialize;

use crate::context::Context;

/// Subcommands of `cardline ca`.
#[derive(Debug, clap::Subcommand)]
pub enum CaCommand {
    /// Create the local issuing CA (needs `cardline keys init` first: the CA key is sealed
    /// under the station key). Never replaces an existing CA.
    Init {
        /// The CA's common name.
        #[arg(long, default_value = "cardline temporary card CA")]
        name: String,
        /// The CA key algorithm: p256 or p384.
        #[arg(long, default_value = "p256", value_parser = parse_algorithm)]
        algorithm: CaKeyAlgorithm,
    },
    /// Administrator: create the issuing CA of a desk, certified by this home's (root) CA, and
    /// write it with the root certificate to a bundle encrypted under a passphrase (taken from
    /// the environment variable named by --passphrase-env). Install it on the desk with
    /// `cardline ca desk-import`.
    DeskInit {
        /// The desk's name (as in `desk run --desk`).
        #[arg(long)]
        desk: String,
        /// The bundle file to create (never overwritten).
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        /// The desk CA key algorithm: p256 or p384.
        #[arg(long, default_value = "p256", value_parser = parse_algorithm)]
        algorithm: CaKeyAlgorithm,
        /// The environment variable holding the bundle passphrase (at least 12 characters).
        #[arg(long, default_value = "CARDLINE_BUNDLE_PASSPHRASE", value_name = "VAR")]
        passphrase_env: String,
    },
    /// On a desk: install the desk CA from a bundle made by `ca desk-init` (its key is sealed
    /// under this desk's station key; `cardline keys init` first). Card certificates issued
    /// here then chain to the office's root CA.
    DeskImport {
        /// The bundle file.
        bundle: std::path::PathBuf,
        /// The environment variable holding the bundle passphrase.
        #[arg(long, default_value = "CARDLINE_BUNDLE_PASSPHRASE", value_name = "VAR")]
        passphrase_env: String,
    },
    /// Administrator (admin role once users exist): revoke the issuing CA of a stolen or
    /// retired desk, alone. Recorded in the shared database (that desk stops issuing: its
    /// production refuses every card before a blank is fed) and listed on the root's CRL
    /// (`cardline ca crl` here). Give the desk a new CA with `ca desk-init` + `ca desk-import`.
    DeskRevoke {
        /// The desk's name (as given to `ca desk-init --desk`).
        #[arg(long)]
        desk: String,
        /// The CRL reason: keyCompromise, cessationOfOperation, superseded or
        /// affiliationChanged.
        #[arg(long, default_value = "keyCompromise", value_parser = parse_desk_reason)]
        reason: RevocationReason,
        /// The desk CA certificate (PEM, the desk's ca/ca.crt) of a desk CA made before
        /// cardline recorded them: checked against this root, recorded, then revoked.
        #[arg(long, value_name = "FILE")]
        cert: Option<std::path::PathBuf>,
    },
    /// Show the CA: subject, validity, fingerprint, certificates issued, whether this
    /// station's key opens it.
    Show {
        /// Print the CA certificate (PEM) only, e.g. to install it as a trust anchor.
        #[arg(long)]
        pem: bool,
    },
    /// Issue a TLS server certificate for `cardline serve` from this CA (subjectAltName = the
    /// hosts, serverAuth, 397 days): writes DIR/server.pem (the chain) and DIR/server-key.pem
    /// (mode 0600), never overwriting. Clients trust it through the CA certificate
    /// (`cardline ca show --pem`).
    ServerCert {
        /// A name clients use for the console: DNS name or IP address (repeatable).
        #[arg(long = "host", value_name = "NAME", required = true)]
        hosts: Vec<String>,
        /// Where to write server.pem and server-key.pem.
        #[arg(long, value_name = "DIR")]
        out_dir: std::path::PathBuf,
    },
    /// Write the CA's signed CRL (PEM): every certificate of a spoiled chip (attempt voided,
    /// lost or failed) or of a card repeated, locked or expired, and on the office's root every
    /// desk CA revoked by `ca desk-revoke` (docs/revocation.md).
    Crl {
        /// Where to write the CRL (replaced if it exists: publish the newest).
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        /// Days until the CRL's nextUpdate (1..=365).
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u16).range(1..=365))]
        days: u16,
    },
}

fn parse_desk_reason(s: &str) -> Result<RevocationReason, String> {
    RevocationReason::parse_crl_name(s)
        .filter(|r| {
            matches!(
                r,
                RevocationReason::KeyCompromise
                    | RevocationReason::CessationOfOperation
                    | RevocationReason::Superseded
                    | RevocationReason::AffiliationChanged
            )
        })
        .ok_or_else(|| {
            format!(
                "`{s}` is not a desk CA revocation reason: keyCompromise, cessationOfOperation, \
                 superseded or affiliationChanged"
            )
        })
}

fn parse_algorithm(s: &str) -> Result<CaKeyAlgorithm, String> {
    CaKeyAlgorithm::parse(s).ok_or_else(|| format!("unknown CA key algorithm `{s}` (p256, p384)"))
}

#[derive(Serialize)]
struct DeskCaShown {
    desk: String,
    bundle: String,
    fingerprint: String,
    root: String,
    /// The key id of the management-key master the bundle carries.
    management_master: Option<String>,
}

fn passphrase(var: &str) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let value = std::env::var(var).map_err(|_| {
        anyhow::anyhow!(
            "no bundle passphrase: set the environment variable {var} (at least {} characters; \
             --passphrase-env names another variable)",
            cardline_issuance::ca::MIN_PASSPHRASE_CHARS
        )
    })?;
    cardline_issuance::ca::check_passphrase(&value)?;
    Ok(zeroize::Zeroizing::new(value))
}

#[derive(Serialize)]
struct ServerCertShown {
    hosts: Vec<String>,
    cert: String,
    key: String,
    not_after: String,
}

#[derive(Serialize)]
struct CaShown {
    #[serde(flatten)]
    summary: cardline_issuance::ca::CaSummary,
    /// Whether this station's key opens the CA key.
    key_opens: bool,
    /// Why not, when it does not.
    key_problem: Option<String>,
}

/// Runs a `cardline ca` subcommand.
pub fn run(ctx: &Context, cmd: CaCommand) -> anyhow::Result<()> {
    let dir = ctx.home.ca_dir();
    match cmd {
        CaCommand::Init { name, algorithm } => {
            let station = KeyFiles::in_home(ctx.home_dir())
                .station_key()
                .context("the CA key is sealed under the station key")?;
            // The CA's issued-certificates index lives in the store.
            let store = ctx.store()?;
            let ca = LocalCa::init(&dir, &name, algorithm, &station, store.clone())?;
            let summary = LocalCa::summary(ca.dir(), &*store)?;
            store.audit_note(
                "ca.init",
                None,
                None,
                Some(&format!(
                    "{} ({}, SHA-256 {})",
                    summary.subject, summary.algorithm, summary.fingerprint
                )),
                &ctx.actor(),
            )?;
            ctx.emit(&summary, || {
                format!(
                    "created CA `{}` ({}) in {}\nvalid until {}\nSHA-256 {}\ncertificate: {}",
                    summary.subject,
                    summary.algorithm,
                    summary.dir,
                    summary.not_after,
                    summary.fingerprint,
                    dir.join(cardline_issuance::ca::CA_CERT_FILE).display()
                )
            })
        }
        CaCommand::DeskInit {
            desk,
            out,
            algorithm,
            passphrase_env,
        } => {
            let passphrase = passphrase(&passphrase_env)?;
            cardline_issuance::ca::check_desk_name(&desk)?;
            let station = KeyFiles::in_home(ctx.home_dir())
                .station_key()
                .context("the root CA key is sealed under this home's station key")?;
            let store = ctx.store()?;
            let root = LocalCa::load(&dir, &station, store.clone())?;
            let files = KeyFiles::in_home(ctx.home_dir());
            let master = files.master_key().context(
                "the bundle carries the office's management-key master, which every desk shares",
            )?;
            let master_id = cardline_issuance::secrets::master_key_id_of(&master);
            let bundle = root.issue_desk_ca(&desk, algorithm)?.with_master(&master);
            bundle
                .write_encrypted(&out, &passphrase)
                .with_context(|| format!("writing the bundle {}", out.display()))?;
            let fingerprint = bundle.fingerprint();
            store.record_desk_ca(&DeskCaRecord::from_pem(&desk, &bundle.cert_pem)?)?;
            store.audit_note(
                "ca.desk_init",
                None,
                None,
                Some(&format!(
                    "desk {desk}: CA SHA-256 {fingerprint}, management-key master {master_id}, \
                     bundle {}",
                    out.display()
                )),
                &ctx.actor(),
            )?;
            let shown = DeskCaShown {
                desk: desk.clone(),
                bundle: out.display().to_string(),
                fingerprint,
                root: root.subject().to_string(),
                management_master: Some(master_id),
            };
            ctx.emit(&shown, || {
                format!(
                    "created the issuing CA of desk {desk} (SHA-256 {}), certified by {}\n\
                     bundle {} (encrypted under the passphrase in ${passphrase_env})\n\
                     on the desk: cardline ca desk-import {}",
                    shown.fingerprint, shown.root, shown.bundle, shown.bundle
                )
            })
        }
        CaCommand::DeskImport {
            bundle,
            passphrase_env,
        } => {
            let passphrase = passphrase(&passphrase_env)?;
            let opened = DeskCaBundle::read_encrypted(&bundle, &passphrase)?;
            let station = KeyFiles::in_home(ctx.home_dir())
                .station_key()
                .context("the desk CA key is sealed under this desk's station key")?;
            let store = ctx.store()?;
            let master = opened.master()?;
            let ca = LocalCa::import_desk_ca(&dir, &opened, &station, store.clone())?;
            // Recorded here too (a desk sharing the root's database finds it recorded already):
            // `ca desk-revoke` and the check before each card need it.
            store.record_desk_ca(&DeskCaRecord::from_pem(&opened.desk, &opened.cert_pem)?)?;
            let fingerprint = ca.fingerprint();
            let files = KeyFiles::in_home(ctx.home_dir());
            let installed = master.map(|m| files.install_master(&m)).transpose()?;
            let master_note = match &installed {
                None => "no management-key master in the bundle".to_string(),
                Some(i) => match &i.replaced {
                    None => format!("management-key master {}", i.id),
                    Some((old, kept)) => format!(
                        "management-key master {} (replaced {old}, kept as {})",
                        i.id,
                        kept.display()
                    ),
                },
            };
            store.audit_note(
                "ca.desk_import",
                None,
                None,
                Some(&format!(
                    "desk {}: CA SHA-256 {fingerprint}, {master_note}",
                    opened.desk
                )),
                &ctx.actor(),
            )?;
            let shown = DeskCaShown {
                desk: opened.desk.clone(),
                bundle: bundle.display().to_string(),
                fingerprint,
                root: opened.root_subject(),
                management_master: installed.as_ref().map(|i| i.id.clone()),
            };
            ctx.emit(&shown, || {
                format!(
                    "installed the issuing CA of desk {} in {} (SHA-256 {}), chained to {}\n{}",
                    shown.desk,
                    dir.display(),
                    shown.fingerprint,
                    shown.root,
                    master_note
                )
            })
        }
        CaCommand::DeskRevoke { desk, reason, cert } => {
            super::ca_desk_revoke::run(ctx, &dir, &desk, reason, cert.as_deref())
        }
        CaCommand::ServerCert { hosts, out_dir } => {
            let station = KeyFiles::in_home(ctx.home_dir()).station_key().context(
                "the CA key that signs the server certificate is sealed under the station key",
            )?;
            let store = ctx.store()?;
            let ca = LocalCa::load(&dir, &station, store.clone())?;
            let issued = ca.issue_server_cert(&hosts)?;
            let (cert, key) = issued.write(&out_dir)?;
            store.audit_note(
                "ca.server_cert",
                None,
                None,
                Some(&format!(
                    "server certificate for {} until {}",
                    issued.hosts.join(", "),
                    issued.not_after
                )),
                &ctx.actor(),
            )?;
            let shown = ServerCertShown {
                hosts: issued.hosts.clone(),
                cert: cert.display().to_string(),
                key: key.display().to_string(),
                not_after: issued.not_after.to_string(),
            };
            ctx.emit(&shown, || {
                format!(
                    "server certificate for {} (until {}): {} and {}\nserve it with: cardline serve --cert {} --key {} {}",
                    shown.hosts.join(", "),
                    shown.not_after,
                    shown.cert,
                    shown.key,
                    shown.cert,
                    shown.key,
                    shown.hosts.iter().map(|h| format!("--host {h}")).collect::<Vec<_>>().join(" ")
                )
            })
        }
        CaCommand::Crl { out, days } => {
            let station = KeyFiles::in_home(ctx.home_dir())
                .station_key()
                .context("the CA key that signs the CRL is sealed under the station key")?;
            let store = ctx.store()?;
            let ca = LocalCa::load(&dir, &station, store.clone())?;
            let crl = ca.crl(
                time::OffsetDateTime::now_utc(),
                time::Duration::days(i64::from(days)),
            )?;
            let tmp = out.with_extension("crl-partial");
            std::fs::write(&tmp, &crl.pem)
                .and_then(|()| std::fs::rename(&tmp, &out))
                .with_context(|| format!("writing the CRL {}", out.display()))?;
            store.audit_note(
                "ca.crl",
                None,
                None,
                Some(&format!(
                    "CRL number {} with {} revoked certificate(s) ({} desk CA), next update {}",
                    crl.crl_number,
                    crl.revoked_serials.len(),
                    crl.revoked_desk_cas.len(),
                    crl.next_update
                )),
                &ctx.actor(),
            )?;
            ctx.emit(&crl, || {
                let desks = if crl.revoked_desk_cas.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; the CA of desk {} among them",
                        crl.revoked_desk_cas.join(", ")
                    )
                };
                format!(
                    "wrote {} (CRL number {}, {} revoked certificate(s){desks}, next update {})",
                    out.display(),
                    crl.crl_number,
                    crl.revoked_serials.len(),
                    crl.next_update
                )
            })
        }
        CaCommand::Show { pem } => {
            let store = ctx.store()?;
            let summary = LocalCa::summary(&dir, &*store)?;
            if pem {
                return ctx.print_text(&summary.certificate_pem);
            }
            let opened = KeyFiles::in_home(ctx.home_dir())
                .station_key()
                .map_err(anyhow::Error::from)
                .and_then(|key| Ok(LocalCa::load(&dir, &key, store.clone())?));
            let shown = CaShown {
                key_opens: opened.is_ok(),
                key_problem: opened.err().map(|e| e.to_string()),
                summary,
            };
            ctx.emit(&shown, || {
                let s = &shown.summary;
                format!(
                    "CA          {}\nalgorithm   {}\nserial      {}\nvalid       {} .. {}\n\
                     SHA-256     {}\nissued      {} certificates\ndirectory   {}\nkey         {}",
                    s.subject,
                    s.algorithm,
                    s.serial,
                    s.not_before,
                    s.not_after,
                    s.fingerprint,
                    s.issued,
                    s.dir,
                    match &shown.key_problem {
                        None => "opens with this station key".to_string(),
                        Some(why) => format!("NOT usable here: {why}"),
                    }
                )
            })
        }
    }
}
