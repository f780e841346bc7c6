//! `cardline serve --demo`: the console over a fresh demo home — 24 requested cards, three
//! `desk run` daemons on simulated stations (one jams once, one opens its cover once and
//! closes it), an `operator` user with a random one-time password printed once with the URL,
//! plain HTTP on loopback. Ctrl-C stops the console and the desks.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::Context as _;
use cardline_issuance::store::Actor;
use cardline_issuance::store::users::Role;

use crate::context::Context;

/// Cards requested in the demo home.
const CARDS: &str = "24";

/// The demo desks: one simulated station each, at 1/20 of real time.
const DESKS: [(&str, &str); 3] = [
    ("desk-1", "&faults=jam@3:printing"),
    ("desk-2", "&family=magicard"),
    ("desk-3", "&faults=cover-opens@4:4"),
];

/// The demo's home and desk daemons; the desks are killed (and reaped) when dropped.
pub struct DemoDesks(Vec<Child>, Context);

impl DemoDesks {
    /// The demo home's store.
    pub fn store(&self) -> anyhow::Result<std::sync::Arc<dyn cardline_issuance::store::Store>> {
        self.1.store()
    }
}

impl Drop for DemoDesks {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Makes the demo home `dir` (fresh), starts its desks, adds the operator and prints the
/// URL and one-time password for `url`.
pub fn prepare(ctx: &Context, dir: Option<PathBuf>, url: &str) -> anyhow::Result<DemoDesks> {
    let dir = dir.unwrap_or_else(|| {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        std::env::temp_dir().join(format!(
            "cardline-serve-demo-{}-{stamp}",
            std::process::id()
        ))
    });
    if dir.join("cardline.db").exists() {
        anyhow::bail!(
            "{} already holds a cardline home: `serve --demo` needs a fresh one (give another --demo-dir)",
            dir.display()
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for args in [
        &["init"][..],
        &["keys", "init"],
        &["ca", "init"],
        &["request", "--count", CARDS],
    ] {
        run_quiet(&dir, args)?;
    }
    let demo = Context::new(dir.clone(), Some("demo".into()), false, ctx.verbose);
    let password = cardline_server::secret::random_token();
    let password = zeroize::Zeroizing::new(password[..20].to_string());
    cardline_server::users::add(
        demo.store()?.as_ref(),
        "operator",
        Role::Operator,
        password.as_str().to_string(),
        &Actor("demo".into()),
    )?;
    let mut desks = DemoDesks(Vec::new(), demo);
    for (name, options) in DESKS {
        let file = dir.join(format!("{name}.toml"));
        std::fs::write(
            &file,
            format!(
                "[[station]]\nname = \"{name}\"\nprinter = \"sim://{name}?time_scale=0.05{options}\"\nreader = \"sim\"\n"
            ),
        )?;
        let log = std::fs::File::create(dir.join(format!("{name}.log")))?;
        let child = cardline(&dir)
            .args(["desk", "run", "--desk", name, "--idle-poll-ms", "100"])
            .arg("--stations")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting a demo desk")?;
        desks.0.push(child);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "cardline console demo: {url}")?;
    writeln!(out, "  log in as: operator")?;
    writeln!(out, "  password:  {} (shown once)", password.as_str())?;
    writeln!(
        out,
        "  home {}: {CARDS} requested cards; desks {} run simulated stations (logs there)",
        dir.display(),
        DESKS.map(|d| d.0).join(", ")
    )?;
    writeln!(
        out,
        "  Search, tick, Issue, Next, watch the order; Ctrl-C stops the console and the desks."
    )?;
    out.flush()?;
    Ok(desks)
}

fn cardline(home: &Path) -> Command {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("cardline"));
    let mut c = Command::new(exe);
    c.arg("--home")
        .arg(home)
        // Recorded as the OS user who runs the demo: once the demo's user exists, `--operator`
        // naming anyone else would need the admin role.
        .env_remove("CARDLINE_OPERATOR")
        .env_remove("CARDLINE_DATABASE");
    c
}

fn run_quiet(home: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = cardline(home)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running cardline {}", args.join(" ")))?;
    if !out.status.success() {
        anyhow::bail!(
            "preparing the demo home: cardline {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}
