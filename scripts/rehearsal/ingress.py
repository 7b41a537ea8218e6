"""An Ingress stand-in for the add-on rehearsal: what a request goes through between the
browser and the add-on, as Home Assistant Core (`components/hassio/ingress.py`) and the
Supervisor (`supervisor/api/ingress.py`) do it together.

- The browser asks `/api/hassio_ingress/<token>/<path>`; the add-on sees `/<path>`.
- A session cookie (`ingress_session`) names the HA user; without a valid one: 401, as the
  Supervisor answers.
- Core drops `Accept-Encoding` and adds `X-Ingress-Path`, `X-Hass-Source: core.ingress`,
  `X-Forwarded-For`, `X-Forwarded-Host`, `X-Forwarded-Proto`; `Host` passes unchanged.
- The Supervisor drops any client-sent `X-Remote-User-*` and adds `X-Remote-User-Id`,
  `X-Remote-User-Name`, `X-Remote-User-Display-Name` for the session's user.
- It connects to the add-on from 172.30.32.2 (the Supervisor's address), and streams
  responses (Server-Sent Events pass through as they come).

Run with the Home Assistant venv's Python, inside the Supervisor's network namespace:
  ingress.py --listen 127.0.0.1:8124 --addon 172.30.32.1:63412 --source 172.30.32.2 --token T
"""

import argparse
import asyncio

import aiohttp
from aiohttp import web

# session cookie -> (user id, user name, display name); ids look like HA's (32 hex digits).
USERS = {
    "session-alice": ("5c3c1f0a9d3e4b6f8a7e2d1c0b9a8f7e", "alice", "Alice Admin"),
    "session-bob": ("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "bob", "Bob"),
}

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "content-length"}
# What Core drops going in (it compresses at the border itself).
CORE_DROPS = {"accept-encoding", "host"} | HOP_BY_HOP
SUPERVISOR_FILTERS = {"x-remote-user-id", "x-remote-user-name", "x-remote-user-display-name"}


class Ingress:
    def __init__(self, args):
        self.args = args
        self.prefix = f"/api/hassio_ingress/{args.token}"
        self.session = None

    def upstream_headers(self, request, user):
        headers = {}
        for name, value in request.headers.items():
            lower = name.lower()
            if lower in CORE_DROPS or lower in SUPERVISOR_FILTERS:
                continue
            headers[name] = value
        headers["Host"] = request.headers.get("Host", "")
        headers["X-Ingress-Path"] = self.prefix
        headers["X-Hass-Source"] = "core.ingress"
        headers["X-Forwarded-For"] = request.remote or ""
        headers["X-Forwarded-Host"] = request.headers.get("Host", "")
        headers["X-Forwarded-Proto"] = request.scheme
        user_id, name, display = user
        headers["X-Remote-User-Id"] = user_id
        headers["X-Remote-User-Name"] = name
        headers["X-Remote-User-Display-Name"] = display
        return headers

    async def handle(self, request):
        if not request.path.startswith(self.prefix):
            return web.Response(status=404, text="404: Not Found")
        user = USERS.get(request.cookies.get("ingress_session", ""))
        if user is None:
            return web.Response(status=401, text="401: Unauthorized")
        path = request.path[len(self.prefix):] or "/"
        url = f"http://{self.args.addon}{path}"
        body = await request.read()
        try:
            upstream = await self.session.request(
                request.method, url, params=request.query, data=body or None,
                headers=self.upstream_headers(request, user), allow_redirects=False,
                auto_decompress=False)
        except aiohttp.ClientError:
            # What the frontend shows as "app not ready".
            return web.Response(status=502, text="502: Bad Gateway")
        async with upstream:
            response = web.StreamResponse(status=upstream.status)
            for name, value in upstream.headers.items():
                if name.lower() not in HOP_BY_HOP:
                    response.headers.add(name, value)
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
                await response.write_eof()
            except (ConnectionResetError, aiohttp.ClientConnectionResetError):
                pass  # the browser went away (a live stream it closed)
            return response

    async def start(self):
        host = self.args.source
        connector = aiohttp.TCPConnector(local_addr=(host, 0), force_close=True)
        self.session = aiohttp.ClientSession(connector=connector,
                                             timeout=aiohttp.ClientTimeout(total=None, sock_connect=5))
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        listen_host, port = self.args.listen.rsplit(":", 1)
        await web.TCPSite(runner, listen_host, int(port)).start()
        print(f"ingress stand-in on http://{self.args.listen}{self.prefix}/", flush=True)
        await asyncio.Event().wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--addon", required=True)
    parser.add_argument("--source", default="172.30.32.2")
    parser.add_argument("--token", required=True)
    asyncio.run(Ingress(parser.parse_args()).start())


if __name__ == "__main__":
    main()
