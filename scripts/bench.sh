#!/usr/bin/env bash
# Benchmarks of Resource Manager. Prints numbers; nothing here passes or fails on timings.
#
# 1. Library figures: `cargo bench --bench bench` (tick and process-scan CPU, store ingest,
#    history queries, database sizes; see benches/bench.rs) and `cargo bench --bench leases`
#    (lease decisions per second and their p99; HTTP round trip at 50 concurrent clients),
#    `cargo bench --bench hosts` (scrape and parse of a node_exporter page, remote write of
#    10,000 samples, the local tick with and without remote hosts) and
#    `cargo bench --bench advice` (advisor pass CPU; state_changed counting events/s),
#    `cargo bench --bench mqtt` (MQTT discovery of a whole box: messages, bytes, time).
# 2. Process figures of the release binary, run standalone on loopback:
#    start-to-serving time, CPU over a soak at a 1 s sample interval (idle, then with /metrics
#    scraped once per second), peak and steady RSS, bytes written to disk per hour and per day at
#    the default options, and the stripped binary size; prometheus-node-exporter is measured the
#    same way for comparison (installed with apt-get when missing and running as root).
# 3. Self-scaling: the engine's own CPU at normal pace, then reduced under stress-ng (BENCH_SCALE_SECONDS
#    per window, default 20), and `cargo bench --bench power` in step 1.
# Then a summary table of everything.
#
# Environment (seconds):
#   BENCH_SOAK_SECONDS    60   idle soak of the 1 s run, and the node-exporter run (issue: 600)
#   BENCH_SCRAPE_SECONDS  60   the 1 s run with /metrics scraped once per second (0 skips)
#   BENCH_DISK_SECONDS    180  the default-options run that measures disk writes (a few minutes
#                              at least: the writer flushes once per 60 s)
#   BENCH_SKIP_CARGO_BENCH=1   skip step 1
#   BENCH_DIR             where the temporary data directories go (must be a real disk, not
#                         tmpfs, for write_bytes to count); default: a fresh directory in $TMPDIR
set -euo pipefail
cd "$(dirname "$0")/.."
export LC_ALL=C

SOAK=${BENCH_SOAK_SECONDS:-60}
SCRAPE=${BENCH_SCRAPE_SECONDS:-60}
DISK=${BENCH_DISK_SECONDS:-180}
NODE_EXPORTER_ADDR=127.0.0.1:19100
BIN=${CARGO_TARGET_DIR:-target}/release/resource-manager
CLK_TCK=$(getconf CLK_TCK)

WORK=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/rm-bench.XXXXXX")
PIDS=()
ROWS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# A row of the summary table: section, measure, value.
row() { ROWS+=("$1"$'\t'"$2"$'\t'"$3"); printf '  %-58s %s\n' "$2" "$3"; }
now_us() { echo "${EPOCHREALTIME/./}"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
  local stat rest
  stat=$(<"/proc/$1/stat")
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo $(( ${12} + ${13} ))
}
status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
io_field() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/io"; }
mib_of_kb() { calc '%.1f MiB' "$1 / 1024"; }

# Sleeps until the epoch-microsecond instant $1 (returns at once if it has passed).
sleep_until_us() {
  local left=$(( $1 - $(now_us) ))
  if (( left > 0 )); then sleep "$(calc '%.6f' "$left / 1000000")"; fi
}

# Holds $2 seconds while fetching URL $1 once per second (no URL: just waits).
hold() {
  local url=$1 seconds=$2 start i
  start=$(now_us)
  for (( i = 1; i <= seconds; i++ )); do
    if [[ -n $url ]]; then curl -fsS -o /dev/null --max-time 2 "$url" || echo "  scrape $i of $url failed" >&2; fi
    sleep_until_us $(( start + i * 1000000 ))
  done
}

