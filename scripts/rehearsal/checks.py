"""Checks of the add-on rehearsal, one subcommand each; exit 1 with a message on failure.

Run with the Home Assistant venv's Python inside the Supervisor's network namespace (the
ingress stand-in and Home Assistant Core listen on its loopback).
"""

import argparse
import json
import os
import re
import sqlite3
import stat
import sys
import time
import urllib.error
import urllib.request
import zlib

ALICE = "session-alice"
BOB = "session-bob"


def fail(message):
    print(f"rehearsal check failed: {message}", file=sys.stderr)
    sys.exit(1)


def request(url, method="GET", body=None, cookie=None, token=None, headers=None, timeout=10):
    all_headers = dict(headers or {})
    if cookie:
        all_headers["Cookie"] = cookie
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, decoded(response), response.headers
    except urllib.error.HTTPError as err:
        return err.code, decoded(err), err.headers
    except (urllib.error.URLError, OSError) as err:
        return None, str(err), {}


def decoded(response):
    """The body as text. Core's aiohttp client asks the add-on for gzip on its own (its
    default Accept-Encoding), so answers through Ingress may come compressed."""
    body = response.read()
    if response.headers.get("Content-Encoding", "") in ("gzip", "deflate"):
        body = zlib.decompress(body, 47)
    return body.decode()


def session(name):
    return f"ingress_session={name}"


def wait_serving(args):
    """The add-on answers through Ingress (it learnt its port from the Supervisor first)."""
    deadline = time.time() + args.timeout
    last = None
    while time.time() < deadline:
        status, body, _ = request(f"{args.ingress}healthz", cookie=session(ALICE), timeout=3)
        if status == 200:
            print(f"serving through Ingress after {args.timeout - (deadline - time.time()):.1f} s")
            return
        last = (status, body[:200])
        time.sleep(0.25)
    fail(f"no answer through Ingress within {args.timeout} s: {last}")


def status_json(ingress):
    status, body, _ = request(f"{ingress}api/v1/status", cookie=session(ALICE))
    if status != 200:
        fail(f"status answered {status}: {body[:200]}")
    return json.loads(body)


def ingress_rules(args):
    """Without a session the stand-in refuses like the Supervisor; the add-on refuses
    clients that are neither the Supervisor nor loopback (checked from the add-on's side by
    the caller) and state changes from another origin."""
    status, _, _ = request(f"{args.ingress}api/v1/status")
    if status != 401:
        fail(f"no session: expected 401 from the Ingress stand-in, got {status}")
    status, body, _ = request(f"{args.ingress}api/v1/feedback", method="POST", body={"vote": "up"},
                              cookie=session(ALICE), headers={"Origin": "http://evil.example"})
    if status != 403:
        fail(f"cross-site vote: expected 403, got {status}: {body[:200]}")
    print("ingress: 401 without a session, 403 for a cross-site POST")


MUTATING = [
    ("POST", "api/v1/actions", {"kind": "restart", "addon": "core_mosquitto", "dry_run": True}),
    ("POST", "api/v1/leases", {"holder": "rehearsal", "resources": {"slots": {"heavy": 1}}}),
    ("DELETE", "api/v1/leases/lease-1", None),
    ("POST", "api/v1/feedback", {"vote": "up"}),
    ("POST", "api/v1/alerts/1/ack", {}),
    ("POST", "api/v1/recommendations/x/dismiss", {}),
    ("POST", "api/v1/recommendations/x/snooze", {"duration": "1d"}),
]
READS = ["", "api/v1/status", "api/v1/leases", "api/v1/actions", "api/v1/alerts", "metrics"]


