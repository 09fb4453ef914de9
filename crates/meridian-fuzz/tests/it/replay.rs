//! Replays every file under `fuzz/regressions/<target>/` (inputs that once crashed a
//! target, kept after the fix) and `fuzz/seeds/<target>/` (small real inputs) through the
//! target, on stable: no nightly and no libFuzzer needed. A target panics on a broken
//! invariant, so a regression fails here with the file's name.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n != ".gitkeep" && n != "README.md")
        })
        .collect();
    out.sort();
    out
}

fn replay(kind: &str) -> usize {
    let mut count = 0;
    for (name, target) in meridian_fuzz::TARGETS {
        for file in files(&fuzz_dir().join(kind).join(name)) {
            let data = std::fs::read(&file).expect("a corpus file reads");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(
                outcome.is_ok(),
                "{name}: {} fails again (run `cargo test -p meridian-fuzz` after fixing; \
                 reproduce with `cargo +nightly fuzz run {name} {}`)",
                file.display(),
                file.display()
            );
            count += 1;
        }
    }
    count
}

#[test]
fn every_crash_found_by_fuzzing_stays_fixed() {
    replay("regressions");
}

#[test]
fn every_seed_runs_through_its_target() {
    let n = replay("seeds");
    assert!(n > 0, "fuzz/seeds/ holds the seeds of every target");
}

#[test]
fn every_target_has_seeds_and_a_fuzz_target() {
    for (name, _) in meridian_fuzz::TARGETS {
        assert!(
            !files(&fuzz_dir().join("seeds").join(name)).is_empty(),
            "fuzz/seeds/{name}/ is empty"
        );
        let target = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(target.is_file(), "{} is missing", target.display());
    }
}

#[test]
fn empty_and_tiny_inputs_are_fine_everywhere() {
    for (_, target) in meridian_fuzz::TARGETS {
        for data in [&[][..], &[0], &[0xff], &[2, 0], &[1; 64]] {
            target(data);
        }
    }
}
