#!/usr/bin/env bash
# addon-rehearsal.sh - the add-on as the Supervisor runs it, without Docker: the release
# binary as PID 1 of its own PID, mount and UTS namespaces, /data holding an options.json
# built from config.yaml, SUPERVISOR_TOKEN set and `supervisor` resolving (through a
# bind-mounted /etc/hosts) to an EMULATED Supervisor (scripts/rehearsal/supervisor.py) that
# proxies Home Assistant's API to a REAL Home Assistant Core; an Ingress stand-in
# (scripts/rehearsal/ingress.py) connects from 172.30.32.2 as the real proxy chain does.
#
# Inside its namespaces Docker's doing is repeated (scripts/rehearsal/container.sh): its masked
# and read-only paths, a read-only sysfs (the add-on's own network namespace's in the bridge
# case), its default capabilities, the Supervisor's mounts from config.yaml, and the add-on's
# AppArmor profile where this kernel has AppArmor. The box is an emulated Raspberry Pi 4: the
# Supervisor names the board and the add-on reads a Pi 4's /proc/cpuinfo.
#
# Three cases:
#   host         the add-on shares this machine's network namespace (host_network: true), in
#                its own PID namespace (Protection mode on: host_pid is not granted)
#   bridge       its own network namespace with one veth (the image run without host_network)
#   unprotected  host network and this machine's PID namespace (Protection mode off)
# Network: one namespace for the Supervisor and Home Assistant, veth pairs on 172.30.32.0/23
# addresses of this script's own (the hassio network's), nothing routed anywhere else; all is
# removed at exit.
#
# Checks per case: Docker's masks, read-only paths and capabilities are in place; the power
# method is the Pi 4's model and the status says why RAPL and the device tree are unreadable;
# after a quiet week (loaded with `import`) only the add-on on its own network is proposed for
# a stop, not the one on the host's; the Ingress address comes from /addons/self/info and
# nothing else listens; the dashboard loads through Ingress in Chromium with the add-on table filled; votes count per
# HA user; entities appear in the real Core; the views are labelled; backup_pre/backup_post
# (run inside the namespaces) leave a copy passing integrity_check while writes go on; SIGTERM
# within config.yaml's timeout flushes the last batch and marks entities unavailable; SIGKILL
# and a restart keep the history.
#
# Needs root, iproute2, util-linux (setpriv), the HA venv (scripts/ha-core.sh install) and the
# browser test's node_modules (scripts/provision.sh). RM_BIN names the binary (default: the release
# build, built if missing). RM_UPDATE_SCREENSHOTS=1 writes screenshots to docs/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { echo "rehearsal: $*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now_ms() { date +%s%3N; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, veth pairs, mounts)"
for tool in ip unshare nsenter setpriv ss pgrep node; do
  command -v "$tool" >/dev/null || die "$tool not found (scripts/provision.sh installs it)"
done
VENV=${HA_VENV:-$HOME/.cache/resource-manager/ha-venv}
PY=$VENV/bin/python
[ -x "$PY" ] || die "no Home Assistant venv at $VENV (scripts/ha-core.sh install)"
BIN=${RM_BIN:-$ROOT/target/release/resource-manager}
if [ -z "${RM_BIN:-}" ]; then
  log "building the release binary"
  cargo build --release --locked --quiet
fi
[ -x "$BIN" ] || die "no binary at $BIN"
BIN=$(readlink -f "$BIN")
if ip -4 addr show | grep -q 'inet 172\.30\.3[23]\.'; then
  die "this machine already uses 172.30.32.0/23 (the hassio network); the rehearsal would collide"
fi

N=$(( $$ % 10000 ))
NS_SUP=rmrh-sup-$N        # the Supervisor's and Home Assistant's namespace
NS_ADDON=rmrh-addon-$N    # the add-on's own network namespace (bridge case)
V_HOST=rmrhh$N            # this namespace <-> NS_SUP
V_ADDON=rmrha$N           # NS_ADDON <-> NS_SUP
SUPERVISOR_IP=172.30.32.2
GATEWAY_IP=172.30.32.1
BRIDGE_ADDON_IP=172.30.33.7
TOKEN=rehearsal-$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')
INGRESS_TOKEN=rehearsalIngressToken_1
API_TOKEN=rehearsal-api-$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')
INGRESS_LISTEN=127.0.0.1:8124
INGRESS_URL="http://$INGRESS_LISTEN/api/hassio_ingress/$INGRESS_TOKEN/"
WORK=$(mktemp -d /tmp/rm-rehearsal.XXXXXX)
SHOTS=${RM_UPDATE_SCREENSHOTS:+$ROOT/docs/screenshots}
SHOTS=${SHOTS:-$ROOT/target/rehearsal}
PIDS=()
CREATED_DATA=0
CREATED_HA_MAP=0
# The AppArmor profile the add-on runs under, - where none could be loaded.
PROFILE=-
ADDON_PID=""
NS_PID=""
KEEP_WORK=1

