//! The fuzz targets on stable Rust: every input of `fuzz/corpus/<target>/` (seeds and what
//! cargo-fuzz runs kept) is replayed, then random inputs are tried (`RM_FUZZ_CASES` each,
//! 256 by default). Longer runs with coverage guidance: `scripts/fuzz.sh`.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// A target: what it feeds, by name.
type Target = (&'static str, fn(&[u8]));

const TARGETS: &[Target] = &[
    ("options", harness::options),
    ("import_csv", harness::import_csv),
    ("ha_event", harness::ha_event),
    ("http_request", harness::http_request),
    ("prometheus_text", harness::prometheus_text),
];

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            let bytes = std::fs::read(e.path()).expect("corpus file");
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    inputs.sort();
    inputs
}

#[test]
fn every_corpus_input_is_handled() {
    for (target, run) in TARGETS {
        let inputs = corpus(target);
        assert!(!inputs.is_empty(), "{target} has seeds");
        for (name, bytes) in inputs {
            let outcome = std::panic::catch_unwind(|| run(&bytes));
            assert!(outcome.is_ok(), "{target}/{name} broke a promise");
        }
    }
}

fn cases() -> u32 {
    std::env::var("RM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Random inputs: raw bytes, and mutations of each seed (where bugs hide: almost-valid input).
fn random_inputs(target: &str, run: fn(&[u8])) {
    let seeds: Vec<Vec<u8>> = corpus(target).into_iter().map(|(_, b)| b).collect();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let seeds_len = seeds.len();
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        (
            0..seeds_len,
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        )
            .prop_map(move |(i, edits)| {
                let mut bytes = seeds[i].clone();
                for (at, byte) in edits {
                    if bytes.is_empty() {
                        bytes.push(byte);
                    } else {
                        let at = at.index(bytes.len());
                        bytes[at] = byte;
                    }
                }
                bytes
            }),
    ];
    runner
        .run(&strategy, |bytes| {
            run(&bytes);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{target}: {e}"));
}

#[test]
fn random_options_are_judged_without_panicking() {
    random_inputs("options", harness::options);
}

#[test]
fn random_csv_is_judged_without_panicking() {
    random_inputs("import_csv", harness::import_csv);
}

#[test]
fn random_home_assistant_messages_are_judged_without_panicking() {
    random_inputs("ha_event", harness::ha_event);
}

#[test]
fn random_metrics_pages_are_read_without_panicking() {
    random_inputs("prometheus_text", harness::prometheus_text);
}

#[test]
fn random_requests_get_an_answer_and_json_errors() {
    random_inputs("http_request", harness::http_request);
}
