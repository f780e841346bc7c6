//! End-to-end software cost of production (issue 6, benchmark 1): an order of 1,000 cards
//! produced on 4 zero-latency simulated stations through the real drivers (Evolis over
//! in-process links, PIV with one P-256 key and certificate, CHUID, CCC, read-back, SQLite
//! journal, card face). Run with `cargo bench -p cardline-benches --bench production`; the
//! reported throughput is cards per second.

use cardline_benches::produce_cards;
use cardline_hil::TestLine;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const CARDS: u32 = 1_000;

fn end_to_end(c: &mut Criterion) {
    let line = TestLine::new();
    let mut boot = 10;
    let mut g = c.benchmark_group("production");
    g.sample_size(10);
    g.measurement_time(std::time::Duration::from_secs(45));
    g.throughput(Throughput::Elements(u64::from(CARDS)));
    g.bench_function("order_1000_cards_4_stations", |b| {
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                boot += 1;
                let (t, s) = produce_cards(&line, CARDS, 4, boot);
                assert_eq!(s.produced, CARDS);
                total += t;
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
