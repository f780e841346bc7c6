use super::*;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use cardline_device::{LinkError, PrinterLink};
use cardline_evolis::{EvolisConfig, EvolisPrinter};
use cardline_sim::printer::{SimPrinter, SimPrinterConfig, SimPrinterHandle, TcpEndpoint};

const ID1: cardline_device::PanelGeometry = cardline_device::PanelGeometry::ID1_300_DPI;

fn why(uri: &str) -> String {
    validate_printer(uri).map(|f| f.name).unwrap_err()
}

#[test]
fn every_family_scheme_validates_without_io() {
    for uri in [
        "evolis+serial:///dev/ttyUSB0?baud=9600",
        "evolis+serial:///dev/pts/3",
        "evolis+tcp://10.0.0.5:9100",
        "evolis+usb://0f49:0a00",
        "evolis+usb://0f49:0a00?serial=ABC",
        "sim://s1?faults=jam@2:printing&seed=7",
    ] {
        assert!(
            validate_printer(uri).is_ok(),
            "{uri}: {:?}",
            validate_printer(uri).err()
        );
    }
    assert_eq!(validate_printer("sim://a").unwrap().name, "sim");
    assert_eq!(validate_printer("evolis+tcp://h:1").unwrap().name, "evolis");
}

#[test]
fn bad_uris_say_what_is_wrong_and_what_is_known() {
    for (uri, needles) in [
        (
            "tcp://127.0.0.1:1",
            &["expected <family>+<link>", "evolis+tcp"][..],
        ),
        ("zebra://x", &["unknown printer scheme `zebra`"]),
        (
            "zebra+tcp://127.0.0.1:1",
            &[
                "unknown printer family `zebra`",
                "known: evolis, magicard, sim",
            ],
        ),
        (
            "evolis+lp:///dev/usb/lp0",
            &["unknown link scheme `lp`", "evolis+usb"],
        ),
        ("/dev/ttyUSB0", &["not a printer URI"]),
        ("evolis+serial://ttyUSB0", &["absolute device path"]),
        ("evolis+serial:///dev/x?speed=1", &["unknown serial option"]),
        ("evolis+tcp://host", &["host:port"]),
        ("evolis+usb://zz:0a00", &["hex"]),
        (
            "sim://a?png-dir=/tmp",
            &["unknown sim:// parameter `png-dir`", "png_dir"],
        ),
    ] {
        let e = why(uri);
        for n in needles {
            assert!(e.contains(n), "{uri}: {e}");
        }
    }
}

#[test]
fn no_two_families_own_a_scheme_and_every_family_has_a_test_card() {
    let schemes = known_schemes();
    let mut unique = schemes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), schemes.len(), "{schemes:?}");
    for f in FAMILIES {
        assert!(
            f.schemes
                .iter()
                .all(|s| family_of(&format!("{s}://x")).unwrap().name == f.name)
        );
        let image =
            test_card_image(f, Path::new("."), &TestCardOptions::default(), "T-1", ID1).unwrap();
        assert!(
            image.front.color.is_some(),
            "{}: a colour test card",
            f.name
        );
        assert_eq!((f.ribbon_for)(&image), "ymcko");
    }
}

/// Prints and ejects the test card labelled `label` on `opened` (a `sim://s1` printer).
fn print_test_card(opened: &mut OpenedPrinter, label: &str) {
    let image = test_card_image(
        validate_printer("sim://s1").unwrap(),
        Path::new("."),
        &TestCardOptions::default(),
        label,
        ID1,
    )
    .unwrap();
    opened.printer.print(&image).unwrap();
    opened.printer.eject().unwrap();
}

