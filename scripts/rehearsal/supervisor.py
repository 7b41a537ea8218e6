"""An EMULATED Home Assistant Supervisor for the add-on rehearsal (the real one needs Docker).

Follows the shapes of the real v1 API (`{"result": "ok", "data": ...}`, errors as
`{"result": "error", "message": ...}`, supervisor/api/utils.py `api_return_ok` and
`api_return_error`), checks the add-on's bearer token like the real middleware
(supervisor/api/middleware/security.py), and proxies `/core/api/*` and `/core/websocket` to a
real Home Assistant Core with that Core's own token, as the real Supervisor does with its
credentials. Each handler names the Supervisor function its answer follows (home-assistant/
supervisor, the 2026 tree where add-ons are "apps": supervisor/api/apps.py was addons.py).

The box it describes is a Raspberry Pi 4 on Home Assistant OS: `/os/info` board `rpi4-64`
and `/info` machine `raspberrypi4-64`, as that image reports them (the rehearsal binds a Pi 4's
/proc/cpuinfo into the add-on to match).

Run with the Home Assistant venv's Python (it has aiohttp):
  supervisor.py --listen 172.30.32.2:80 --token T --core http://127.0.0.1:8123 \
      --core-token-file F --ingress-port 63412 --ip 172.30.32.1 [--host-network] --log FILE
"""

import argparse
import asyncio
import json
import time

import aiohttp
from aiohttp import web

BOOT = time.time()


def ok(data):
    return web.json_response({"result": "ok", "data": data})


def error(status, message):
    return web.json_response({"result": "error", "message": message}, status=status)


ADDONS = [
    # slug, name, state, resident memory (MB), limit (MB), CPU share of the host (%)
    ("resource_manager", "Resource Manager", "started", 12, 7800, 0.4),
    ("core_mosquitto", "Mosquitto broker", "started", 24, 7800, 0.6),
    ("a0d7b954_nodered", "Node-RED", "started", 180, 7800, 3.5),
    ("core_configurator", "File editor", "stopped", 0, 0, 0.0),
    ("core_matter_server", "Matter Server", "started", 60, 7800, 0.1),
    # Quiet for the week the rehearsal loads (addon-rehearsal.sh seed_quiet_week): the idle
    # rule proposes stopping the one on its own network, never the one on the host's.
    ("core_samba", "Samba share", "started", 40, 7800, 0.1),
    ("a0d7b954_vscode", "Studio Code Server", "started", 110, 7800, 0.1),
]
# Bytes/s their counters grow by: a trickle for the quiet ones (the idle rule's limit is 200).
QUIET = {"core_samba", "a0d7b954_vscode"}

# The role fields of `/addons/<slug>/info`, from each add-on's real config.yaml, shaped like
# supervisor/api/apps.py `APIApps.info_data` (keys from supervisor/const.py ATTR_*):
# host_network, services as "name:access" (`_pretty_services`), discovery, devices (static
# ones plus device paths picked in the options), and the hardware flags.
ROLES = {
    "core_mosquitto": {"services": ["mqtt:provide"], "discovery": ["mqtt"]},
    "a0d7b954_nodered": {"services": ["mqtt:want"]},
    "core_matter_server": {"host_network": True, "host_dbus": True, "discovery": ["matter"]},
    # home-assistant/addons samba/config.yaml: host_network, no service, no discovery.
    "core_samba": {"host_network": True},
    # hassio-addons/addon-vscode: Ingress on its own network, nothing the home depends on.
    "a0d7b954_vscode": {},
}


def role_info(slug):
    info = {"host_network": False, "host_dbus": False, "services": [], "discovery": [],
            "devices": [], "usb": False, "uart": False, "gpio": False, "video": False,
            "audio": False, "full_access": False, "kernel_modules": False,
            "devicetree": False, "udev": False}
    info.update(ROLES.get(slug, {}))
    return info


