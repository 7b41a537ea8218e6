// Test harness: the real binary, a reverse proxy that behaves like Home Assistant's Ingress
// (prefix stripped, X-Ingress-Path added, the panel in a same-origin iframe), and Chromium.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { once } from "node:events";
import { chromium } from "playwright-core";

export const TOKEN = "Xk3w9s_Ab-Test7";
export const PREFIX = `/api/hassio_ingress/${TOKEN}`;

/**
 * A /proc for the binary (RM_HOST_PROC) that is this machine's, except that meminfo says a
 * 4 GB box has `usedPercent` % of its memory in use: a memory alert then fires on any machine
 * while CPU, disks, network and processes stay live. Every other entry is a symlink
 * (`self` resolves to the reading process, so mountinfo is the binary's own).
 */
export function memoryPressureProc(dir, usedPercent) {
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync("/proc")) {
    if (name === "meminfo") continue;
    try { symlinkSync(join("/proc", name), join(dir, name)); } catch (e) { /* a process that just exited */ }
  }
  const total = 3906250; // kB: a 4 GB Raspberry Pi
  const available = Math.round(total * (100 - usedPercent) / 100);
  const swapTotal = 1048572, swapFree = Math.round(swapTotal * 0.8);
  writeFileSync(join(dir, "meminfo"), [
    `MemTotal:       ${total} kB`,
    `MemFree:        ${Math.round(available / 3)} kB`,
    `MemAvailable:   ${available} kB`,
    `Buffers:        ${Math.round(available / 10)} kB`,
    `Cached:         ${Math.round(available / 2)} kB`,
    `SwapTotal:      ${swapTotal} kB`,
    `SwapFree:       ${swapFree} kB`,
    "",
  ].join("\n"));
  return dir;
}

/** Starts resource-manager on an ephemeral loopback port; resolves when it serves. */
export async function startApp({ bin, dataDir, port = 0, extraArgs = [], env: extraEnv = {} }) {
  const env = { ...process.env, ...extraEnv };
  for (const k of ["SUPERVISOR_TOKEN", "HASSIO_TOKEN", "HA_URL", "HA_TOKEN"]) delete env[k];
  const proc = spawn(bin, [
    "--data-dir", dataDir,
    "--listen", `127.0.0.1:${port}`,
    "--sample-interval-seconds", "1",
    "--process-interval-seconds", "5",
    "--write-batch-seconds", "5",
    "--log-level", "warning",
    ...extraArgs,
  ], { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("binary did not start within 20 s:\n" + log)), 20000);
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (chunk) => {
      log += chunk;
      // Only a complete line: a chunk may end in the middle of the port number.
      const m = log.match(/serving on (http:\/\/[^\s]+)\r?\n/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`binary exited (${code}):\n${log}`)); });
  });
  return {
    url,
    proc,
    log: () => log,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill("SIGTERM");
      const killer = setTimeout(() => proc.kill("SIGKILL"), 10000);
      await once(proc, "exit");
      clearTimeout(killer);
    },
  };
}

/**
 * A stand-in for HA Core + Supervisor Ingress on 127.0.0.1. `/` is an HA-like page holding
 * the panel iframe; `${PREFIX}/…` is forwarded to `backend()` without the prefix and with
 * X-Ingress-Path. Requests anywhere else are recorded in `outside` and get 404.
 */
export async function startIngressProxy(backend) {
  const outside = [];
  const server = http.createServer((req, res) => {
    const path = req.url || "/";
    if (path === "/" || path === "/index.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"><title>Home Assistant</title><link rel="icon" href="data:,"></head>
<body style="margin:0;background:#fafafa"><iframe id="panel" title="Resource Manager" src="${PREFIX}/" style="border:0;width:100vw;height:100vh;display:block"></iframe></body></html>`);
      return;
    }
    if (!path.startsWith(PREFIX + "/") && path !== PREFIX) {
      outside.push(path);
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("outside the Ingress prefix");
      return;
    }
    const target = new URL(backend());
    const headers = { ...req.headers };
    headers["x-ingress-path"] = PREFIX;
    headers["x-hass-source"] = "core.ingress";
    headers["x-forwarded-host"] = req.headers.host;
    headers["x-forwarded-proto"] = "http";
    headers.host = target.host;
    const upstream = http.request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: path.slice(PREFIX.length) || "/",
      headers,
    }, (up) => {
      res.writeHead(up.statusCode || 502, up.headers);
      // Streamed, like Ingress does for responses without a Content-Length (SSE).
      up.pipe(res);
    });
    upstream.on("error", () => {
      if (!res.headersSent) { res.writeHead(502, { "content-type": "text/plain" }); res.end("502: Bad Gateway"); }
      else res.destroy();
    });
    req.pipe(upstream);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = server.address().port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    panel: `http://127.0.0.1:${port}${PREFIX}/`,
    outside,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Debian's Chromium, headless, fresh profile; ha.test resolves to loopback (a non-secure origin). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run",
      "--host-resolver-rules=MAP ha.test 127.0.0.1",
    ],
  });
}

/** Console errors, page errors and failed requests of a page, for "no errors" checks. */
export function watchErrors(page) {
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push("console: " + m.text()); });
  page.on("pageerror", (e) => errors.push("pageerror: " + e.message));
  return errors;
}
