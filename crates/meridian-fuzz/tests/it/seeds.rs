//! The generated seeds (`meridian_fuzz::seeds`) run through their targets; with
//! `UPDATE_SEEDS=1` they are written to `fuzz/seeds/<target>/` too.

use std::path::Path;

#[test]
fn generated_seeds_run_through_their_targets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = root.join("../shared/corpus");
    let corpus = corpus.is_dir().then_some(corpus.as_path());
    let update = std::env::var_os("UPDATE_SEEDS").is_some();
    for (target, name, bytes) in meridian_fuzz::seeds::generated(corpus) {
        let run = meridian_fuzz::target(target).expect("a seed names a target");
        run(&bytes);
        if update {
            let dir = root.join("fuzz/seeds").join(target);
            std::fs::create_dir_all(&dir).expect("the seeds folder");
            std::fs::write(dir.join(&name), &bytes).expect("a seed writes");
        }
    }
}
