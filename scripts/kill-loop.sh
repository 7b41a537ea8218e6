#!/usr/bin/env bash
# kill-loop.sh - SIGKILL the release binary at random moments, N times, on the same history;
# after each kill check the SQLite file's integrity and that every sample the binary had
# reported as saved is still there. Not part of scripts/test.sh; tests/crash.rs does one kill.
#
#   scripts/kill-loop.sh [N]        default 100
set -euo pipefail

N=${1:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$ROOT/target/kill-loop
PORT=18699
BASE=http://127.0.0.1:$PORT

cd "$ROOT"
cargo build --release --locked
BIN=$ROOT/target/release/resource-manager
rm -rf "$WORK"
mkdir -p "$WORK/data"

failures=0
lost=0
for round in $(seq 1 "$N"); do
  "$BIN" --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" --sample-interval-seconds 1 \
    --write-batch-seconds 5 --log-level warning 2>> "$WORK/app.log" &
  pid=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "$BASE/healthz" && break; sleep 0.05; done
  # Between 1 and 12 s: before, during and after the first batch write of the run.
  sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1 + 11 * r / 32767 }')"
  saved=$(curl -s "$BASE/api/v1/status" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["store"].get("saved_until_ms") or 0)')
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  verdict=$(python3 - "$WORK/data/history.db" "$saved" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ok = db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
saved = int(sys.argv[2])
newest = db.execute("SELECT COALESCE(MAX(end_ms), 0) FROM raw_batches").fetchone()[0]
print(("ok" if ok else "corrupt"), ("kept" if newest >= saved else "lost"))
EOF
)
  case "$verdict" in
    "ok kept") ;;
    *corrupt*) failures=$((failures + 1)); echo "round $round: integrity check failed" >&2 ;;
    *lost*) lost=$((lost + 1)); echo "round $round: samples reported saved are missing" >&2 ;;
  esac
done
echo "kill-loop: $N SIGKILLs, $failures integrity failures, $lost rounds lost saved samples"
[ "$failures" -eq 0 ] && [ "$lost" -eq 0 ]
