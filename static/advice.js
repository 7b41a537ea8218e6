// Recommendations: the top three on the overview with their action, all of them with their
// evidence, the recorder snippet and the audit log in Details. Actions are dry runs unless the
// add-on options enable the kind; the server decides, this only asks.
"use strict";
(function () {
  const RM = window.RM;
  const $ = (id) => document.getElementById(id);
  const F = RM.fmt;

  const el = RM.el;
  function saving(s) {
    const parts = [];
    if (s.memory_bytes) parts.push(F.bytes(s.memory_bytes) + " memory" + (s.memory_percent ? " (" + s.memory_percent.toFixed(1) + " %)" : ""));
    if (s.cpu_percent) parts.push(s.cpu_percent.toFixed(1) + " % CPU");
    if (s.disk_bytes) parts.push(F.bytes(s.disk_bytes) + " disk");
    if (s.disk_days) parts.push(s.disk_days.toFixed(1) + " days of disk");
    if (s.watts) parts.push(s.watts.toFixed(1) + " W" + (s.cost_per_month ? " (" + s.cost_per_month.toFixed(2) + " a month)" : ""));
    return parts.join(", ") || "—";
  }
  async function post(path, body) {
    return RM.api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }
  async function act(r, dryRun, button) {
    const a = r.action;
    if (!dryRun && !window.confirm(a.kind + " add-on " + a.addon + "?")) return;
    button.disabled = true;
    try {
      const d = await post("api/v1/actions", { kind: a.kind, addon: a.addon, dry_run: dryRun, recommendation_id: r.id });
      RM.toast(d.result === "done" ? "Done: " + a.kind + " " + a.addon + ". Its effect is measured in 10 minutes." : (d.detail || "Dry run."));
    } catch (e) {
      RM.toast(e.message);
    }
    button.disabled = false;
    refresh();
  }
  async function setState(r, what, button) {
    button.disabled = true;
    try {
      await post("api/v1/recommendations/" + encodeURIComponent(r.id) + "/" + what, what === "snooze" ? { duration: "1d" } : {});
    } catch (e) {
      RM.toast(e.message);
    }
    refresh();
  }
  // One recommendation: title, saving and confidence, the evidence, the buttons.
  function item(r, allowed, withEvidence) {
    const li = el("li", "rec");
    li.append(el("strong", "", r.title));
    li.append(el("div", "muted small", "Saves " + saving(r.saving) + " · confidence " + Math.round(r.confidence * 100) + " %" + (r.state !== "open" ? " · " + r.state : "")));
    if (withEvidence && r.evidence.length) {
      const ul = el("ul", "small");
      for (const e of r.evidence) ul.append(el("li", "", e.label + ": " + e.value + (e.series ? " (" + e.series + ")" : "")));
      li.append(ul);
    }
    if (withEvidence && r.snippet) {
      li.append(el("p", "small", "Paste into configuration.yaml (merge with an existing recorder: section), then restart Home Assistant:"));
      li.append(el("pre", "snippet", r.snippet));
    }
    const buttons = el("div", "rec-buttons");
    if (r.action && r.state === "open") {
      const enabled = allowed.includes(r.action.kind);
      const dry = el("button", "btn", "Dry run: " + r.action.kind);
      dry.type = "button";
      dry.addEventListener("click", () => act(r, true, dry));
      buttons.append(dry);
      if (enabled) {
        const go = el("button", "btn primary", r.action.kind[0].toUpperCase() + r.action.kind.slice(1) + " " + r.action.addon);
        go.type = "button";
        go.addEventListener("click", () => act(r, false, go));
        buttons.append(go);
      }
    }
    if (r.state === "open") {
      for (const [what, label] of [["snooze", "Snooze a day"], ["dismiss", "Dismiss"]]) {
        const b = el("button", "btn", label);
        b.type = "button";
        b.addEventListener("click", () => setState(r, what, b));
        buttons.append(b);
      }
    }
    li.append(buttons);
    return li;
  }
  function effectiveness(e) {
    if (!e.measured) return "No action measured yet.";
    return Math.round(e.share * 100) + " % of " + e.measured + " measured action(s) reached at least half their estimated saving.";
  }
  function render(recs, audit) {
    const allowed = recs.actions.allowed || [];
    const open = recs.recommendations.filter((r) => r.state === "open");
    const top = $("recs-top");
    top.replaceChildren(...open.slice(0, 3).map((r) => item(r, allowed, false)));
    $("recs-empty").hidden = open.length > 0;
    if (RM.view !== "details" || !audit) return;
    const all = $("recs-all");
    all.replaceChildren(...recs.recommendations.map((r) => item(r, allowed, true)));
    $("recs-all-empty").hidden = recs.recommendations.length > 0;
    $("recs-effect").textContent = effectiveness(audit.effectiveness) + (allowed.length ? " Enabled actions: " + allowed.join(", ") + "." : " No action kind is enabled: every action is a dry run (option actions.allowed).");
    RM.table($("actions-log"), {
      caption: "Action audit",
      rows: audit.actions,
      empty: "No action decided yet.",
      columns: [
        { key: "at_ms", label: "When", render: (a) => new Date(a.at_ms).toLocaleString() },
        { key: "kind", label: "Action", render: (a) => a.kind + " " + a.addon },
        { key: "origin", label: "By" },
        { key: "result", label: "Result", render: (a) => a.result + (a.detail ? ": " + a.detail : "") },
        { key: "reason", label: "Why" },
        { key: "estimate_memory", label: "Estimate", render: (a) => (a.estimate_memory ? F.bytes(a.estimate_memory) : a.estimate_cpu ? a.estimate_cpu.toFixed(1) + " % CPU" : "—") },
        { key: "freed_memory", label: "Measured", render: (a) => (a.freed_memory === null || a.freed_memory === undefined ? (a.measure_at_ms ? "pending" : "—") : F.bytes(a.freed_memory) + ", " + (a.saved_cpu || 0).toFixed(1) + " % CPU" + (a.effective === true ? " ✓" : a.effective === false ? " ✗" : "")) },
      ],
    });
  }

  let timer = 0;
  async function refresh() {
    clearTimeout(timer);
    try {
      const recs = await RM.api("api/v1/recommendations");
      const audit = RM.view === "details" ? await RM.api("api/v1/actions?limit=50") : null;
      render(recs, audit);
    } catch (e) {
      $("recs-empty").textContent = "Recommendations could not be loaded: " + e.message;
      $("recs-empty").hidden = false;
    }
    timer = setTimeout(refresh, 30000);
  }
  document.addEventListener("rm:view", () => refresh());
  refresh();
})();