def trust(args):
    """Run in the add-on's network namespace as another process: on the host's network that is
    what every other host-network add-on (and Home Assistant Core) is. Without a token every
    route but the health check is refused, opened reads excepted; a wrong token is refused
    everywhere; the API token is served; Ingress is served without one."""
    base = args.addon
    opened = set(args.open or [])
    problems = []
    status, _, _ = request(f"{base}healthz")
    if status != 200:
        problems.append(f"GET /healthz without a token: {status}, expected 200")
    for method, path, body in MUTATING:
        status, text, _ = request(f"{base}{path}", method=method, body=body)
        if status != 401:
            problems.append(f"{method} /{path} without a token: {status}, expected 401 ({text[:120]})")
        status, _, _ = request(f"{base}{path}", method=method, body=body, token=args.token + "x")
        if status != 401:
            problems.append(f"{method} /{path} with a wrong token: {status}, expected 401")
    for path in READS:
        expected = 200 if path in opened else 401
        status, _, _ = request(f"{base}{path}")
        if status != expected:
            problems.append(f"GET /{path} without a token: {status}, expected {expected}")
        status, _, _ = request(f"{base}{path}", token="wrong-" + args.token)
        if status != 401:
            problems.append(f"GET /{path} with a wrong token: {status}, expected 401")
        status, _, _ = request(f"{base}{path}", token=args.token)
        if status != 200:
            problems.append(f"GET /{path} with the API token: {status}, expected 200")
    status, text, _ = request(f"{base}api/v1/leases", method="POST", token=args.token,
                              body={"holder": "rehearsal", "resources": {"slots": {"heavy": 1}}})
    if status != 201:
        problems.append(f"POST /api/v1/leases with the API token: {status}, expected 201 ({text[:160]})")
    else:
        lease = json.loads(text)["id"]
        status, _, _ = request(f"{base}api/v1/leases/{lease}", method="DELETE", token=args.token)
        if status != 200:
            problems.append(f"DELETE /api/v1/leases/{lease} with the API token: {status}, expected 200")
    _, metrics, _ = request(f"{base}metrics", token=args.token)
    if 'resource_manager_http_refused_total{reason="wrong_token"}' not in metrics:
        problems.append("refusals are not counted in /metrics")
    if problems:
        fail("trust on the shared loopback:\n  " + "\n  ".join(problems))
    print(f"trust: {len(MUTATING)} state-changing routes and {len(READS)} reads refused without "
          f"the token (opened: {sorted(opened) or 'none'}), a wrong token refused everywhere, "
          "the API token served")


def views(args):
    deadline = time.time() + 30
    while True:
        doc = status_json(args.ingress)
        seen = doc.get("views", {})
        if doc.get("ts", 0) > 0 and seen.get("processes") == args.processes and seen.get("network") == args.network:
            print(f"views: {seen}")
            return
        if time.time() > deadline:
            fail(f"views: expected processes={args.processes} network={args.network}, got {seen}")
        time.sleep(0.5)


def addons(args):
    """Per-add-on series from the emulated Supervisor reach the status."""
    deadline = time.time() + 40
    while True:
        doc = json.dumps(status_json(args.ingress))
        if "a0d7b954_nodered" in doc and "core_mosquitto" in doc:
            print("add-on series from the Supervisor are in the status")
            return
        if time.time() > deadline:
            fail("no per-add-on values in /api/v1/status after 40 s")
        time.sleep(1)


def votes(args):
    """Alice voted from the page (browser.mjs). From another browser (no cookie of ours) she
    is the same HA user and is refused; Bob is another user and is counted."""
    status, body, _ = request(f"{args.ingress}api/v1/feedback", method="POST", body={"vote": "down"},
                              cookie=session(ALICE))
    if status != 429:
        fail(f"Alice's second vote from another browser: expected 429, got {status}: {body[:200]}")
    status, body, _ = request(f"{args.ingress}api/v1/feedback", method="POST", body={"vote": "up"},
                              cookie=session(BOB))
    if status not in (200, 201):
        fail(f"Bob's vote: expected 200, got {status}: {body[:200]}")
    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, timeout=10) as db:
        voters = [row[0] for row in db.execute("SELECT DISTINCT voter FROM feedback")]
    if len(voters) != 2:
        fail(f"expected the votes of 2 HA users in feedback, found voters {voters}")
    print(f"votes: 2 HA users counted, a second vote of the same user refused")


def ha_state(args, entity):
    token = open(args.token_file).read().strip()
    status, body, _ = request(f"{args.core}/api/states/{entity}", token=token)
    return status, (json.loads(body) if status == 200 else None)


def entities(args):
    """Entities published through the emulated Supervisor's Core proxy are in the real Core."""
    entity = f"sensor.{args.prefix}_cpu_usage"
    deadline = time.time() + args.timeout
    state = None
    while time.time() < deadline:
        status, state = ha_state(args, entity)
        if status == 200 and state:
            available = state["state"] not in ("unavailable", "unknown")
            if (args.expect == "available") == available:
                print(f"entities: {entity} is {state['state']}")
                return
        time.sleep(0.5)
    fail(f"{entity}: expected {args.expect} within {args.timeout} s, last {state}")


