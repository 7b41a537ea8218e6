// The Storage section (Details): what takes the data disk, from api/v1/storage (the
// Supervisor's hourly walk), with each part's growth over the week and the month and the data
// disk's forecast naming what grows fastest. Loaded when Details opens, then every minute.
"use strict";
(function () {
  const RM = window.RM;
  const $ = (id) => document.getElementById(id);
  const box = $("storage");
  if (!box) return;
  const F = RM.fmt;
  let timer = null;

  // "+1.2 GB (since 3 Dec)" when the history is shorter than the window.
  function grew(g) {
    if (!g) return "–";
    const sign = g.bytes > 0 ? "+" : g.bytes < 0 ? "−" : "";
    const text = sign + F.bytes(Math.abs(g.bytes));
    if (g.whole) return text;
    return text + " (since " + new Date(g.since_ms).toLocaleDateString([], { day: "numeric", month: "short" }) + ")";
  }

  function rowsOf(view) {
    const used = view.used_bytes || 0;
    const row = (r, kind) => ({
      name: r.name, kind, bytes: r.bytes, share: used > 0 ? (r.bytes / used) * 100 : null,
      week: r.week, month: r.month, id: r.id,
    });
    // Each add-on's folder below the parts; "Add-on data" stays as their sum.
    return view.parts.map((r) => row(r, "part")).concat(view.addons.map((r) => row(r, "add-on")));
  }

  function outlookText(view) {
    const o = view.outlook;
    if (!o) return "No forecast of the data disk yet.";
    let text = o.summary;
    if (o.fastest) text += " Fastest growing: " + o.fastest.name + " (+" + F.bytes(o.fastest.bytes_per_day) + " a day).";
    return text;
  }

  function render(view) {
    const note = $("storage-note");
    const parts = [];
    if (view.walked_at_ms) parts.push("Walked by the Supervisor at " + F.hm(view.walked_at_ms) + ".");
    if (view.note) parts.push(view.note);
    if (view.recorder_db_bytes != null) parts.push("Recorder database: " + F.bytes(view.recorder_db_bytes) + ".");
    note.textContent = parts.join(" ");
    const outlook = $("storage-outlook");
    outlook.hidden = !view.available;
    outlook.textContent = view.available ? outlookText(view) : "";
    RM.table(box, {
      caption: "What takes the data disk",
      empty: view.available ? "The walk listed nothing." : "No breakdown of the data disk.",
      sort: { key: "bytes", dir: "desc" },
      columns: [
        { key: "name", label: "Part", sortable: true },
        { key: "kind", label: "Kind", sortable: true },
        { key: "bytes", label: "Size", num: true, sortable: true, render: (r) => F.bytes(r.bytes) },
        { key: "share", label: "Share of used", num: true, render: (r) => (r.share == null ? "–" : r.share.toFixed(1) + " %") },
        { key: "week", label: "Last 7 days", num: true, sortValue: (r) => (r.week ? r.week.bytes : null), sortable: true, render: (r) => grew(r.week) },
        { key: "month", label: "Last 30 days", num: true, sortValue: (r) => (r.month ? r.month.bytes : null), sortable: true, render: (r) => grew(r.month) },
      ],
      rows: rowsOf(view),
    });
    box.dataset.loaded = "true";
  }

  async function load() {
    clearTimeout(timer);
    if (RM.view !== "details") return;
    try {
      render(await RM.api("api/v1/storage"));
    } catch (e) {
      $("storage-note").textContent = "The storage breakdown could not be loaded: " + e.message;
    }
    timer = setTimeout(load, 60000);
  }

  document.addEventListener("rm:view", (e) => { if (e.detail === "details") load(); });
  if (RM.view === "details") load();
})();
