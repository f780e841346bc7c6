//! `cardline sim card --vpcd --state FILE`: the card appears in pcscd, yubico-piv-tool talks to
//! it, Ctrl-C (SIGINT) stops it and the state file keeps what the tool changed.

mod interop_rig;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use cardline_pcsc::PcscReaders;
use interop_rig::{CARD_TIMEOUT, LOCK_FILE, PCSCD_SOCKET, run, temp_dir, tools_present};

#[test]
fn sim_card_command_plugs_a_card_into_pcscd_and_saves_its_state() {
    let test = "sim_card_command_plugs_a_card_into_pcscd_and_saves_its_state";
    if !std::path::Path::new(PCSCD_SOCKET).exists() {
        cardline_device::skipped!("{test}: pcscd is not running");
        return;
    }
    if !tools_present(test, &["yubico-piv-tool", "kill"]) {
        return;
    }
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(LOCK_FILE)
        .unwrap();
    lock.lock().unwrap();
    let readers = PcscReaders::establish().unwrap();
    let reader = "Virtual PCD 00 00";
    assert!(readers.wait_for_removal(reader, CARD_TIMEOUT).unwrap());

    let dir = temp_dir("sim-card-cli");
    let state = dir.join("card.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cardline"))
        .args(["--home", &dir.join("home").to_string_lossy()])
        .args([
            "sim", "card", "--vpcd", "--port", "35963", "--serial", "4242",
        ])
        .args(["--state", &state.to_string_lossy()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(
        first.contains("serial 4242 in reader `Virtual PCD 00 00`"),
        "{first}"
    );

    let r = format!("-r{reader}");
    let (ok, out) = run("yubico-piv-tool", &[&r, "-a", "status"], &dir);
    assert!(ok && out.contains("Serial Number:\t4242"), "{out}");
    let args = [
        r.as_str(),
        "-a",
        "change-pin",
        "-P",
        "123456",
        "-N",
        "11223344",
    ];
    let (ok, out) = run("yubico-piv-tool", &args, &dir);
    assert!(ok, "{out}");

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert!(child.wait().unwrap().success(), "stops cleanly on Ctrl-C");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["serial"], 4242);
    assert_eq!(saved["pin"]["value"], hex::encode(b"11223344"));
    assert!(readers.wait_for_removal(reader, CARD_TIMEOUT).unwrap());
    std::fs::remove_dir_all(dir).unwrap();
}