def integrity(args):
    """The backup copy, as a backup holds it, opens, passes integrity_check and holds samples."""
    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as db:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            fail(f"{args.db}: integrity_check says {result}")
        ticks = db.execute("SELECT COALESCE(SUM(ticks), 0) FROM raw_batches").fetchone()[0]
    if ticks == 0:
        fail(f"{args.db}: no stored ticks in the backup copy")
    print(f"backup copy: integrity ok, {ticks} ticks")


def newest(args):
    """Prints the newest stored tick (Unix ms) and the number of stored ticks."""
    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True, timeout=10) as db:
        ts, ticks = db.execute("SELECT COALESCE(MAX(end_ms), 0), COALESCE(SUM(ticks), 0) FROM raw_batches").fetchone()
    print(f"{ts} {ticks}")


# moby oci/defaults.go DefaultLinuxSpec; checked here apart from container.sh, which sets them.
MASKED = ["/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
          "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"]
READ_ONLY = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", "/sys",
             "/homeassistant"]
# moby oci/caps/defaults.go: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP, as a CapEff mask.
DOCKER_CAPS = 0x00000000A80425FB
# linux/capability.h numbers of the capabilities a profile may name.
CAP_BITS = {name: bit for bit, name in enumerate(
    "chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap "
    "linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner "
    "sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice "
    "sys_resource sys_time sys_tty_config mknod lease audit_write audit_control setfcap".split())}


def profile_caps(path):
    """The capabilities apparmor.txt grants, as a CapEff mask (a bare `capability,`: all)."""
    mask = 0
    for line in open(path):
        rule = re.match(r"\s*capability\b([^,#]*),", line)
        if not rule:
            continue
        names = rule.group(1).split()
        if not names:
            return (1 << 64) - 1
        mask |= sum(1 << CAP_BITS[n] for n in names)
    return mask


def masked(path):
    """What runc leaves of a masked path: /dev/null over a file, an empty read-only tmpfs
    over a directory."""
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        return not os.listdir(path) and bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3)


def docker(args):
    """Run in the add-on's mount namespace: Docker's masks, read-only paths and capabilities
    are in place, and the add-on sees the emulated board's /proc/cpuinfo."""
    problems, done, absent = [], [], []
    for path in MASKED:
        if not os.path.lexists(path):
            absent.append(path)
        elif masked(path):
            done.append(path)
        else:
            problems.append(f"{path} is not masked")
    for path in READ_ONLY:
        if os.path.lexists(path) and not os.statvfs(path).f_flag & os.ST_RDONLY:
            problems.append(f"{path} is writable")
    status = open(f"/proc/{args.pid}/status").read()
    caps = int(re.search(r"^CapEff:\s*([0-9a-f]+)", status, re.M).group(1), 16)
    # Without AppArmor in the kernel the profile's capability rules were applied by hand.
    expected, what = DOCKER_CAPS, "Docker's default set"
    if args.profile == "-":
        expected = DOCKER_CAPS & profile_caps(args.apparmor)
        what = "Docker's default set narrowed to apparmor.txt's capability rules"
    if caps != expected:
        problems.append(f"CapEff {caps:016x}, expected {expected:016x} ({what})")
    model = re.search(r"^Model\s*:\s*(.+)$", open("/proc/cpuinfo").read(), re.M)
    if not model or "Raspberry Pi 4" not in model.group(1):
        problems.append(f"/proc/cpuinfo model {model and model.group(1)!r}, expected a Pi 4")
    if problems:
        fail("Docker's confinement:\n  " + "\n  ".join(problems))
    # The sysfs mounted for the add-on's network namespace lists that namespace's interfaces.
    ifaces = " ".join(sorted(os.listdir("/sys/class/net")))
    print(f"docker: masked {' '.join(done)}; not on this kernel {' '.join(absent) or 'none'}; "
          f"read-only {' '.join(p for p in READ_ONLY if os.path.lexists(p))}; "
          f"CapEff {caps:016x} ({what}); /proc/cpuinfo: {model.group(1)}; "
          f"/sys/class/net: {ifaces}")


