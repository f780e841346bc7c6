//! A pcscd owned by one test, so that the test can kill it and start it again without touching
//! the machine's pcscd (other tests and other programs use that one).
//!
//! pcscd 1.9 refuses to start while another pcscd owns `/run/pcscd/pcscd.comm`, and always
//! creates its socket there; the client library (libpcsclite, used by the `pcsc` crate) honours
//! `PCSCLITE_CSOCK_NAME`. So the test's pcscd runs in a private mount namespace
//! (`unshare --mount`) where a directory of the test is bind-mounted on `/run/pcscd`, with its
//! own reader configuration: a vpcd reader pair on free TCP ports, named `Faults PCD 00 00` and
//! `Faults PCD 00 01`. `cardline` processes get `PCSCLITE_CSOCK_NAME=<dir>/pcscd.comm`. Needs
//! root (mount namespaces), `unshare`, `pcscd` and the vpcd driver; otherwise [`OwnPcscd::start`]
//! says why and the test prints `skipped: ...`.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian's vsmartcard-vpcd package puts the vpcd driver.
const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
/// The reader name prefix of the test's vpcd readers.
pub const READER_NAME: &str = "Faults PCD";

/// A running (or killed) pcscd of the test.
pub struct OwnPcscd {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    /// How many times it was started.
    pub starts: u32,
}

impl OwnPcscd {
    /// Starts a private pcscd with two vpcd readers, or says why it cannot.
    pub fn start() -> Result<OwnPcscd, String> {
        if !super::is_root() {
            return Err("not root (a private pcscd needs a mount namespace)".into());
        }
        for program in ["pcscd", "unshare"] {
            if !super::on_path(program) {
                return Err(format!("`{program}` is not installed"));
            }
        }
        if !Path::new(VPCD_DRIVER).exists() {
            return Err(format!("no vpcd driver at {VPCD_DRIVER} (vsmartcard-vpcd)"));
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::create_dir(dir.path().join("run")).map_err(|e| e.to_string())?;
        std::fs::create_dir(dir.path().join("conf")).map_err(|e| e.to_string())?;
        let port = free_port_pair()?;
        std::fs::write(
            dir.path().join("conf/vpcd"),
            format!(
                "FRIENDLYNAME \"{READER_NAME}\"\nDEVICENAME   /dev/null:0x{port:04X}\n\
                 LIBPATH      {VPCD_DRIVER}\nCHANNELID    0x{port:04X}\n"
            ),
        )
        .map_err(|e| e.to_string())?;
        let mut own = OwnPcscd {
            dir,
            port,
            child: None,
            starts: 0,
        };
        own.restart()?;
        Ok(own)
    }

    /// The socket the test's `cardline` processes use (`PCSCLITE_CSOCK_NAME`).
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("run/pcscd.comm")
    }

    /// The vpcd address of reader `slot` (0 or 1): a simulated chip connects there.
    pub fn vpcd_addr(&self, slot: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port + slot))
    }

    /// The PC/SC name of reader `slot`.
    pub fn reader(&self, slot: u16) -> String {
        format!("{READER_NAME} 00 {slot:02}")
    }

    /// Whether it is running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// SIGKILL: the PC/SC service disappears at once, as when pcscd crashes.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it (again, after [`kill`](Self::kill)) and waits until it answers on its socket.
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        let run = self.dir.path().join("run");
        let conf = self.dir.path().join("conf");
        let log = std::fs::File::create(self.dir.path().join(format!("pcscd-{}.log", self.starts)))
            .map_err(|e| e.to_string())?;
        let child = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(
                "mkdir -p /run/pcscd && mount --bind \"$0\" /run/pcscd && exec pcscd --foreground --apdu --debug -c \"$1\"",
            )
            .arg(&run)
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("unshare: {e}"))?;
        self.child = Some(child);
        self.starts += 1;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if !self.is_running() {
                return Err(format!("pcscd exited at once: {}", self.log()));
            }
            if UnixStream::connect(self.socket()).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        Err(format!("pcscd did not answer within 15 s: {}", self.log()))
    }

    /// How many APDUs the running pcscd passed to a card since it started (it runs with
    /// `--apdu --debug`, logging each command and response).
    pub fn apdus(&self) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("APDU:") || l.contains("apdu:"))
            .count()
    }

    /// What pcscd printed in its last start.
    pub fn log(&self) -> String {
        let path = self
            .dir
            .path()
            .join(format!("pcscd-{}.log", self.starts.saturating_sub(1)));
        std::fs::read_to_string(path).unwrap_or_default()
    }
}

impl Drop for OwnPcscd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Two consecutive free TCP ports (vpcd listens on `port` and `port + 1`).
fn free_port_pair() -> Result<u16, String> {
    for _ in 0..50 {
        let first = TcpListener::bind("0.0.0.0:0").map_err(|e| e.to_string())?;
        let port = first.local_addr().map_err(|e| e.to_string())?.port();
        if port < u16::MAX && TcpListener::bind(("0.0.0.0", port + 1)).is_ok() {
            return Ok(port);
        }
    }
    Err("no two consecutive free TCP ports".into())
}