def disk_usage(max_depth, v1=True):
    """`GET /host/disks/default/usage`, as supervisor/api/host.py `_system_disk_usage_data`:
    `max_depth` defaults to 1 (`DISK_USAGE_MAX_DEPTH_SYSTEM`, also for a value that is not an
    integer: `_requested_max_depth`); supervisor/hardware/disk.py `get_dir_sizes` and
    `get_dir_structure_sizes` add a folder's non-empty subfolders as `children` only when
    max_depth > 1; the v1 route (`APIHost.disk_usage_v1`, `_legacy_disk_usage_ids_for_v1`)
    renames apps_data/apps_config to addons_data/addons_config."""
    try:
        depth = int(max_depth) if max_depth is not None else 1
    except ValueError:
        depth = 1
    known = [
        ("apps_data", {s: (2 if s != "a0d7b954_nodered" else 150) * 1024 * 1024
                       for s, *_ in ADDONS}),
        ("apps_config", {"a0d7b954_nodered": 4 * 1024 * 1024}),
        ("media", {}), ("share", {}), ("backup", {}), ("ssl", {}),
        ("homeassistant", {".storage": 80 * 1024 * 1024}),
    ]
    loose = {"backup": 3 * 1024 ** 3, "ssl": 4096, "homeassistant": 900 * 1024 * 1024}
    children = []
    for name, below in known:
        node_id = {"apps_data": "addons_data", "apps_config": "addons_config"}.get(name, name) \
            if v1 else name
        node = {"id": node_id, "label": name,
                "used_bytes": loose.get(name, 0) + sum(below.values())}
        if depth > 1 and below:
            node["children"] = [{"id": n, "label": n, "used_bytes": b} for n, b in below.items()]
        children.append(node)
    total, used = 58 * 1024 ** 3, 21 * 1024 ** 3
    system = used - sum(c["used_bytes"] for c in children)
    return {"id": "root", "label": "Root", "total_bytes": total, "used_bytes": used,
            "children": [{"id": "system", "label": "System", "used_bytes": system}, *children]}


def stats(memory_mb, limit_mb, cpu, leak_mb_per_min=0.0, host_network=False, net_rate=2048):
    """supervisor/api/apps.py `APIApps.stats` from supervisor/docker/stats.py `DockerStats`:
    cpu_percent a share of the whole host, memory without inactive file cache, cumulative
    network and block counters. On the host's network Docker reports no `networks` for the
    container, and `DockerStats._calc_network` leaves both network counters at 0."""
    age = time.time() - BOOT
    usage = int((memory_mb + leak_mb_per_min * age / 60) * 1024 * 1024)
    limit = int(limit_mb * 1024 * 1024)
    return {
        "cpu_percent": round(cpu, 2),
        "memory_usage": usage,
        "memory_limit": limit,
        "memory_percent": round(usage / limit * 100, 2) if limit else 0.0,
        "network_rx": 0 if host_network else int(age * net_rate),
        "network_tx": 0 if host_network else int(age * net_rate / 2),
        "blk_read": int(age * 4096),
        "blk_write": int(age * 8192),
    }


