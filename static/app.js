// Resource Manager dashboard: live overview, views, feedback and the status report.
// Every URL is relative (no leading "/"), so the page works under any Ingress prefix.
"use strict";
(function () {
  const RM = (window.RM = window.RM || {});
  const $ = (id) => document.getElementById(id);

  // ---- Formatting: mirrors src/web/format.rs and src/util/bytes.rs so live values read like
  // the first render.
  function bytes(v) {
    if (!Number.isFinite(v)) return "–";
    const units = ["B", "kB", "MB", "GB", "TB", "PB"];
    // One decimal below 100 of a unit, none from 100 (and none for bytes); step up when
    // rounding would print a fourth digit.
    const whole = (x, i) => i === 0 || Math.abs(x) >= 99.95;
    const rounded = (x, i) => (whole(x, i) ? Math.round(Math.abs(x)) : Math.round(Math.abs(x) * 10) / 10);
    let i = 0;
    while (i < units.length - 1 && rounded(v, i) >= 1000) { v /= 1000; i++; }
    return (whole(v, i) ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
  }
  function duration(s) {
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + " d " + h + " h";
    if (h > 0) return h + " h " + m + " min";
    return m + " min " + (s % 60) + " s";
  }
  function value(v, unit) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    switch (unit) {
      case "percent": return v.toFixed(1) + " %";
      case "bytes": return bytes(v);
      case "bytes_per_second": return bytes(v) + "/s";
      case "celsius": return v.toFixed(1) + " °C";
      case "seconds": return duration(v);
      case "days": return v.toFixed(1) + " d";
      case "count": return v.toFixed(0);
      case "watts": return v.toFixed(1) + " W";
      case "kilowatt_hours": return v.toFixed(3) + " kWh";
      case "money": return v.toFixed(2);
      default: return v.toFixed(2);
    }
  }
  const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const hm = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  RM.fmt = { bytes, duration, value, time, hm };
  // A new element with an optional class and text (textContent: never HTML from the API).
  RM.el = (tag, className, text) => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  RM.unitOf = (id) => (RM.state.series[id] || {}).unit;

  // ---- Errors: short human messages with what to try; never a stack trace.
  class UserError extends Error {
    constructor(message, hint, status) { super(message); this.hint = hint || ""; this.status = status || 0; }
  }
  async function api(path, options) {
    let res;
    try {
      res = await fetch(path, Object.assign({ cache: "no-store", credentials: "same-origin" }, options || {}));
    } catch (e) {
      throw new UserError("Cannot reach Resource Manager.", "Check that the add-on is running, then reload this page.");
    }
    const type = res.headers.get("content-type") || "";
    if (res.ok) return type.includes("json") ? res.json() : res.text();
    let message = "Resource Manager could not answer (error " + res.status + ").";
    let hint = "Reload the page; if it happens again, the add-on log says more.";
    if (type.includes("json")) {
      try {
        const body = await res.json();
        if (body && body.error && typeof body.error.message === "string") message = body.error.message;
      } catch (e) { /* keep the generic message */ }
    }
    if (res.status === 401) hint = "Your Home Assistant session may have expired: reload the page.";
    if (res.status === 429) hint = "";
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      message = "Resource Manager is not reachable right now; it may be restarting.";
      hint = "Wait a moment and try again.";
    }
    throw new UserError(message, hint, res.status);
  }
  RM.api = api;

  let noticeKind = null;
  function notice(message, hint, kind) {
    const box = $("notice");
    box.replaceChildren();
    const text = document.createElement("div");
    const p1 = document.createElement("p");
    p1.textContent = message;
    text.append(p1);
    if (hint) { const p2 = document.createElement("p"); p2.textContent = hint; text.append(p2); }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn dismiss";
    close.textContent = "Dismiss";
    close.addEventListener("click", () => clearNotice());
    box.append(text, close);
    box.hidden = false;
    noticeKind = kind || "error";
  }
  function clearNotice(kind) {
    if (kind && noticeKind !== kind) return;
    $("notice").hidden = true;
    noticeKind = null;
  }
  RM.notice = notice;
  RM.clearNotice = clearNotice;

  let toastTimer = 0;
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
  }
  RM.toast = toast;

  // ---- Views: tabs with arrow-key navigation; the hash keeps the view across reloads.
  const VIEWS = ["overview", "details", "diagnostics"];
  function showView(name, focusTab) {
    if (!VIEWS.includes(name)) name = "overview";
    for (const v of VIEWS) {
      const tab = $("tab-" + v), panel = $("view-" + v), on = v === name;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      panel.hidden = !on;
    }
    if (focusTab) $("tab-" + name).focus();
    if (location.hash !== "#" + name) history.replaceState(null, "", name === "overview" ? location.pathname + location.search : "#" + name);
    RM.view = name;
    document.dispatchEvent(new CustomEvent("rm:view", { detail: name }));
  }
  RM.showView = showView;
  function initTabs() {
    for (const v of VIEWS) $("tab-" + v).addEventListener("click", () => showView(v));
    document.querySelector('[role="tablist"]').addEventListener("keydown", (e) => {
      const i = VIEWS.indexOf(RM.view);
      let next = null;
      if (e.key === "ArrowRight") next = VIEWS[(i + 1) % VIEWS.length];
      else if (e.key === "ArrowLeft") next = VIEWS[(i + VIEWS.length - 1) % VIEWS.length];
      else if (e.key === "Home") next = VIEWS[0];
      else if (e.key === "End") next = VIEWS[VIEWS.length - 1];
      if (next) { e.preventDefault(); showView(next, true); }
    });
    showView(location.hash.slice(1) || "overview");
  }

  // ---- Live updates over Server-Sent Events.
  RM.state = { event: null, series: {}, processes: null };
  const listeners = [];
  RM.onSnapshot = (fn) => { listeners.push(fn); if (RM.state.event) fn(RM.state.event); };
  const interval = Number(document.body.dataset.interval) || 5;
  // Keep-alives come every 15 s; a stream silent for longer than this is dead.
  const stallMs = Math.max(40, interval * 3) * 1000;
  let source = null, lastEventAt = Date.now(), retryMs = 1000, retryTimer = 0, downSince = 0;

  function setLive(state) {
    const el = $("live-state");
    el.dataset.state = state;
    el.textContent = state === "live" ? "Live" : state === "reconnecting" ? "Reconnecting…" : "Connecting…";
  }
  function connect() {
    clearTimeout(retryTimer);
    if (source) source.close();
    source = new EventSource("api/v1/live");
    source.addEventListener("snapshot", (e) => {
      lastEventAt = Date.now();
      retryMs = 1000;
      downSince = 0;
      setLive("live");
      clearNotice("live");
      let ev;
      try { ev = JSON.parse(e.data); } catch (err) { return; }
      if (ev.ts) $("live-state").title = "Last reading at " + time(ev.ts);
      handle(ev);
    });
    source.addEventListener("open", () => { lastEventAt = Date.now(); });
    source.addEventListener("error", () => {
      setLive("reconnecting");
      if (!downSince) downSince = Date.now();
      // EventSource retries by itself after a dropped stream, but gives up for good when a
      // proxy answers with an error (Ingress says 502 while the add-on restarts).
      if (source.readyState === EventSource.CLOSED) scheduleReconnect();
    });
  }
  function scheduleReconnect() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 15000);
  }
  setInterval(() => {
    if (downSince && Date.now() - downSince > 10000 && !noticeKind) {
      notice("Lost the live connection to Resource Manager.", "It reconnects by itself; if it does not, check that the add-on is running.", "live");
    }
    if (Date.now() - lastEventAt > stallMs) {
      lastEventAt = Date.now();
      setLive("reconnecting");
      if (!downSince) downSince = Date.now();
      connect();
    }
  }, 2000);

  function handle(ev) {
    if (!RM.state.event && performance.mark) performance.mark("rm-first-live");
    if (ev.series) RM.state.series = ev.series;
    if (ev.processes) RM.state.processes = ev.processes;
    RM.state.event = ev;
    renderOverview(ev.overview);
    renderValues(ev.values);
    for (const fn of listeners) {
      try { fn(ev); } catch (err) { console.warn("view update failed", err); }
    }
  }

  // ---- Overview
  const sparks = {};
  function renderOverview(o) {
    const status = $("status");
    status.className = "status level-" + o.level;
    const line = $("status-line");
    if (line.textContent !== o.line) line.textContent = o.line;
    const cards = $("cards");
    const seen = new Set();
    for (const c of o.cards) {
      seen.add(c.key);
      let el = cards.querySelector('[data-card="' + c.key + '"]');
      if (!el) { el = makeCard(c); cards.append(el); }
      el.className = "card metric level-" + c.level + (c.available ? "" : " unavailable");
      setText(el, "value", c.value);
      setText(el, "detail", c.detail);
      const track = el.querySelector(".track");
      track.hidden = c.percent === null || c.percent === undefined;
      if (!track.hidden) el.querySelector('[data-field="bar"]').style.width = Math.min(100, Math.max(0, c.percent)).toFixed(1) + "%";
      if (typeof c.spark === "number") spark(el, c.key, c.spark, c.percent !== null && c.percent !== undefined);
    }
    for (const el of cards.querySelectorAll("[data-card]")) if (!seen.has(el.dataset.card)) el.remove();
    const list = $("attention");
    // Firing alerts are listed under Active alerts, with their advice and button.
    const items = o.attention.filter((a) => !a.alert);
    const alerting = (o.alerts || []).length > 0;
    const key = JSON.stringify(items) + (alerting ? "+alerts" : "");
    if (list.dataset.key !== key) {
      list.dataset.key = key;
      list.replaceChildren(...items.map((a) => {
        const li = document.createElement("li");
        li.className = "level-" + a.level;
        const what = document.createElement("strong");
        what.textContent = a.what;
        const todo = document.createElement("span");
        todo.textContent = a.todo;
        li.append(what, " ", todo);
        return li;
      }));
      const empty = $("attention-empty");
      empty.hidden = items.length > 0;
      empty.textContent = alerting ? "Nothing besides the alerts above." : "Nothing needs your attention.";
    }
  }
  function setText(root, field, text) {
    const el = root.querySelector('[data-field="' + field + '"]');
    if (el && el.textContent !== text) el.textContent = text;
  }
  function makeCard(c) {
    const el = document.createElement("article");
    el.dataset.card = c.key;
    el.setAttribute("aria-labelledby", "card-" + c.key);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("viewBox", "0 0 100 24");
    svg.setAttribute("preserveAspectRatio", "none");
    const path = document.createElementNS(ns, "path");
    path.dataset.field = "spark";
    svg.append(path);
    const h = document.createElement("h2");
    h.id = "card-" + c.key;
    h.textContent = c.title;
    const v = document.createElement("p");
    v.className = "value"; v.dataset.field = "value";
    const track = document.createElement("div");
    track.className = "track";
    const bar = document.createElement("span");
    bar.dataset.field = "bar";
    track.append(bar);
    const d = document.createElement("p");
    d.className = "detail"; d.dataset.field = "detail";
    el.append(h, v, track, d, svg);
    return el;
  }
  // A sparkline of the last readings: a glance at the trend without opening a chart.
  function spark(el, key, v, isPercent) {
    const buf = sparks[key] || (sparks[key] = []);
    buf.push(v);
    if (buf.length > 60) buf.shift();
    // A line needs a few readings before it says anything about a trend.
    if (buf.length < 4) return;
    let lo = isPercent ? 0 : Math.min(...buf), hi = isPercent ? 100 : Math.max(...buf);
    if (hi - lo < 1e-9) { hi = lo + 1; }
    const step = 100 / 59;
    const start = 60 - buf.length;
    const d = buf.map((x, i) => (i ? "L" : "M") + ((start + i) * step).toFixed(1) + " " + (23 - ((x - lo) / (hi - lo)) * 22).toFixed(1)).join("");
    el.querySelector('[data-field="spark"]').setAttribute("d", d);
  }

  // Every-series table in Diagnostics.
  function renderValues(values) {
    const body = $("values");
    const rows = new Map();
    for (const tr of body.rows) rows.set(tr.dataset.id, tr);
    for (const id of Object.keys(values)) {
      let tr = rows.get(id);
      if (!tr) {
        tr = document.createElement("tr");
        tr.dataset.id = id;
        const th = document.createElement("th");
        th.scope = "row";
        th.textContent = id;
        const td = document.createElement("td");
        td.className = "num";
        tr.append(th, td);
        body.append(tr);
      }
      const text = value(values[id], RM.unitOf(id));
      if (tr.lastElementChild.textContent !== text) tr.lastElementChild.textContent = text;
    }
  }

  // ---- Feedback: one vote per browser per hour, enforced by the server.
  let voteTimer = 0;
  // Returns the sentence saying when this browser may vote again ("" when it may now).
  function renderFeedback(f) {
    const pct = (v) => (v === null || v === undefined ? "–" : Math.round(v) + " %");
    $("satisfaction").textContent = f.votes_30d > 0
      ? "Satisfaction: " + pct(f.satisfaction_7d) + " 👍 over 7 days (" + f.votes_7d + " vote" + (f.votes_7d === 1 ? "" : "s") + ") · " +
        pct(f.satisfaction_30d) + " over 30 days (" + f.votes_30d + " vote" + (f.votes_30d === 1 ? "" : "s") + ")."
      : "Satisfaction: no votes yet.";
    const next = f.you && f.you.next_vote_at;
    const buttons = document.querySelectorAll("#feedback-form button");
    clearTimeout(voteTimer);
    if (next && next > Date.now()) {
      for (const b of buttons) b.disabled = true;
      voteTimer = setTimeout(() => {
        for (const b of buttons) b.disabled = false;
        $("feedback-message").textContent = "";
      }, Math.min(next - Date.now(), 2147483647));
      return "One vote per hour: you can vote again at " + hm(next) + ".";
    }
    for (const b of buttons) b.disabled = false;
    return "";
  }
  async function loadFeedback() {
    try {
      const f = await api("api/v1/feedback");
      const again = renderFeedback(f);
      if (again) $("feedback-message").textContent = "Thanks for voting at " + hm(f.you.last_vote_at) + ". " + again;
    }
    catch (e) { $("satisfaction").textContent = "Satisfaction is not available: " + e.message; }
  }
  function initFeedback() {
    const form = $("feedback-form");
    let clicked = null;
    for (const b of form.querySelectorAll("button")) b.addEventListener("click", () => { clicked = b; });
    // Enter in the comment would submit with the first button, a 👍 nobody chose.
    $("feedback-comment").addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      $("feedback-message").textContent = "Choose 👍 or 👎 to send your comment.";
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = e.submitter || clicked;
      if (!button) return;
      const msg = $("feedback-message");
      const comment = $("feedback-comment").value;
      msg.textContent = "Sending…";
      try {
        const r = await api("api/v1/feedback", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ vote: button.value, comment: comment || null }),
        });
        $("feedback-comment").value = "";
        const again = renderFeedback(r.feedback);
        msg.textContent = r.message + (again ? " " + again : "");
      } catch (err) {
        msg.textContent = err.message + (err.hint ? " " + err.hint : "");
      }
    });
    loadFeedback();
  }

  // ---- Copy Resource Status: Clipboard API where allowed (HTTPS), else a hidden textarea
  // with execCommand("copy") (plain-HTTP Home Assistant), else a dialog to copy by hand.
  function legacyCopy(text) {
    const active = document.activeElement;
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.setAttribute("aria-hidden", "true");
    ta.style.cssText = "position:fixed;top:0;left:0;width:1px;height:1px;opacity:0;";
    document.body.append(ta);
    ta.select();
    ta.setSelectionRange(0, text.length);
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
    if (active && active.focus) active.focus();
    return ok;
  }
  async function writeClipboard(text) {
    if (window.isSecureContext && navigator.clipboard && navigator.clipboard.writeText) {
      try { await navigator.clipboard.writeText(text); RM.lastCopyMethod = "clipboard"; return true; } catch (e) { /* fall back */ }
    }
    if (legacyCopy(text)) { RM.lastCopyMethod = "execCommand"; return true; }
    RM.lastCopyMethod = "dialog";
    return false;
  }
  function showCopyDialog(text) {
    $("toast").hidden = true;
    const dialog = $("copy-dialog");
    const ta = $("copy-text");
    ta.value = text;
    if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
    ta.focus();
    ta.select();
  }
  async function copyReport() {
    const button = $("copy");
    button.disabled = true;
    try {
      const text = await api("api/v1/status.md");
      if (await writeClipboard(text)) toast("Resource Status copied. Paste it into your forum post or issue.");
      else showCopyDialog(text);
    } catch (e) {
      notice("Could not build the Resource Status: " + e.message, e.hint);
    } finally {
      button.disabled = false;
    }
  }
  RM.copyReport = copyReport;

  function start() {
    initTabs();
    $("copy").addEventListener("click", copyReport);
    initFeedback();
    connect();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
