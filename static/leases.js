// Leases in Details: a capacity bar per resource, the granted leases and the queue, and
// holders using more than they leased. Read from api/v1/leases while Details is shown.
"use strict";
(function () {
  const RM = window.RM;
  const $ = (id) => document.getElementById(id);
  const F = RM.fmt;

  const el = RM.el;
  function amounts(r) {
    const parts = [];
    if (r.cpu_cores > 0) parts.push(r.cpu_cores + " cores");
    if (r.memory_mb > 0) parts.push(r.memory_mb + " MB");
    for (const [pool, n] of Object.entries(r.slots || {})) parts.push(n + " × " + pool);
    return parts.join(", ") || "a place only";
  }
  // One bar: what is held of a resource, as a <meter> with the numbers beside it.
  function bar(label, used, total, unit) {
    const row = el("div", "lease-bar");
    const name = el("span", "lease-bar-name", label);
    const meter = el("meter");
    meter.min = 0;
    meter.max = Math.max(total, 0.0001);
    meter.value = Math.min(used, meter.max);
    meter.high = meter.max * 0.8;
    meter.optimum = 0;
    meter.setAttribute("aria-label", label + " leased");
    const text = el("span", "lease-bar-text", (+used.toFixed(3)) + " of " + (+total.toFixed(3)) + (unit ? " " + unit : ""));
    row.append(name, meter, text);
    return row;
  }

  function render(data) {
    const now = Date.now() / 1000;
    const c = data.capacity, a = data.available;
    const bars = $("lease-bars");
    const list = [
      bar("CPU", c.cpu_cores - a.cpu_cores, c.cpu_cores, "cores"),
      // Leased memory, not memory in use: what may be leased now is in the note below.
      bar("Memory", data.leases.reduce((sum, l) => sum + l.resources.memory_mb, 0), c.memory_mb, "MB"),
      bar("Leases at once", c.max_concurrent - a.concurrent, c.max_concurrent, ""),
    ];
    for (const [pool, size] of Object.entries(c.slots)) list.push(bar("Slots '" + pool + "'", size - (a.slots[pool] || 0), size, ""));
    bars.replaceChildren(...list);
    $("lease-note").textContent = "Memory: " + a.memory_mb + " MB may be leased now (available memory minus the " + c.memory_reserve_mb + " MB reserve). Leases are cooperative: nothing is throttled.";

    const over = new Map((data.overruns || []).map((o) => [o.holder, o]));
    RM.table($("lease-list"), {
      caption: "Granted leases",
      rows: data.leases,
      empty: "No lease is held.",
      columns: [
        { key: "holder", label: "Holder", render: (l) => l.holder + (over.has(l.holder) ? " ⚠ overrun" : "") },
        { key: "resources", label: "Amounts", render: (l) => amounts(l.resources) },
        { key: "priority", label: "Priority" },
        { key: "granted_at", label: "Age", num: true, render: (l) => F.duration(now - l.granted_at) },
        { key: "expires_at", label: "Time left", num: true, render: (l) => (l.revoke_at ? "revoked in " + F.duration(l.revoke_at - now) : F.duration(l.expires_at - now)) },
      ],
    });
    RM.table($("lease-queue"), {
      caption: "Queued requests",
      rows: data.queue,
      empty: "Nothing is waiting.",
      columns: [
        { key: "position", label: "#", num: true },
        { key: "holder", label: "Holder" },
        { key: "resources", label: "Amounts", render: (l) => amounts(l.resources) },
        { key: "priority", label: "Priority" },
        { key: "created_at", label: "Waiting", num: true, render: (l) => F.duration(now - l.created_at) },
        { key: "wait_until", label: "Gives up in", num: true, render: (l) => F.duration(l.wait_until - now) },
      ],
    });
    const overruns = $("lease-overruns");
    overruns.hidden = over.size === 0;
    overruns.replaceChildren(...[...over.values()].map((o) => el("li", "", o.holder + ": " + describe(o))));
  }
  function describe(o) {
    const parts = [];
    if (o.cpu_cores) parts.push("uses " + o.cpu_cores[0].toFixed(2) + " cores of " + o.cpu_cores[1] + " leased");
    if (o.memory_mb) parts.push("uses " + o.memory_mb[0] + " MB of " + o.memory_mb[1] + " MB leased");
    return parts.join(" and ");
  }

  let timer = 0;
  async function refresh() {
    clearTimeout(timer);
    if (RM.view !== "details") return;
    try {
      render(await RM.api("api/v1/leases"));
    } catch (e) {
      $("lease-note").textContent = "The leases could not be loaded: " + e.message + (e.hint ? " " + e.hint : "");
    }
    timer = setTimeout(refresh, 5000);
  }
  document.addEventListener("rm:view", (e) => { if (e.detail === "details") refresh(); });
  if (RM.view === "details") refresh();
})();
