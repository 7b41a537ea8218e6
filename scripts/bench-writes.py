#!/usr/bin/env python3
"""Where the disk writes of Resource Manager come from, at the default options, on a real disk.

Runs the release binary standalone (defaults, its own data directory, loopback) for MINUTES,
and reports bytes written a day over each window of minutes (default 10 to MINUTES):

- measured: the kernel's `write_bytes` of the process (/proc/PID/io), sampled every minute;
- traced: every pwrite of SQLite to the write-ahead log and the database file, seen with
  strace (attached to every thread), each 4 KB page attributed to the table that owns it at
  the end (SQLite's dbstat), so the split holds for any version of the binary, even one
  without its own accounting;
- counted by the binary itself, where it has the write ledger (`store.writes` in
  /api/v1/status): commits and log frames per source, and checkpoint frames.

What `write_bytes` counts beyond the traced bytes is mostly the wal-index (`-shm`, written
through a shared mapping, invisible to strace) and page-cache granularity (a 4,120-byte frame
spans two 4 KB pages of the file).

Usage: scripts/bench-writes.py [--bin PATH] [--minutes 35] [--window 10-30 ...] [--dir DIR] [--json FILE]
Needs: strace (apt-get install strace), Python 3 with sqlite3 (dbstat). Prints numbers only.
"""

import argparse
import collections
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

DAY = 86_400


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_bytes(pid):
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return 0


def fds(pid):
    out = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            pass
    return out


