#!/usr/bin/env bash
# Runs every check and every test, real-service tests included, after provisioning what they
# need. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/provision.sh
echo "== format"
cargo fmt --all -- --check
echo "== lint"
cargo clippy --all-targets --locked -- -D warnings
echo "== dependency audit (licences, banned and duplicate crates, sources; advisories: see docs/operations.md)"
cargo deny --config .ci/deny.toml check licenses bans sources
echo "== add-on packaging (config lint, and the Dockerfile's build steps mirrored natively)"
scripts/check-addon.sh
scripts/build-addon.sh
echo "== tests (unit, integration, and the #[ignore]d ones that need real services)"
# Every test binary runs even after one fails, so one run shows every failure.
cargo test --locked --no-fail-fast -- --include-ignored
echo "== add-on rehearsal (the release binary as the Supervisor runs it, in namespaces)"
cargo build --release --locked
RM_BIN="${CARGO_TARGET_DIR:-target}/release/resource-manager" scripts/addon-rehearsal.sh
echo "== aarch64 (Raspberry Pi 4/5, Green, Yellow): the static release binary cross-built with Debian's packages, then run under qemu"
scripts/build-aarch64.sh
scripts/smoke-aarch64.py
# The unit tests for aarch64 under qemu add a second cross build (about 12 min on 2 cores):
# opt-in, to keep the whole run within CI's budget.
if [ "${RM_AARCH64_TESTS:-0}" = 1 ]; then
  scripts/build-aarch64.sh --tests
fi
