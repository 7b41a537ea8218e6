// Refreshes the values table from the status API. Relative URLs keep it working under Ingress.
"use strict";
(function () {
  const fmtBytes = (v) => {
    const units = ["B", "KB", "MB", "GB", "TB", "PB"];
    let i = 0;
    while (Math.abs(v) >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return i === 0 ? v.toFixed(0) + " B" : v.toFixed(1) + " " + units[i];
  };
  const fmt = (id, v) => {
    if (id.endsWith("_percent") || id === "cpu.usage" || id === "cpu.iowait" || id === "cpu.steal" || /^cpu\.core\d+\.usage$/.test(id)) return v.toFixed(1) + " %";
    if (id.endsWith("_bytes_per_second")) return fmtBytes(v) + "/s";
    if (id.endsWith("_bytes")) return fmtBytes(v);
    if (id.endsWith("celsius")) return v.toFixed(1) + " °C";
    if (id.endsWith("_total")) return v.toFixed(0);
    if (id === "system.uptime_seconds") return Math.floor(v / 3600) + " h " + Math.floor((v % 3600) / 60) + " min";
    return v.toFixed(2);
  };
  async function refresh() {
    try {
      const res = await fetch("api/v1/status", { cache: "no-store" });
      if (!res.ok) throw new Error("HTTP " + res.status);
      const s = await res.json();
      const status = document.getElementById("status");
      status.textContent = s.status === "ok" ? "All sources OK" : s.status === "starting" ? "Starting…" : "Degraded: " + s.degraded_sources.join(", ");
      status.classList.toggle("degraded", s.status === "degraded");
      const body = document.getElementById("values");
      for (const [id, v] of Object.entries(s.values)) {
        let row = body.querySelector('tr[data-id="' + CSS.escape(id) + '"]');
        if (!row) {
          row = document.createElement("tr");
          row.dataset.id = id;
          const th = document.createElement("th");
          th.scope = "row";
          th.textContent = id;
          row.append(th, document.createElement("td"));
          body.append(row);
        }
        row.lastElementChild.textContent = fmt(id, v);
      }
    } catch (e) {
      const status = document.getElementById("status");
      status.textContent = "Cannot reach Resource Manager (" + e.message + "). Is the add-on running?";
      status.classList.add("degraded");
    }
  }
  setInterval(refresh, 5000);
})();
