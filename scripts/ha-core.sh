#!/usr/bin/env bash
# ha-core.sh - a real Home Assistant Core on 127.0.0.1 for integration tests.
#
#   ha-core.sh install            venv with homeassistant 2025.4.4 + frontend (idempotent)
#   ha-core.sh start DIR [PORT]   start (default port 18123, or DIR/port), onboard on first
#                                 start, wait for RUNNING; prints HA_URL=... and HA_TOKEN_FILE=...
#   ha-core.sh stop DIR           SIGTERM, SIGKILL after 20 s (idempotent)
#   ha-core.sh restart DIR        stop + start on the same port, same token
#   ha-core.sh status DIR         prints running or stopped
#
# DIR holds config/ (HA config, config/home-assistant.log), hass.out, hass.pid, port
# and token (long-lived access token, one line, reused across starts).
# Env: HA_VENV, HA_CACHE (downloads), HA_PYTHON, HA_INSTALLER (uv|pip),
#      HA_START_TIMEOUT (s, default 120). Progress goes to stderr.
set -euo pipefail

HA_VERSION=2025.4.4    # newest HA that runs on Python 3.13.0 (2025.5+ need >= 3.13.2)
CACHE=${HA_CACHE:-$HOME/.cache/resource-manager}
VENV=${HA_VENV:-$HOME/.cache/resource-manager/ha-venv}
START_TIMEOUT=${HA_START_TIMEOUT:-120}
STOP_TIMEOUT=20

