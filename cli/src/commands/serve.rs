//! `cardline serve --cert FILE --key FILE [--listen ADDR]` (HTTPS) or `cardline serve
//! --insecure-http --listen 127.0.0.1:8443` (plain HTTP, loopback only): the operator console
//! and the REST API over this home's store ([docs/console.md](../../../docs/console.md)).

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
    /// Serve plain HTTP instead of HTTPS (loopback addresses only).
    #[arg(long)]
    pub insecure_http: bool,
    /// TLS certificate chain (PEM: the server certificate first).
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// TLS private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
    /// HTTPS with a server certificate issued by this home's CA for the `--host` names (or the
    /// listen address): kept in <home>/tls and reused while it names them and stays valid 30
    /// more days; otherwise the old files are kept aside and a new certificate is issued.
    #[arg(long, conflicts_with_all = ["cert", "key", "insecure_http"])]
    pub tls_from_ca: bool,
    /// A demo: a fresh home (24 requested cards, three desks on simulated stations, an
    /// `operator` user whose one-time password is printed once), plain HTTP on loopback.
    #[arg(long, conflicts_with_all = ["cert", "key", "tls_from_ca"])]
    pub demo: bool,
    /// Where `--demo` makes its home (default: a new directory under the system temp dir).
    #[arg(long, requires = "demo", value_name = "DIR")]
    pub demo_dir: Option<PathBuf>,
    /// Minutes of inactivity that end a session.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub idle_minutes: u64,
    /// Hours after login that end a session, used or not.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=168))]
    pub session_hours: u64,
    /// A name browsers use for the console (repeatable); requests for any other `Host` are
    /// refused (DNS rebinding). Default: the listen address, plus localhost on loopback.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
}

/// Serves until Ctrl-C.
pub fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let (cert, key) = if args.tls_from_ca {
        let (cert, key) = super::serve_tls::from_ca(ctx, args.listen, &args.hosts)?;
        (Some(cert), Some(key))
    } else {
        (args.cert, args.key)
    };
    let config = ServeConfig {
        listen: args.listen,
        insecure_http: args.insecure_http || args.demo,
        cert,
        key,
        sessions: SessionRule {
            idle: std::time::Duration::from_secs(args.idle_minutes * 60),
            absolute: std::time::Duration::from_secs(args.session_hours * 3600),
            ..SessionRule::default()
        },
        hosts: args.hosts,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Bind before anything else starts: a busy port is refused at once, and `--listen
    // 127.0.0.1:0` learns the port the system chose before it is printed.
    let listening = runtime.block_on(cardline_server::listen(config))?;
    let address = listening.local_addr();
    if args.demo {
        let url = format!("http://{address}/");
        let desks = super::serve_demo::prepare(ctx, args.demo_dir, &url)?;
        let store = desks.store()?;
        runtime.block_on(listening.serve(store))?;
        drop(desks);
        return Ok(());
    }
    let store = ctx.store()?;
    if store.users()?.is_empty() {
        eprintln!("no console user yet: add one with `cardline users add NAME --role operator`");
    }
    if listening.is_https() {
        eprintln!("cardline console on https://{address}; Ctrl-C stops it");
    } else {
        eprintln!(
            "cardline console on http://{address} (plain HTTP, loopback only); Ctrl-C stops it"
        );
    }
    runtime.block_on(listening.serve(store))?;
    Ok(())
}
