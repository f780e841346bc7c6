//! `cardline printer status|test-card` end to end: the real binary, the real Evolis driver and
//! links, against the simulated printer served in this test process on a pseudo-terminal and a
//! TCP socket.

mod temp_home;

use cardline_device::JobPhase;
use cardline_sim::faults::ScriptedFault;
use cardline_sim::printer::{
    PtyEndpoint, SimPrinter, SimPrinterConfig, SimPrinterHandle, TcpEndpoint,
};
use serde_json::Value;
use temp_home::cardline;

fn sim(config: SimPrinterConfig) -> SimPrinterHandle {
    SimPrinterHandle::new(SimPrinter::new(config))
}

fn json(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn status_over_a_pseudo_terminal() {
    let printer = sim(SimPrinterConfig::default());
    let pty = match PtyEndpoint::start(printer.clone()) {
        Ok(p) => p,
        Err(e) => {
            cardline_device::skipped!("no pseudo-terminal ({e})");
            return;
        }
    };
    let home = tempfile::tempdir().unwrap();
    let v = json(&cardline(
        &home,
        &["--json", "printer", "status", &pty.uri()],
    ));
    assert_eq!(v["status"]["model"], "Primacy 2 Duplex");
    assert_eq!(v["status"]["serial"], "P2D0000001");
    assert_eq!(v["status"]["position"], "no_card");
    assert_eq!(v["ready"], true);
    assert_eq!(v["capabilities"]["duplex"], true);
    assert_eq!(v["status"]["ribbon"]["kind"], "ymcko");
    let text = cardline(&home, &["printer", "status", &pty.uri()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("state     ready"), "{text}");
}

#[test]
fn status_over_tcp_shows_an_open_cover() {
    let printer = sim(SimPrinterConfig::default());
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").unwrap();
    printer.open_cover();
    let home = tempfile::tempdir().unwrap();
    let v = json(&cardline(
        &home,
        &["--json", "printer", "status", &tcp.uri()],
    ));
    assert_eq!(v["status"]["cover_open"], true);
    assert_eq!(v["ready"], false);
}

#[test]
fn test_card_prints_and_ejects_over_tcp() {
    let printer = sim(SimPrinterConfig::default());
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").unwrap();
    let feeder = printer.state().feeder;
    let home = tempfile::tempdir().unwrap();
    let v = json(&cardline(
        &home,
        &["--json", "printer", "test-card", &tcp.uri()],
    ));
    assert_eq!(v["ribbon"], "ymcko");
    assert_eq!(v["sides"], 1);
    let printed = printer
        .last_printed()
        .expect("the simulator printed a card");
    assert_eq!(printed.front.color_panel_count(), 3);
    assert!(
        printed
            .front
            .black
            .as_ref()
            .is_some_and(|k| k.count_set() > 10_000)
    );
    assert!(printed.front.overlay.is_some());
    let state = printer.state();
    assert_eq!(state.feeder, feeder - 1);
    assert_eq!(state.card, None, "the card was ejected");
}

#[test]
fn compressed_vs_raw_bytes_per_card() {
    let printer = sim(SimPrinterConfig::default());
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut sent = Vec::new();
    for flag in [None, Some("--raw-color"), Some("--raw")] {
        let uri = tcp.uri();
        let mut args = vec![
            "--json",
            "printer",
            "test-card",
            "--face",
            "temporary",
            &uri,
        ];
        args.extend(flag);
        let v = json(&cardline(&home, &args));
        sent.push(v["bytes_sent"].as_u64().unwrap());
    }
    println!(
        "default temporary card (YMC 64 levels + K + O, front): all compressed {} bytes, \
         colour raw {} bytes, all raw {} bytes",
        sent[0], sent[1], sent[2]
    );
    assert!(
        sent[0] <= sent[2] / 4,
        "default within a quarter of raw: {sent:?}"
    );
    assert!(sent[1] < sent[2], "K/O compressed: {sent:?}");
    // Raw YMC at 64 levels is 3 × 493 776 bytes.
    assert!(sent[1] > 3 * 493_776);
    assert!(sent[0] < 3 * 493_776 / 4);
}

#[test]
fn mono_duplex_test_card_uses_the_k_ribbon_on_both_sides() {
    let printer = sim(SimPrinterConfig::default());
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").unwrap();
    let home = tempfile::tempdir().unwrap();
    let v = json(&cardline(
        &home,
        &[
            "--json",
            "printer",
            "test-card",
            "--mono",
            "--back",
            &tcp.uri(),
        ],
    ));
    assert_eq!(v["ribbon"], "k");
    assert_eq!(v["sides"], 2);
    let printed = printer.last_printed().unwrap();
    assert!(printed.back.as_ref().is_some_and(|b| b.black.is_some()));
}

#[test]
fn a_jam_fails_the_test_card_with_the_operator_message() {
    let printer = sim(SimPrinterConfig::default());
    printer.inject(ScriptedFault::Jam {
        card: 1,
        phase: JobPhase::Printing,
    });
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = cardline(&home, &["printer", "test-card", &tcp.uri()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("card jam while printing"), "{err}");
}

#[test]
fn bad_uris_are_explained() {
    let home = tempfile::tempdir().unwrap();
    for (uri, needle) in [
        ("tcp://127.0.0.1:1", "expected <family>+<link>"),
        ("zebra+tcp://127.0.0.1:1", "unknown printer family"),
        ("evolis+lp:///dev/usb/lp0", "unknown link scheme"),
    ] {
        let out = cardline(&home, &["printer", "status", uri]);
        assert_eq!(out.status.code(), Some(1), "{uri}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{uri}: {err}");
    }
}

#[test]
fn printers_list_reports_usb_serial_and_configured() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("stations.toml"),
        "[[station]]\nname = \"desk-1\"\nprinter = \"evolis+tcp://10.0.0.5:9100\"\nreader = \"OMNIKEY\"\n",
    )
    .unwrap();
    let v = json(&cardline(&home, &["--json", "printers", "list"]));
    assert!(v["usb"].is_array());
    assert!(v["usb"].as_array().unwrap().is_empty() || v["usb_unavailable"].is_null());
    assert!(v["serial"].is_array());
    assert_eq!(v["configured"][0]["station"], "desk-1");
    assert_eq!(v["configured"][0]["uri"], "evolis+tcp://10.0.0.5:9100");
}

#[test]
fn printers_list_status_probes_configured_printers() {
    let printer = sim(SimPrinterConfig::default());
    let tcp = TcpEndpoint::start(printer.clone(), "127.0.0.1:0").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("stations.toml"),
        format!(
            "[[station]]\nname = \"up\"\nprinter = \"{}\"\nreader = \"OMNIKEY\"\n\n\
             [[station]]\nname = \"down\"\nprinter = \"evolis+tcp://{closed_addr}\"\nreader = \"OMNIKEY\"\n\n\
             [[station]]\nname = \"simulated\"\nprinter = \"sim://simulated\"\nreader = \"sim\"\n",
            tcp.uri()
        ),
    )
    .unwrap();
    let v = json(&cardline(
        &home,
        &["--json", "printers", "list", "--status"],
    ));
    let c = &v["configured"];
    assert_eq!(c[0]["status"]["reachable"], "yes", "{v}");
    assert_eq!(c[0]["status"]["ready"], true);
    assert_eq!(c[0]["status"]["model"], "Primacy 2 Duplex");
    assert_eq!(c[1]["status"]["reachable"], "no");
    assert!(
        c[1]["status"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot open"),
        "{v}"
    );
    assert_eq!(c[2]["status"]["reachable"], "skipped");
    let text = cardline(&home, &["printers", "list", "--status"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("ready") && text.contains("unreachable"),
        "{text}"
    );
}
