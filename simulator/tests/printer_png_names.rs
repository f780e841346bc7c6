//! PNGs of printed cards are never overwritten and can be named after the card they are.

mod printer_support;

use std::path::Path;

use cardline_device::MonoPanel;
use cardline_sim::printer::{SimPrinter, SimPrinterConfig};
use printer_support::{dbc_frame, replies};

fn printer_into(dir: &Path) -> SimPrinter {
    SimPrinter::new(SimPrinterConfig {
        png_dir: Some(dir.to_path_buf()),
        ..SimPrinterConfig::default()
    })
}

/// Feeds, prints and ejects one card with black dot `(x, 0)` set (so prints differ); with a
/// back side when `duplex`.
fn print_card(p: &mut SimPrinter, x: usize, duplex: bool) {
    let mut k = MonoPanel::blank();
    k.set(x, 0, true);
    let mut s = b"\x1bSs\r\x1bSr\r".to_vec();
    s.extend(dbc_frame("k", &k));
    if duplex {
        s.extend(b"\x1bSv\r");
        s.extend(dbc_frame("k", &MonoPanel::full()));
    }
    s.extend(b"\x1bSe\r");
    let out = replies(&p.feed(&s));
    assert!(out.iter().all(|r| r == "OK"), "{out:?}");
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn two_printers_in_one_directory_keep_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = printer_into(dir.path());
    print_card(&mut first, 1, false);
    let before = std::fs::read(dir.path().join("card-00001-front.png")).unwrap();
    // a second run (another process, same station) starts its job counter at 1 again
    let mut second = printer_into(dir.path());
    print_card(&mut second, 2, false);
    assert_eq!(
        names(dir.path()),
        ["card-00001-front-2.png", "card-00001-front.png"]
    );
    assert_eq!(
        std::fs::read(dir.path().join("card-00001-front.png")).unwrap(),
        before
    );
    assert_eq!(
        second.last_pngs().unwrap().files,
        [dir.path().join("card-00001-front-2.png")]
    );
    assert_eq!(
        second.last_printed().unwrap().png_files,
        second.last_pngs().unwrap().files
    );
}

#[test]
fn a_labelled_print_is_renamed_and_a_repeat_gets_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = printer_into(dir.path());
    assert_eq!(p.label_pngs_since(0, "TMP1"), None, "nothing printed yet");
    let job = p.state().counters.jobs;
    print_card(&mut p, 1, true);
    let named = p.label_pngs_since(job, "TMP000000018").unwrap();
    let (front, back) = (
        dir.path().join("TMP000000018.png"),
        dir.path().join("TMP000000018-back.png"),
    );
    assert_eq!(named, [front.clone(), back.clone()]);
    assert_eq!(
        names(dir.path()),
        ["TMP000000018-back.png", "TMP000000018.png"]
    );
    assert_eq!(p.last_printed().unwrap().png_files, named);
    assert_eq!(
        p.last_pngs().unwrap().label.as_deref(),
        Some("TMP000000018")
    );
    assert_eq!(
        p.label_pngs_since(job, "TMP000000018"),
        None,
        "named once only"
    );
    let first_print = std::fs::read(&front).unwrap();
    let png = image::open(&front).unwrap().to_rgb8();
    assert_eq!(png.get_pixel(1, 0).0, [0, 0, 0], "the card's own dot");

    // the same card printed again on a new blank
    let job = p.state().counters.jobs;
    print_card(&mut p, 2, true);
    let again = p.label_pngs_since(job, "TMP000000018").unwrap();
    assert_eq!(
        again,
        [
            dir.path().join("TMP000000018-2.png"),
            dir.path().join("TMP000000018-back-2.png")
        ]
    );
    assert_eq!(
        std::fs::read(&front).unwrap(),
        first_print,
        "first file kept"
    );
    let png = image::open(&again[0]).unwrap().to_rgb8();
    assert_eq!(png.get_pixel(2, 0).0, [0, 0, 0]);
    assert_eq!(png.get_pixel(1, 0).0, [255, 255, 255]);
    assert_eq!(names(dir.path()).len(), 4);
    assert!(p.png_errors().is_empty(), "{:?}", p.png_errors());
}

#[test]
fn a_print_that_wrote_nothing_is_not_named_and_labels_stay_in_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = printer_into(dir.path());
    print_card(&mut p, 1, false);
    let job = p.state().counters.jobs;
    // no print since `job`: the last files belong to an earlier print
    assert_eq!(p.label_pngs_since(job, "TMP2"), None);
    assert_eq!(names(dir.path()), ["card-00001-front.png"]);
    assert_eq!(
        p.label_pngs_since(0, "../../etc/x y").unwrap(),
        [dir.path().join("_.._etc_x_y.png")]
    );
    let mut silent = SimPrinter::new(SimPrinterConfig::default());
    print_card(&mut silent, 1, false);
    assert_eq!(silent.label_pngs_since(0, "TMP3"), None, "no PNG directory");
}
