#!/usr/bin/env bash
# Mirror the Dockerfile's builder stage natively (Docker cannot run here):
# locked release build, then report the stripped binary size.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked

bin=target/release/resource-manager
# The release profile already strips; strip a copy anyway so the figure is comparable.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cp "$bin" "$tmp"
strip "$tmp" 2>/dev/null || true
size=$(stat -c %s "$tmp")
awk -v s="$size" -v b="$bin" 'BEGIN { printf "%s: %.1f MB stripped\n", b, s / 1048576 }'
