#!/usr/bin/env bash
# Builds the release binary for aarch64 (Raspberry Pi 4/5, Home Assistant Green and Yellow) on an
# x86_64 Debian bookworm machine, with Debian's packages alone, and prints its stripped size.
#
# Installs, only when missing: the arm64 dpkg architecture, Debian's rustc-web/cargo-web (1.96
# from bookworm-security; plain bookworm's 1.85 is older than our rust-version) with the matching
# aarch64 standard library, the cross gcc and libc, and qemu-user-static for scripts/smoke-aarch64.sh.
# The image's own aarch64 build (musl, Dockerfile) runs on GitHub's arm runners; this one is glibc
# with +crt-static, so it is just as static and runs under qemu-aarch64-static without -L.
#
# Debian's cargo and rustc are named by path: rustup's come first in PATH and have no aarch64 std
# here. They are another compiler than the host build's, so they get their own target directory
# (RM_AARCH64_TARGET_DIR, default target/aarch64): nothing could be shared anyway.
#
# Usage: scripts/build-aarch64.sh [--tests]   (--tests: also build and run the lib tests under qemu)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "build-aarch64: adding the arm64 dpkg architecture"
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -q
fi
packages=(rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross
          qemu-user-static)
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-aarch64: installing ${missing[*]}"
  # No `-t bookworm-security`: it would also pick that suite's older libc6:arm64, which must match
  # the installed amd64 libc6 exactly (Multi-Arch: same). The 1.96 packages are the candidates
  # anyway, being the newest version in the sources.
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; }
fi

version=$(/usr/bin/rustc --version | awk '{print $2}')
wanted=$(awk -F'"' '/^rust-version/ {print $2; exit}' Cargo.toml)
if [ "$(printf '%s\n%s\n' "$wanted" "$version" | sort -V | head -1)" != "$wanted" ]; then
  echo "build-aarch64: /usr/bin/rustc is $version, Cargo.toml needs $wanted (bookworm-security's rustc-web)" >&2
  exit 1
fi

target=aarch64-unknown-linux-gnu
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export CARGO_TARGET_DIR="${RM_AARCH64_TARGET_DIR:-$PWD/target/aarch64}"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64-static
# Only the target's code is static; build scripts and proc macros stay ordinary host programs.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static"
# aws-lc-sys and the bundled SQLite: C built by the cross gcc (cc-rs picks the matching ar).
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

start=$(date +%s)
/usr/bin/cargo build --release --locked --target "$target"
took=$(( $(date +%s) - start ))
bin="$CARGO_TARGET_DIR/$target/release/resource-manager"
# The release profile strips (strip = true); say so if that ever stops being the case.
if aarch64-linux-gnu-readelf -S "$bin" | grep -q '\.symtab'; then
  echo "build-aarch64: $bin still has a symbol table (Cargo.toml's strip?)" >&2
  exit 1
fi
if aarch64-linux-gnu-readelf -l "$bin" | grep -q 'INTERP'; then
  echo "build-aarch64: $bin is not static (it asks for a program interpreter)" >&2
  exit 1
fi
size=$(stat -c %s "$bin")
awk -v s="$size" -v b="$bin" -v t="$took" \
  'BEGIN { printf "build-aarch64: %s, %.2f MB stripped (%d bytes), static; build %d s\n", b, s / 1048576, s, t }'

# The library's unit tests for aarch64, run through the runner above (qemu-aarch64-static):
# another build (debug, nothing shared with the release one): 10.5 min here plus 2 min for the
# 387 tests, so scripts/test.sh runs this only with RM_AARCH64_TESTS=1 (docs/operations.md).
if [ "${1:-}" = "--tests" ]; then
  start=$(date +%s)
  /usr/bin/cargo test --lib --locked --target "$target"
  echo "build-aarch64: lib tests built and run under qemu in $(( $(date +%s) - start )) s"
fi
