#!/usr/bin/env bash
# soak.sh - run the release binary for a long time with every feature busy and report whether
# its memory, descriptors or tasks grow. Not part of scripts/test.sh (it takes an hour).
#
#   scripts/soak.sh [MINUTES]      default 60; SOAK_WARMUP_MINUTES (default 10) are left out
#                                  of the slopes; SOAK_SAMPLE_SECONDS (default 30)
#
# What runs for the whole time, all on loopback:
#   - the release binary at 1 s ticks, linked to a real Home Assistant Core (scripts/ha-core.sh)
#   - 20 Server-Sent-Events clients on /api/v1/live
#   - /metrics scraped every second
#   - an alert that fires and clears: a rule on a 64 MB ext4 image loop-mounted by this script,
#     filled to ~75 % and emptied every 2 minutes (needs root, util-linux and e2fsprogs)
#   - a remote host: Debian's prometheus-node-exporter, read every 5 s
#   - remote write every 10 s to Debian's prometheus (--web.enable-remote-write-receiver)
#   - power (modelled or measured), self-scaling, the advisor and leases at their defaults
# Every SOAK_SAMPLE_SECONDS it records RSS and its two parts (anonymous memory, which is what a
# leak grows, and file-backed pages, mostly the executable's code as it first runs), open
# descriptors, threads, live tasks, open HTTP connections and CPU seconds to
# target/soak/samples.csv; at the end it prints the slopes per hour after the warm-up, the
# alert incidents and whether Home Assistant kept its entities.
set -euo pipefail

MINUTES=${1:-60}
WARMUP=${SOAK_WARMUP_MINUTES:-10}
EVERY=${SOAK_SAMPLE_SECONDS:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$ROOT/target/soak
PORT=18399
HA_PORT=18323
NE_PORT=18391
PROM_PORT=18392
BASE=http://127.0.0.1:$PORT

log() { echo "soak: $*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (it loop-mounts a small filesystem for the alert)"
for tool in curl python3 mkfs.ext4 mount prometheus prometheus-node-exporter; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/provision.sh installs it)"
done

cd "$ROOT"
cargo build --release --locked
BIN=$ROOT/target/release/resource-manager

PIDS=()
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  [ -n "${APP:-}" ] && kill -TERM "$APP" 2>/dev/null && wait "$APP" 2>/dev/null
  mountpoint -q "$WORK/fill" && umount "$WORK/fill"
  "$ROOT/scripts/ha-core.sh" stop "$WORK/ha" >/dev/null 2>&1
}
trap cleanup EXIT

# A fresh run each time, so the slopes start from a new database.
if mountpoint -q "$WORK/fill" 2>/dev/null; then umount "$WORK/fill"; fi
rm -rf "$WORK/data" "$WORK/fill" "$WORK/fill.img" "$WORK/samples.csv"
mkdir -p "$WORK/data" "$WORK/fill"
truncate -s 64M "$WORK/fill.img"
mkfs.ext4 -q -F "$WORK/fill.img"
mount -o loop "$WORK/fill.img" "$WORK/fill"

"$ROOT/scripts/ha-core.sh" install
mkdir -p "$WORK/ha"
echo "$HA_PORT" > "$WORK/ha/port"
"$ROOT/scripts/ha-core.sh" start "$WORK/ha" "$HA_PORT" >/dev/null
HA_TOKEN=$(cat "$WORK/ha/token")

prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT" > "$WORK/node-exporter.log" 2>&1 &
PIDS+=($!)
rm -rf "$WORK/prometheus"
mkdir -p "$WORK/prometheus"
printf 'global:\n  scrape_interval: 1m\n' > "$WORK/prometheus/prometheus.yml"
prometheus --config.file="$WORK/prometheus/prometheus.yml" --storage.tsdb.path="$WORK/prometheus/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-remote-write-receiver \
  > "$WORK/prometheus.log" 2>&1 &
PIDS+=($!)

cat > "$WORK/options.json" <<EOF
{"alert_rules": [{"name": "soak_fill", "metric": "disk.$WORK/fill.used_percent",
  "warn": 50, "critical": 95, "clear": 25, "for": "10s", "cooldown": "1m"}],
 "hosts": [{"name": "peer", "url": "http://127.0.0.1:$NE_PORT/metrics", "interval": 5}],
 "remote_write": {"url": "http://127.0.0.1:$PROM_PORT/api/v1/write", "interval": 10}}
EOF

