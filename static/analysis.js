// The analysis on the dashboard: the outlook lines on the overview, forecasts, leaks,
// anomalies, bottleneck and health under Details, backtest coverage under Diagnostics. The
// sentences come from the server (one wording for the page, the API and the status report).
"use strict";
(function () {
  const RM = window.RM;
  const $ = (id) => document.getElementById(id);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const pct = (x) => (x * 100).toFixed(0) + " %";

  function table(head, rows) {
    const t = el("table", undefined, "data");
    const tr = el("tr");
    head.forEach((h) => tr.append(el("th", h)));
    const thead = el("thead");
    thead.append(tr);
    const body = el("tbody");
    rows.forEach((r) => {
      const row = el("tr");
      r.forEach((c) => row.append(el("td", c)));
      body.append(row);
    });
    t.append(thead, body);
    return t;
  }

  function outlook(forecasts, leaks) {
    const list = $("outlook");
    const items = [];
    for (const f of forecasts) {
      if (f.eta_seconds !== null || f.resource === "disk") items.push({ text: f.summary, level: f.eta_seconds !== null && f.eta_seconds < 7 * 86400 ? "warning" : "info" });
    }
    for (const l of leaks) items.push({ text: l.summary, level: "warning" });
    list.replaceChildren(...items.map((i) => { const li = el("li", undefined, "level-" + i.level); li.append(el("span", i.text)); return li; }));
    $("outlook-empty").hidden = items.length > 0;
  }

  function details(f, l, a, b, h) {
    const fc = $("forecasts");
    fc.replaceChildren(f.forecasts.length
      ? table(["Forecast", "Model", "Trend a day", "Confidence"], f.forecasts.map((x) => [x.summary, x.method.replace("_", " "), RM.fmt.value(x.slope_per_day, x.unit), pct(x.confidence)]))
      : el("p", "No forecast yet.", "empty"));
    $("leaks").replaceChildren(l.leaks.length
      ? table(["Suspect", "Evidence"], l.leaks.map((x) => [x.summary, new Date(x.from * 1000).toLocaleString() + " – " + new Date(x.to * 1000).toLocaleString()]))
      : el("p", "None: no memory grows underneath its usual ups and downs.", "empty"));
    $("anomalies").replaceChildren(a.anomalies.length
      ? table(["Series", "Score", "Profile", "Flagged"], a.anomalies.slice(0, 10).map((x) => [x.series, x.score.toFixed(1), x.profile.replace("_", " "), x.intervals.length + " interval(s)"]))
      : el("p", "None: every series behaves like its own profile.", "empty"));
    const bn = b.bottleneck;
    if (bn) {
      const words = { none: "Not busy", cpu: "CPU-bound", memory: "Memory-bound (swapping)", io: "Waiting for disks", thermal: "Thermal limit" };
      const box = el("div");
      box.append(el("p", (words[bn.kind] || bn.kind) + (bn.culprit ? ": " + bn.culprit : "")));
      const ul = el("ul", undefined, "muted small");
      bn.evidence.forEach((e) => ul.append(el("li", e)));
      box.append(ul);
      $("bottleneck").replaceChildren(box);
    }
    const hs = h.health;
    if (hs) {
      const box = el("div");
      box.append(el("p", hs.score.toFixed(0) + " of 100"));
      const ul = el("ul", undefined, "muted small");
      hs.parts.forEach((p) => ul.append(el("li", p.name + ": −" + p.points.toFixed(0) + " (" + p.reason + ")")));
      if (!hs.parts.length) ul.append(el("li", "Nothing deducted."));
      box.append(ul);
      $("health").replaceChildren(box);
    }
  }

  function backtests(bt) {
    const a = bt.analysis || {};
    $("analysis-run").textContent = a.made_ms
      ? "Last analysis " + new Date(a.made_ms).toLocaleTimeString() + ": " + a.series + " series, " + a.cpu_ms.toFixed(0) + " ms CPU, " + a.load_ms.toFixed(0) + " ms reading the history" + (a.error ? "; last error: " + a.error : "") + "."
      : "The analysis has not run yet.";
    const reliable = (m) => (bt.reliability || []).some((r) => r.method === m && r.reliable);
    const rows = bt.kinds.map((k) => [k.method.replace("_", " "), String(k.series), String(k.calibrated.cases), pct(k.calibrated.coverage), pct(k.ours.coverage), pct(k.baseline.coverage), k.ours.relative_error.toFixed(3), k.baseline.relative_error.toFixed(3), reliable(k.method) ? "yes" : "no"]);
    $("backtests").replaceChildren(rows.length
      ? table(["Kind", "Series", "Cases", "Calibrated coverage", "Model's band", "Least squares", "Error", "Least squares error", "Reliable"], rows)
      : el("p", "No backtest yet: it needs some history (it runs every 6 hours).", "empty"));
    const d = bt.anomaly_days || { days: 0 };
    $("anomaly-days").textContent = d.days
      ? "Anomaly flags here: " + d.flagged + " of " + d.days + " series-days (" + pct(d.flagged / d.days) + ") over the last week, " + d.series + " series, each day judged on the days before it (no incident labels here, so an upper bound of false flags)."
      : "Anomaly flags here: not measured yet (a series needs two days of history).";
    $("reference").replaceChildren(...(bt.reference || []).map((r) => el("li", r.what + ": " + r.figure + ". Data: " + r.data + ".")));
    const cal = bt.kinds.filter((k) => k.calibrated.cases).map((k) => k.method.replace("_", " ") + " " + pct(k.calibrated.coverage) + " of " + k.calibrated.cases + " outcomes" + (reliable(k.method) ? " (reliable)" : ""));
    $("outlook-evidence").textContent = cal.length
      ? "Forecast intervals, calibrated on this box's history: the 80 % interval held " + cal.join(", ") + ". See Diagnostics."
      : "Forecast intervals are the models' own until this box has history enough to check them (Diagnostics).";
  }

  async function refresh() {
    try {
      const [f, l, a, b, h, bt] = await Promise.all(["forecasts", "leaks", "anomalies", "bottleneck", "health", "backtests"].map((p) => RM.api("api/v1/" + p)));
      RM.analysis = { forecasts: f.forecasts };
      if (f.made_ms) {
        outlook(f.forecasts, l.leaks);
        details(f, l, a, b, h);
      }
      backtests(bt);
    } catch (e) {
      // The next refresh tries again; the rest of the page does not depend on this.
    }
  }
  refresh();
  setInterval(refresh, 60000);
})();