def status(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/status", timeout=5) as r:
            return json.load(r)
    except OSError:
        return None


# With -y strace names each descriptor's file: `pwrite64(7</data/history.db-wal>, ...)`.
LINE = re.compile(r'^(\d+)\s+([\d.]+)\s+(pwrite64|write|pwritev|pwritev2)\((\d+)(?:<([^>]*)>)?, "((?:\\x[0-9a-f]{2})*)"(?:\.\.\.)?, (\d+)(?:, (\d+))?\) = (\d+)')


def parse_trace(path, paths_by_fd, start, end):
    """(file, kind, page) -> bytes within [start, end) from the strace log."""
    out = collections.Counter()
    wal_frames = collections.Counter()
    last_wal_page = 0
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            _pid, ts, call, fd, named, head, size, offset, written = m.groups()
            ts = float(ts)
            if not (start <= ts < end):
                continue
            if named and named.startswith("\\x"):
                named = bytes.fromhex(named.replace("\\x", "")).decode(errors="replace")
            target = named or paths_by_fd.get(int(fd), "?")
            if not target.startswith("/") or target.startswith(("/dev/", "/proc/")):
                continue  # pipes, sockets, eventfds: no disk behind them
            name = os.path.basename(target)
            written = int(written)
            head = bytes.fromhex(head.replace("\\x", ""))
            if name.endswith("-wal"):
                if written == 24 and len(head) >= 4:
                    # A frame header: its first four bytes are the page number.
                    page = int.from_bytes(head[:4], "big")
                    wal_frames[page] += 1
                    out[("wal", page)] += 24
                    last_wal_page = page
                else:
                    # The page itself, or the log's own 32-byte header.
                    out[("wal", last_wal_page)] += written
            elif name.endswith(".db"):
                page = int(offset or 0) // 4096 + 1
                out[("db", page)] += written
            elif name.endswith("-shm"):
                out[("shm (write calls)", 0)] += written
            else:
                out[("other:" + name, 0)] += written
    return out, wal_frames


def owners(db_path):
    """Page number -> table (or index) name, from dbstat on a copy of the database."""
    copy = db_path + ".bench-copy"
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    pages = {pageno: name for name, pageno in dst.execute("SELECT name, pageno FROM dbstat")}
    free = dst.execute("PRAGMA freelist_count").fetchone()[0]
    dst.close()
    os.remove(copy)
    return pages, free


GROUPS = [
    ("raw_batches", "raw batches"), ("rollups", "rollups"), ("leases", "leases"),
    ("store_state", "state (energy counter, markers)"), ("advice", "advice"),
    ("alert", "alerts"), ("feedback", "feedback"), ("store_notices", "notices"),
    ("series", "series registry"), ("sqlite_", "schema"),
]


def group(table, page=0):
    if page == 1:
        # Page 1 holds the database header: its page count changes whenever the file grows.
        return "database header (page 1)"
    if table is None:
        return "free pages (retention churn)"
    for prefix, label in GROUPS:
        if table.startswith(prefix):
            return label
    return table


def report(samples, trace_path, paths, pages, free, t0, window):
    low, high = (float(x) * 60 for x in window.split("-"))
    inside = [s for s in samples if low - 1 <= s[0] <= high + 1]
    (a_t, a_w, a_s), (b_t, b_w, b_s) = inside[0], inside[-1]
    span = b_t - a_t
    per_day = lambda n: n * DAY / span / 1e6
    traced, frames = parse_trace(trace_path, paths, t0 + a_t, t0 + b_t)
    by_group = collections.Counter()
    for (kind, page), n in traced.items():
        label = group(pages.get(page), page) if kind in ("wal", "db") else kind
        by_group[(label, kind)] += n
    result = {
        "window_minutes": [round(a_t / 60, 1), round(b_t / 60, 1)],
        "measured_write_bytes_mb_per_day": round(per_day(b_w - a_w), 2),
        "traced_mb_per_day": round(per_day(sum(traced.values())), 2),
        "traced_by_table_mb_per_day": {f"{label} [{kind}]": round(per_day(n), 3) for (label, kind), n in by_group.most_common()},
        "wal_frames": sum(frames.values()),
        "free_pages_at_end": free,
    }
    if a_s and b_s and "writes" in a_s.get("store", {}):
        before = dict((k, v) for k, v in a_s["store"]["writes"]["by_source"])
        after = dict((k, v) for k, v in b_s["store"]["writes"]["by_source"])
        result["ledger_per_day"] = {
            k: {"commits": round((after[k]["commits"] - before[k]["commits"]) * DAY / span, 1),
                "wal_frames": round((after[k]["wal_frames"] - before[k]["wal_frames"]) * DAY / span, 1)}
            for k in after if after[k]["commits"] - before[k]["commits"] > 0
        }
        cb, ca = a_s["store"]["writes"]["checkpoints"], b_s["store"]["writes"]["checkpoints"]
        result["ledger_checkpoints_per_day"] = {
            "checkpoints": round((ca["checkpoints"] - cb["checkpoints"]) * DAY / span, 1),
            "frames": round((ca["frames"] - cb["frames"]) * DAY / span, 1),
        }
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default="target/release/resource-manager")
    parser.add_argument("--minutes", type=float, default=35)
    parser.add_argument("--window", action="append", default=None,
                        help="minutes FROM-TO to report (repeatable; default 10-MINUTES)")
    parser.add_argument("--dir", default=None, help="data directory parent (a real disk)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    if shutil.which("strace") is None:
        sys.exit("bench-writes: strace not found (apt-get install strace)")
    base = tempfile.mkdtemp(prefix="rm-writes.", dir=args.dir)
    fs = subprocess.run(["stat", "-f", "-c", "%T", base], capture_output=True, text=True).stdout.strip()
    if fs == "tmpfs":
        sys.exit(f"bench-writes: {base} is on tmpfs: write_bytes would read 0")
    data = os.path.join(base, "data")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HA_", "RM_", "SUPERVISOR"))}
    env["RUST_LOG"] = "warn"
    log = open(os.path.join(base, "run.log"), "w")
    proc = subprocess.Popen([args.bin, "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                            stdout=log, stderr=log, env=env)
    trace_path = os.path.join(base, "trace.log")
    strace = subprocess.Popen(["strace", "-f", "-qq", "-ttt", "-p", str(proc.pid), "-e", "trace=pwrite64,write,pwritev,pwritev2",
                               "-e", "signal=none", "-y", "-s", "4", "-xx", "-o", trace_path],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    samples = []
    paths = {}
    try:
        while True:
            elapsed = time.time() - t0
            if proc.poll() is not None:
                sys.exit(f"bench-writes: the binary exited early; see {base}/run.log")
            paths.update(fds(proc.pid))
            samples.append((elapsed, write_bytes(proc.pid), status(port)))
            if elapsed >= args.minutes * 60:
                break
            time.sleep(min(60.0, args.minutes * 60 - elapsed + 0.01))
    finally:
        strace.send_signal(signal.SIGINT)
        strace.wait(timeout=30)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    db = os.path.join(data, "history.db")
    pages, free = owners(db)

    windows = args.window or [f"10-{args.minutes:g}"]
    results = [report(samples, trace_path, paths, pages, free, t0, w) for w in windows]
    result = results[0] if len(results) == 1 else results
    # The minute-by-minute counter, for a look at where in time the bytes went.
    minutes = [[round(t / 60, 2), written] for t, written, _ in samples]
    if isinstance(result, dict):
        result["write_bytes_by_minute"] = minutes
    else:
        result.append({"write_bytes_by_minute": minutes})
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    print(f"bench-writes: work files in {base}", file=sys.stderr)


if __name__ == "__main__":
    main()