# Nanoseconds on CPU of the live threads of a process (sum of /proc/PID/task/*/schedstat field 1):
# finer than the 10 ms ticks of /proc/PID/stat, but blind to threads that exit meanwhile.
sched_ns() { cat "/proc/$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }

# CPU of process $1 over $2 seconds while `hold`ing URL $3. Sets CPU (utime+stime from
# /proc/PID/stat, as percent of one core and ms of CPU per second) and CPU_FINE (schedstat).
measure_cpu() {
  local pid=$1 seconds=$2 url=${3:-} c0 c1 s0 s1 t0 t1
  c0=$(cpu_ticks "$pid"); s0=$(sched_ns "$pid"); t0=$(now_us)
  hold "$url" "$seconds"
  c1=$(cpu_ticks "$pid"); s1=$(sched_ns "$pid"); t1=$(now_us)
  CPU=$(calc '%.3f %% of one core (%.2f ms CPU/s)' \
    "($c1 - $c0) * 100 / $CLK_TCK / (($t1 - $t0) / 1e6), ($c1 - $c0) * 1000 / $CLK_TCK / (($t1 - $t0) / 1e6)")
  CPU_FINE=$(calc '%.3f %% of one core (%.2f ms CPU/s)' \
    "($s1 - $s0) / 1e7 / (($t1 - $t0) / 1e6), ($s1 - $s0) / 1e6 / (($t1 - $t0) / 1e6)")
}

# Starts the release binary on 127.0.0.1:0 with data dir $1 and the further flags given, waits for
# /healthz: sets RM_PID, RM_URL and STARTUP_MS (launch to first successful /healthz).
start_rm() {
  local dir=$1 log=$1.log t0 i port=""
  shift
  mkdir -p "$dir"
  : >"$log"
  t0=$(now_us)
  env -u SUPERVISOR_TOKEN NO_COLOR=1 "$BIN" --data-dir "$dir" --listen 127.0.0.1:0 "$@" >/dev/null 2>"$log" &
  RM_PID=$!
  PIDS+=("$RM_PID")
  for (( i = 0; i < 10000; i++ )); do
    if [[ $(<"$log") =~ serving\ on\ http://127\.0\.0\.1:([0-9]+) ]]; then port=${BASH_REMATCH[1]}; break; fi
    kill -0 "$RM_PID" 2>/dev/null || { cat "$log" >&2; echo "resource-manager exited at start" >&2; exit 1; }
    sleep 0.001
  done
  [[ -n $port ]] || { cat "$log" >&2; echo "no 'serving on' line in $log" >&2; exit 1; }
  RM_URL=http://127.0.0.1:$port
  until curl -fsS -o /dev/null --max-time 2 "$RM_URL/healthz" 2>/dev/null; do
    kill -0 "$RM_PID" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.001
  done
  STARTUP_MS=$(( ($(now_us) - t0) / 1000 ))
}

stop() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

echo "== building the release binary =="
cargo build --release --bin resource-manager

if [[ ${BENCH_SKIP_CARGO_BENCH:-0} != 1 ]]; then
  echo
  echo "== cargo bench --bench bench =="
  BENCH_RESULTS=$WORK/rust.tsv cargo bench --bench bench
  echo
  echo "== cargo bench --bench leases (decisions/s and p99 of the manager, HTTP p99 at 50 clients) =="
  cargo bench --bench leases
  echo
  echo "== cargo bench --bench hosts (node_exporter scrape + parse, remote write, tick with hosts) =="
  cargo bench --bench hosts
  echo
  echo "== cargo bench --bench advice (advisor pass CPU, state_changed counting events/s) =="
  cargo bench --bench advice
  echo "== cargo bench --bench power (power collector and power derive stage per tick) =="
  cargo bench --bench power
  echo "== cargo bench --bench mqtt (discovery of 10 add-ons + 2 hosts: messages, bytes, time) =="
  cargo bench --bench mqtt
fi

echo
echo "== binary =="
strip -o "$WORK/resource-manager.stripped" "$BIN"
bytes=$(stat -c %s "$WORK/resource-manager.stripped")
row size "stripped binary size" "$(calc '%.2f MB (%.2f MiB)' "$bytes / 1e6, $bytes / 1048576")"

echo
echo "== resource-manager, sample interval 1 s =="
start_rm "$WORK/run1s" --sample-interval-seconds 1
row startup "resource-manager start to serving /healthz (fresh data dir)" "$STARTUP_MS ms"
measure_cpu "$RM_PID" "$SOAK"
row cpu "resource-manager, 1 s interval, idle, ${SOAK} s (stat)" "$CPU"
row cpu "  same, from schedstat (ns)" "$CPU_FINE"
steady_idle=$(status_kb "$RM_PID" VmRSS)
if (( SCRAPE > 0 )); then
  metrics_bytes=$(curl -fsS "$RM_URL/metrics" | wc -c)
  measure_cpu "$RM_PID" "$SCRAPE" "$RM_URL/metrics"
  row cpu "resource-manager, 1 s interval, /metrics 1/s, ${SCRAPE} s (stat)" "$CPU"
  row cpu "  same, from schedstat (ns)" "$CPU_FINE"
  row size "resource-manager /metrics size" "$metrics_bytes bytes"
fi
row memory "resource-manager RSS steady (VmRSS after the idle soak)" "$(mib_of_kb "$steady_idle")"
row memory "resource-manager RSS steady (VmRSS at the end)" "$(mib_of_kb "$(status_kb "$RM_PID" VmRSS)")"
row memory "resource-manager RSS peak (VmHWM)" "$(mib_of_kb "$(status_kb "$RM_PID" VmHWM)")"
stop "$RM_PID"

echo
echo "== prometheus-node-exporter, scraped once per second =="
if ! command -v prometheus-node-exporter >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "installing prometheus-node-exporter"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-node-exporter >/dev/null; }; then
    echo "  could not install prometheus-node-exporter" >&2
  fi
fi
if command -v prometheus-node-exporter >/dev/null; then
  if curl -fsS -o /dev/null --max-time 1 "http://$NODE_EXPORTER_ADDR/metrics" 2>/dev/null; then
    echo "something already listens on $NODE_EXPORTER_ADDR" >&2
    exit 1
  fi
  t0=$(now_us)
  prometheus-node-exporter --web.listen-address="$NODE_EXPORTER_ADDR" >/dev/null 2>"$WORK/node-exporter.log" &
  ne_pid=$!
  PIDS+=("$ne_pid")
  until curl -fsS -o /dev/null --max-time 2 "http://$NODE_EXPORTER_ADDR/metrics" 2>/dev/null; do
    kill -0 "$ne_pid" 2>/dev/null || { cat "$WORK/node-exporter.log" >&2; echo "node exporter exited" >&2; exit 1; }
    sleep 0.001
  done
  ne_start_ms=$(( ($(now_us) - t0) / 1000 ))
  ne_version=$(prometheus-node-exporter --version 2>&1 | awk 'NR == 1 { print $3 }')
  ne_bytes=$(curl -fsS "http://$NODE_EXPORTER_ADDR/metrics" | wc -c)
  row startup "node-exporter $ne_version start to first /metrics" "$ne_start_ms ms"
  measure_cpu "$ne_pid" "$SOAK" "http://$NODE_EXPORTER_ADDR/metrics"
  row cpu "node-exporter, /metrics 1/s, ${SOAK} s (stat)" "$CPU"
  row cpu "  same, from schedstat (ns)" "$CPU_FINE"
  row size "node-exporter /metrics size" "$ne_bytes bytes"
  row memory "node-exporter RSS steady / peak (VmRSS / VmHWM)" \
    "$(mib_of_kb "$(status_kb "$ne_pid" VmRSS)") / $(mib_of_kb "$(status_kb "$ne_pid" VmHWM)")"
  stop "$ne_pid"
else
  row cpu "node-exporter" "not installed: skipped"
fi

echo
echo "== resource-manager, default options (sample 5 s, write batch 120 s), ${DISK} s =="
if [[ $(stat -f -c %T "$WORK") == tmpfs ]]; then
  echo "  warning: $WORK is on tmpfs: write_bytes will read 0 (set BENCH_DIR to a real disk)" >&2
fi
start_rm "$WORK/default"
row startup "resource-manager start to serving /healthz (defaults)" "$STARTUP_MS ms"
w0=$(io_field "$RM_PID" write_bytes); c0=$(io_field "$RM_PID" wchar)
hold "" "$DISK"
w1=$(io_field "$RM_PID" write_bytes); c1=$(io_field "$RM_PID" wchar)
db_bytes=$(cat "$WORK"/default/history.db* 2>/dev/null | wc -c)
stop "$RM_PID"
per_hour=$(( (w1 - w0) * 3600 / DISK ))
row disk "bytes written to disk in ${DISK} s (write_bytes)" "$(( w1 - w0 )) bytes"
row disk "  extrapolated per hour / per day" "$(calc '%.2f MiB / %.1f MiB' "$per_hour / 1048576, $per_hour * 24 / 1048576")"
row disk "bytes passed to write() in ${DISK} s (wchar, incl. logs)" "$(( c1 - c0 )) bytes"
row disk "history.db + WAL + SHM after ${DISK} s" "$db_bytes bytes"

echo
echo "== self-scaling: engine CPU at normal pace, then reduced under stress-ng on every core =="
# Same scenario as tests/power.rs: sampling every 1 s, stretched up to 4 s. The engine's own CPU
# is Diagnostics' engine.cpu_micros_total (ticks, process scans, the self-scaling probe).
engine_cpu_us() { curl -fsS "$RM_URL/api/v1/diagnostics" | python3 -c 'import sys, json; print(json.load(sys.stdin)["engine"]["cpu_micros_total"])'; }
scale_opts() { echo "{\"sample_interval_seconds\":1,\"process_interval_seconds\":5,\"self_scaling\":{\"enabled\":$1,\"hold_seconds\":2,\"cooldown_seconds\":2,\"max_interval_seconds\":4}}" >"$WORK/scale-$1.json"; }
if command -v stress-ng >/dev/null; then
  window=${BENCH_SCALE_SECONDS:-20}
  scale_opts false
  start_rm "$WORK/scale-normal" --options "$WORK/scale-false.json"
  sleep 3; a=$(engine_cpu_us); sleep "$window"; b=$(engine_cpu_us); stop "$RM_PID"
  normal_us=$(( (b - a) / window ))
  nice -n 19 stress-ng --cpu 0 --timeout $(( window + 60 ))s --quiet &
  stress_pid=$!
  PIDS+=("$stress_pid")
  scale_opts true
  start_rm "$WORK/scale-reduced" --options "$WORK/scale-true.json"
  for (( i = 0; i < 120; i++ )); do
    top=$(curl -fsS "$RM_URL/api/v1/diagnostics" | python3 -c 'import sys, json; s = json.load(sys.stdin)["engine"]["scaling"]; print(s["level"] == s["max_level"])')
    [[ $top == True ]] && break
    sleep 0.5
  done
  a=$(engine_cpu_us); sleep "$window"; b=$(engine_cpu_us); stop "$RM_PID"; stop "$stress_pid"
  reduced_us=$(( (b - a) / window ))
  row cpu "engine CPU, normal pace (1 s), µs per second" "$normal_us"
  row cpu "engine CPU, reduced under stress-ng (4 s), µs per second" "$reduced_us"
  row cpu "  ratio reduced / normal" "$(calc '%.2f' "$reduced_us / $normal_us")"
else
  row cpu "self-scaling under stress-ng" "stress-ng not installed: skipped"
fi

echo
echo "================================ summary ================================"
printf '%-14s %-62s %s\n' section measure value
printf '%-14s %-62s %s\n' ------- ------- -----
if [[ -s $WORK/rust.tsv ]]; then
  while IFS=$'\t' read -r label value; do
    printf '%-14s %-62s %s\n' "cargo bench" "$label" "$value"
  done <"$WORK/rust.tsv"
fi
for wanted in startup cpu memory disk size; do
  for line in "${ROWS[@]}"; do
    IFS=$'\t' read -r section label value <<<"$line"
    if [[ $section == "$wanted" ]]; then printf '%-14s %-62s %s\n' "$section" "$label" "$value"; fi
  done
done
echo
echo "host: $(nproc) cores, $(uname -r); soak ${SOAK} s, scrape ${SCRAPE} s, disk run ${DISK} s"
