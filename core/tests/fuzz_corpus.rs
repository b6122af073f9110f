//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) through the
//! same target bodies the libFuzzer binaries run (`fuzz/src/lib.rs`, included
//! here as a module), so every `cargo test` checks on the stable toolchain
//! that no input the fuzzers have found interesting makes a parser panic.

#[path = "../../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_corpus_input_is_handled_without_panicking() {
    let corpus_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (name, target) in targets::TARGETS {
        let dir = corpus_root.join(name);
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()));
        let mut replayed = 0usize;
        for entry in entries {
            let path = entry.expect("corpus entry").path();
            if !path.is_file() {
                continue;
            }
            let data = std::fs::read(&path).expect("read corpus file");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(
                outcome.is_ok(),
                "fuzz target {name} panicked on {}",
                path.display()
            );
            replayed += 1;
        }
        assert!(replayed > 0, "corpus of fuzz target {name} is empty");
    }
}

#[test]
fn every_target_has_a_fuzz_binary_and_a_corpus() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    for (name, _) in targets::TARGETS {
        let bin = fuzz.join("fuzz_targets").join(format!("{name}.rs"));
        assert!(bin.is_file(), "missing {}", bin.display());
        assert!(
            fuzz.join("corpus").join(name).is_dir(),
            "no corpus for {name}"
        );
    }
}
