//! Running a target: the budget (cases or seconds, from the environment), proptest's runner
//! with a fixed or given seed, shrinking, and saving the smallest failing input to a file that
//! replays it.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `CARDLINE_FUZZ_CASES` | inputs per target | the target's `bounded_cases` |
//! | `CARDLINE_FUZZ_SECONDS` | run each target this long instead (long runs) | unset |
//! | `CARDLINE_FUZZ_SEED` | seed of the input generator (decimal or `0x…`) | fixed for the bounded run, from the clock when a count or duration is given |

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Once;
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::alloc_meter::Usage;
use crate::mutate::inputs;
use crate::target::{Target, crate_dir};

/// The seed of the bounded run in `make test` (the same inputs on every run).
pub const BOUNDED_SEED: u64 = 0xCA4D_F022;

/// How much of a target to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Inputs to try (ignored when `seconds` is set).
    pub cases: u32,
    /// Run this long instead, in rounds of inputs.
    pub seconds: Option<u64>,
    /// Seed of the input generator.
    pub seed: u64,
}

impl Budget {
    /// The budget the environment asks for, or the bounded run of `target`.
    pub fn from_env(target: &Target) -> Budget {
        let cases = env_number("CARDLINE_FUZZ_CASES");
        let seconds = env_number("CARDLINE_FUZZ_SECONDS");
        let seed = env_number("CARDLINE_FUZZ_SEED").unwrap_or_else(|| {
            if cases.is_some() || seconds.is_some() {
                clock_seed()
            } else {
                BOUNDED_SEED
            }
        });
        Budget {
            cases: cases.map_or(target.bounded_cases, |c| c.min(u64::from(u32::MAX)) as u32),
            seconds,
            seed,
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    match parsed {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={text:?} is not a number (decimal or 0x hex)"),
    }
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(BOUNDED_SEED)
}

/// What a run did.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The target.
    pub target: &'static str,
    /// Inputs tried.
    pub inputs: u64,
    /// Seeds the inputs were derived from.
    pub seeds: usize,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// The generator's seed.
    pub seed: u64,
    /// The most memory one input held.
    pub peak_bytes: u64,
    /// The most allocations one input caused.
    pub max_allocations: u64,
}

impl Report {
    /// Inputs per second.
    pub fn rate(&self) -> f64 {
        self.inputs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fuzz {}: {} inputs from {} seeds in {:.1} s ({:.0} inputs/s), seed {:#x}, peak {} KiB, at most {} allocations per input",
            self.target,
            self.inputs,
            self.seeds,
            self.elapsed.as_secs_f64(),
            self.rate(),
            self.seed,
            self.peak_bytes / 1024,
            self.max_allocations
        )
    }
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into `Err("panic: <message> at <place>")`; the panic is not
/// printed (shrinking would print it hundreds of times).
pub fn catch<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let place = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into());
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{message}{place}")));
            } else {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was_quiet));
    match result {
        Ok(r) => r,
        Err(_) => {
            let what = LAST_PANIC.with(|p| p.borrow_mut().take());
            Err(format!(
                "panic: {}",
                what.unwrap_or_else(|| "(no message)".into())
            ))
        }
    }
}

/// A 64-bit FNV-1a hash (names saved inputs).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Saves a failing input as `failures/<target>/<hash>.bin`; returns the path.
pub fn save_failure(target: &str, input: &[u8]) -> std::io::Result<PathBuf> {
    let dir = crate_dir().join("failures").join(target);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{:016x}.bin", fnv(input)));
    std::fs::write(&path, input)?;
    Ok(path)
}

/// The first bytes of an input, escaped, for a message.
pub fn preview(input: &[u8]) -> String {
    let shown: String = input
        .iter()
        .take(96)
        .flat_map(|b| b.escape_ascii())
        .map(char::from)
        .collect();
    if input.len() > 96 {
        format!("\"{shown}\"… ({} bytes)", input.len())
    } else {
        format!("\"{shown}\" ({} bytes)", input.len())
    }
}

fn seed_for(target: &str, seed: u64, round: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..8].copy_from_slice(&seed.to_le_bytes());
    out[8..16].copy_from_slice(&fnv(target.as_bytes()).to_le_bytes());
    out[16..24].copy_from_slice(&round.to_le_bytes());
    out
}

