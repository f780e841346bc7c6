//! The vpcd endpoint: plugs a [`SimCard`](crate::card::SimCard) into a real pcscd through
//! the vsmartcard `vpcd` reader driver, so any PC/SC client (OpenSC, yubico-piv-tool, the
//! cardline PC/SC driver) talks to it as to a chip in `Virtual PCD 00 0n`.
//!
//! Protocol (virtualsmartcard `vpcd.c`): vpcd listens on TCP 35963 + slot; the card connects.
//! Every message is a 2-byte big-endian length and a payload. A 1-byte payload is a control
//! code (0 power off, 1 power on, 2 reset, 4 "send your ATR" — only 4 is answered); anything
//! longer is a command APDU answered by one response APDU.
//!
//! Debian 12's vpcd writes length and payload in two segments; with delayed ACK on our side
//! each APDU would cost ~45 ms. `TCP_QUICKACK` is re-armed before every read (Linux resets it
//! on its own) and replies go out in one write with `TCP_NODELAY`: ~0.1 ms per APDU.
//!
//! ```no_run
//! use cardline_sim::card::{SimCard, SimCardConfig, SimCardTransport};
//! use cardline_sim::vpcd::{VpcdCard, VPCD_PORT};
//! let card = SimCardTransport::share(SimCard::new(SimCardConfig::default()));
//! let plugged = VpcdCard::spawn(card, ([127, 0, 0, 1], VPCD_PORT).into());
//! // ... pcscd now shows a card in "Virtual PCD 00 00" ...
//! plugged.stop();
//! ```

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::card::{CardReply, SharedSimCard};
use crate::device_thread::DeviceThread;

/// The first vpcd port (slot 0, reader `Virtual PCD 00 00`); slot n listens on this + n.
pub const VPCD_PORT: u16 = 35963;

/// How long a read waits before the loop checks for a stop request.
const READ_POLL: Duration = Duration::from_millis(100);
/// Pause between connection attempts while vpcd is not listening or the card is out.
const RECONNECT_PAUSE: Duration = Duration::from_millis(50);
/// Timeout of one connection attempt and of one reply write.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// The reader name pcscd gives the vpcd slot listening on `port` (35963 → `Virtual PCD 00 00`).
pub fn reader_name_for_port(port: u16) -> Option<String> {
    let slot = port.checked_sub(VPCD_PORT)?;
    (slot < 100).then(|| format!("Virtual PCD 00 {slot:02}"))
}

/// Counters of a running vpcd endpoint.
#[derive(Default)]
struct Counters {
    connected: AtomicBool,
    connections: AtomicU64,
    apdus: AtomicU64,
    command_bytes: AtomicU64,
    response_bytes: AtomicU64,
    by_instruction: Mutex<BTreeMap<u8, u64>>,
}

/// Starts vpcd endpoints.
pub struct VpcdCard;

impl VpcdCard {
    /// Spawns a thread that keeps `card` plugged into the vpcd slot at `addr`: it connects,
    /// serves control codes and APDUs, and reconnects whenever vpcd drops the connection (or
    /// the card was pulled out and put back). Stop it with [`VpcdHandle::stop`] or by dropping
    /// the handle.
    pub fn spawn(card: SharedSimCard, addr: SocketAddr) -> VpcdHandle {
        let counters = Arc::new(Counters::default());
        let device = {
            let counters = counters.clone();
            DeviceThread::spawn(format!("vpcd-card-{}", addr.port()), move |stop| {
                run(card, addr, &stop, &counters)
            })
            .expect("spawning the vpcd card thread")
        };
        VpcdHandle {
            device,
            counters,
            addr,
        }
    }
}

/// A running vpcd endpoint. Dropping it unplugs the card.
pub struct VpcdHandle {
    device: DeviceThread,
    counters: Arc<Counters>,
    addr: SocketAddr,
}

