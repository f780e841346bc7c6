# cardline — the two commands: `make demo` and `make test`. Everything else is a detail of them.
SHELL := /bin/bash
CARGO ?= cargo
# A CI build starts from a clean clone: incremental caches only cost disk and time there.
ifdef CI
export CARGO_INCREMENTAL := 0
endif

.PHONY: setup demo test lint unit bench bench-scale bench-busy bench-batch bench-console bench-desks bench-pg-order pcscd deb fuzz soak

## setup: installs the Debian packages cardline needs (apt-get as root, else prints the command)
setup:
	@bash scripts/setup.sh

## demo: a whole batch order produced on simulated stations with the embedded SQLite store
demo: setup
	$(CARGO) build --release -p cardline
	./target/release/cardline demo

## test: format, lints, every test (with real pcscd + vpcd and a throwaway PostgreSQL), every
## benchmark compiled and run once (criterion's test mode), the Debian package
## (built from the one release build: the benchmarks are built in the test profile, whose
## dependencies the tests already compiled, not again in release — 85 crates, aws-lc among them)
test: setup lint unit
	$(CARGO) build --release -p cardline
	bash scripts/test-deb.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	bash scripts/with-postgres.sh bash scripts/with-pcscd.sh $(CARGO) test --workspace
	bash scripts/with-pcscd.sh $(CARGO) test --workspace --bench '*'

## deb: the Debian package <target>/debian/cardline_<version>-<rev>_<arch>.deb (docs/packaging.md)
deb: setup
	bash scripts/build-deb.sh

## bench: criterion benchmarks (figures go to docs/PERFORMANCE.md)
bench: setup
	bash scripts/with-pcscd.sh $(CARGO) bench -p cardline-benches

## bench-scale: request, order and produce 100,000 cards; prints peak memory and per-card cost
bench-scale: setup
	$(CARGO) build --release -p cardline-benches --bin bench-scale
	./target/release/bench-scale 1000 100000

## bench-batch: request --from-csv and order create of 100,000 cards (issue 11 targets)
bench-batch: setup
	$(CARGO) build --release -p cardline-benches --bin bench-batch
	./target/release/bench-batch 100000

## bench-console: the console under load: 1,000,000 cards, 50 sessions for 30 s on loopback
## (search and order pages; p95 target ≤ 100 ms)
bench-console: setup
	$(CARGO) build --release -p cardline-benches --bin bench-console
	./target/release/bench-console 1000000 30 50

## bench-busy: achieved vs ideal throughput of 1, 4, 16 and 64 simulated stations (timings ÷10)
bench-busy: setup
	$(CARGO) build --release -p cardline-benches --bin bench-busy
	./target/release/bench-busy 8

## The release binaries of the PostgreSQL benchmarks (honours CARGO_TARGET_DIR).
RELEASE_DIR = $(or $(CARGO_TARGET_DIR),target)/release

## bench-desks: 8 `cardline desk run` processes × 8 simulated stations (timings ÷10) sharing one
## released order on a throwaway PostgreSQL (issue 12): achieved vs ideal throughput, 3 runs,
## then the database cost per card (claim + journal + success)
bench-desks: setup
	$(CARGO) build --release -p cardline -p cardline-benches --bin cardline --bin bench-desks
	bash scripts/with-postgres.sh $(RELEASE_DIR)/bench-desks 8 3

## bench-pg-order: 1,000,000 requested cards ordered at once on a throwaway PostgreSQL (issue 12)
bench-pg-order: setup
	$(CARGO) build --release -p cardline-benches --bin bench-pg-order
	bash scripts/with-postgres.sh $(RELEASE_DIR)/bench-pg-order 1000000 3

## fuzz: the long fuzz run of every parser of outside bytes (docs/fuzzing.md): FUZZ_SECONDS per
## target (default 60) in a release build, or FUZZ_CASES inputs per target; prints the inputs tried
## per target and saves any failing input under fuzz/failures/. The bounded run is part of `make test`.
FUZZ_SECONDS ?= 60
fuzz: setup
	CARDLINE_FUZZ_SECONDS=$(if $(FUZZ_CASES),,$(FUZZ_SECONDS)) CARDLINE_FUZZ_CASES=$(FUZZ_CASES) \
		$(CARGO) test --release -p cardline-fuzz --test targets -- --nocapture --test-threads=2

## soak: `order produce` SIGKILLed at SOAK_POINTS seeded random points (default 1000) across whole
## orders, recovered and restarted until each order is done (docs/faults.md). SOAK_SEED replays a
## run (default: a new seed, printed first). The bounded run (24 points) is part of `make test`.
SOAK_POINTS ?= 1000
soak: setup
	SOAK_POINTS=$(SOAK_POINTS) SOAK_SEED=$${SOAK_SEED:-$$(date +%s)} \
		$(CARGO) test -p cardline --test faults_sigkill -- --nocapture
