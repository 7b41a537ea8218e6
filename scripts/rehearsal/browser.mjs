// The dashboard through the Ingress stand-in in Debian's headless Chromium, as a signed-in HA
// user would see it: waits for live values and the per-add-on table, checks the process and
// network notes, votes 👍 from the page, and takes screenshots.
//
//   node browser.mjs <ingress panel URL> <session cookie> <out dir> <network view> <process view>
// Prints one JSON line with what it saw; exits non-zero on a failed check.
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../tests/browser/package.json"));
const { chromium } = require("playwright-core");

const [url, session, outDir, network, processes] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });

function check(ok, what) {
  if (!ok) throw new Error("check failed: " + what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const origin = new URL(url);
  await context.addCookies([{ name: "ingress_session", value: session, domain: origin.hostname,
    path: "/api/hassio_ingress/", httpOnly: false, sameSite: "Strict" }]);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const response = await page.goto(url);
  check(response && response.status() === 200, `dashboard answered ${response && response.status()}`);
  await page.waitForSelector('#live-state[data-state="live"]', { timeout: 20000 });
  await page.click("#tab-details");
  // The Supervisor's add-ons arrive with its first poll.
  await page.waitForFunction(() => /a0d7b954_nodered/.test(document.getElementById("addons").textContent), null, { timeout: 30000 });
  const procsNote = await page.evaluate(() => {
    const note = document.getElementById("procs-note");
    return note && !note.hidden ? note.textContent : "";
  });
  if (processes === "host") check(procsNote === "", `process note with the host's processes: ${procsNote}`);
  else check(/turn off Protection mode/.test(procsNote), `process note: ${procsNote}`);
  const netNote = await page.evaluate(() => {
    const note = document.getElementById("ifaces-note");
    return note && !note.hidden ? note.textContent : "";
  });
  if (network === "container") check(/own traffic/.test(netNote), `network note: ${netNote}`);
  else check(!/own traffic/.test(netNote), `network note on the host network: ${netNote}`);
  // What takes the data disk: the Supervisor's walk at depth 2 lists each add-on's data folder,
  // named as /addons names them.
  await page.waitForFunction(() => document.getElementById("storage").dataset.loaded === "true", null, { timeout: 20000 });
  const storage = await page.evaluate(() => document.getElementById("storage").textContent);
  for (const name of ["Node-RED", "Mosquitto broker", "Matter Server", "Backups", "System"]) {
    check(storage.includes(name), `Storage section without ${name}: ${storage}`);
  }
  await page.screenshot({ path: join(outDir, `addon-details-${network}-${processes}.png`) });
  await page.click("#tab-overview");
  await page.screenshot({ path: join(outDir, `addon-overview-${network}-${processes}.png`) });
  await page.click('#feedback-form button[value="up"]');
  await page.waitForFunction(() => document.getElementById("feedback-message").textContent.includes("Thanks for your"), null, { timeout: 10000 });
  check(errors.length === 0, `page errors: ${errors.join("; ")}`);
  console.log(JSON.stringify({ ok: true, procsNote, netNote, storageChars: storage.length }));
} finally {
  await browser.close();
}