impl VpcdHandle {
    /// True while connected to vpcd (the card is then in the reader).
    pub fn is_connected(&self) -> bool {
        self.counters.connected.load(Ordering::SeqCst)
    }
    /// How many times the endpoint connected to vpcd.
    pub fn connections(&self) -> u64 {
        self.counters.connections.load(Ordering::SeqCst)
    }
    /// Command APDUs served so far.
    pub fn apdus(&self) -> u64 {
        self.counters.apdus.load(Ordering::SeqCst)
    }
    /// Bytes of the command APDUs served so far (host → card, as the card received them).
    pub fn command_bytes(&self) -> u64 {
        self.counters.command_bytes.load(Ordering::SeqCst)
    }
    /// Bytes of the response APDUs sent so far (card → host, data and status word).
    pub fn response_bytes(&self) -> u64 {
        self.counters.response_bytes.load(Ordering::SeqCst)
    }
    /// Command APDUs served so far, by instruction byte (INS).
    pub fn apdus_by_instruction(&self) -> BTreeMap<u8, u64> {
        self.counters
            .by_instruction
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    /// The vpcd address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The pcscd reader name this endpoint's card appears in.
    pub fn reader_name(&self) -> Option<String> {
        reader_name_for_port(self.addr.port())
    }
    /// Unplugs the card and waits for the thread to end.
    pub fn stop(mut self) {
        self.device.stop();
    }
}

fn run(card: SharedSimCard, addr: SocketAddr, stop: &AtomicBool, counters: &Counters) {
    while !stop.load(Ordering::SeqCst) {
        let present = crate::card::lock_card(&card).is_present();
        if !present {
            std::thread::sleep(RECONNECT_PAUSE);
            continue;
        }
        match TcpStream::connect_timeout(&addr, IO_TIMEOUT) {
            Ok(stream) => {
                counters.connected.store(true, Ordering::SeqCst);
                counters.connections.fetch_add(1, Ordering::SeqCst);
                tracing::debug!("vpcd {addr}: card plugged in");
                match serve(stream, &card, stop, counters) {
                    Ok(()) => tracing::debug!("vpcd {addr}: card unplugged"),
                    Err(e) => tracing::debug!("vpcd {addr}: connection ended: {e}"),
                }
                counters.connected.store(false, Ordering::SeqCst);
            }
            Err(e) => {
                tracing::trace!("vpcd {addr}: not listening ({e})");
                std::thread::sleep(RECONNECT_PAUSE);
            }
        }
    }
}

fn serve(
    mut stream: TcpStream,
    card: &SharedSimCard,
    stop: &AtomicBool,
    counters: &Counters,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(READ_POLL))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    loop {
        let mut header = [0u8; 2];
        match read_frame_start(&mut stream, &mut header, stop, card)? {
            Idle::Frame => {}
            Idle::Stop | Idle::Unplugged => return Ok(()),
        }
        let len = u16::from_be_bytes(header) as usize;
        let mut payload = vec![0u8; len];
        if read_full(&mut stream, &mut payload, stop)? {
            return Ok(());
        }
        let reply = match payload.as_slice() {
            [] => None,
            [code] => control(card, *code),
            apdu => {
                counters.apdus.fetch_add(1, Ordering::SeqCst);
                counters
                    .command_bytes
                    .fetch_add(apdu.len() as u64, Ordering::SeqCst);
                *counters
                    .by_instruction
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(apdu[1])
                    .or_default() += 1;
                let response = match crate::card::lock_card(card).process(apdu) {
                    CardReply::Response(r) if r.len() <= 0xFFFF => r,
                    CardReply::Response(_) => vec![0x6F, 0x00],
                    // A mute or pulled card: vpcd and pcscd see the card go away.
                    CardReply::Mute | CardReply::Removed => return Ok(()),
                };
                counters
                    .response_bytes
                    .fetch_add(response.len() as u64, Ordering::SeqCst);
                Some(response)
            }
        };
        if let Some(reply) = reply {
            let mut frame = Vec::with_capacity(reply.len() + 2);
            frame.extend((reply.len() as u16).to_be_bytes());
            frame.extend(reply);
            stream.write_all(&frame)?;
        }
    }
}

