//! `cardline serve --tls-from-ca`: the console's server certificate, issued by this home's CA
//! at start and kept in `<home>/tls`, reused while it still fits.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use cardline_issuance::ca::{LocalCa, SERVER_CERT_FILE, SERVER_KEY_FILE, ServerCertOnDisk};
use cardline_issuance::secrets::KeyFiles;

use crate::context::Context;

/// A certificate is issued again when the one on disk ends within this many days.
const RENEW_DAYS: i64 = 30;

/// The names the certificate is for: `--host` values, else the listen address (plus
/// `localhost` on loopback). A wildcard listen address needs `--host`.
fn names(listen: SocketAddr, hosts: &[String]) -> anyhow::Result<Vec<String>> {
    if !hosts.is_empty() {
        return Ok(hosts.to_vec());
    }
    let ip = listen.ip();
    if ip.is_unspecified() {
        anyhow::bail!(
            "--tls-from-ca listening on {listen} needs the names clients use: give --host NAME (DNS name or IP address, repeatable)"
        );
    }
    let mut names = vec![ip.to_string()];
    if ip.is_loopback() {
        names.push("localhost".into());
    }
    Ok(names)
}

/// Returns (certificate chain, key) files for `serve`: the ones in `<home>/tls` when they
/// name every host, chain to this CA and stay valid [`RENEW_DAYS`] more; otherwise a new
/// certificate (audited `ca.server_cert`), the old files renamed `*.replaced-<unix time>`.
pub fn from_ca(
    ctx: &Context,
    listen: SocketAddr,
    hosts: &[String],
) -> anyhow::Result<(PathBuf, PathBuf)> {
    let hosts = names(listen, hosts)?;
    let station = KeyFiles::in_home(ctx.home_dir()).station_key().context(
        "--tls-from-ca: the CA key that signs the server certificate is sealed under the station key (cardline keys init)",
    )?;
    let store = ctx.store()?;
    let ca = LocalCa::load(&ctx.home.ca_dir(), &station, store.clone())
        .context("--tls-from-ca needs this home's CA (cardline ca init)")?;
    let dir = ctx.home_dir().join("tls");
    let (cert, key) = (dir.join(SERVER_CERT_FILE), dir.join(SERVER_KEY_FILE));
    match ca.check_server_cert(&dir, &hosts, time::Duration::days(RENEW_DAYS))? {
        ServerCertOnDisk::Reusable { not_after } => {
            eprintln!(
                "serving the server certificate in {} (for {}, until {not_after})",
                dir.display(),
                hosts.join(", ")
            );
            return Ok((cert, key));
        }
        ServerCertOnDisk::Stale(why) => {
            let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
            for old in [&cert, &key] {
                if old.exists() {
                    let aside = old.with_extension(format!("pem.replaced-{stamp}"));
                    std::fs::rename(old, &aside).with_context(|| {
                        format!("moving {} aside to {}", old.display(), aside.display())
                    })?;
                }
            }
            eprintln!(
                "the server certificate in {} is not served again: {why}; kept aside as *.replaced-{stamp}",
                dir.display()
            );
        }
        ServerCertOnDisk::Missing => {}
    }
    let issued = ca.issue_server_cert(&hosts)?;
    issued.write(&dir)?;
    store.audit_note(
        "ca.server_cert",
        None,
        None,
        Some(&format!(
            "server certificate for {} until {} (serve --tls-from-ca)",
            issued.hosts.join(", "),
            issued.not_after
        )),
        &ctx.actor(),
    )?;
    eprintln!(
        "issued a server certificate for {} until {} in {}; clients trust it through the CA certificate (cardline ca show --pem)",
        issued.hosts.join(", "),
        issued.not_after,
        dir.display()
    );
    Ok((cert, key))
}
