#!/usr/bin/env bash
# Mirrors the Dockerfile's builder stage natively (no Docker engine runs here): a build context
# holding only what the Dockerfile copies, the dependency prefetch with placeholder sources,
# then the locked release build. It fails when the Dockerfile would, e.g. when Cargo.toml starts
# to need a file the image does not get. Prints the stripped binary size.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

# Stage 1 of the Dockerfile: manifest only, placeholder sources, fetch.
cp Cargo.toml Cargo.lock "$context/"
cp -r benches "$context/"
mkdir -p "$context/src"
echo 'fn main() {}' > "$context/src/main.rs"
touch "$context/src/lib.rs"
(cd "$context" && cargo fetch --locked --quiet)

# Stage 2: the sources the Dockerfile copies, then the release build.
rm -rf "$context/src"
cp -r src templates static migrations "$context/"
# Reuse this checkout's release artefacts so CI does not build the dependencies twice.
target_dir=${CARGO_TARGET_DIR:-$repo/target}
(cd "$context" && CARGO_TARGET_DIR="$target_dir" cargo build --release --locked --quiet)

bin=$target_dir/release/resource-manager
size=$(stat -c %s "$bin")
awk -v s="$size" -v b="$bin" 'BEGIN { printf "add-on build: %s, %.1f MB stripped\n", b, s / 1048576 }'
