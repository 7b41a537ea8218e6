#!/usr/bin/env bash
# Home Assistant link figures at default options, against a real HA Core on loopback:
#  - HTTP requests per minute sent to HA once the first full publication is done,
#  - RSS of the add-on while HA is down (it must stay flat: nothing queues).
# Usage: scripts/bench-ha.sh [MINUTES_UP (default 5)] [MINUTES_DOWN (default 10)]
set -euo pipefail
cd "$(dirname "$0")/.."
up=${1:-5}
down=${2:-10}

cargo build --release --quiet
scripts/ha-core.sh install >/dev/null
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
scripts/ha-core.sh start "$work/ha" "$port" >/dev/null
cleanup() { kill "$pid" 2>/dev/null || true; scripts/ha-core.sh stop "$work/ha" >/dev/null 2>&1 || true; rm -rf "$work"; }
HA_URL="http://127.0.0.1:$port" HA_TOKEN="$(cat "$work/ha/token")" \
  target/release/resource-manager --data-dir "$work/data" --listen 127.0.0.1:0 --log-level warning 2>"$work/rm.log" &
pid=$!
trap cleanup EXIT
until grep -q "serving on" "$work/rm.log"; do sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$work/rm.log" | head -1)
requests() { curl -fsS "$base/api/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["links"]["home_assistant"]["requests_total"])'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }

sleep 60
first=$(requests)
sleep $(( (up - 1) * 60 ))
last=$(requests)
per_minute=$(python3 -c "print(round(($last - $first) / max($up - 1, 1), 1))")
echo "requests to HA: $first in the first minute (full publication), then $per_minute per minute at defaults"

scripts/ha-core.sh stop "$work/ha" >/dev/null
samples=()
for _ in $(seq 1 $(( down * 2 ))); do samples+=("$(rss_kb)"); sleep 30; done
python3 - "${samples[@]}" <<'PY'
import sys
kb = [int(v) for v in sys.argv[1:]]
print(f"RSS while HA is down for {len(kb)/2:.0f} min: first {kb[0]/1024:.1f} MB, min {min(kb)/1024:.1f} MB, max {max(kb)/1024:.1f} MB, last {kb[-1]/1024:.1f} MB")
PY
