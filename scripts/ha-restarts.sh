#!/usr/bin/env bash
# ha-restarts.sh - kill a real Home Assistant Core (SIGKILL) and start it again, N times in a
# row, under the running release binary; report how long after HA answers again our entities
# are back, and whether the binary's tasks, descriptors or memory grow. Not part of
# scripts/test.sh (each HA start takes ~20 s); tests/ha_real.rs covers one restart there.
#
#   scripts/ha-restarts.sh [N]      default 20
set -euo pipefail

N=${1:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$ROOT/target/ha-restarts
PORT=18499
HA_PORT=18423
BASE=http://127.0.0.1:$PORT
HA=http://127.0.0.1:$HA_PORT

log() { echo "ha-restarts: $*" >&2; }
die() { log "error: $*"; exit 1; }

cd "$ROOT"
cargo build --release --locked
BIN=$ROOT/target/release/resource-manager

cleanup() {
  set +e
  [ -n "${APP:-}" ] && kill -TERM "$APP" 2>/dev/null && wait "$APP" 2>/dev/null
  "$ROOT/scripts/ha-core.sh" stop "$WORK/ha" >/dev/null 2>&1
}
trap cleanup EXIT

rm -rf "$WORK/data"
mkdir -p "$WORK/data" "$WORK/ha"
"$ROOT/scripts/ha-core.sh" install
"$ROOT/scripts/ha-core.sh" start "$WORK/ha" "$HA_PORT" >/dev/null
TOKEN=$(cat "$WORK/ha/token")

HA_URL=$HA HA_TOKEN=$TOKEN "$BIN" --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
  --sample-interval-seconds 1 --log-level info 2> "$WORK/app.log" &
APP=$!

# Our sensors HA holds now, not unavailable (0 while HA does not answer).
ours() {
  curl -s -m 2 -H "Authorization: Bearer $TOKEN" "$HA/api/states" 2>/dev/null |
    python3 -c 'import json,sys
try: print(sum(1 for s in json.load(sys.stdin) if s["entity_id"].startswith("sensor.resource_manager_") and s["state"] != "unavailable"))
except Exception: print(0)'
}
answers() { curl -s -m 1 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$HA/api/" 2>/dev/null | grep -q 200; }
figures() {
  local rss fds tasks
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$APP/status")
  fds=$(find "/proc/$APP/fd" -mindepth 1 -maxdepth 1 | wc -l)
  tasks=$(curl -s "$BASE/api/v1/diagnostics" | python3 -c 'import json,sys; print(json.load(sys.stdin)["http"]["tasks"])')
  echo "$rss $fds $tasks"
}

deadline=$(( $(date +%s) + 60 ))
until [ "$(ours)" -ge 10 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || die "entities never appeared; see $WORK/app.log"
  sleep 0.5
done
sleep 5
BASELINE=$(ours)
read -r rss0 fds0 tasks0 < <(figures)
log "baseline: $BASELINE entities; rss ${rss0} KB, $fds0 descriptors, $tasks0 tasks"
echo "round,back_after_answer_s,entities,rss_kb,fds,tasks" > "$WORK/rounds.csv"

for round in $(seq 1 "$N"); do
  kill -KILL "$(cat "$WORK/ha/hass.pid")"
  while answers; do sleep 0.1; done
  rm -f "$WORK/ha/hass.pid"
  "$ROOT/scripts/ha-core.sh" start "$WORK/ha" "$HA_PORT" >/dev/null 2>&1 &
  starter=$!
  until answers; do sleep 0.1; done
  t_answer=$EPOCHREALTIME
  until [ "$(ours)" -ge "$BASELINE" ]; do
    awk -v a="$t_answer" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a > 120) }' && die "round $round: entities not back after 120 s"
    sleep 0.1
  done
  back=$(awk -v a="$t_answer" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  wait "$starter" || true
  read -r rss fds tasks < <(figures)
  echo "$round,$back,$(ours),$rss,$fds,$tasks" >> "$WORK/rounds.csv"
  log "round $round: entities back ${back} s after HA answered; rss ${rss} KB, $fds descriptors, $tasks tasks"
done

python3 - "$WORK/rounds.csv" "$rss0" "$fds0" "$tasks0" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
backs = [float(r["back_after_answer_s"]) for r in rows]
print(f"rounds: {len(rows)}; entities back after HA answered: max {max(backs):.1f} s, "
      f"median {sorted(backs)[len(backs) // 2]:.1f} s")
for key, start in [("rss_kb", sys.argv[2]), ("fds", sys.argv[3]), ("tasks", sys.argv[4])]:
    vals = [int(r[key]) for r in rows]
    print(f"{key}: before {start}, after round 1 {vals[0]}, after the last {vals[-1]}, max {max(vals)}")
EOF