/// Runs `target` within `budget`. On the first failing input it shrinks it, saves it under
/// `failures/`, and panics with the property that broke and how to replay it.
pub fn fuzz(target: &Target, budget: Budget) -> Report {
    let seeds = Arc::new(target.seeds());
    let strategy = inputs(seeds.clone(), target.dictionary, target.max_len);
    let started = Instant::now();
    let mut report = Report {
        target: target.name,
        inputs: 0,
        seeds: seeds.len(),
        elapsed: Duration::ZERO,
        seed: budget.seed,
        peak_bytes: 0,
        max_allocations: 0,
    };
    let worst = std::cell::Cell::new(Usage::default());
    let tried = std::cell::Cell::new(0u64);
    let rounds = match budget.seconds {
        Some(_) => u64::MAX,
        None => 1,
    };
    for round in 0..rounds {
        let cases = match budget.seconds {
            Some(_) => 200,
            None => budget.cases,
        };
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 4096,
            ..Config::default()
        };
        let rng = TestRng::from_seed(
            RngAlgorithm::ChaCha,
            &seed_for(target.name, budget.seed, round),
        );
        let mut runner = TestRunner::new_with_rng(config, rng);
        let outcome = runner.run(&strategy, |input| {
            tried.set(tried.get() + 1);
            let usage = target.run_one(&input).map_err(TestCaseError::fail)?;
            let w = worst.get();
            worst.set(Usage {
                allocations: w.allocations.max(usage.allocations),
                peak_bytes: w.peak_bytes.max(usage.peak_bytes),
            });
            Ok(())
        });
        if let Err(e) = outcome {
            let (why, input) = match e {
                TestError::Fail(why, input) => (why.to_string(), input),
                TestError::Abort(why) => panic!("fuzz {}: aborted: {why}", target.name),
            };
            let saved = match save_failure(target.name, &input) {
                Ok(p) => p.display().to_string(),
                Err(e) => format!("(could not save it: {e})"),
            };
            panic!(
                "fuzz {}: {why}\n  input (shrunk): {}\n  saved: {saved}\n  replay: CARDLINE_FUZZ_REPLAY={saved} cargo test -p cardline-fuzz --test replay -- --nocapture\n  keep it as a regression test: move it to fuzz/regressions/{}/ with a name saying what it found\n  generator seed: {:#x} (CARDLINE_FUZZ_SEED), round {round}",
                target.name,
                preview(&input),
                target.name,
                budget.seed
            );
        }
        if let Some(s) = budget.seconds
            && started.elapsed() >= Duration::from_secs(s)
        {
            break;
        }
    }
    report.inputs = tried.get();
    report.elapsed = started.elapsed();
    report.peak_bytes = worst.get().peak_bytes;
    report.max_allocations = worst.get().allocations;
    report
}

/// Replays one input against `target`: `Err` names the property that broke.
pub fn replay(target: &Target, input: &[u8]) -> Result<Usage, String> {
    target.run_one(input)
}

/// Checks the regression inputs and hand-written seeds of a target; returns how many passed
/// or the failures, each with its file.
pub fn check_saved_inputs(target: &Target) -> Result<usize, Vec<String>> {
    let mut failures = Vec::new();
    let files: Vec<PathBuf> = target
        .regression_files()
        .into_iter()
        .chain(target.corpus_files())
        .collect();
    for file in &files {
        let input = std::fs::read(file).map_err(|e| vec![format!("{}: {e}", file.display())])?;
        if let Err(why) = replay(target, &input) {
            failures.push(format!("{}: {why}", file.display()));
        }
    }
    if failures.is_empty() {
        Ok(files.len())
    } else {
        Err(failures)
    }
}

/// Runs a strategy once and returns the value, for tests of the harness.
#[doc(hidden)]
pub fn sample<S: Strategy>(strategy: &S) -> S::Value {
    use proptest::strategy::ValueTree;
    let mut runner = TestRunner::deterministic();
    strategy.new_tree(&mut runner).expect("a value").current()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_naming_its_message_and_place() {
        let e = catch::<()>(|| panic!("boom {}", 7)).unwrap_err();
        assert!(e.starts_with("panic: boom 7 at "), "{e}");
        assert!(e.contains("runner.rs"), "{e}");
        assert_eq!(catch(|| Ok::<_, String>(3)), Ok(3));
        assert_eq!(catch::<()>(|| Err("no".into())), Err("no".into()));
    }

    #[test]
    fn previews_escape_and_cut() {
        assert_eq!(preview(b"\x1bSs\r"), "\"\\x1bSs\\r\" (4 bytes)");
        assert!(preview(&[b'a'; 200]).ends_with("… (200 bytes)"));
    }
}