log() { echo "ha-core: $*" >&2; }
die() { log "error: $*"; exit 1; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
installed() { "$VENV/bin/python" -c 'from homeassistant.const import __version__; print(__version__)' 2>/dev/null || true; }
# --noproxy: a proxy from the environment must never see (or carry) test traffic.
http() { curl -s --noproxy '*' -m 5 "$@"; }

find_python() {
  if [ -n "${HA_PYTHON:-}" ]; then echo "$HA_PYTHON"
  elif command -v pyenv >/dev/null && [ -x "$(pyenv root)/versions/3.13.0/bin/python3" ]; then
    echo "$(pyenv root)/versions/3.13.0/bin/python3"
  elif command -v python3.13 >/dev/null; then command -v python3.13
  else die "Python 3.13 not found: install it with pyenv (3.13.0) or put python3.13 on PATH"
  fi
}

cmd_install() {
  local t0=$EPOCHREALTIME
  # paho-mqtt: Core's MQTT integration (tests/ha_mqtt_real.rs); hass --skip-pip never installs it.
  if [ "$(installed)" = "$HA_VERSION" ] && "$VENV/bin/python" -c 'import paho.mqtt' 2>/dev/null; then
    log "homeassistant $HA_VERSION already in $VENV ($(since "$t0") s)"; return
  fi
  local py; py=$(find_python)
  [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV"
  # The wheel is kept so a rebuilt venv needs no second download of it.
  local wheels=$CACHE/wheels cons
  local whl=$wheels/homeassistant-$HA_VERSION-py3-none-any.whl
  [ -f "$whl" ] || "$VENV/bin/python" -m pip download -q --no-deps -d "$wheels" "homeassistant==$HA_VERSION"
  # HA pins its whole dependency tree in this file inside the wheel; a plain
  # "pip install homeassistant" ignores it and pulls incompatible newest versions.
  cons=$wheels/constraints-$HA_VERSION.txt
  "$VENV/bin/python" -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("homeassistant/package_constraints.txt"))' \
    "$whl" > "$cons"
  # The frontend is always loaded; preinstalled, hass --skip-pip never needs a registry.
  local pkgs=("$whl" "$(grep '^home-assistant-frontend==' "$cons")" "$(grep '^paho-mqtt==' "$cons")")
  local installer=${HA_INSTALLER:-uv}
  if [ "$installer" = uv ]; then
    # HA depends on uv itself, so installing its pinned uv first costs nothing extra.
    # The registry here answers without ETag/Last-Modified, so HTTP caches never
    # revalidate: keep the uv wheel next to the HA wheel, and let uv try its cache
    # offline first (online it re-downloads and rebuilds every sdist, ~17 s).
    local uv uvpin; uv=$(command -v uv || true); uvpin=$(grep '^uv==' "$cons")
    if [ -z "$uv" ]; then
      ls "$wheels/uv-${uvpin#uv==}-"*.whl >/dev/null 2>&1 ||
        "$VENV/bin/python" -m pip download -q --no-deps -d "$wheels" "$uvpin"
      "$VENV/bin/python" -m pip install -q --no-index -f "$wheels" "$uvpin"
      uv=$VENV/bin/uv
    fi
    # SSL_CERT_FILE: uv's bundled roots would ignore the machine's CA setup (PIP_CERT).
    uvi() { SSL_CERT_FILE=${SSL_CERT_FILE:-${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}} UV_CACHE_DIR=$CACHE/uv \
      "$uv" pip install -q --python "$VENV/bin/python" -c "$cons" "$@" "${pkgs[@]}"; }
    uvi --offline 2>/dev/null || uvi
  else
    PIP_CACHE_DIR=$CACHE/pip "$VENV/bin/python" -m pip install -q -c "$cons" "${pkgs[@]}"
  fi
  [ "$(installed)" = "$HA_VERSION" ] || die "installed, but homeassistant $HA_VERSION does not import from $VENV"
  log "installed homeassistant $HA_VERSION into $VENV with $installer in $(since "$t0") s"
}

# pid from DIR/hass.pid, if that process is still our hass (pids get reused).
running_pid() {
  local pid; pid=$(cat "$1/hass.pid" 2>/dev/null) && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "-c $1/config " && echo "$pid"
}

write_config() {   # $1 config dir, $2 port
  # packages/: automations and scripts a test puts there before the start (tests/common/ha.rs).
  mkdir -p "$1/.storage" "$1/packages"
  cat > "$1/configuration.yaml" <<EOF
# Written by scripts/ha-core.sh: only what the tests need, no default_config:.
homeassistant: {name: Test, latitude: 52.52, longitude: 13.40, elevation: 0, unit_system: metric, time_zone: UTC, currency: EUR, country: DE, language: en, packages: !include_dir_named packages}
http: {server_host: 127.0.0.1, server_port: $2}
api:
websocket_api:
auth:
onboarding:
persistent_notification:
input_boolean:
logger: {default: warning}
EOF
  # Must exist before the first start: otherwise HA's mDNS client joins multicast
  # on the real network interfaces. Tests only talk to loopback.
  [ -e "$1/.storage/core.network" ] ||
    echo '{"version":1,"minor_version":1,"key":"core.network","data":{"configured_adapters":["lo"]}}' > "$1/.storage/core.network"
}

fail_start() {   # $1 dir, $2 message
  log "$2"
  log "--- tail of $1/config/home-assistant.log"; tail -n 30 "$1/config/home-assistant.log" >&2 2>/dev/null || true
  log "--- tail of $1/hass.out"; tail -n 10 "$1/hass.out" >&2 2>/dev/null || true
  cmd_stop "$1"   # leave no half-started instance behind
  exit 1
}

wait_for() {   # $1 dir, $2 t0, $3 what, then a command that succeeds when ready
  local dir=$1 t0=$2 what=$3; shift 3
  until "$@"; do
    running_pid "$dir" >/dev/null || fail_start "$dir" "hass exited while waiting for $what"
    [ "$(since "$t0" | cut -d. -f1)" -lt "$START_TIMEOUT" ] || fail_start "$dir" "timeout (${START_TIMEOUT} s) waiting for $what"
    sleep 0.2
  done
}
# Probes never go unauthenticated to an auth-only URL: HA would log a failed
# login and raise a persistent notification that tests might see.
onboarding_open() { [ "$(http -o /dev/null -w '%{http_code}' "$1/api/onboarding")" = 200 ]; }
is_running() { http -H "Authorization: Bearer $(cat "$2")" "$1/api/config" | grep -q '"state": *"RUNNING"'; }

# Onboarding: owner user -> auth_code -> access token (30 min)
# -> long-lived token over the WebSocket API. aiohttp ships with HA.
onboard() {   # $1 url; prints the long-lived token
  "$VENV/bin/python" - "$1" <<'EOF'
import asyncio, sys, aiohttp
async def main(url):
    cid = url + "/"
    async with aiohttp.ClientSession() as s:
        r = await s.post(url + "/api/onboarding/users", json={"client_id": cid, "name": "Test",
                         "username": "test", "password": "test-password", "language": "en"})
        if r.status != 200:
            sys.exit(f"POST /api/onboarding/users: HTTP {r.status} {await r.text()}")
        code = (await r.json())["auth_code"]
        r = await s.post(url + "/auth/token", data={"grant_type": "authorization_code", "code": code, "client_id": cid})
        access = (await r.json())["access_token"]
        async with s.ws_connect("ws" + url[4:] + "/api/websocket") as ws:
            await ws.receive_json(timeout=10)  # auth_required
            await ws.send_json({"type": "auth", "access_token": access})
            msg = await ws.receive_json(timeout=10)
            assert msg["type"] == "auth_ok", msg
            await ws.send_json({"id": 1, "type": "auth/long_lived_access_token",
                                "client_name": "resource-manager-tests", "lifespan": 3650})
            msg = await ws.receive_json(timeout=10)
            assert msg.get("success"), msg
            print(msg["result"])
asyncio.run(main(sys.argv[1]))
EOF
}

cmd_start() {
  [ $# -ge 1 ] || die "usage: $0 start DIR [PORT]"
  [ "$(installed)" = "$HA_VERSION" ] || die "homeassistant $HA_VERSION not in $VENV: run $0 install"
  mkdir -p "$1"
  local dir; dir=$(cd "$1" && pwd)
  local port=${2:-$(cat "$dir/port" 2>/dev/null || echo 18123)} t0=$EPOCHREALTIME
  local url=http://127.0.0.1:$port
  # Onboarding works only once per config, so a lost token cannot be recovered.
  if [ ! -s "$dir/token" ] && [ -e "$dir/config/.storage/onboarding" ]; then
    die "$dir was onboarded but has no token: remove $dir"
  fi
  if running_pid "$dir" >/dev/null; then
    log "already running (pid $(cat "$dir/hass.pid"))"
  else
    # Someone else on the port would answer our readiness probes instead of HA.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port already in use"; fi
    write_config "$dir/config" "$port"
    echo "$port" > "$dir/port"
    nohup "$VENV/bin/hass" -c "$dir/config" --log-file "$dir/config/home-assistant.log" --skip-pip \
      > "$dir/hass.out" 2>&1 < /dev/null &
    echo $! > "$dir/hass.pid"
    log "started hass pid $! on $url"
  fi
  if [ ! -s "$dir/token" ]; then
    wait_for "$dir" "$t0" "the onboarding API on $url" onboarding_open "$url"
    local token
    token=$(onboard "$url") || fail_start "$dir" "onboarding failed"
    (umask 077; echo "$token" > "$dir/token")
    log "onboarded, long-lived token in $dir/token"
  fi
  # HTTP answers while the core is still NOT_RUNNING (integrations loading).
  wait_for "$dir" "$t0" "core state RUNNING" is_running "$url" "$dir/token"
  log "RUNNING after $(since "$t0") s"
  echo "HA_URL=$url"
  echo "HA_TOKEN_FILE=$dir/token"
}

cmd_stop() {
  [ $# -eq 1 ] || die "usage: $0 stop DIR"
  [ -d "$1" ] || { log "no $1, nothing to stop"; return; }
  local dir pid t0=$EPOCHREALTIME; dir=$(cd "$1" && pwd)
  if pid=$(running_pid "$dir"); then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$(since "$t0" | cut -d. -f1)" -ge "$STOP_TIMEOUT" ]; then
        log "pid $pid ignored SIGTERM for ${STOP_TIMEOUT} s, SIGKILL"; kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.1
    done
    log "stopped pid $pid in $(since "$t0") s"
  fi
  rm -f "$dir/hass.pid"
}

cmd_status() {
  [ $# -eq 1 ] || die "usage: $0 status DIR"
  if [ -d "$1" ] && running_pid "$(cd "$1" && pwd)" >/dev/null; then echo running; else echo stopped; fi
}

case "${1:-}" in
  install) cmd_install ;;
  start)   shift; cmd_start "$@" ;;
  stop)    shift; cmd_stop "$@" ;;
  restart) shift; [ $# -eq 1 ] || die "usage: $0 restart DIR"
           [ -s "$1/port" ] || die "$1 was never started"
           cmd_stop "$1"; cmd_start "$1" ;;
  status)  shift; cmd_status "$@" ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