HA_URL=http://127.0.0.1:$HA_PORT HA_TOKEN=$HA_TOKEN RM_OPTIONS=$WORK/options.json \
  "$BIN" --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
  --sample-interval-seconds 1 --log-level info 2> "$WORK/app.log" &
APP=$!
for _ in $(seq 1 100); do
  curl -sf "$BASE/healthz" >/dev/null && break
  sleep 0.2
done
curl -sf "$BASE/healthz" >/dev/null || die "the binary did not start; see $WORK/app.log"
log "pid $APP on $BASE, Home Assistant on :$HA_PORT, $MINUTES min (warm-up $WARMUP)"

for _ in $(seq 1 20); do
  curl -sN "$BASE/api/v1/live" > /dev/null 2>&1 &
  PIDS+=($!)
done
( while :; do curl -s "$BASE/metrics" > /dev/null; sleep 1; done ) &
PIDS+=($!)
( while :; do
    dd if=/dev/zero of="$WORK/fill/ballast" bs=1M count=40 status=none; sync; sleep 120
    rm -f "$WORK/fill/ballast"; sync; sleep 120
  done ) &
PIDS+=($!)

echo "elapsed_s,rss_kb,rss_anon_kb,rss_file_kb,fds,threads,tasks,http_connections,cpu_s,ha_entities" > "$WORK/samples.csv"
TICKS=$(getconf CLK_TCK)
START=$(date +%s)
END=$((START + MINUTES * 60))
while [ "$(date +%s)" -lt "$END" ]; do
  kill -0 "$APP" 2>/dev/null || die "the binary exited; see $WORK/app.log"
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$APP/status")
  anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$APP/status")
  file=$(awk '/^RssFile:/ {print $2}' "/proc/$APP/status")
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$APP/status")
  fds=$(find "/proc/$APP/fd" -mindepth 1 -maxdepth 1 | wc -l)
  cpu=$(awk -v t="$TICKS" '{printf "%.2f", ($14 + $15) / t}' "/proc/$APP/stat")
  read -r tasks conns < <(curl -s "$BASE/api/v1/diagnostics" |
    python3 -c 'import json,sys; h=json.load(sys.stdin)["http"]; print(h["tasks"], h["open"])')
  entities=$(curl -s -H "Authorization: Bearer $HA_TOKEN" "http://127.0.0.1:$HA_PORT/api/states" |
    python3 -c 'import json,sys; print(sum(1 for s in json.load(sys.stdin) if s["entity_id"].startswith("sensor.resource_manager_") and s["state"] != "unavailable"))')
  echo "$(( $(date +%s) - START )),$rss,$anon,$file,$fds,$threads,$tasks,$conns,$cpu,$entities" >> "$WORK/samples.csv"
  sleep "$EVERY"
done

python3 - "$WORK/samples.csv" "$WARMUP" "$WORK/data/history.db" <<'EOF'
import csv, sqlite3, sys
rows = list(csv.DictReader(open(sys.argv[1])))
warm = int(sys.argv[2]) * 60
after = [r for r in rows if int(r["elapsed_s"]) >= warm] or rows
def slope(key):
    xs = [int(r["elapsed_s"]) / 3600 for r in after]
    ys = [float(r[key]) for r in after]
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
print(f"samples: {len(rows)} ({len(after)} after the {warm // 60}-minute warm-up)")
for key, unit in [("rss_kb", "KB"), ("rss_anon_kb", "KB"), ("rss_file_kb", "KB"), ("fds", "descriptors"), ("threads", "threads"),
                  ("tasks", "tasks"), ("http_connections", "connections")]:
    vals = [float(r[key]) for r in after]
    print(f"{key:17} min {min(vals):9.0f}  max {max(vals):9.0f}  slope {slope(key):+9.2f} {unit}/hour")
first, last = rows[0], rows[-1]
cpu = float(last["cpu_s"]) - float(first["cpu_s"])
span = int(last["elapsed_s"]) - int(first["elapsed_s"])
print(f"cpu: {cpu:.1f} s over {span} s = {100 * cpu / max(span, 1):.2f} % of one core")
ents = [int(r["ha_entities"]) for r in rows]
print(f"Home Assistant entities available: min {min(ents)} max {max(ents)} last {ents[-1]}")
db = sqlite3.connect(sys.argv[3])
fired = db.execute("SELECT COUNT(*), SUM(resolved_ms IS NOT NULL) FROM alert_incidents").fetchone()
print(f"alert incidents: {fired[0]} fired, {fired[1] or 0} cleared")
EOF
log "samples in $WORK/samples.csv, log in $WORK/app.log"
