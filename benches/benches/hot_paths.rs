//! Micro-benchmarks of the hot paths (issue 6, benchmark 5), each a slice of the per-card
//! cost: APDU/TLV encode-decode, `Dbc` compression, colour panel conversion, SimPrinter
//! parsing, card face rendering, store transitions of one production attempt.

use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardline_apdu::command::{Command, LengthEncoding};
use cardline_device::{CardPrinter, ColorPanel, LinkError, MonoPanel, PrinterLink};
use cardline_evolis::{
    ColorLevels, ColorRowCache, EvolisConfig, EvolisPrinter, color_levels, color_payloads,
    compress_color, compress_mono, encode_color,
};
use cardline_issuance::face::{CardFields, PreparedFace, builtin_template};
use cardline_issuance::model::{OrderSelection, ProductionStep};
use cardline_issuance::options::Options;
use cardline_issuance::store::ownership::RunStart;
use cardline_issuance::store::sqlite::SqliteStore;
use cardline_issuance::store::{
    Actor, AttemptSuccess, CardStore, JournalRecord, OrderStore, ProductionJournal,
};
use cardline_sim::printer::{SimPrinter, SimPrinterConfig, SimPrinterHandle, SimPrinterLink};
use criterion::{Criterion, criterion_group, criterion_main};

fn apdu_tlv(c: &mut Criterion) {
    let cert = vec![0x5A; 600];
    let container = {
        let mut inner = cardline_apdu::tlv::encode(0x70, &cert);
        inner.extend(cardline_apdu::tlv::encode(0x71, &[0]));
        inner.extend(cardline_apdu::tlv::encode(0xFE, &[]));
        cardline_apdu::tlv::encode(0x53, &inner)
    };
    c.bench_function("apdu/put_data_certificate_encode", |b| {
        b.iter(|| {
            let data = {
                let mut d = cardline_apdu::tlv::encode(0x5C, &[0x5F, 0xC1, 0x05]);
                d.extend_from_slice(&container);
                d
            };
            Command::new(0x00, 0xDB, 0x3F, 0xFF)
                .with_data(data)
                .to_bytes(LengthEncoding::Extended)
                .unwrap()
        })
    });
    c.bench_function("tlv/parse_certificate_container", |b| {
        b.iter(|| {
            let outer = cardline_apdu::tlv::parse(black_box(&container)).unwrap();
            outer[0].children().unwrap().len()
        })
    });
}

fn text_panel() -> MonoPanel {
    let mut p = MonoPanel::blank();
    for y in (100..400).step_by(3) {
        for x in (50..600).step_by(7) {
            p.set(x, y, true);
        }
    }
    p
}

fn panels(c: &mut Criterion) {
    let mono = text_panel();
    c.bench_function("evolis/dbc_compress_text_panel", |b| {
        b.iter(|| compress_mono(black_box(&mono)))
    });
    let mut color = ColorPanel::filled([255, 255, 255]);
    for y in 0..300 {
        for x in 0..648 {
            color.set(x, y, [(x % 256) as u8, (y % 256) as u8, 128]);
        }
    }
    c.bench_function("evolis/ymc_panel_conversion_64_levels", |b| {
        b.iter(|| encode_color(black_box(&color), ColorLevels::default()))
    });
    // The default temporary card's colour side, as the driver sends it by default (one pass,
    // run-length Dbc), next to the two-pass way (whole-panel levels, then compress).
    let face = PreparedFace::new(&builtin_template("temporary").unwrap()).unwrap();
    let image = face
        .render(&CardFields::for_number("TMP000012345"))
        .unwrap();
    let card = image.front.color.expect("the temporary face has colour");
    let levels = ColorLevels::default();
    c.bench_function("evolis/temporary_face_ymc_dbc_one_pass", |b| {
        b.iter(|| color_payloads(black_box(&card), levels, true))
    });
    c.bench_function("evolis/temporary_face_ymc_dbc_two_passes", |b| {
        b.iter(|| color_levels(black_box(&card), levels).map(|v| compress_color(&v, levels)))
    });
    // What the driver does for the next card of the batch: its row cache holds the last
    // side. An equal panel of its own is compared row by row; a clone of the same prepared
    // panel (what PreparedFace hands out for an order) is known without comparing.
    let equal = ColorPanel::from_rgb(card.rgb().to_vec()).expect("same size");
    let mut cache = ColorRowCache::default();
    cache.payloads(&card, levels, true);
    let mut flip = false;
    c.bench_function("evolis/temporary_face_ymc_dbc_next_card_equal_rows", |b| {
        b.iter(|| {
            // Two equal panels in turn: never the one the cache holds.
            flip = !flip;
            cache.payloads(black_box(if flip { &equal } else { &card }), levels, true)
        })
    });
    let shared = card.clone();
    c.bench_function(
        "evolis/temporary_face_ymc_dbc_next_card_shared_panel",
        |b| b.iter(|| cache.payloads(black_box(&shared), levels, true)),
    );
}