class Supervisor:
    def __init__(self, args):
        self.args = args
        self.core_token = open(args.core_token_file).read().strip()
        self.log = open(args.log, "a", buffering=1)
        self.session = None

    def record(self, request, status):
        self.log.write(json.dumps({"ts": time.time(), "method": request.method,
                                   "path": request.path, "status": status}) + "\n")

    @web.middleware
    async def middleware(self, request, handler):
        # The real middleware: no token check for the Core proxy and ping (the Core proxy
        # authenticates itself), a bearer token everywhere else.
        open_paths = ("/core/api", "/core/websocket", "/supervisor/ping")
        if not request.path.startswith(open_paths):
            if request.headers.get("Authorization") != f"Bearer {self.args.token}":
                self.record(request, 401)
                return error(401, "Invalid token for access")
        response = await handler(request)
        self.record(request, response.status)
        return response

    def self_info(self):
        """`/addons/self/info`: supervisor/api/apps.py `APIApps.info_data` for this add-on."""
        return {
            "name": "Resource Manager", "slug": "resource_manager", "hostname": "resource-manager",
            "state": "started", "version": "0.1.0", "boot": "auto",
            "protected": not self.args.unprotected,
            "ingress": True, "ingress_entry": "/api/hassio_ingress/rehearsal", "ingress_panel": True,
            "ingress_port": self.args.ingress_port, "ingress_url": "/api/hassio_ingress/rehearsal/",
            "ip_address": self.args.ip, "host_network": self.args.host_network,
            "host_pid": True, "hassio_api": True, "hassio_role": "manager",
            "homeassistant_api": True, "apparmor": "default", "rating": 4, "watchdog": True,
        }

    async def addons(self, request):
        """supervisor/api/apps.py `APIApps.list_apps_v1` (`_list_apps_data`, key `addons`)."""
        return ok({"addons": [{"name": n, "slug": s, "state": st, "version": "1.0.0",
                               "installed": True, "repository": "core"}
                              for s, n, st, *_ in ADDONS]})

    async def addon_info(self, request):
        """supervisor/api/apps.py `APIApps.info` (`info_data`); an unknown slug is
        `get_app_for_request`'s APINotFound."""
        slug = request.match_info["slug"]
        if slug == "self":
            return ok(self.self_info())
        for s, n, st, *_ in ADDONS:
            if s == slug:
                return ok({"name": n, "slug": s, "state": st, "version": "1.0.0", **role_info(s)})
        # APIApps.get_app_for_request: APINotFound.
        return error(404, f"App {slug} does not exist")

    async def addon_stats(self, request):
        """supervisor/api/apps.py `APIApps.stats`; a stopped add-on is AppNotRunningError
        (supervisor/apps/app.py `App.stats`)."""
        slug = request.match_info["slug"]
        if slug == "self":
            slug = "resource_manager"
        for s, _n, st, mem, limit, cpu in ADDONS:
            if s == slug:
                if st != "started":
                    return error(400, f"App {s} is not running")
                # Node-RED leaks slowly: something for the per-add-on table to show.
                return ok(stats(mem, limit, cpu, 0.5 if s == "a0d7b954_nodered" else 0.0,
                                role_info(s)["host_network"], 8 if s in QUIET else 2048))
        return error(400, "App does not exist")

    async def core_stats(self, request):
        """supervisor/api/homeassistant.py `APIHomeAssistant.stats` (the same DockerStats)."""
        return ok(stats(420, 7800, 4.2))

    async def supervisor_stats(self, request):
        """supervisor/api/supervisor.py `APISupervisor.stats` (the same DockerStats)."""
        return ok(stats(95, 7800, 0.8))

    async def info(self, request):
        """supervisor/api/root.py `APIRoot.info`: `machine` is the image's
        BR2_PACKAGE_HASSIO_MACHINE (home-assistant/operating-system
        buildroot-external/configs/rpi4_64_defconfig: raspberrypi4-64), `arch` its arch."""
        return ok({"supervisor": "2026.11.1", "homeassistant": "2025.4.4", "hassos": "16.3",
                   "docker": "28.0.4", "hostname": "rehearsal", "operating_system": "Home Assistant OS 16.3",
                   "machine": "raspberrypi4-64", "arch": "aarch64", "supported": True,
                   "channel": "stable", "state": "running", "timezone": "UTC"})

    async def host_info(self, request):
        """supervisor/api/host.py `APIHost.info`: disk figures in GB, boot_timestamp in µs."""
        return ok({"agent_version": "1.7.2", "chassis": "embedded", "deployment": "production",
                   "disk_total": 58.0, "disk_used": 21.5, "disk_free": 36.5, "disk_life_time": 10.0,
                   "hostname": "rehearsal", "kernel": "6.12.20", "operating_system": "Home Assistant OS 16.3",
                   "boot_timestamp": int(BOOT * 1e6), "startup_time": 12.3, "timezone": "UTC",
                   "features": ["reboot", "shutdown", "services", "hostname", "haos"]})

    async def os_info(self, request):
        """supervisor/api/os.py `APIOS.info`: `board` is the image's BOARD_ID (operating-system
        buildroot-external/board/raspberrypi/rpi4-64/meta), read back from the CPE of
        /etc/os-release by supervisor/os/manager.py `OSManager.load`."""
        return ok({"version": "16.3", "version_latest": "16.3", "update_available": False,
                   "board": "rpi4-64", "boot": "A", "data_disk": "rehearsal-disk"})

    async def disk_usage(self, request):
        """supervisor/api/host.py `APIHost.disk_usage_v1` (see `disk_usage` above)."""
        return ok(disk_usage(request.query.get("max_depth")))

    async def ping(self, request):
        """supervisor/api/supervisor.py `APISupervisor.ping`: no token needed."""
        return ok({})

    async def core_api(self, request):
        """`/core/api/<path>` to Core's `/api/<path>` with the Supervisor's own credentials,
        forwarding only the headers the real proxy forwards; 502 while Core is down
        (supervisor/api/proxy.py `APIProxy.api`, `_api_client`)."""
        path = request.match_info["path"]
        headers = {"Authorization": f"Bearer {self.core_token}"}
        for name in ("Content-Type", "Accept"):
            if name in request.headers:
                headers[name] = request.headers[name]
        body = await request.read()
        try:
            async with self.session.request(request.method, f"{self.args.core}/api/{path}",
                                            headers=headers, data=body or None,
                                            params=request.query) as upstream:
                data = await upstream.read()
                return web.Response(status=upstream.status, body=data,
                                    content_type=upstream.content_type)
        except aiohttp.ClientError as err:
            return web.Response(status=502, text=f"Bad Gateway: {err}")

    async def core_websocket(self, request):
        """The add-on authenticates with its Supervisor token; the Supervisor authenticates to
        Core with its own and relays every frame both ways (supervisor/api/proxy.py
        `APIProxy.websocket`)."""
        client = web.WebSocketResponse(autoping=False, max_msg_size=16 * 1024 * 1024)
        await client.prepare(request)
        # A session of its own: the REST proxy's pooled connections never share its socket.
        ws_session = aiohttp.ClientSession()
        try:
            upstream = await ws_session.ws_connect(f"{self.args.core.replace('http', 'ws', 1)}/api/websocket",
                                                   autoping=False)
        except aiohttp.ClientError:
            await ws_session.close()
            await client.close()
            return client
        try:
            required = await upstream.receive_json(timeout=10)
            await client.send_json(required)
            auth = await client.receive_json(timeout=10)
            if auth.get("type") != "auth" or auth.get("access_token") != self.args.token:
                await client.send_json({"type": "auth_invalid", "message": "Invalid access"})
                return client
            await upstream.send_json({"type": "auth", "access_token": self.core_token})
            answer = await upstream.receive_json(timeout=10)
            await client.send_json(answer)
            if answer.get("type") != "auth_ok":
                return client

            async def pipe(source, target):
                async for message in source:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        await target.send_str(message.data)
                    elif message.type == aiohttp.WSMsgType.BINARY:
                        await target.send_bytes(message.data)
                    elif message.type == aiohttp.WSMsgType.PING:
                        await target.ping(message.data)
                    elif message.type == aiohttp.WSMsgType.PONG:
                        await target.pong(message.data)
                    else:
                        break

            done, pending = await asyncio.wait(
                [asyncio.ensure_future(pipe(client, upstream)),
                 asyncio.ensure_future(pipe(upstream, client))],
                return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            for task in done:
                if task.exception():
                    print(f"websocket relay failed: {task.exception()!r}", flush=True)
        except (asyncio.TimeoutError, aiohttp.ClientError, TypeError, ValueError) as err:
            print(f"websocket relay ended: {err!r}", flush=True)
        finally:
            await upstream.close()
            await ws_session.close()
            await client.close()
        return client

    async def start(self):
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=5))
        app = web.Application(middlewares=[self.middleware])
        app.router.add_get("/supervisor/ping", self.ping)
        app.router.add_get("/addons", self.addons)
        app.router.add_get("/addons/{slug}/info", self.addon_info)
        app.router.add_get("/addons/{slug}/stats", self.addon_stats)
        app.router.add_get("/core/stats", self.core_stats)
        app.router.add_get("/supervisor/stats", self.supervisor_stats)
        app.router.add_get("/info", self.info)
        app.router.add_get("/host/info", self.host_info)
        app.router.add_get("/os/info", self.os_info)
        app.router.add_get("/host/disks/default/usage", self.disk_usage)
        app.router.add_get("/core/websocket", self.core_websocket)
        app.router.add_route("*", "/core/api/{path:.*}", self.core_api)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        host, port = self.args.listen.rsplit(":", 1)
        await web.TCPSite(runner, host, int(port)).start()
        print(f"emulated supervisor on http://{self.args.listen}", flush=True)
        await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--core", required=True)
    parser.add_argument("--core-token-file", required=True)
    parser.add_argument("--ingress-port", type=int, required=True)
    parser.add_argument("--ip", required=True)
    parser.add_argument("--host-network", action="store_true")
    parser.add_argument("--unprotected", action="store_true", help="Protection mode off")
    parser.add_argument("--log", required=True)
    asyncio.run(Supervisor(parser.parse_args()).start())


if __name__ == "__main__":
    main()