/// What happened while waiting for the next frame.
enum Idle {
    Frame,
    Stop,
    Unplugged,
}

/// Waits for the 2-byte header of the next frame, noticing stop requests and a card pulled
/// out between commands (the connection is then closed: vpcd sees the card go).
fn read_frame_start(
    stream: &mut TcpStream,
    header: &mut [u8; 2],
    stop: &AtomicBool,
    card: &SharedSimCard,
) -> std::io::Result<Idle> {
    loop {
        arm_quickack(stream);
        match stream.read(&mut header[..1]) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(_) => {
                return Ok(if read_full(stream, &mut header[1..], stop)? {
                    Idle::Stop
                } else {
                    Idle::Frame
                });
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if stop.load(Ordering::SeqCst) {
                    return Ok(Idle::Stop);
                }
                if !crate::card::lock_card(card).is_present() {
                    return Ok(Idle::Unplugged);
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Handles a vpcd control code; only "send ATR" (4) is answered.
fn control(card: &SharedSimCard, code: u8) -> Option<Vec<u8>> {
    let mut card = crate::card::lock_card(card);
    match code {
        0x00..=0x02 => {
            card.reset();
            None
        }
        0x04 => Some(card.atr()),
        _ => None,
    }
}

/// Fills `buf`, re-arming TCP_QUICKACK before each read. `true` = stop requested; EOF is an
/// error.
fn read_full(stream: &mut TcpStream, buf: &mut [u8], stop: &AtomicBool) -> std::io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        arm_quickack(stream);
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if stop.load(Ordering::SeqCst) {
                    return Ok(true);
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

#[cfg(target_os = "linux")]
fn arm_quickack(stream: &TcpStream) {
    use std::os::linux::net::TcpStreamExt;
    let _ = stream.set_quickack(true);
}

#[cfg(not(target_os = "linux"))]
fn arm_quickack(_stream: &TcpStream) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_names_follow_ports() {
        assert_eq!(
            reader_name_for_port(35963).as_deref(),
            Some("Virtual PCD 00 00")
        );
        assert_eq!(
            reader_name_for_port(35964).as_deref(),
            Some("Virtual PCD 00 01")
        );
        assert_eq!(reader_name_for_port(80), None);
    }

    /// Sends one vpcd frame and reads the answer frame.
    fn exchange(vpcd: &mut TcpStream, payload: &[u8]) -> Vec<u8> {
        let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
        frame.extend(payload);
        vpcd.write_all(&frame).unwrap();
        let mut len = [0u8; 2];
        vpcd.read_exact(&mut len).unwrap();
        let mut answer = vec![0u8; u16::from_be_bytes(len) as usize];
        vpcd.read_exact(&mut answer).unwrap();
        answer
    }

    #[test]
    fn counts_apdus_bytes_and_instructions_as_the_card_sees_them() {
        use crate::card::{SimCard, SimCardConfig, SimCardTransport};
        // A stand-in for vpcd: the endpoint connects to this listener.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let card = SimCardTransport::share(SimCard::new(SimCardConfig::from_seed(3)));
        let handle = VpcdCard::spawn(card, listener.local_addr().unwrap());
        let (mut vpcd, _) = listener.accept().unwrap();
        vpcd.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(!exchange(&mut vpcd, &[0x04]).is_empty(), "ATR");
        let select = [
            0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00,
        ];
        let selected = exchange(&mut vpcd, &select);
        let serial = exchange(&mut vpcd, &[0x00, 0xF8, 0x00, 0x00, 0x00]);
        assert_eq!(serial.len(), 6, "serial and 90 00");
        assert_eq!(handle.apdus(), 2, "the ATR request is no APDU");
        assert_eq!(handle.command_bytes(), select.len() as u64 + 5);
        assert_eq!(
            handle.response_bytes(),
            (selected.len() + serial.len()) as u64
        );
        assert_eq!(
            handle
                .apdus_by_instruction()
                .into_iter()
                .collect::<Vec<_>>(),
            vec![(0xA4, 1), (0xF8, 1)]
        );
        handle.stop();
    }
}
