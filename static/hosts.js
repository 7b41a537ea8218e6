// The Hosts card (only with remote hosts): each host's state and headline values, refreshed
// from /api/v1/hosts; choosing a host (its card or the chart's host list) charts its series.
"use strict";
(function () {
  const RM = window.RM;
  const box = document.getElementById("hosts");
  if (!box) return;
  const picker = document.getElementById("chart-host");
  const every = Math.max(2, Number(document.body.dataset.interval) || 5) * 1000;

  function line(h) {
    if (!h.up) return (h.scrape && h.scrape.error) || "not read yet";
    const parts = [];
    const pct = (label, v) => { if (v != null) parts.push(label + " " + v.toFixed(0) + " %"); };
    pct("CPU", h.cpu_percent);
    pct("Memory", h.memory_used_percent);
    pct("Disk", h.disk_used_percent_max);
    if (h.load_1m != null) parts.push("Load " + h.load_1m.toFixed(2));
    if (h.temp_max_celsius != null) parts.push(h.temp_max_celsius.toFixed(0) + " °C");
    return parts.join(" · ");
  }

  function render(hosts) {
    for (const h of hosts) {
      const b = box.querySelector('[data-host="' + CSS.escape(h.name) + '"]');
      if (!b) continue;
      b.className = "host level-" + (h.up ? "ok" : "problem");
      b.querySelector('[data-field="state"]').textContent = h.local ? "this box" : h.up ? "up" : "unreachable";
      b.querySelector('[data-field="values"]').textContent = line(h);
    }
  }

  async function refresh() {
    try {
      render((await RM.api("api/v1/hosts")).hosts || []);
    } catch (e) {
      // The live status line already says when the add-on cannot be reached.
    }
  }

  function choose(name) {
    for (const b of box.querySelectorAll("[data-host]")) b.setAttribute("aria-pressed", String(b.dataset.host === name));
    if (picker) picker.value = name;
    if (RM.charts && RM.charts.host) RM.charts.host(name);
  }

  box.addEventListener("click", (e) => {
    const b = e.target.closest("[data-host]");
    if (b) choose(b.dataset.host);
  });
  if (picker) picker.addEventListener("change", (e) => choose(e.target.value));
  setInterval(refresh, every);
})();
