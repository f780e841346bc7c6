//! Replays saved inputs: every file under `regressions/<target>/` (crashes found and fixed) and
//! `corpus/<target>/` (hand-written seeds) must pass its target's properties, and
//! `CARDLINE_FUZZ_REPLAY=<file>` replays one failing input saved by a run
//! (`failures/<target>/<hash>.bin`) with its verdict printed.

use std::path::Path;

use cardline_fuzz::runner::{check_saved_inputs, preview, replay};
use cardline_fuzz::targets;

#[test]
fn regressions_and_seeds_pass() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for t in targets::ALL {
        match check_saved_inputs(t) {
            Ok(n) => checked += n,
            Err(f) => failures.extend(f),
        }
    }
    assert!(
        failures.is_empty(),
        "saved inputs fail:\n{}",
        failures.join("\n")
    );
    println!("{checked} saved inputs pass");
    assert!(
        checked > 0,
        "no saved input found under fuzz/regressions or fuzz/corpus"
    );
}

#[test]
fn replay_one_file_from_the_environment() {
    let Ok(file) = std::env::var("CARDLINE_FUZZ_REPLAY") else {
        println!("skipped: set CARDLINE_FUZZ_REPLAY=<file> to replay one input");
        return;
    };
    // cargo runs tests in the crate's folder: a path relative to the repository root works too
    let given = Path::new(&file);
    let from_root = cardline_fuzz::target::crate_dir().join("..").join(given);
    let path = if given.exists() {
        given
    } else {
        from_root.as_path()
    };
    // failures/<target>/<hash>.bin or regressions/<target>/<name>
    let name = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let target = targets::by_name(name).unwrap_or_else(|| {
        panic!("{file}: its folder `{name}` names no target (expected failures/<target>/…)")
    });
    let input = std::fs::read(path).unwrap_or_else(|e| panic!("{file}: {e}"));
    println!(
        "replaying {} on {name}: {}",
        path.display(),
        preview(&input)
    );
    match replay(target, &input) {
        Ok(usage) => println!("passes ({usage:?})"),
        Err(why) => panic!("{name}: {why}"),
    }
}
