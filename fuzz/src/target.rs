//! [`Target`]: one parser of outside bytes, its seeds, its dictionary and its properties.

use std::path::{Path, PathBuf};

use crate::alloc_meter::{Usage, measure};

/// One fuzz target.
pub struct Target {
    /// Its name: the folder of its seeds (`corpus/<name>/`) and regressions
    /// (`regressions/<name>/`), and the test that runs it.
    pub name: &'static str,
    /// The entry point it drives, for the docs and the run report.
    pub entry: &'static str,
    /// Seeds beyond `corpus/<name>/`: shared fixtures and inputs built in code.
    pub extra_seeds: fn() -> Vec<Vec<u8>>,
    /// Tokens the mutator inserts (commands, keywords, separators).
    pub dictionary: &'static [&'static [u8]],
    /// Longest random input generated (mutated seeds may be longer).
    pub max_len: usize,
    /// Most bytes one input may hold at its peak (from the parser's documented limits).
    pub memory_limit: u64,
    /// Most allocations one input may cause: `base + per_byte × input length` (catches work
    /// that grows faster than the input).
    pub work_limit: (u64, u64),
    /// Cases of the bounded run inside `make test`.
    pub bounded_cases: u32,
    /// The properties: `Err` names the one that broke. Panics are caught by the runner.
    pub check: fn(&[u8]) -> Result<(), String>,
}

/// The fuzz crate's folder (`fuzz/`).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/fixtures` as seen from the repository root.
pub fn fixtures_dir() -> PathBuf {
    crate_dir().join("../../shared/fixtures")
}

/// The files of a folder, sorted by name (none when it does not exist).
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The fixture files of `../shared/fixtures/<folder>` whose name ends with `suffix`; prints a
/// visible `skipped:` line when the folder is missing.
pub fn fixture_files(folder: &str, suffix: &str) -> Vec<Vec<u8>> {
    let dir = fixtures_dir().join(folder);
    if !dir.is_dir() {
        println!("skipped: fixture seeds {} (not found)", dir.display());
        return Vec::new();
    }
    files_in(&dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

impl Target {
    /// The hand-written seeds of `corpus/<name>/`.
    pub fn corpus_files(&self) -> Vec<PathBuf> {
        files_in(&crate_dir().join("corpus").join(self.name))
    }

    /// The saved failing inputs of `regressions/<name>/`.
    pub fn regression_files(&self) -> Vec<PathBuf> {
        files_in(&crate_dir().join("regressions").join(self.name))
    }

    /// Every seed: the corpus folder, then the extra seeds.
    pub fn seeds(&self) -> Vec<Vec<u8>> {
        let mut seeds: Vec<Vec<u8>> = self
            .corpus_files()
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .collect();
        seeds.extend((self.extra_seeds)());
        seeds
    }

    /// Runs the properties on one input and checks its memory and work: `Err` says which
    /// property broke (a panic is reported as one).
    pub fn run_one(&self, input: &[u8]) -> Result<Usage, String> {
        let (outcome, usage) = measure(|| crate::runner::catch(|| (self.check)(input)));
        outcome?;
        if usage.peak_bytes > self.memory_limit {
            return Err(format!(
                "memory: the input of {} bytes held {} bytes at its peak, more than the limit of {} bytes",
                input.len(),
                usage.peak_bytes,
                self.memory_limit
            ));
        }
        let (base, per_byte) = self.work_limit;
        let work_limit = base + per_byte * input.len() as u64;
        if usage.allocations > work_limit {
            return Err(format!(
                "work: the input of {} bytes caused {} allocations, more than the budget of {work_limit} \
                 ({base} + {per_byte} per byte): work grows faster than the input",
                input.len(),
                usage.allocations
            ));
        }
        Ok(usage)
    }
}