cleanup() {
  local status=$?
  set +e
  # PID 1 of the add-on's namespace: killing it ends every process in there.
  [ -n "${NS_PID:-}" ] && kill -KILL "$NS_PID" 2>/dev/null
  [ -n "$ADDON_PID" ] && kill -KILL "$ADDON_PID" 2>/dev/null
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  [ -d "$WORK/ha" ] && scripts/ha-core.sh stop "$WORK/ha" >/dev/null 2>&1
  ip netns del "$NS_ADDON" 2>/dev/null
  ip netns del "$NS_SUP" 2>/dev/null
  ip link del "$V_HOST" 2>/dev/null
  [ "$CREATED_DATA" = 1 ] && rmdir /data 2>/dev/null
  [ "$CREATED_HA_MAP" = 1 ] && rmdir /homeassistant 2>/dev/null
  [ "$PROFILE" != - ] && apparmor_parser -R "$WORK/apparmor.txt" 2>/dev/null
  if [ "$status" -ne 0 ]; then
    for f in "$WORK"/*/addon.log "$WORK"/*/supervisor.out "$WORK"/*/ingress.out; do
      [ -f "$f" ] && { log "--- tail of $f"; tail -n 25 "$f" >&2; }
    done
    log "work files kept in $WORK"
  elif [ "$KEEP_WORK" = 0 ]; then
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT INT TERM

sup() { ip netns exec "$NS_SUP" "$@"; }
check() { sup "$PY" scripts/rehearsal/checks.py "$@"; }

# ---- network: veth pairs only, on the hassio network's addresses ----
ip netns add "$NS_SUP"
ip netns add "$NS_ADDON"
ip -n "$NS_SUP" link set lo up
ip -n "$NS_ADDON" link set lo up
ip link add "$V_HOST" type veth peer name "${V_HOST}s" netns "$NS_SUP"
ip addr add "$GATEWAY_IP/23" dev "$V_HOST"
ip link set "$V_HOST" up
ip -n "$NS_SUP" addr add "$SUPERVISOR_IP/23" dev "${V_HOST}s"
ip -n "$NS_SUP" link set "${V_HOST}s" up
ip link add "$V_ADDON" netns "$NS_ADDON" type veth peer name "${V_ADDON}s" netns "$NS_SUP"
ip -n "$NS_ADDON" addr add "$BRIDGE_ADDON_IP/32" dev "$V_ADDON"
ip -n "$NS_ADDON" link set "$V_ADDON" up
ip -n "$NS_ADDON" route add "$SUPERVISOR_IP/32" dev "$V_ADDON"
ip -n "$NS_SUP" link set "${V_ADDON}s" up
ip -n "$NS_SUP" route add "$BRIDGE_ADDON_IP/32" dev "${V_ADDON}s"
log "namespaces $NS_SUP and $NS_ADDON ready"

# ---- a real Home Assistant Core, in the Supervisor's namespace ----
t0=$(now_ms)
HA_OUT=$(sup scripts/ha-core.sh start "$WORK/ha" 18123)
HA_URL=$(echo "$HA_OUT" | sed -n 's/^HA_URL=//p')
[ -n "$HA_URL" ] || die "Home Assistant Core did not start: $HA_OUT"
if [ -n "${RM_REHEARSAL_DEBUG:-}" ]; then
  sup curl -s --noproxy '*' -H "Authorization: Bearer $(cat "$WORK/ha/token")" -H 'Content-Type: application/json' \
    -d '{"homeassistant.components.websocket_api": "debug"}' "$HA_URL/api/services/logger/set_level" >/dev/null
fi
log "Home Assistant Core at $HA_URL (in $NS_SUP) after $(( ($(now_ms) - t0) / 1000 )) s"

# ---- what the Supervisor gives every add-on ----
# Mount points for /data and config.yaml's `map: homeassistant_config:ro` (the mounts
# themselves are made inside the add-on's mount namespace only).
[ -d /data ] || { mkdir /data; CREATED_DATA=1; }
[ -d /homeassistant ] || { mkdir /homeassistant; CREATED_HA_MAP=1; }
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n%s\tsupervisor\n' "$SUPERVISOR_IP" > "$WORK/hosts"
read -r BACKUP_PRE BACKUP_POST STOP_TIMEOUT < <("$PY" - "$BIN" <<'PYEOF'
import sys, yaml
c = yaml.safe_load(open("config.yaml"))
bin_ = sys.argv[1]
# The image's path of the binary is /usr/bin/resource-manager; here it is the build's.
pre = c["backup_pre"].replace("/usr/bin/resource-manager", bin_)
post = c["backup_post"].replace("/usr/bin/resource-manager", bin_)
print(pre.replace(" ", "\x1f"), post.replace(" ", "\x1f"), c.get("timeout", 10))
PYEOF
)
BACKUP_PRE=${BACKUP_PRE//$'\x1f'/ }
BACKUP_POST=${BACKUP_POST//$'\x1f'/ }

write_options() {   # $1 data dir, $2 open_reads (comma-separated): config.yaml's options, sampling
                    # sped up for the rehearsal, the API token set
  "$PY" - "$1/options.json" "$API_TOKEN" "${2:-}" <<'PYEOF'
import json, sys, yaml
options = yaml.safe_load(open("config.yaml"))["options"]
options.update(sample_interval_seconds=1, write_batch_seconds=5, addon_stats_interval_seconds=10)
options.setdefault("access", {}).update(api_token=sys.argv[2], open_reads=[a for a in sys.argv[3].split(",") if a])
json.dump(options, open(sys.argv[1], "w"), indent=2)
PYEOF
}

# The Supervisor loads the add-on's apparmor.txt under its installed slug
# (supervisor/utils/apparmor.py adjust_profile) where the kernel has AppArmor; Docker then
# starts the container under it. Sets PROFILE when loaded.
load_apparmor() {
  if [ ! -d /sys/kernel/security/apparmor ]; then
    log "AppArmor: the add-on's profile cannot be loaded here: this kernel has no AppArmor" \
      "(no /sys/kernel/security/apparmor); its capability rules are applied by hand instead"
    return
  fi
  if ! command -v apparmor_parser >/dev/null; then
    log "AppArmor: the add-on's profile cannot be loaded here: apparmor_parser is missing" \
      "(Debian package apparmor)"
    return
  fi
  # The binary is the build's, not the image's /usr/bin/resource-manager.
  sed -e 's/^profile resource_manager /profile rehearsal_resource_manager /' \
    -e "s#/usr/bin/resource-manager#$BIN#" apparmor.txt > "$WORK/apparmor.txt"
  apparmor_parser -r "$WORK/apparmor.txt" || die "apparmor_parser could not load apparmor.txt"
  PROFILE=rehearsal_resource_manager
  log "AppArmor: apparmor.txt loaded as $PROFILE; the add-on runs under it"
}

# The add-on, as the Supervisor starts it through Docker: PID 1 of new PID/mount/UTS
# namespaces, only the Supervisor's environment, and inside them what Docker does
# (scripts/rehearsal/container.sh). Sets ADDON_PID (unshare) and NS_PID (the binary, PID 1
# inside).
start_addon() {   # $1 case, $2 data dir, $3 log
  local wrap=() pid_ns=(--pid --fork --mount-proc)
  [ "$1" = bridge ] && wrap=(ip netns exec "$NS_ADDON")
  # host_pid granted: the host's PID namespace; unshare then execs, so $! is the binary.
  [ "$1" = unprotected ] && pid_ns=()
  "${wrap[@]}" unshare "${pid_ns[@]}" --mount --uts \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TZ=UTC SUPERVISOR_TOKEN="$TOKEN" HASSIO_TOKEN="$TOKEN" \
    "$ROOT/scripts/rehearsal/container.sh" start "$WORK/hosts" "$2" "$WORK/ha/config" \
    "$ROOT/tests/fixtures/arm/rpi4/proc/cpuinfo" "$PROFILE" "$BIN" >>"$3" 2>&1 &
  ADDON_PID=$!
  NS_PID=""
  if [ "$1" = unprotected ]; then NS_PID=$ADDON_PID; return; fi
  for _ in $(seq 100); do
    NS_PID=$(pgrep -P "$ADDON_PID" | head -n1 || true)
    [ -n "$NS_PID" ] && break
    sleep 0.05
  done
  [ -n "$NS_PID" ] || die "the add-on's namespace did not start"
}

wait_addon_exit() {   # $1 seconds; sets EXIT_STATUS (not in a subshell: wait needs the child)
  local deadline=$(( $(now_ms) + $1 * 1000 ))
  while kill -0 "$ADDON_PID" 2>/dev/null; do
    [ "$(now_ms)" -lt "$deadline" ] || die "the add-on did not exit within $1 s"
    sleep 0.1
  done
  EXIT_STATUS=0
  wait "$ADDON_PID" || EXIT_STATUS=$?
  ADDON_PID=""
  NS_PID=""
}

in_addon() {   # a command inside the add-on's namespaces, as `docker exec` runs backup hooks:
               # with the container's capabilities and profile
  nsenter --target "$NS_PID" --pid --mount --uts --net -- \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TZ=UTC SUPERVISOR_TOKEN="$TOKEN" \
    "$ROOT/scripts/rehearsal/container.sh" exec "$PROFILE" "$@"
}

inspect() {   # the rehearsal looking into the add-on's namespaces, unconfined
  nsenter --target "$NS_PID" --pid --mount --uts --net -- "$@"
}

# A quiet week of two add-ons (hourly, 0.1 % CPU; no traffic counted for Samba on the host's
# network, as Docker reports, a trickle for Studio Code Server on its own), loaded with the
# add-on's own `import` before it starts: the advisor judges the idle window on its first
# pass instead of after seven days.
seed_quiet_week() {   # $1 case dir
  "$PY" - "$1/quiet-week.csv" <<'PYEOF'
import sys, time
now = int(time.time())
with open(sys.argv[1], "w") as out:
    out.write("ts,series,value\n")
    for slug, net in (("core_samba", 0), ("a0d7b954_vscode", 12)):
        for hour in range(1, 9 * 24 + 1):
            ts = now - hour * 3600
            for name, value in (("cpu_percent", 0.1), ("net_rx_bytes_per_second", net),
                                ("net_tx_bytes_per_second", net / 2)):
                out.write(f"{ts},addon.{slug}.{name},{value}\n")
PYEOF
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$BIN" --data-dir "$1/data" --options "$1/data/options.json" \
    import "$1/quiet-week.csv" >/dev/null || die "import of the quiet week failed"
}

# The network view the add-on should report on this machine's own network: "host" when a
# device-backed interface is visible (as on a real host), else what the kernel leaves.
host_network_view() {
  local iface
  for iface in /sys/class/net/*; do
    case "$(readlink -f "$iface")" in */devices/virtual/*) ;; *) echo host; return ;; esac
  done
  echo unknown
}

# The process view the binary should report in the host's PID namespace: "host" where this
# script itself sees the kernel's kthreadd as PID 2, else (the tests run in a container)
# "container".
host_process_view() {
  case "$(cat /proc/2/stat 2>/dev/null)" in "2 (kthreadd) "*) echo host ;; *) echo container ;; esac
}

# Docker's masks, read-only paths and capabilities in the add-on's namespace, then what the
# add-on made of them: the Pi 4's power model with why RAPL and the device tree are unreadable,
# and the quiet week judged by each add-on's network.
confinement() {   # $1 case
  local pid=1 rapl=absent out
  # host_pid: the binary is not PID 1 of the /proc it sees.
  [ "$1" = unprotected ] && pid=$NS_PID
  # runc masks only what this kernel has: without powercap there is no RAPL to mask.
  [ -d /sys/devices/virtual/powercap ] && rapl=masked
  out=$(inspect "$PY" "$ROOT/scripts/rehearsal/checks.py" docker --pid "$pid" --profile "$PROFILE" \
    --apparmor "$ROOT/apparmor.txt") || die "Docker's confinement"
  log "$out"
  out=$(check power --ingress "$INGRESS_URL" --rapl "$rapl") || die "the power method on the emulated Pi 4"
  log "$out"
  out=$(check advice --ingress "$INGRESS_URL" --proposed a0d7b954_vscode --kept core_samba) \
    || die "the advice on a quiet week"
  log "$out"
}

run_case() {   # $1 host|bridge|unprotected
  local case=$1 dir=$WORK/$1 ip network processes=container host_flag=() port open_reads=""
  mkdir -p "$dir/data"
  # One case opens /metrics to token-less readers (access.open_reads), the others keep it closed.
  [ "$case" = unprotected ] && open_reads=metrics
  write_options "$dir/data" "$open_reads"
  seed_quiet_week "$dir"
  port=$(( 62000 + RANDOM % 3500 ))
  case $case in
    host) ip=$GATEWAY_IP; network=$(host_network_view); host_flag=(--host-network) ;;
    unprotected) ip=$GATEWAY_IP; network=$(host_network_view); processes=$(host_process_view)
      host_flag=(--host-network --unprotected) ;;
    bridge) ip=$BRIDGE_ADDON_IP; network=container ;;
    *) die "unknown case $case" ;;
  esac
  log "== case $case: Ingress $ip:$port, expected views processes=$processes network=$network"

  # `ip netns exec` execs: $! is the process itself, so cleanup reaches it.
  ip netns exec "$NS_SUP" "$PY" scripts/rehearsal/supervisor.py --listen "$SUPERVISOR_IP:80" --token "$TOKEN" \
    --core "$HA_URL" --core-token-file "$WORK/ha/token" --ingress-port "$port" --ip "$ip" \
    "${host_flag[@]}" --log "$dir/supervisor.jsonl" >"$dir/supervisor.out" 2>&1 &
  PIDS+=($!)
  ip netns exec "$NS_SUP" "$PY" scripts/rehearsal/ingress.py --listen "$INGRESS_LISTEN" --addon "$ip:$port" \
    --source "$SUPERVISOR_IP" --token "$INGRESS_TOKEN" >"$dir/ingress.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    sup curl -s --noproxy '*' -m 1 -o /dev/null "http://$SUPERVISOR_IP/supervisor/ping" && break
    sleep 0.1
  done

  local t_start; t_start=$(now_ms)
  start_addon "$case" "$dir/data" "$dir/addon.log"
  check wait-serving --ingress "$INGRESS_URL" --timeout 60
  log "serving $(( $(now_ms) - t_start )) ms after start"
  confinement "$case"
  if [ "$case" != unprotected ]; then
    [ "$(inspect readlink /proc/1/exe)" = "$BIN" ] || die "the binary is not PID 1 of its namespace"
  fi

  # Listens on the assigned address and loopback only, in the add-on's network namespace.
  local listening
  listening=$(nsenter --target "$NS_PID" --net ss -Hltn "sport = :$port" | awk '{print $4}' | sort | tr '\n' ' ')
  [ "$listening" = "127.0.0.1:$port $ip:$port " ] || die "listens on '$listening', expected $ip:$port and 127.0.0.1:$port only"
  log "listens on $listening"
  # A client that is neither the Supervisor nor loopback is refused.
  local code
  code=$(nsenter --target "$NS_PID" --net curl -s --noproxy '*' -m 5 -o /dev/null -w '%{http_code}' --interface "$ip" "http://$ip:$port/api/v1/status")
  [ "$code" = 401 ] || die "a client from $ip got $code, expected 401"
  in_addon "$BIN" healthcheck >/dev/null || die "the image's healthcheck failed"
  # Another process on the add-on's loopback: on the host's network that is every other
  # host-network add-on and Home Assistant Core. Only the API token opens the server to it.
  local open_args=()
  [ -n "$open_reads" ] && open_args=(--open "$open_reads")
  nsenter --target "$NS_PID" --net "$PY" scripts/rehearsal/checks.py trust \
    --addon "http://127.0.0.1:$port/" --token "$API_TOKEN" "${open_args[@]}" \
    || die "trust on the add-on's loopback"

  check ingress-rules --ingress "$INGRESS_URL"
  check views --ingress "$INGRESS_URL" --processes "$processes" --network "$network"
  check addons --ingress "$INGRESS_URL"
  sup node scripts/rehearsal/browser.mjs "$INGRESS_URL" session-alice "$SHOTS" "$network" "$processes" >"$dir/browser.out" \
    || { cat "$dir/browser.out" >&2; die "the dashboard through Ingress"; }
  log "dashboard through Ingress in Chromium: ok (screenshots in $SHOTS)"
  check votes --ingress "$INGRESS_URL" --db "$dir/data/history.db"
  check entities --core "$HA_URL" --token-file "$WORK/ha/token" --expect available --timeout 60

  # Backup while writes go on: backup_pre, copy (the Supervisor's tar), backup_post.
  local before after
  # Something to back up: the first write batch (5 s here) is on disk.
  for _ in $(seq 200); do
    before=$(check newest --db "$dir/data/history.db" | cut -d' ' -f1)
    [ "$before" -gt 0 ] && break
    sleep 0.1
  done
  [ "$before" -gt 0 ] || die "nothing stored within 20 s of the start"
  # The hook's words through Docker's exec API (supervisor/apps/app.py App._backup_command,
  # supervisor/docker/manager.py container_run_inside): no shell.
  local hook
  read -ra hook <<< "$BACKUP_PRE"
  in_addon "${hook[@]}" >/dev/null || die "backup_pre failed: $BACKUP_PRE"
  [ -f "$dir/data/history-snapshot.db" ] || die "backup_pre left no backup copy"
  cp "$dir/data/history-snapshot.db" "$dir/backup-copy.db"
  read -ra hook <<< "$BACKUP_POST"
  in_addon "${hook[@]}" >/dev/null || die "backup_post failed: $BACKUP_POST"
  [ ! -e "$dir/data/history-snapshot.db" ] || die "backup_post left the backup copy behind"
  check integrity --db "$dir/backup-copy.db"
  for _ in $(seq 150); do
    after=$(check newest --db "$dir/data/history.db" | cut -d' ' -f1)
    [ "$after" -gt "$before" ] && break
    sleep 0.1
  done
  [ "$after" -gt "$before" ] || die "no write after the backup"
  log "writes went on during the backup ($before -> $after)"

  # SIGTERM, as `docker stop`: within config.yaml's timeout, last batch flushed, entities
  # unavailable.
  local t_term newest_tick
  t_term=$(now_ms)
  kill -TERM "$NS_PID"
  wait_addon_exit "$STOP_TIMEOUT"
  [ "$EXIT_STATUS" = 0 ] || die "exit status $EXIT_STATUS after SIGTERM"
  newest_tick=$(check newest --db "$dir/data/history.db" | cut -d' ' -f1)
  [ "$newest_tick" -ge $(( t_term - 2000 )) ] || die "last stored tick $newest_tick is $(( t_term - newest_tick )) ms before SIGTERM: the last batch was lost"
  log "SIGTERM: exited 0 in $(( $(now_ms) - t_term )) ms (timeout ${STOP_TIMEOUT} s), last tick $(( t_term - newest_tick )) ms before the signal"
  check entities --core "$HA_URL" --token-file "$WORK/ha/token" --expect unavailable --timeout 10

  # The watchdog's path: start, SIGKILL, start again; the history stays.
  local t_restart ticks_before ticks_after newest
  t_restart=$(now_ms)
  start_addon "$case" "$dir/data" "$dir/addon.log"
  check wait-serving --ingress "$INGRESS_URL" --timeout 60
  # Kill only once a batch of this run is on disk (write batches are 5 s here).
  for _ in $(seq 200); do
    read -r newest ticks_before < <(check newest --db "$dir/data/history.db")
    [ "$newest" -gt "$t_restart" ] && break
    sleep 0.1
  done
  [ "$newest" -gt "$t_restart" ] || die "nothing stored within 20 s of the restart"
  kill -KILL "$NS_PID"
  wait_addon_exit 10
  start_addon "$case" "$dir/data" "$dir/addon.log"
  check wait-serving --ingress "$INGRESS_URL" --timeout 60
  ticks_after=$(check newest --db "$dir/data/history.db" | cut -d' ' -f2)
  [ "$ticks_after" -ge "$ticks_before" ] || die "SIGKILL and restart lost history: $ticks_before -> $ticks_after ticks"
  log "SIGKILL and restart: history kept ($ticks_before -> $ticks_after ticks)"
  kill -TERM "$NS_PID"
  wait_addon_exit "$STOP_TIMEOUT"
  [ "$EXIT_STATUS" = 0 ] || die "exit status $EXIT_STATUS after the last SIGTERM"

  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  log "== case $case: passed"
}

load_apparmor
T_ALL=$(now_ms)
for case in ${RM_REHEARSAL_CASES:-host bridge unprotected}; do
  run_case "$case"
done
KEEP_WORK=0
log "passed all cases in $(( ($(now_ms) - T_ALL) / 1000 )) s"