#[test]
fn a_sim_uri_opens_a_printer_with_its_own_reader_and_png_dir() {
    let dir = tempfile::tempdir().unwrap();
    let options = PrinterOptions {
        png_dir: Some(dir.path().join("s1")),
        ..PrinterOptions::default()
    };
    let mut opened = open_printer("sim://s1?feeder=5", &options).unwrap();
    let status = opened.printer.status().unwrap();
    assert!(status.is_ready(), "{status:?}");
    assert!(opened.own_reader.is_some());
    let device = opened.device.take().unwrap();
    assert_eq!(device.printer.evolis().unwrap().state().feeder, 5);
    let sent_before = opened.bytes_sent();
    assert!(sent_before > 0, "the session start was counted");
    print_test_card(&mut opened, "T-1");
    assert!(opened.bytes_sent() > sent_before + 100_000);
    let pngs: Vec<String> = std::fs::read_dir(dir.path().join("s1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        pngs,
        ["T-1.png"],
        "the simulated printer wrote the PNG where the options said, named after the card"
    );
}

#[test]
fn a_sim_printer_with_pngs_off_prints_without_writing_any_png() {
    let dir = tempfile::tempdir().unwrap();
    let options = PrinterOptions {
        png_dir: Some(dir.path().join("s1")),
        ..PrinterOptions::default()
    };
    let mut opened = open_printer("sim://s1?pngs=off", &options).unwrap();
    print_test_card(&mut opened, "T-1");
    let device = opened.device.take().unwrap();
    assert_eq!(
        device
            .printer
            .evolis()
            .unwrap()
            .state()
            .counters
            .cards_printed,
        1
    );
    assert!(
        !dir.path().join("s1").exists(),
        "pngs=off wins over the caller's PNG directory"
    );
}

#[test]
fn resync_reaches_the_driver_through_the_wrappers() {
    let mut opened = open_printer("sim://r", &PrinterOptions::default()).unwrap();
    let device = opened.device.take().unwrap();
    // the printer lost its session settings (as after a power cycle)
    assert_eq!(
        device.printer.evolis().unwrap().feed(b"\x1bPem;0\r"),
        b"OK\r"
    );
    assert_eq!(device.printer.evolis().unwrap().state().error_mode, 0);
    assert!(opened.printer.status().unwrap().is_ready());
    assert_eq!(
        device.printer.evolis().unwrap().state().error_mode,
        0,
        "status alone does not restore it"
    );
    let status = opened.printer.resync().unwrap();
    assert_eq!(status.position, Some(cardline_device::CardPosition::NoCard));
    assert_eq!(
        device.printer.evolis().unwrap().state().error_mode,
        2,
        "the Evolis resync (reset, Pem;2, status) ran"
    );
}

/// The reply timeout the driver reports when the printer at `uri` is silent.
fn silent_timeout(uri: &str, cap: Option<Duration>) -> Duration {
    let options = PrinterOptions {
        reply_timeout_cap: cap,
        ..PrinterOptions::default()
    };
    let mut opened = open_printer(uri, &options).unwrap();
    let device = opened.device.take().unwrap();
    device.printer.evolis().unwrap().set_silent(true);
    let e = opened.printer.status().unwrap_err();
    device.printer.evolis().unwrap().set_silent(false);
    assert!(
        opened.printer.resync().unwrap().is_ready(),
        "it answers again"
    );
    match e {
        PrinterError::Link(LinkError::Timeout { after, .. }) => after,
        other => panic!("{uri}: expected a link timeout, got {other:?}"),
    }
}

#[test]
fn reply_timeout_ms_caps_the_drivers_wait_for_a_silent_printer() {
    // The link reports the wait left when it gave up, at most the cap (the driver's own
    // timeout for a status query is 5 s).
    let ms = Duration::from_millis;
    let uri = "sim://t?link=pty&reply_timeout_ms=50";
    for (uri, cap, most) in [
        (uri, None, ms(50)),
        (uri, Some(ms(60_000)), ms(50)),
        // a caller's stricter cap (a quick probe) wins
        (
            "sim://t?link=pty&reply_timeout_ms=600000",
            Some(ms(70)),
            ms(70),
        ),
    ] {
        let after = silent_timeout(uri, cap);
        assert!(
            after > Duration::ZERO && after <= most,
            "{uri} {cap:?}: {after:?}"
        );
    }
}

/// Bytes sent for one test card with these options.
fn bytes_for(options: &PrinterOptions) -> u64 {
    let mut opened = open_printer("sim://bytes", options).unwrap();
    let family = validate_printer("sim://bytes").unwrap();
    let image = test_card_image(
        family,
        Path::new("."),
        &TestCardOptions::default(),
        "T",
        ID1,
    )
    .unwrap();
    let before = opened.bytes_sent();
    opened.printer.print(&image).unwrap();
    opened.bytes_sent() - before
}

#[test]
fn compress_color_and_raw_reach_the_driver() {
    let compressed = bytes_for(&PrinterOptions::default());
    let raw_color = bytes_for(&PrinterOptions {
        compress_color: false,
        ..PrinterOptions::default()
    });
    let raw = bytes_for(&PrinterOptions {
        raw: true,
        ..PrinterOptions::default()
    });
    assert!(compressed * 4 < raw_color, "{compressed} vs {raw_color}");
    assert!(raw_color <= raw, "{raw_color} vs {raw}");
    assert!(raw >= 1_645_920, "every panel raw: {raw}");
}

#[test]
fn an_evolis_tcp_uri_opens_the_real_link_and_a_closed_port_is_a_connect_error() {
    let printer = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
    let tcp = TcpEndpoint::start(printer, "127.0.0.1:0").unwrap();
    let mut opened = open_printer(&tcp.uri(), &PrinterOptions::default()).unwrap();
    assert_eq!(
        opened.printer.status().unwrap().model.as_deref(),
        Some("Primacy 2 Duplex")
    );
    assert!(opened.own_reader.is_none() && opened.device.is_none());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let e = open_printer(&format!("evolis+tcp://{addr}"), &PrinterOptions::default()).unwrap_err();
    assert!(
        matches!(
            e,
            PrinterOpenError::Connect {
                family: "evolis",
                ..
            }
        ),
        "{e:?}"
    );
    let chain = crate::error_chain(&e);
    assert!(chain.contains("cannot open"), "{chain}");
    let e = open_printer("zebra+tcp://h:1", &PrinterOptions::default()).unwrap_err();
    assert!(matches!(e, PrinterOpenError::Invalid { .. }));
}

/// A link whose cable can be pulled (`pull`): sends then fail with `Disconnected` until reset.
struct FlakyLink {
    inner: Box<dyn PrinterLink>,
    pull: Arc<AtomicBool>,
    down: bool,
    resets: Arc<AtomicUsize>,
}

impl PrinterLink for FlakyLink {
    fn send(&mut self, bytes: &[u8], timeout: std::time::Duration) -> Result<(), LinkError> {
        if self.pull.swap(false, SeqCst) {
            self.down = true;
        }
        if self.down {
            return Err(LinkError::Disconnected {
                link: "flaky".into(),
                detail: "cable pulled".into(),
            });
        }
        self.inner.send(bytes, timeout)
    }
    fn recv(&mut self, buf: &mut [u8], timeout: std::time::Duration) -> Result<usize, LinkError> {
        self.inner.recv(buf, timeout)
    }
    fn reset(&mut self) -> Result<(), LinkError> {
        self.resets.fetch_add(1, SeqCst);
        self.down = false;
        self.inner.reset()
    }
    fn describe(&self) -> String {
        "flaky".into()
    }
}

#[test]
fn a_lost_link_is_reconnected_and_status_asked_again() {
    let printer = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
    let (pull, resets) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let link = FlakyLink {
        inner: Box::new(printer.link()),
        pull: pull.clone(),
        down: false,
        resets: resets.clone(),
    };
    let driver = EvolisPrinter::connect(link, EvolisConfig::default()).unwrap();
    let mut p = Reconnecting(driver);
    assert!(p.status().is_ok());
    // The cable is pulled before the next command: status still answers, after a reconnect.
    pull.store(true, SeqCst);
    let status = p.status();
    assert!(status.is_ok(), "{status:?}");
    assert_eq!(resets.load(SeqCst), 1);
    // Another operation reports the (transient) loss once, then works on the new session.
    pull.store(true, SeqCst);
    let e = p.eject().unwrap_err();
    assert!(e.is_transient(), "{e:?}");
    assert_eq!(resets.load(SeqCst), 2);
    assert!(p.status().unwrap().is_ready());
}
