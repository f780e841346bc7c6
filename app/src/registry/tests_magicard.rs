//! The Magicard entry of the registry: strict URIs, and the real driver over a real TCP socket
//! to the simulated Magicard.

use std::path::Path;

use cardline_device::{PanelGeometry, PrinterFault};
use cardline_sim::magicard::{SimMagicard, SimMagicardConfig, SimMagicardHandle, TcpEndpoint};

use super::*;

#[test]
fn magicard_uris_validate_without_io() {
    for uri in [
        "magicard+usb://0c1f:1800",
        "magicard+usb://0c1f:880a?serial=MC0042",
        "magicard+usb://0c1f",
        "magicard+tcp://10.0.0.7:9100",
        "magicard+tcp://printer.local:9100?connect_timeout_ms=500",
        "magicard+serial:///dev/ttyUSB0?baud=38400",
    ] {
        let family = validate_printer(uri).map_err(|e| format!("{uri}: {e}"));
        assert_eq!(family.unwrap().name, "magicard", "{uri}");
    }
}

#[test]
fn bad_magicard_uris_say_what_is_wrong_and_how_to_fix_it() {
    for (uri, needles) in [
        (
            "magicard+usb://0f49:0a00",
            &[
                "vendor id 0f49 is not Magicard's",
                "magicard+usb://0c1f:PID",
            ][..],
        ),
        ("magicard+usb://0c1f:zz", &["hex"]),
        ("magicard+usb://0c1f:1800?sn=1", &["unknown usb option"]),
        ("magicard+tcp://printer", &["host:port"]),
        ("magicard+tcp://h:9100?timeout=1", &["unknown tcp option"]),
        ("magicard+serial://ttyUSB0", &["absolute device path"]),
        ("magicard+serial:///dev/x?baud=fast", &["baud"]),
        (
            "magicard+lp:///dev/usb/lp0",
            &[
                "unknown link scheme `lp` for Magicard printers",
                "magicard+usb",
            ],
        ),
        (
            "zebra+tcp://h:1",
            &[
                "unknown printer family `zebra`",
                "known: evolis, magicard, sim",
            ],
        ),
    ] {
        let e = validate_printer(uri).map(|f| f.name).unwrap_err();
        for n in needles {
            assert!(e.contains(n), "{uri}: {e}");
        }
    }
}

#[test]
fn the_registry_lists_every_usb_vendor_once_in_family_order() {
    assert_eq!(usb_vendor_ids(), [("Evolis", 0x0F49), ("Magicard", 0x0C1F)]);
}

#[test]
fn a_magicard_tcp_uri_opens_the_real_driver_and_prints_a_test_card_at_641_rows() {
    let dir = tempfile::tempdir().unwrap();
    let printer = SimMagicardHandle::new(SimMagicard::new(SimMagicardConfig {
        png_dir: Some(dir.path().to_path_buf()),
        ..SimMagicardConfig::default()
    }));
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").unwrap();
    let uri = tcp.uri();
    assert!(uri.starts_with("magicard+tcp://127.0.0.1:"), "{uri}");
    let mut opened = open_printer(&uri, &PrinterOptions::default()).unwrap();
    let status = opened.printer.status().unwrap();
    assert!(status.is_ready(), "{status:?}");
    assert_eq!(status.model.as_deref(), Some("Rio Pro 360"));
    let caps = opened.printer.capabilities();
    assert_eq!(caps.geometry, PanelGeometry::new(641, 1016, 300).unwrap());
    assert!(
        opened
            .printer
            .describe()
            .starts_with("Magicard Rio Pro 360 on tcp:")
    );
    let family = validate_printer(&uri).unwrap();
    let image = test_card_image(
        family,
        Path::new("."),
        &TestCardOptions::default(),
        "TEST-0001",
        caps.geometry,
    )
    .unwrap();
    assert_eq!((family.ribbon_for)(&image), "ymcko");
    let before = opened.bytes_sent();
    opened.printer.print(&image).unwrap();
    opened.printer.eject().unwrap();
    let sent = opened.bytes_sent() - before;
    // Y, M, C (6 bits) and K (1 bit) planes of 1016 lines, a header and a few commands.
    assert!((1_621_000..1_623_000).contains(&sent), "{sent} bytes");
    let state = printer.state();
    assert_eq!(state.counters.cards_printed, 1);
    assert_eq!(state.card, None, "ejected");
    let printed = printer.last_printed().unwrap();
    let front = printed.front.as_ref().unwrap();
    assert!(front.yellow.is_some() && front.black.is_some());
    assert_eq!(printed.png_files.len(), 1);
    assert!(printed.png_files[0].starts_with(dir.path()));
    // A cover opened at the printer shows in the typed status, and closes again.
    printer.open_cover();
    let status = opened.printer.status().unwrap();
    assert!(status.cover_open && status.has(&PrinterFault::CoverOpen));
    printer.close_cover();
    assert!(opened.printer.status().unwrap().is_ready());

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let e = open_printer(
        &format!("magicard+tcp://{addr}"),
        &PrinterOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            PrinterOpenError::Connect {
                family: "magicard",
                ..
            }
        ),
        "{e:?}"
    );
}
