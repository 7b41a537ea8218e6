// The dashboard in real headless Chromium, served by the real binary behind a simulated
// Home Assistant Ingress proxy. Run by tests/browser.rs (which seeds 7 days of history), or
// by hand: RM_BIN=target/debug/resource-manager RM_DATA_DIR=$(mktemp -d) npm test
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PREFIX, memoryPressureProc, startApp, startIngressProxy, launchBrowser, watchErrors } from "./harness.mjs";

const BIN = process.env.RM_BIN;
const DATA_DIR = process.env.RM_DATA_DIR || mkdtempSync(join(tmpdir(), "rm-browser-"));
const SHOTS = process.env.SCREENSHOT_DIR || "";
const SEEDED_POINTS = Number(process.env.RM_SEEDED_POINTS || 0);
const DESKTOP = { width: 1280, height: 1000 };
const MOBILE = { width: 375, height: 812 };
const metrics = {};

// Memory at 93 % (a fixture /proc) and the built-in memory rule judged over 2 s instead of
// 10 min: a warning fires within seconds on any machine, with the real thresholds in its words.
const FIXTURES = mkdtempSync(join(tmpdir(), "rm-browser-fixtures-"));
const OPTIONS = join(FIXTURES, "options.json");
// Self-scaling off: the fixture memory is 93 % used (pressure), and the live checks wait on the
// sample interval.
writeFileSync(OPTIONS, JSON.stringify({ alert_rules: [{ metric: "memory.used_percent", for: "2s", cooldown: "1m" }], self_scaling: { enabled: false } }));
const APP = {
  bin: BIN,
  dataDir: DATA_DIR,
  extraArgs: ["--options", OPTIONS],
  env: { RM_HOST_PROC: memoryPressureProc(join(FIXTURES, "proc"), 93) },
};
const MEMORY_ALERT = '#alerts li[data-key="alert_memory_used_percent"]';

let app, proxy, browser;

async function shot(page, name, fullPage = true) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, name + ".png"), fullPage });
}

async function openPanel(context, url = proxy.panel) {
  const page = await context.newPage();
  const errors = watchErrors(page);
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(url);
  return { page, errors, requests };
}

async function waitLive(frame, timeout = 10000) {
  await frame.waitForSelector('#live-state[data-state="live"]', { timeout });
}