def power(args):
    """The power method picked on the emulated Pi 4 under Docker's masks, and why."""
    summary = status_json(args.ingress).get("power") or {}
    reasons = summary.get("reasons", [])
    rapl = ("RAPL: /sys/devices/virtual/powercap is masked by Docker" if args.rapl == "masked"
            else "RAPL: no intel-rapl zone under /sys/class/powercap")
    expected = {"method": "model", "preset": "raspberry_pi_4", "board": "rpi4-64",
                "board_from": "os_info"}
    problems = [f"{k} {summary.get(k)!r}, expected {v!r}" for k, v in expected.items()
                if summary.get(k) != v]
    for why in ("no device tree: /sys/firmware is masked by Docker and the add-on does not "
                "declare devicetree", rapl):
        if not any(r.startswith(why) for r in reasons):
            problems.append(f"no reason starting {why!r}")
    if problems:
        fail(f"power: {'; '.join(problems)}; reasons {reasons}")
    print(f"power: method model, preset raspberry_pi_4 ({summary['idle_watts']}-"
          f"{summary['max_watts']} W) from board rpi4-64 (os_info); reasons: {'; '.join(reasons)}")


def advice(args):
    """After the quiet week the rehearsal loaded: the add-on on its own network is proposed for
    a stop (so the week was judged), the one on the host's network is not."""
    deadline = time.time() + args.timeout
    while True:
        status, body, _ = request(f"{args.ingress}api/v1/recommendations", cookie=session(ALICE))
        if status != 200:
            fail(f"recommendations answered {status}: {body[:200]}")
        recs = json.loads(body)["recommendations"]
        idle = {r["target"]: r for r in recs if r["kind"] == "idle"}
        if args.proposed in idle or time.time() > deadline:
            break
        time.sleep(0.5)
    if args.proposed not in idle:
        fail(f"advice: no idle recommendation for {args.proposed} within {args.timeout} s: {recs}")
    about_quiet = [r for r in recs if r["target"] == args.kept
                   or (r.get("action") or {}).get("addon") == args.kept]
    if about_quiet:
        fail(f"advice: {args.kept} (host network) got {about_quiet}")
    action = idle[args.proposed]["action"]
    print(f"advice: {args.proposed} (own network, quiet) proposed for a {action['kind']}; "
          f"{args.kept} (host network, zero counters, quiet as long) not")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("wait-serving"); p.add_argument("--ingress", required=True); p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=wait_serving)
    p = sub.add_parser("ingress-rules"); p.add_argument("--ingress", required=True); p.set_defaults(run=ingress_rules)
    p = sub.add_parser("trust"); p.add_argument("--addon", required=True); p.add_argument("--token", required=True)
    p.add_argument("--open", action="append"); p.set_defaults(run=trust)
    p = sub.add_parser("views"); p.add_argument("--ingress", required=True); p.add_argument("--processes", required=True)
    p.add_argument("--network", required=True); p.set_defaults(run=views)
    p = sub.add_parser("addons"); p.add_argument("--ingress", required=True); p.set_defaults(run=addons)
    p = sub.add_parser("votes"); p.add_argument("--ingress", required=True); p.add_argument("--db", required=True)
    p.set_defaults(run=votes)
    p = sub.add_parser("entities"); p.add_argument("--core", required=True); p.add_argument("--token-file", required=True)
    p.add_argument("--prefix", default="resource_manager"); p.add_argument("--expect", choices=["available", "unavailable"], required=True)
    p.add_argument("--timeout", type=float, default=60); p.set_defaults(run=entities)
    p = sub.add_parser("integrity"); p.add_argument("--db", required=True); p.set_defaults(run=integrity)
    p = sub.add_parser("newest"); p.add_argument("--db", required=True); p.set_defaults(run=newest)
    p = sub.add_parser("docker"); p.add_argument("--pid", default="1"); p.add_argument("--profile", required=True)
    p.add_argument("--apparmor", required=True); p.set_defaults(run=docker)
    p = sub.add_parser("power"); p.add_argument("--ingress", required=True)
    p.add_argument("--rapl", choices=["masked", "absent"], required=True); p.set_defaults(run=power)
    p = sub.add_parser("advice"); p.add_argument("--ingress", required=True); p.add_argument("--proposed", required=True)
    p.add_argument("--kept", required=True); p.add_argument("--timeout", type=float, default=30); p.set_defaults(run=advice)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
