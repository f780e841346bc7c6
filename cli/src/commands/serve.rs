//! `cardline serve --listen 127.0.0.1:8443 --insecure-http`: the operator console and the
//! REST API over this home's store ([docs/console.md](../../../docs/console.md)). TLS
//! (`--cert`/`--key`) is not built yet: plain HTTP is served on loopback addresses only, and
//! only with `--insecure-http`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use cardline_server::{ServeConfig, SessionRule};

use crate::context::Context;

/// Arguments of `cardline serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Serve plain HTTP (loopback addresses only; TLS is not built yet).
    #[arg(long)]
    pub insecure_http: bool,
    /// TLS certificate chain (PEM). Not supported yet: refused with an explanation.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// TLS private key (PEM). Not supported yet.
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// Minutes of inactivity that end a session.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub idle_minutes: u64,
    /// Hours after login that end a session, used or not.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=168))]
    pub session_hours: u64,
}

/// Serves until Ctrl-C.
pub fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let config = ServeConfig {
        listen: args.listen,
        insecure_http: args.insecure_http,
        cert: args.cert,
        key: args.key,
        sessions: SessionRule {
            idle: std::time::Duration::from_secs(args.idle_minutes * 60),
            absolute: std::time::Duration::from_secs(args.session_hours * 3600),
            ..SessionRule::default()
        },
    };
    config.check()?;
    let store = ctx.store()?;
    if store.users()?.is_empty() {
        eprintln!("no console user yet: add one with `cardline users add NAME --role operator`");
    }
    eprintln!(
        "cardline console on http://{} (plain HTTP, loopback only); Ctrl-C stops it",
        config.listen
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(cardline_server::serve(config, store))?;
    Ok(())
}
