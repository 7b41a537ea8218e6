// Alerts on the dashboard: the overview's Active alerts list (kept current by the live stream),
// acknowledging an incident, and in Details the recent incidents and the rules in effect.
"use strict";
(function () {
  const RM = window.RM;
  const $ = (id) => document.getElementById(id);
  const F = RM.fmt;

  // ---- Overview: rows keyed by rule and target, updated in place, so a button keeps its
  // focus and a request in flight keeps its state across live updates.
  const acked = new Set(); // incidents acknowledged from this page
  const busy = new Set(); // acknowledgements in flight

  function node(tag, className, field, text) {
    const el = document.createElement(tag);
    if (className) el.className = className;
    if (field) el.dataset.field = field;
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function setField(root, field, text) {
    const el = root.querySelector('[data-field="' + field + '"]');
    if (el.textContent !== text) el.textContent = text;
  }
  function makeRow(key) {
    const li = node("li");
    li.dataset.key = key;
    const head = node("p", "alert-head");
    head.append(node("span", "badge", "badge"), " ", node("strong", "", "label"), " ", node("span", "since", "since"));
    const body = node("div", "alert-body");
    body.append(head, node("p", "", "message"), node("p", "todo", "todo"));
    li.append(body, node("div", "alert-action", "action"));
    return li;
  }
  function ackedLabel() {
    const span = node("span", "acked", "", "Acknowledged");
    span.tabIndex = -1;
    return span;
  }
  function ackButton(a) {
    const b = node("button", "btn", "", "Acknowledge");
    b.type = "button";
    b.dataset.ack = String(a.incident_id);
    b.setAttribute("aria-label", "Acknowledge: " + a.label);
    return b;
  }
  function updateRow(li, a) {
    li.className = "alert level-" + a.level;
    setField(li, "badge", a.badge);
    setField(li, "label", a.label);
    setField(li, "since", a.since);
    setField(li, "message", a.message);
    setField(li, "todo", a.todo);
    const id = a.incident_id;
    if (busy.has(id)) return;
    const action = li.querySelector('[data-field="action"]');
    const done = a.acknowledged || acked.has(id);
    const want = a.can_acknowledge && !done ? "button:" + id : done && a.status === "firing" ? "acked" : "none";
    const button = action.querySelector("button[data-ack]");
    const have = button ? "button:" + button.dataset.ack : action.querySelector(".acked") ? "acked" : "none";
    if (want === have) return;
    if (want === "acked") action.replaceChildren(ackedLabel());
    else if (want === "none") action.replaceChildren();
    else action.replaceChildren(ackButton(a));
  }
  function renderActive(alerts) {
    const list = $("alerts");
    $("alerts-card").hidden = alerts.length === 0;
    const rows = new Map();
    for (const li of list.children) rows.set(li.dataset.key, li);
    const order = alerts.map((a) => {
      const li = rows.get(a.key) || makeRow(a.key);
      rows.delete(a.key);
      updateRow(li, a);
      return li;
    });
    for (const li of rows.values()) li.remove();
    // The server's order, moving only rows that are out of place.
    order.forEach((li, i) => { if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null); });
  }

  async function acknowledge(button) {
    const id = Number(button.dataset.ack);
    if (!id || busy.has(id)) return;
    busy.add(id);
    const hadFocus = document.activeElement === button;
    button.disabled = true;
    button.textContent = "Acknowledging…";
    try {
      await RM.api("api/v1/alerts/" + id + "/ack", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      acked.add(id);
      const done = ackedLabel();
      button.parentElement.replaceChildren(done);
      if (hadFocus) done.focus();
      RM.clearNotice("alerts");
      RM.toast("Acknowledged: no more notifications for this alert until it resolves.");
      if (RM.view === "details") refreshDetails();
    } catch (e) {
      button.disabled = false;
      button.textContent = "Acknowledge";
      RM.notice("Could not acknowledge the alert: " + e.message, e.hint, "alerts");
    } finally {
      busy.delete(id);
    }
  }

  // ---- Details: recent incidents and the rules, from api/v1/alerts and api/v1/alerts/rules.
  // Loaded when the view opens, again when the live stream shows the active set changed,
  // and every minute while the view stays open.
  const when = (ms) => new Date(ms).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  const RESOLUTIONS = { recovered: "recovered", no_data: "no data", rule_removed: "rule removed" };
  const SOURCES = { default: "built in", default_changed: "built in, changed in the options", options: "added in the options" };

  // Series ids and rule names wrap after a "." or "_", never inside a word (<wbr>, unlike a
  // zero-width space, stays out of copied text).
  function ident(text, className) {
    const span = node("span", "ident" + (className ? " " + className : ""));
    for (const part of text.split(/(?<=[._/])/)) span.append(part, document.createElement("wbr"));
    return span;
  }
  function twoLines(main, sub) {
    const wrap = node("span");
    wrap.append(main);
    if (sub) wrap.append(sub);
    return wrap;
  }
  function threshold(v, unit) {
    return v === null || v === undefined ? "–" : F.value(v, unit);
  }
  function summary(active) {
    const firing = active.filter((a) => a.status === "firing");
    const acknowledged = firing.filter((a) => a.acknowledged).length;
    const pending = active.length - firing.length;
    if (!active.length) return "Nothing is firing or pending.";
    const parts = [firing.length + " firing" + (acknowledged ? " (" + acknowledged + " acknowledged)" : "")];
    if (pending) parts.push(pending + " pending");
    return parts.join(", ") + ". The overview lists them with what to try.";
  }
  function renderHistory(data) {
    $("alert-summary").textContent = summary(data.active);
    RM.table($("alert-history"), {
      caption: "Recent alert incidents",
      rows: data.recent,
      empty: "No alert has fired yet.",
      columns: [
        { key: "label", label: "Alert", render: (r) => twoLines(r.label, ident(r.rule, "sub")) },
        { key: "target", label: "Target", render: (r) => r.target || "host" },
        { key: "fired_ms", label: "Started", render: (r) => when(r.fired_ms) },
        { key: "resolved_ms", label: "Ended", render: (r) => (r.resolved_ms ? when(r.resolved_ms) : "ongoing") },
        { key: "peak", label: "Peak", num: true, render: (r) => F.value(r.peak, r.unit) + " (" + r.severity + ")" },
        { key: "notifications", label: "Notifications", num: true },
        { key: "resolution", label: "Resolution", render: (r) => RESOLUTIONS[r.resolution] || "–" },
        { key: "acknowledged_ms", label: "Acknowledged", render: (r) => (r.acknowledged_ms ? when(r.acknowledged_ms) : "no") },
      ],
    });
  }
  function renderRules(rules) {
    RM.table($("alert-rules"), {
      caption: "Alert rules in effect",
      rows: rules,
      empty: "No alert rules.",
      columns: [
        { key: "metric", label: "Metric", render: (r) => twoLines(ident(r.metric), ident(r.name + (r.enabled ? "" : " (turned off)"), "sub")) },
        { key: "direction", label: "Direction" },
        { key: "warn", label: "Warn", num: true, render: (r) => threshold(r.warn, r.unit) },
        { key: "critical", label: "Critical", num: true, render: (r) => threshold(r.critical, r.unit) },
        { key: "clear", label: "Clear", num: true, render: (r) => threshold(r.clear, r.unit) },
        { key: "for", label: "For", num: true },
        { key: "cooldown", label: "Cooldown", num: true },
        { key: "severity", label: "Severity" },
        { key: "source", label: "Source", render: (r) => SOURCES[r.source] || r.source },
        { key: "targets", label: "Watches", render: (r) => (r.targets.length ? ident(r.targets.join(", ")) : "nothing yet") },
      ],
    });
  }

  let detailsTimer = 0;
  async function refreshDetails() {
    clearTimeout(detailsTimer);
    if (RM.view !== "details") return;
    try {
      const [alerts, rules] = await Promise.all([RM.api("api/v1/alerts?limit=20"), RM.api("api/v1/alerts/rules")]);
      renderHistory(alerts);
      renderRules(rules.rules);
    } catch (e) {
      $("alert-summary").textContent = "The alerts could not be loaded: " + e.message + (e.hint ? " " + e.hint : "");
    }
    detailsTimer = setTimeout(refreshDetails, 60000);
  }

  // What changes the history: an alert appearing, firing, being acknowledged or ending.
  let signature = null;
  function onSnapshot(ev) {
    const alerts = ev.overview.alerts || [];
    renderActive(alerts);
    const now = alerts.map((a) => a.key + ":" + a.status + ":" + a.incident_id + ":" + a.acknowledged).join(",");
    if (signature !== null && now !== signature && RM.view === "details") refreshDetails();
    signature = now;
  }

  $("alerts").addEventListener("click", (e) => {
    const button = e.target.closest("button[data-ack]");
    if (button) acknowledge(button);
  });
  document.addEventListener("rm:view", (e) => { if (e.detail === "details") refreshDetails(); });
  RM.onSnapshot(onSnapshot);
  if (RM.view === "details") refreshDetails();
})();
