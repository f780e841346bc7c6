//! `cardline keys init`: create the station key and the management-key master key.

use cardline_issuance::escrow::{EscrowIdentity, EscrowRecipient};
use cardline_issuance::secrets::KeyFiles;
use serde::Serialize;

use crate::context::Context;

/// Subcommands of `cardline keys`.
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Create `keys/station.key` (seals PIN/PUK and the CA key),
    /// `keys/management-master.key` (per-card management keys) and, unless it exists,
    /// `keys/audit.key` (MACs the audit log, signs checkpoints), mode 0600. Never overwrites.
    Init,
    /// Create the office's escrow key pair (administrator): `keys/escrow.key` (private, 0600:
    /// reveals the PIN/PUK of every card sealed to it — keep it off the desks) and
    /// `keys/escrow.pub` (public: install it on every desk with `keys escrow-import`). Once a
    /// home holds `escrow.pub`, its cards' secrets are sealed to it instead of the station key.
    EscrowInit,
    /// Install the escrow public key (`escrow.pub` from `keys escrow-init`, or its `age1…`
    /// text) on this desk: from now on this desk seals every card's PIN/PUK to it.
    EscrowImport {
        /// The `escrow.pub` file, or the recipient text itself (`age1…`).
        public_key: String,
    },
}

#[derive(Serialize)]
struct EscrowShown {
    key_id: String,
    public_key: String,
    public_key_file: String,
    private_key_file: Option<String>,
}

#[derive(Serialize)]
struct KeysCreated {
    station_key: String,
    station_key_id: String,
    management_master_key: String,
    audit_key: String,
    audit_key_id: String,
}

/// Runs a `cardline keys` subcommand.
pub fn run(ctx: &Context, cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Init => {
            let files = KeyFiles::in_home(ctx.home_dir());
            let key_id = files.init()?;
            if ctx.has_store() {
                ctx.store()?.audit_note(
                    "keys.init",
                    None,
                    None,
                    Some(&format!("station key {key_id}")),
                    &ctx.actor(),
                )?;
            }
            let created = KeysCreated {
                station_key: files.station_key_path().display().to_string(),
                station_key_id: key_id,
                management_master_key: files.master_key_path().display().to_string(),
                audit_key: files.audit_key_path().display().to_string(),
                audit_key_id: files.audit_key()?.key_id(),
            };
            ctx.emit(&created, || {
                format!(
                    "created {} (key id {})\ncreated {}\naudit key {} (key id {})\nBack them up: \
                     without the station key no sealed PIN/PUK and no CA key can be opened; \
                     without the master key no issued card can be managed; without the audit key \
                     the audit log cannot be verified.",
                    created.station_key,
                    created.station_key_id,
                    created.management_master_key,
                    created.audit_key,
                    created.audit_key_id
                )
            })
        }
        KeysCommand::EscrowInit => {
            let files = KeyFiles::in_home(ctx.home_dir());
            let (private, public) = (files.escrow_key_path(), files.escrow_public_path());
            for path in [&private, &public] {
                if path.exists() {
                    anyhow::bail!(
                        "{} already exists; cardline never replaces an escrow key (secrets \
                         sealed to it would no longer open)",
                        path.display()
                    );
                }
            }
            cardline_issuance::secrets::create_keys_dir(&files.dir)?;
            let identity = EscrowIdentity::generate();
            identity.save(&private)?;
            let recipient = identity.recipient();
            recipient.save(&public)?;
            note(ctx, "keys.escrow_init", &recipient)?;
            let shown = EscrowShown {
                key_id: recipient.key_id(),
                public_key: recipient.to_text(),
                public_key_file: public.display().to_string(),
                private_key_file: Some(private.display().to_string()),
            };
            ctx.emit(&shown, || {
                format!(
                    "created escrow key {}\nprivate {} (reveals every card sealed to it: keep \
                     it with the administrator, back it up, never on a desk)\npublic  {}\n\
                     install it on each desk: cardline keys escrow-import {}",
                    shown.key_id,
                    private.display(),
                    public.display(),
                    shown.public_key
                )
            })
        }
        KeysCommand::EscrowImport { public_key } => {
            let files = KeyFiles::in_home(ctx.home_dir());
            let recipient = if public_key.trim_start().starts_with("age1") {
                EscrowRecipient::parse(&public_key)?
            } else {
                EscrowRecipient::load(std::path::Path::new(&public_key))?
            };
            let public = files.escrow_public_path();
            if let Some(existing) = files.escrow_recipient()? {
                if existing.key_id() == recipient.key_id() {
                    anyhow::bail!(
                        "{} already holds escrow key {}",
                        public.display(),
                        existing.key_id()
                    );
                }
                anyhow::bail!(
                    "{} holds escrow key {}, not {}: remove it first if the office really \
                     replaced its escrow key (cards sealed before stay sealed to the old one)",
                    public.display(),
                    existing.key_id(),
                    recipient.key_id()
                );
            }
            cardline_issuance::secrets::create_keys_dir(&files.dir)?;
            recipient.save(&public)?;
            note(ctx, "keys.escrow_import", &recipient)?;
            let shown = EscrowShown {
                key_id: recipient.key_id(),
                public_key: recipient.to_text(),
                public_key_file: public.display().to_string(),
                private_key_file: None,
            };
            ctx.emit(&shown, || {
                format!(
                    "installed escrow key {} in {}: this desk now seals every card's PIN/PUK to it",
                    shown.key_id,
                    public.display()
                )
            })
        }
    }
}

fn note(ctx: &Context, action: &str, recipient: &EscrowRecipient) -> anyhow::Result<()> {
    if ctx.has_store() {
        ctx.store()?.audit_note(
            action,
            None,
            None,
            Some(&format!("escrow key {}", recipient.key_id())),
            &ctx.actor(),
        )?;
    }
    Ok(())
}
