#!/usr/bin/env bash
# fuzz.sh - coverage-guided fuzzing of the product's input readers with cargo-fuzz (libFuzzer).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   default 60 s per target, every target
#
# Targets (fuzz/fuzz_targets/, shared logic in fuzz/harness.rs): options (the options
# reader), import_csv (the history importer), ha_event (Home Assistant WebSocket events),
# prometheus_text (a remote host's /metrics page, parsed and mapped), http_request (every
# route with fuzzed paths, queries and JSON bodies).
# New inputs that reach new code are kept in fuzz/corpus/<target>/, which CI replays on
# stable Rust (tests/fuzz_corpus.rs). A crash leaves its input in fuzz/artifacts/<target>/.
#
# cargo-fuzz needs the compiler's unstable sanitizer flags; this toolchain is stable, so
# RUSTC_BOOTSTRAP=1 unlocks them for these builds only (never for the product's own build).
set -euo pipefail

SECONDS_EACH=${1:-60}
shift || true
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(options import_csv ha_event prometheus_text http_request)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/fuzz}
export RUSTC_BOOTSTRAP=1

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cd "$ROOT/fuzz"
cargo fuzz build -O
for target in "${TARGETS[@]}"; do
  echo "fuzz: $target for ${SECONDS_EACH} s" >&2
  start=$(date +%s)
  cargo fuzz run -O "$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1 2>&1 | grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY)" || true
  echo "fuzz: $target done in $(( $(date +%s) - start )) s, corpus $(ls "corpus/$target" | wc -l) inputs" >&2
done