describe("dashboard through Ingress", { concurrency: false }, () => {
  before(async () => {
    assert.ok(BIN, "RM_BIN must name the resource-manager binary");
    app = await startApp(APP);
    proxy = await startIngressProxy(() => app.url);
    browser = await launchBrowser();
  });

  after(async () => {
    if (process.env.METRICS_FILE) writeFileSync(process.env.METRICS_FILE, JSON.stringify(metrics, null, 2));
    console.log("METRICS " + JSON.stringify(metrics));
    if (browser) await browser.close();
    if (proxy) await proxy.close();
    if (app) await app.stop();
  });

  test("loads under the prefix with a cold cache: no console errors, no request outside the prefix, fast first paint", async () => {
    const context = await browser.newContext({ viewport: DESKTOP, colorScheme: "light" });
    const cdp = await context.newCDPSession(await context.newPage());
    await cdp.send("Network.enable");
    const page = (await context.pages())[0];
    const errors = watchErrors(page);
    const requests = [];
    const urls = new Map();
    const transferred = new Map();
    page.on("request", (r) => requests.push(r.url()));
    cdp.on("Network.responseReceived", (e) => urls.set(e.requestId, e.response.url));
    cdp.on("Network.loadingFinished", (e) => transferred.set(e.requestId, e.encodedDataLength));
    await page.goto(proxy.panel);
    await waitLive(page);
    // The chart is in view on a desktop screen: wait for it, it is part of the first load.
    await page.waitForSelector("#chart[data-points]", { timeout: 20000 });
    await page.waitForLoadState("networkidle").catch(() => {});
    const timing = await page.evaluate(() => {
      const fcp = performance.getEntriesByName("first-contentful-paint")[0];
      const nav = performance.getEntriesByType("navigation")[0];
      const live = performance.getEntriesByName("rm-first-live")[0];
      return new Promise((resolve) => {
        new PerformanceObserver((list) => {
          const entries = list.getEntries();
          resolve({
            fcp: fcp ? fcp.startTime : null,
            lcp: entries.length ? entries[entries.length - 1].startTime : null,
            domContentLoaded: nav.domContentLoadedEventEnd,
            firstLive: live ? live.startTime : null,
            serverTiming: (nav.serverTiming || []).map((s) => s.name + "=" + s.duration),
          });
        }).observe({ type: "largest-contentful-paint", buffered: true });
      });
    });
    let total = 0;
    const byUrl = {};
    for (const [id, bytes] of transferred) {
      const url = urls.get(id) || "";
      if (url.includes("api/v1/live")) continue;
      total += bytes;
      byUrl[url.replace(proxy.panel, "")] = bytes;
    }
    metrics.first_paint_ms = Math.round(timing.fcp);
    metrics.largest_paint_ms = Math.round(timing.lcp);
    metrics.dom_content_loaded_ms = Math.round(timing.domContentLoaded);
    metrics.first_live_update_ms = Math.round(timing.firstLive);
    metrics.server_timing_index = timing.serverTiming.join(",");
    metrics.first_load_bytes = total;
    metrics.first_load_by_url = byUrl;

    assert.deepEqual(errors, []);
    assert.deepEqual(proxy.outside, [], "requests outside the Ingress prefix reached the proxy");
    const outsidePrefix = requests.filter((u) => !u.startsWith(proxy.panel));
    assert.deepEqual(outsidePrefix, [], "the page requested something outside the prefix");
    assert.ok(timing.fcp > 0 && timing.fcp <= 500, `first paint ${timing.fcp} ms`);
    assert.ok(total <= 150 * 1024, `first load transferred ${total} bytes`);
    assert.match(await page.textContent("#status-line"), /\S/);
    assert.equal(await page.locator("[data-card]").count() >= 5, true);
    await shot(page, "overview-light", false);
    await context.close();
  });

  test("a live value changes without a reload", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const { page, errors } = await openPanel(context);
    await waitLive(page);
    const navBefore = await page.evaluate(() => performance.getEntriesByType("navigation").length);
    // The time of the last reading (shown on the live badge) and the CPU sparkline move every tick.
    const before = await page.evaluate(() => [
      document.getElementById("live-state").title,
      document.querySelector('[data-card="cpu"] [data-field="spark"]').getAttribute("d"),
    ]);
    await page.waitForFunction((b) => document.getElementById("live-state").title !== b[0]
      && document.querySelector('[data-card="cpu"] [data-field="spark"]').getAttribute("d") !== b[1], before, { timeout: 8000 });
    assert.match(await page.getAttribute("#live-state", "title"), /^Last reading at /);
    // Diagnostics lists every series; its values follow the stream as well.
    await page.click("#tab-diagnostics");
    const rows = await page.locator("#values tr").count();
    assert.ok(rows >= 10, `${rows} series listed`);
    // From the tick on the server to the text on screen.
    const lags = [];
    for (let i = 0; i < 5; i++) {
      lags.push(await page.evaluate(() => new Promise((resolve) => {
        const seen = RM.state.event.ts;
        const check = () => {
          if (RM.state.event.ts !== seen) requestAnimationFrame(() => resolve(Date.now() - RM.state.event.ts));
          else setTimeout(check, 5);
        };
        check();
      })));
    }
    metrics.tick_to_screen_ms = Math.max(...lags);
    assert.ok(Math.max(...lags) <= 1000, `tick to screen took ${lags} ms`);
    assert.equal(await page.evaluate(() => performance.getEntriesByType("navigation").length), navBefore);
    await page.click("#tab-overview");
    const cpu = await page.textContent('[data-card="cpu"] [data-field="value"]');
    assert.match(cpu, /%|measuring/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("a firing alert leads the overview and is acknowledged through the Ingress prefix", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const { page, errors, requests } = await openPanel(context);
    await waitLive(page);
    await page.waitForSelector(MEMORY_ALERT + " button[data-ack]", { timeout: 20000 });
    assert.equal(await page.isVisible("#alerts-card"), true);
    assert.equal(await page.textContent(MEMORY_ALERT + ' [data-field="badge"]'), "Warning");
    assert.match(await page.textContent(MEMORY_ALERT + ' [data-field="message"]'),
      /^Memory in use averaged 93\.0 % over 2 s, above the warning level of 90\.0 %/);
    assert.match(await page.textContent(MEMORY_ALERT + ' [data-field="since"]'), /^for /);
    // The alert leads the status line (unless this machine has something worse), and replaces
    // the fixed "Memory is 93 % used" item instead of being listed twice.
    const overview = await page.evaluate(() => RM.state.event.overview);
    const line = await page.textContent("#status-line");
    if (overview.attention[0].alert) assert.match(line, /^Memory in use is at 93 % \(warning for [^)]+\)/);
    else assert.equal(overview.attention[0].level, "problem", line);
    assert.doesNotMatch(await page.textContent("#attention"), /Memory/);
    await shot(page, "overview-alert", false);

    // A refused acknowledgement says so in words, and the button stays usable.
    await page.route("**/api/v1/alerts/*/ack", (route) => route.fulfill({
      status: 404, contentType: "application/json",
      body: JSON.stringify({ error: { code: "not_found", message: "no incident with id 999; GET api/v1/alerts lists them" } }),
    }));
    await page.click(MEMORY_ALERT + " button[data-ack]");
    await page.waitForSelector("#notice:not([hidden])");
    assert.match(await page.textContent("#notice"), /^Could not acknowledge the alert: no incident with id 999/);
    assert.equal(await page.isEnabled(MEMORY_ALERT + " button[data-ack]"), true);
    await page.unroute("**/api/v1/alerts/*/ack");

    const posts = [];
    page.on("request", (r) => { if (r.method() === "POST") posts.push({ url: r.url(), type: r.headers()["content-type"], body: r.postData() }); });
    await page.focus(MEMORY_ALERT + " button[data-ack]");
    await page.keyboard.press("Enter");
    await page.waitForSelector(MEMORY_ALERT + " .acked");
    assert.equal(await page.textContent(MEMORY_ALERT + " .acked"), "Acknowledged");
    assert.equal(await page.evaluate(() => document.activeElement.className), "acked", "focus stays on the row");
    assert.equal(await page.isHidden("#notice"), true, "the old error is gone");
    assert.equal(posts.length, 1);
    assert.ok(posts[0].url.startsWith(proxy.panel + "api/v1/alerts/"), posts[0].url);
    assert.match(posts[0].url, /\/api\/v1\/alerts\/\d+\/ack$/);
    assert.match(posts[0].type, /^application\/json/);
    assert.equal(posts[0].body, "{}");
    // Later live events agree: the button does not come back.
    await page.waitForFunction(() => RM.state.event.overview.alerts.some((a) => a.key === "alert_memory_used_percent" && a.acknowledged));
    const ts = await page.evaluate(() => RM.state.event.ts);
    await page.waitForFunction((t) => RM.state.event.ts > t, ts);
    assert.equal(await page.locator(MEMORY_ALERT + " button[data-ack]").count(), 0);
    if (overview.attention[0].alert) assert.match(await page.textContent("#status-line"), /, acknowledged\)/);
    const report = await page.evaluate(async () => (await fetch("api/v1/status.md")).text());
    assert.match(report, /- \*\*Active alerts:\*\* Memory in use \(warning, 93\.0 %, since \d{4}-\d\d-\d\d \d\d:\d\d UTC, acknowledged\)/);

    // Details: the incident in the history, the changed built-in rule in the rules.
    await page.click("#tab-details");
    await page.waitForSelector("#alert-history tbody tr");
    const incident = await page.$$eval("#alert-history tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)))
      .then((rows) => rows.find((r) => r[0].startsWith("Memory in use")));
    assert.ok(incident, "incident listed");
    assert.equal(incident[3], "ongoing");
    assert.match(incident[4], /^9\d\.\d % \(warning\)$/);
    assert.notEqual(incident[7], "no", "acknowledged time shown");
    await page.waitForSelector("#alert-rules tbody tr");
    const rule = await page.$$eval("#alert-rules tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)))
      .then((rows) => rows.find((r) => r[0].startsWith("memory.used_percent")));
    assert.deepEqual(rule.slice(1, 9), ["above", "90.0 %", "95.0 %", "85.0 %", "2s", "1m", "warning", "built in, changed in the options"]);
    assert.equal(rule[9], "memory.used_percent");
    assert.match(await page.textContent("#alert-summary"), /^1 firing \(1 acknowledged\)/);

    // Leases: one asked for from the page shows as held, with its slot pool's bar full.
    const asked = await page.evaluate(async () => (await fetch("api/v1/leases", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ holder: "browser_test", resources: { slots: { heavy: 1 } }, ttl_seconds: 600 }),
    })).status);
    assert.equal(asked, 201);
    await page.evaluate(() => document.dispatchEvent(new CustomEvent("rm:view", { detail: "details" })));
    await page.waitForFunction(() => [...document.querySelectorAll("#lease-list tbody tr")]
      .some((tr) => tr.cells[0].textContent === "browser_test"));
    const bars = await page.$$eval("#lease-bars .lease-bar", (rows) => rows.map((r) => r.textContent));
    assert.ok(bars.some((t) => t.startsWith("Slots 'heavy'") && t.endsWith("1 of 1")), bars.join(" | "));
    // Advice: a decision asked from the page (a dry run by default) is in the action log.
    const decided = await page.evaluate(async () => (await fetch("api/v1/actions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "restart", addon: "core_mosquitto" }),
    })).status);
    assert.equal(decided, 200);
    await page.evaluate(() => document.dispatchEvent(new CustomEvent("rm:view", { detail: "details" })));
    await page.waitForFunction(() => [...document.querySelectorAll("#actions-log tbody tr")]
      .some((tr) => tr.cells[1].textContent === "restart core_mosquitto" && tr.cells[3].textContent.startsWith("dry_run")));
    assert.match(await page.textContent("#recs-effect"), /every action is a dry run/);
    await page.locator("#d-alerts-h").scrollIntoViewIfNeeded();
    await page.evaluate(() => { document.getElementById("toast").hidden = true; });
    await shot(page, "details-alerts", false);
    assert.deepEqual(errors.filter((e) => !/Failed to load resource.*404/.test(e)), []);
    assert.deepEqual(requests.filter((u) => !u.startsWith(proxy.panel)), []);
    assert.deepEqual(proxy.outside, []);
    await context.close();
  });

  test("the chart draws 7 days of 1-minute data in under 100 ms", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const { page, errors } = await openPanel(context);
    await waitLive(page);
    await page.waitForSelector("#chart[data-points]", { timeout: 20000 });
    await page.evaluate(() => RM.charts.select("cpu", "7d"));
    await page.waitForSelector('#chart[data-range="7d"][data-points]', { timeout: 20000 });
    const info = await page.evaluate(() => {
      const el = document.getElementById("chart");
      const canvas = el.querySelector("canvas");
      const ctx = canvas.getContext("2d");
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 3; i < img.length; i += 4) if (img[i] > 0) inked++;
      return { points: Number(el.dataset.points), renderMs: Number(el.dataset.renderMs), fetchMs: Number(el.dataset.fetchMs), inked };
    });
    // Draw it a few more times: the first run includes JIT warm-up.
    const runs = [info.renderMs];
    for (let i = 0; i < 3; i++) {
      await page.evaluate(() => RM.charts.select("memory", "7d"));
      await page.evaluate(() => RM.charts.select("cpu", "7d"));
      runs.push(Number(await page.getAttribute("#chart", "data-render-ms")));
    }
    metrics.chart_7d_points = info.points;
    metrics.chart_7d_render_ms_first = info.renderMs;
    metrics.chart_7d_render_ms_runs = runs;
    metrics.chart_7d_fetch_ms = info.fetchMs;
    assert.ok(info.points >= Math.max(1, SEEDED_POINTS), `only ${info.points} points drawn`);
    assert.ok(info.inked > 1000, "the canvas has ink");
    assert.ok(info.renderMs < 100, `7-day chart took ${info.renderMs} ms`);
    await page.locator(".chart-card").scrollIntoViewIfNeeded();
    await shot(page, "chart-7d", false);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("Copy Resource Status uses the Clipboard API in a secure context", async () => {
    const context = await browser.newContext({ viewport: DESKTOP, permissions: ["clipboard-read", "clipboard-write"] });
    const { page, errors } = await openPanel(context);
    await waitLive(page);
    await page.click("#copy");
    await page.waitForSelector("#toast:not([hidden])");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(await page.evaluate(() => RM.lastCopyMethod), "clipboard");
    assert.match(copied, /^### Resource Manager status\n/);
    assert.match(copied, /\| CPU \| [\d.]+ %/);
    assert.doesNotMatch(copied, /127\.0\.0\.1|hassio_ingress|http:\/\//);
    assert.match(await page.textContent("#toast"), /copied/i);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("inside Home Assistant's iframe over plain HTTP, copy falls back to execCommand, then to a dialog", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const outer = `http://ha.test:${proxy.port}/`;
    const { page, errors } = await openPanel(context, outer);
    const frameHandle = await page.waitForSelector("iframe#panel");
    const frame = await frameHandle.contentFrame();
    await waitLive(frame);
    assert.equal(await frame.evaluate(() => window.isSecureContext), false, "plain HTTP is not a secure context");
    await frame.click("#copy");
    await frame.waitForSelector("#toast:not([hidden])");
    assert.equal(await frame.evaluate(() => RM.lastCopyMethod), "execCommand");
    // Read the clipboard back from a secure page of the same browser.
    const reader = await context.newPage();
    await context.grantPermissions(["clipboard-read"], { origin: proxy.base });
    await reader.goto(proxy.base + "/");
    await reader.bringToFront();
    const copied = await reader.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /^### Resource Manager status\n/);
    await reader.close();

    // Both ways refused: the text is shown to copy by hand.
    await frame.evaluate(() => { document.execCommand = () => false; });
    await frame.click("#copy");
    await frame.waitForSelector("#copy-dialog[open]");
    assert.equal(await frame.evaluate(() => RM.lastCopyMethod), "dialog");
    assert.match(await frame.inputValue("#copy-text"), /^### Resource Manager status\n/);
    await shot(page, "copy-dialog", false);
    await frame.click("#copy-dialog button");
    assert.equal(await frame.evaluate(() => document.getElementById("copy-dialog").open), false);
    assert.deepEqual(errors, []);
    assert.deepEqual(proxy.outside, []);
    await context.close();
  });

  test("a failing API call shows a short message and what to try", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const { page } = await openPanel(context);
    await waitLive(page);
    await page.waitForSelector("#chart[data-points]", { timeout: 20000 });
    await page.route("**/api/v1/metrics/**", (route) => route.fulfill({
      status: 500,
      contentType: "application/json",
      body: JSON.stringify({ error: { code: "internal", message: "the history database could not answer; see the add-on log" } }),
    }));
    await page.click('[data-range="24h"]');
    await page.waitForFunction(() => document.getElementById("chart-note").textContent.includes("could not be loaded"));
    assert.equal(await page.textContent("#chart-note"), "The chart could not be loaded: the history database could not answer; see the add-on log Reload the page; if it happens again, the add-on log says more.");
    await page.route("**/api/v1/status.md", (route) => route.abort());
    await page.click("#copy");
    await page.waitForSelector("#notice:not([hidden])");
    const text = await page.textContent("#notice");
    assert.match(text, /Could not build the Resource Status: Cannot reach Resource Manager\./);
    assert.match(text, /Check that the add-on is running/);
    assert.doesNotMatch(text, /TypeError|at \w+ \(|stack/i);
    await context.close();
  });

  test("tabs work with the keyboard and every control has a name", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const { page, errors } = await openPanel(context);
    await waitLive(page);
    await page.focus("#tab-overview");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.evaluate(() => document.activeElement.id), "tab-details");
    assert.equal(await page.isVisible("#view-details"), true);
    assert.equal(await page.isVisible("#view-overview"), false);
    await page.keyboard.press("End");
    assert.equal(await page.evaluate(() => document.activeElement.id), "tab-diagnostics");
    await page.keyboard.press("Home");
    assert.equal(await page.isVisible("#view-overview"), true);
    const unnamed = await page.evaluate(() => [...document.querySelectorAll("button, select, input, textarea")]
      .filter((el) => {
        const name = el.getAttribute("aria-label") || (el.labels && el.labels.length && el.labels[0].textContent.trim()) || el.textContent.trim();
        return !name;
      })
      .map((el) => el.outerHTML.slice(0, 80)));
    assert.deepEqual(unnamed, []);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("the analysis fills Details and Diagnostics within a minute of start", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const { page, errors } = await openPanel(context);
    await waitLive(page);
    // The first run comes about 10 s after start; analysis.js then refreshes once a minute,
    // so reload once the API has it.
    // Polled from here: a predicate that returns a promise would count as true at once.
    const until = Date.now() + 60000;
    while (!(await page.evaluate(async () => (await (await fetch("api/v1/health")).json()).made_ms > 0))) {
      assert.ok(Date.now() < until, "no analysis within a minute of start");
      await page.waitForTimeout(500);
    }
    await page.reload();
    await waitLive(page);
    await page.click("#tab-diagnostics");
    await page.waitForFunction(() => document.getElementById("analysis-run").textContent.startsWith("Last analysis"));
    await page.click("#tab-details");
    await page.waitForFunction(() => / of 100/.test(document.getElementById("health").textContent));
    // Standalone, no Supervisor walks the data disk: the Storage section says so.
    await page.waitForFunction(() => /Only in the add-on/.test(document.getElementById("storage-note").textContent));
    assert.ok((await page.textContent("#bottleneck")).length > 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("the layout holds at 375 px", async () => {
    for (const scheme of ["light", "dark"]) {
      const context = await browser.newContext({ viewport: MOBILE, colorScheme: scheme, hasTouch: true, isMobile: true });
      const { page, errors } = await openPanel(context);
      await waitLive(page);
      for (const view of ["overview", "details", "diagnostics"]) {
        await page.click("#tab-" + view);
        await page.waitForTimeout(view === "overview" ? 300 : 1200);
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= MOBILE.width, `${view} is ${width} px wide at 375 px (${scheme})`);
        const overflowing = await page.evaluate((w) => [...document.querySelectorAll(".card, .status, .bar")]
          .filter((el) => el.getBoundingClientRect().right > w + 0.5).map((el) => el.className), MOBILE.width);
        assert.deepEqual(overflowing, [], `${view} (${scheme})`);
        if (scheme === "light" || view === "overview") await shot(page, `mobile-${view}-${scheme}`);
      }
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test("desktop screenshots of every view, light and dark", async () => {
    for (const scheme of ["light", "dark"]) {
      const context = await browser.newContext({ viewport: DESKTOP, colorScheme: scheme });
      const { page, errors } = await openPanel(context);
      await waitLive(page);
      await page.waitForSelector("#chart[data-points]", { timeout: 20000 });
      await page.waitForTimeout(3000);
      await shot(page, `overview-${scheme}-full`);
      for (const view of ["details", "diagnostics"]) {
        await page.click("#tab-" + view);
        await page.waitForTimeout(1500);
        // Wide tables (anomalies, processes) scroll inside their card, never the page.
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= DESKTOP.width, `${view} is ${width} px wide at ${DESKTOP.width} px (${scheme})`);
        await shot(page, `${view}-${scheme}`);
      }
      assert.deepEqual(errors, []);
      await context.close();
    }
  });

  test("per-add-on rows (from the Supervisor integration) sort by CPU, memory and growth; a power card appears", async () => {
    // The Supervisor integration is another issue: feed the page the series it will produce.
    const series = {};
    const values = {};
    for (const [slug, cpu, mem] of [["big_addon", 5, 1.2e9], ["small_addon", 20, 1e8]]) {
      values[`addon.${slug}.cpu_percent`] = cpu;
      values[`addon.${slug}.memory_bytes`] = mem;
      series[`addon.${slug}.cpu_percent`] = { unit: "percent", description: "CPU of " + slug, labels: { addon: slug } };
      series[`addon.${slug}.memory_bytes`] = { unit: "bytes", description: "Memory of " + slug, labels: { addon: slug } };
    }
    // big_addon restarted 3 times since start, twice in the last hour (a loop).
    values["addon.big_addon.restarts_total"] = 3;
    values["addon.big_addon.restarts_last_hour"] = 2;
    for (const what of ["restarts_total", "restarts_last_hour"]) {
      series[`addon.big_addon.${what}`] = { unit: "count", description: what, labels: { addon: "big_addon" } };
    }
    const event = {
      ts: Date.now(), uptime_seconds: 60, values, series, sources: [],
      overview: {
        level: "info", line: "Add-on big_addon uses 1.2 GB (30 % of memory)",
        attention: [{ level: "info", what: "Add-on big_addon uses 1.2 GB (30 % of memory)", todo: "Restart it and watch." }],
        cards: [
          { key: "cpu", title: "CPU", value: "10.0 %", detail: "", percent: 10, spark: 10, level: "ok", available: true },
          { key: "power", title: "Power", value: "5.2 W", detail: "Package power", percent: null, spark: 5.2, level: "ok", available: true },
        ],
      },
    };
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.route("**/api/v1/live", (route) => route.fulfill({
      status: 200, headers: { "content-type": "text/event-stream" }, body: "retry: 60000\nevent: snapshot\ndata: " + JSON.stringify(event) + "\n\n",
    }));
    await page.route("**/api/v1/status", (route) => route.fulfill({
      status: 200, contentType: "application/json",
      body: JSON.stringify({ links: { home_assistant: { state: "connected" }, supervisor: { state: "connected" } }, uptime_seconds: 60 }),
    }));
    await page.route("**/api/v1/metrics/addon.*/history*", (route) => {
      const url = route.request().url();
      if (url.includes("restarts_total")) {
        // Hourly means of the counter over the week: 0, then Resource Manager restarted (back
        // to 0), two restarts two days ago, and one an hour ago: 3 this week, 1 today.
        const now = Math.floor(Date.now() / 1000);
        const t = [now - 6 * 86400, now - 5 * 86400, now - 2 * 86400, now - 2 * 86400 + 3600, now - 3600];
        return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ t, v: [4, 0, 1, 2, 2] }) });
      }
      const big = url.includes("big_addon");
      route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ t: [0, 3600], v: big ? [1.05e9, 1.2e9] : [1.1e8, 1e8] }) });
    });
    // What the Supervisor's walk gives in the add-on (api/v1/storage; the rehearsal checks it
    // against the emulated Supervisor).
    const day = 86400000;
    await page.route("**/api/v1/storage", (route) => route.fulfill({
      status: 200, contentType: "application/json",
      body: JSON.stringify({
        available: true, note: null, walked_at_ms: Date.now() - 60000, total_bytes: 64e9, used_bytes: 30e9,
        recorder_db_bytes: 1.5e9,
        parts: [
          { id: "backup", name: "Backups", bytes: 12e9, series: "storage.backup.used_bytes",
            week: { bytes: 2e9, per_day: 2e9 / 7, since_ms: Date.now() - 7 * day, whole: true }, month: null },
          { id: "apps_data", name: "Add-on data", bytes: 9e9, series: "storage.apps_data.used_bytes",
            week: { bytes: 7e9, per_day: 1e9, since_ms: Date.now() - 3 * day, whole: false }, month: null },
        ],
        addons: [
          { id: "big_addon", name: "Big add-on", bytes: 8.9e9, series: "addon.big_addon.data_bytes",
            week: { bytes: 7e9, per_day: 1e9, since_ms: Date.now() - 3 * day, whole: false }, month: null },
        ],
        outlook: { mount: "/data", eta_seconds: 30 * 86400, slope_bytes_per_day: 1e9,
          summary: "The data disk is forecast to reach 95 % in about 30 days.",
          fastest: { id: "big_addon", name: "Big add-on", bytes_per_day: 1e9 } },
      }),
    }));
    await page.goto(proxy.panel);
    await page.waitForFunction(() => document.getElementById("status-line").textContent.startsWith("Add-on big_addon"));
    assert.equal(await page.textContent('[data-card="power"] [data-field="value"]'), "5.2 W");
    assert.equal(await page.locator('[data-card="memory"]').count(), 0, "cards follow the server's list");
    await page.click("#tab-details");
    const names = () => page.$$eval("#addons tbody th", (ths) => ths.map((th) => th.textContent));
    await page.waitForFunction(() => document.querySelectorAll("#addons tbody tr").length === 2);
    assert.deepEqual(await names(), ["big_addon", "small_addon"], "largest memory first");
    await page.click('#addons button[data-sort-key="cpu_percent"]');
    assert.deepEqual(await names(), ["small_addon", "big_addon"]);
    assert.equal(await page.getAttribute('#addons th:has(button[data-sort-key="cpu_percent"])', "aria-sort"), "descending");
    await page.waitForFunction(() => document.querySelector("#addons tbody").textContent.includes("+150 MB"));
    await page.click('#addons button[data-sort-key="growth"]');
    assert.deepEqual(await names(), ["big_addon", "small_addon"]);
    await page.click('#addons button[data-sort-key="growth"]');
    assert.deepEqual(await names(), ["small_addon", "big_addon"], "second click sorts ascending");
    assert.match(await page.textContent("#addons tbody"), /−10\.0 MB/);
    // The counter now (3) after the hour-ago mean (2): one restart today, three this week.
    await page.waitForFunction(() => /1 \/ 3 \(2 in 1 h\)/.test(document.querySelector("#addons tbody").textContent));
    // The Storage section: the parts and each add-on's data, largest first, with growth.
    await page.waitForFunction(() => document.getElementById("storage").dataset.loaded === "true");
    const storage = await page.$$eval("#storage tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    assert.deepEqual(storage.map((r) => r[0]), ["Backups", "Add-on data", "Big add-on"]);
    assert.deepEqual(storage[0].slice(1, 5), ["part", "12.0 GB", "40.0 %", "+2.0 GB"]);
    assert.match(storage[2][4], /^\+7\.0 GB \(since /, "a short history says since when");
    assert.match(await page.textContent("#storage-outlook"), /Fastest growing: Big add-on \(\+1\.0 GB a day\)/);
    assert.match(await page.textContent("#storage-note"), /Recorder database: 1\.5 GB/);
    await shot(page, "details-addons", false);
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
    await context.close();
  });

  test("a 👍 persists across a restart of the binary, and a second vote within the hour is refused politely", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const { page, errors } = await openPanel(context);
    await waitLive(page);
    await page.fill("#feedback-comment", "snappy today");
    await page.press("#feedback-comment", "Enter");
    assert.equal(await page.textContent("#feedback-message"), "Choose 👍 or 👎 to send your comment.");
    assert.equal(await page.textContent("#satisfaction"), "Satisfaction: no votes yet.");
    await page.click('#feedback-form button[value="up"]');
    await page.waitForFunction(() => document.getElementById("feedback-message").textContent.includes("Thanks for your 👍"));
    assert.match(await page.textContent("#satisfaction"), /100 % 👍 over 7 days \(1 vote\)/);
    // The buttons say why they are off, and the server refuses on its own as well.
    await page.waitForSelector('#feedback-form button[value="up"][disabled]');
    const again = await page.evaluate(async () => {
      const r = await fetch("api/v1/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ vote: "down" }) });
      return { status: r.status, body: await r.json() };
    });
    assert.equal(again.status, 429);
    assert.match(again.body.error.message, /^Thanks, your vote from just now is counted\. One vote per hour/);
    await shot(page, "feedback-voted", false);

    // Restart the binary on the same data: the page reconnects by itself, no reload.
    const restartedAt = Date.now();
    await app.stop();
    await page.waitForSelector('#live-state[data-state="reconnecting"]', { timeout: 10000 });
    app = await startApp(APP);
    await page.waitForFunction((t) => RM.state.event && RM.state.event.ts > t && document.getElementById("live-state").dataset.state === "live", restartedAt, { timeout: 30000, polling: 100 });
    metrics.reconnect_after_restart_ms = Date.now() - restartedAt;

    await page.reload();
    await waitLive(page);
    await page.waitForFunction(() => /1 vote\)/.test(document.getElementById("satisfaction").textContent));
    assert.match(await page.textContent("#satisfaction"), /100 % 👍 over 7 days \(1 vote\)/);
    assert.match(await page.textContent("#feedback-message"), /^Thanks for voting at .+\. One vote per hour: you can vote again at /);
    await page.click("#tab-diagnostics");
    await page.waitForFunction(() => document.getElementById("diag-feedback").textContent.includes("snappy today"));
    const status = await page.evaluate(async () => (await fetch("api/v1/status")).json());
    assert.deepEqual(status.feedback, { satisfaction_7d: 100, satisfaction_30d: 100, votes_7d: 1, votes_30d: 1 });
    // Errors logged while the server was down are expected; none may come after the reload.
    const afterReload = errors.filter((e) => !/ERR_|502|Failed to load resource/.test(e));
    assert.deepEqual(afterReload, []);
    await context.close();
  });
});
