#!/usr/bin/env bash
# bench-peers.sh - the cost of Resource Manager beside two monitors users know, on this
# machine, at the same interval, for the same time, in one run:
#   - Resource Manager (release build) sampling every second with every feature on: linked to
#     a real Home Assistant Core (scripts/ha-core.sh), /metrics scraped every second, one live
#     (Server-Sent Events) client, alerts evaluated, history written;
#   - Glances (from PyPI) as a web server refreshing every second, its REST API read every second;
#   - Debian's prometheus-node-exporter, /metrics scraped every second.
# It prints CPU seconds and peak RSS of each, and the ratios.
#
#   scripts/bench-peers.sh [SECONDS]     default 300
set -euo pipefail

DURATION=${1:-300}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$ROOT/target/bench-peers
RM_PORT=18599
GL_PORT=18561
NE_PORT=18600
HA_PORT=18523
GLANCES_VERSION=4.3.0

log() { echo "bench-peers: $*" >&2; }
die() { log "error: $*"; exit 1; }
command -v prometheus-node-exporter >/dev/null || die "prometheus-node-exporter not found (scripts/provision.sh installs it)"

cd "$ROOT"
cargo build --release --locked
mkdir -p "$WORK"
if [ ! -x "$WORK/venv/bin/glances" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install --quiet "glances[web]==$GLANCES_VERSION"
fi

PIDS=()
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  "$ROOT/scripts/ha-core.sh" stop "$WORK/ha" >/dev/null 2>&1
}
trap cleanup EXIT

"$ROOT/scripts/ha-core.sh" install
mkdir -p "$WORK/ha"
"$ROOT/scripts/ha-core.sh" start "$WORK/ha" "$HA_PORT" >/dev/null
TOKEN=$(cat "$WORK/ha/token")

rm -rf "$WORK/data"
HA_URL=http://127.0.0.1:$HA_PORT HA_TOKEN=$TOKEN "$ROOT/target/release/resource-manager" \
  --data-dir "$WORK/data" --listen "127.0.0.1:$RM_PORT" --sample-interval-seconds 1 \
  --process-interval-seconds 5 --log-level warning 2> "$WORK/rm.log" &
RM=$!; PIDS+=("$RM")
"$WORK/venv/bin/glances" -w --disable-webui -B 127.0.0.1 -p "$GL_PORT" -t 1 --quiet \
  > "$WORK/glances.log" 2>&1 &
GL=$!; PIDS+=("$GL")
prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT" > "$WORK/node-exporter.log" 2>&1 &
NE=$!; PIDS+=("$NE")

wait_http() {
  for _ in $(seq 1 150); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done
  die "$1 did not answer"
}
wait_http "http://127.0.0.1:$RM_PORT/healthz"
wait_http "http://127.0.0.1:$GL_PORT/api/4/status"
wait_http "http://127.0.0.1:$NE_PORT/metrics"

curl -sN "http://127.0.0.1:$RM_PORT/api/v1/live" > /dev/null 2>&1 &
PIDS+=($!)
( while :; do
    curl -s -o /dev/null "http://127.0.0.1:$RM_PORT/metrics"
    curl -s -o /dev/null "http://127.0.0.1:$GL_PORT/api/4/all"
    curl -s -o /dev/null "http://127.0.0.1:$NE_PORT/metrics"
    sleep 1
  done ) &
PIDS+=($!)

# Warm-up: first samples, first publication, caches filled.
sleep 20
TICKS=$(getconf CLK_TCK)
cpu() { awk -v t="$TICKS" '{printf "%.3f", ($14 + $15) / t}' "/proc/$1/stat"; }
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
declare -A START
for name in RM GL NE; do START[$name]=$(cpu "${!name}"); done
log "measuring for $DURATION s"
sleep "$DURATION"
python3 - "$DURATION" \
  "$(cpu "$RM")" "${START[RM]}" "$(hwm "$RM")" \
  "$(cpu "$GL")" "${START[GL]}" "$(hwm "$GL")" \
  "$(cpu "$NE")" "${START[NE]}" "$(hwm "$NE")" <<'EOF'
import sys
d = float(sys.argv[1])
vals = sys.argv[2:]
rows = []
for i, name in enumerate(["Resource Manager", "Glances", "node_exporter"]):
    end, start, hwm = float(vals[3 * i]), float(vals[3 * i + 1]), int(vals[3 * i + 2])
    rows.append((name, end - start, hwm))
print(f"{'':18} {'CPU s':>8} {'% of a core':>12} {'peak RSS MB':>12}")
for name, cpu, hwm in rows:
    print(f"{name:18} {cpu:8.2f} {100 * cpu / d:12.2f} {hwm / 1024:12.1f}")
rm = rows[0][1]
for name, cpu, _ in rows[1:]:
    print(f"Resource Manager uses 1/{cpu / rm:.1f} of {name}'s CPU" if rm > 0 else f"{name}: {cpu:.2f} s")
EOF