/// Records what the driver sends, for replaying it into the simulator.
struct Recorder {
    inner: SimPrinterLink,
    sent: Arc<Mutex<Vec<u8>>>,
}

impl PrinterLink for Recorder {
    fn send(&mut self, bytes: &[u8], timeout: Duration) -> Result<(), LinkError> {
        self.sent.lock().unwrap().extend_from_slice(bytes);
        self.inner.send(bytes, timeout)
    }
    fn recv(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, LinkError> {
        self.inner.recv(buf, timeout)
    }
    fn reset(&mut self) -> Result<(), LinkError> {
        self.inner.reset()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// The byte stream the real driver sends for one card with the default temporary face.
fn recorded_card_job() -> Vec<u8> {
    let handle = SimPrinterHandle::new(SimPrinter::new(SimPrinterConfig::default()));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let link = Recorder {
        inner: handle.link(),
        sent: sent.clone(),
    };
    let mut printer = EvolisPrinter::connect(link, EvolisConfig::default()).unwrap();
    let face = PreparedFace::new(&builtin_template("temporary").unwrap()).unwrap();
    let image = face
        .render(&CardFields::for_number("TMP000012345"))
        .unwrap();
    sent.lock().unwrap().clear();
    printer.print(&image).unwrap();
    printer.eject().unwrap();
    sent.lock().unwrap().clone()
}

fn sim_printer_parsing(c: &mut Criterion) {
    let stream = recorded_card_job();
    println!(
        "one temporary card job: {} bytes on the printer link",
        stream.len()
    );
    let mut printer = SimPrinter::new(SimPrinterConfig {
        feeder_cards: u32::MAX / 2,
        ..SimPrinterConfig::default()
    });
    c.bench_function("sim_printer/parse_card_job", |b| {
        b.iter(|| printer.feed(black_box(&stream)).len())
    });
}

fn face(c: &mut Criterion) {
    let face = PreparedFace::new(&builtin_template("temporary").unwrap()).unwrap();
    let fields = CardFields {
        card_number: "TMP000012345".into(),
        valid_until: "2026-12-31".into(),
        issued: "2026-11-24".into(),
        order: "7".into(),
    };
    c.bench_function("face/render_prepared_temporary", |b| {
        b.iter(|| face.render(black_box(&fields)).unwrap())
    });
    // Every card of another order than the last: the colour text is drawn again.
    let other = CardFields {
        order: "8".into(),
        ..fields.clone()
    };
    let mut flip = false;
    c.bench_function("face/render_prepared_temporary_order_changes", |b| {
        b.iter(|| {
            flip = !flip;
            face.render(black_box(if flip { &other } else { &fields }))
                .unwrap()
        })
    });
}

fn store_transitions(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::create(&dir.path().join("bench.db")).unwrap();
    let actor = Actor("bench".into());
    let run = store
        .start_run(&RunStart::this_process("bench"), &actor)
        .unwrap();
    store
        .claim_station(run.id, "bench-1", None, &actor)
        .unwrap()
        .unwrap();
    let numbering = Options::default().numbering;
    for batched in [false, true] {
        // Unbatched: every intent and outcome its own commit (begin + 8 + succeeded = 10).
        // Batched, as production does: an outcome commits with the next intent (begin + 5 +
        // succeeded = 7 commits).
        let name = if batched {
            "store/one_attempt_journal_7_commits"
        } else {
            "store/one_attempt_journal_10_commits"
        };
        c.bench_function(name, |b| {
            b.iter_custom(|iters| {
                store
                    .request_cards(iters as u32, &numbering, &actor)
                    .unwrap();
                let order = store.create_order(&OrderSelection::All, &actor).unwrap();
                let started = std::time::Instant::now();
                for _ in 0..iters {
                    let (_, a) = store
                        .begin_attempt(run.id, order.id, "bench-1", &actor)
                        .unwrap()
                        .unwrap();
                    journal_one_attempt(&store, a, batched);
                    store
                        .attempt_succeeded(a, &AttemptSuccess::default(), &actor)
                        .unwrap();
                }
                let t = started.elapsed();
                store.complete_order(order.id, &actor).unwrap();
                t
            })
        });
    }
}

/// Feed, encode, print and eject of one attempt, intent then outcome.
fn journal_one_attempt(store: &SqliteStore, a: i64, batched: bool) {
    use JournalRecord::{StepFinished, StepStarted};
    let steps = [
        ProductionStep::Feed,
        ProductionStep::Encode,
        ProductionStep::Print,
        ProductionStep::Eject,
    ];
    if !batched {
        for step in steps {
            store.step_started(a, step).unwrap();
            store.step_finished(a, step, None).unwrap();
        }
        return;
    }
    let mut previous: Option<ProductionStep> = None;
    for step in steps {
        let mut records: Vec<JournalRecord<'_>> = Vec::new();
        records.extend(previous.map(|p| StepFinished(p, None)));
        records.push(StepStarted(step));
        store.journal(a, &records).unwrap();
        previous = Some(step);
    }
    store
        .journal(a, &[StepFinished(ProductionStep::Eject, None)])
        .unwrap();
}

/// One full personalisation (PIN, PUK, management key, one P-256 key + certificate, CHUID,
/// CCC, read-back) of an in-process SimCard by the real PIV driver and the local CA.
fn piv_personalisation(c: &mut Criterion) {
    use cardline_device::{CardEncoder, EncodingPlan, Pin, Puk};
    use cardline_issuance::ca::ProfileIssuer;
    use cardline_sim::card::{SimCard, SimCardConfig, SimCardTransport};
    let line = cardline_hil::TestLine::new();
    let profiles = Options::default().certificate_specs();
    let not_after =
        cardline_hil::line::OffsetDateTime::now_utc() + cardline_hil::line::TimeDuration::days(30);
    let issuer = ProfileIssuer::new(line.ca(), &profiles, not_after);
    let enc = line.kit.settings.encoding.clone().expect("encoding on");
    let plan_for = |n: u64| EncodingPlan {
        card_number: format!("TMP{n:09}"),
        transport_pin: enc.transport_pin.clone(),
        transport_puk: enc.transport_puk.clone(),
        transport_management_key: enc.transport_management_key.clone(),
        pin: Pin::new(b"271828".to_vec()),
        puk: Puk::new(b"31415926".to_vec()),
        management_key_master: enc.management_key_master.clone(),
        keys: enc.keys.clone(),
        guid: [n as u8; 16],
        expiry: "20991231".into(),
    };
    let mut encoder = cardline_piv::PivEncoder::new();
    let mut once = |serial: u64| {
        let card = SimCardTransport::share(SimCard::new(SimCardConfig::from_seed(serial)));
        let mut transport = SimCardTransport::new(card, "bench");
        encoder
            .encode(&mut transport, &plan_for(serial), &issuer)
            .unwrap()
    };
    let receipt = once(1_000_000);
    println!(
        "one personalisation: {} APDUs, {} bytes out, {} bytes in",
        receipt.apdus, receipt.bytes_out, receipt.bytes_in
    );
    let mut serial = 0u64;
    let mut g = c.benchmark_group("piv");
    g.sample_size(10);
    g.bench_function("full_personalisation_p256", |b| {
        b.iter(|| {
            serial += 1;
            once(serial)
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    apdu_tlv,
    panels,
    sim_printer_parsing,
    face,
    store_transitions,
    piv_personalisation
);
criterion_main!(benches);
