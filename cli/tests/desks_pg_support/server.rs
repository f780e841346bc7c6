//! A private PostgreSQL server owned by one test, so it can be stopped and started again
//! without disturbing the shared test server: `initdb` into a temporary directory (as the
//! `postgres` user through `runuser` when the test runs as root, since initdb refuses root),
//! a free port on 127.0.0.1, its own socket directory, password (SCRAM) authentication over
//! TCP, like scripts/with-postgres.sh. Stopped (immediately) and removed on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::under_ci;

/// The running (or stopped) private server.
pub struct PrivateServer {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    port: u16,
    password: String,
    running: bool,
}

/// The newest `/usr/lib/postgresql/*/bin` holding `initdb` and `pg_ctl`.
fn server_binaries() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, bin)| bin)
}

fn skip(why: &str) -> Option<PrivateServer> {
    assert!(
        !under_ci(),
        "CI is set but a private PostgreSQL server cannot be started: {why}"
    );
    cardline_device::skipped!("{why}");
    None
}

fn random_hex(bytes: usize) -> String {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("/dev/urandom gives bytes");
    hex::encode(buf)
}

impl PrivateServer {
    /// Creates and starts a server; `None` (after a `skipped:` line) when the server
    /// binaries, or the `postgres` user needed as root, are missing. Under `CI=true` a
    /// missing piece fails the test instead.
    pub fn start() -> Option<PrivateServer> {
        let Some(bin) = server_binaries() else {
            return skip(
                "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (Debian package postgresql)",
            );
        };
        let as_postgres = super::is_root();
        if as_postgres
            && !Command::new("id")
                .arg("postgres")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        {
            return skip("running as root without a `postgres` user to run a private server");
        }
        let dir = tempfile::Builder::new()
            .prefix("cardline-private-pg.")
            .tempdir()
            .unwrap()
            .keep();
        let mut server = PrivateServer {
            dir,
            bin,
            as_postgres,
            port: 0,
            password: random_hex(16),
            running: false,
        };
        if as_postgres {
            server.chown(&server.dir.clone());
        }
        let pwfile = server.dir.join("pwfile");
        std::fs::write(&pwfile, format!("{}\n", server.password)).unwrap();
        if as_postgres {
            server.chown(&pwfile);
        }
        let data = server.data();
        let out = server
            .as_server(&server.bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "cardline"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args([
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ])
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&pwfile);
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // A free port: another process may take it between the probe and the start; then
        // another is tried.
        for _ in 0..8 {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            server.port = probe.local_addr().unwrap().port();
            drop(probe);
            if server.pg_ctl_start() {
                return Some(server);
            }
        }
        panic!(
            "the private PostgreSQL server did not start: {}",
            server.log_tail()
        );
    }

    /// The URL of `database` on this server (as the `cardline` superuser).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://cardline:{}@127.0.0.1:{}/{database}?sslmode=disable",
            self.password, self.port
        )
    }

    /// Creates the database `name`.
    pub fn create_database(&self, name: &str) {
        let url = cardline_postgres::DatabaseUrl::parse(&self.url("postgres")).unwrap();
        let mut client = cardline_postgres::PostgresStore::client(&url).unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
    }

    /// Stops the server the way an administrator restarting it does (`pg_ctl stop -m fast`:
    /// every session is ended, open transactions are rolled back).
    pub fn stop(&mut self) {
        let out = self
            .as_server(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "-t", "60", "stop"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.running = false;
    }

    /// Starts it again on the same port.
    pub fn start_again(&mut self) {
        assert!(
            self.pg_ctl_start(),
            "the private PostgreSQL server did not start again: {}",
            self.log_tail()
        );
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn pg_ctl_start(&mut self) -> bool {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=100 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let ok = self
            .as_server(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        self.running = ok;
        ok
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// A command run as the server's user, from the server's directory (the `postgres` user
    /// may not be allowed into the test's working directory).
    fn as_server(&self, program: &Path) -> Command {
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        c.current_dir(&self.dir);
        c
    }

    fn chown(&self, path: &Path) {
        let status = Command::new("chown")
            .arg("postgres:")
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "chown postgres: {}", path.display());
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        if self.running {
            let _ = self
                .as_server(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
