// Details (admins) and Diagnostics (developers): tables built from the live snapshot and,
// for Diagnostics, from api/v1/diagnostics and api/v1/status.
"use strict";
(function () {
  const RM = window.RM;
  const $ = (id) => document.getElementById(id);
  const F = RM.fmt;

  // ---- A small table builder; sortable columns keep their order across live updates.
  const sortState = new WeakMap();
  function table(container, spec) {
    if (!spec.rows.length) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = spec.empty;
      container.replaceChildren(p);
      return;
    }
    let sort = sortState.get(container) || spec.sort || null;
    const rows = spec.rows.slice();
    if (sort) {
      const col = spec.columns.find((c) => c.key === sort.key);
      const val = (r) => (col && col.sortValue ? col.sortValue(r) : r[sort.key]);
      rows.sort((a, b) => {
        const x = val(a), y = val(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * (sort.dir === "asc" ? 1 : -1);
      });
    }
    const focusedKey = container.contains(document.activeElement) ? document.activeElement.dataset.sortKey : null;
    const t = document.createElement("table");
    t.className = "data";
    if (spec.caption) {
      const cap = document.createElement("caption");
      cap.className = "visually-hidden";
      cap.textContent = spec.caption;
      t.append(cap);
    }
    const head = t.createTHead().insertRow();
    for (const c of spec.columns) {
      const th = document.createElement("th");
      th.scope = "col";
      if (c.num) th.className = "num";
      if (c.sortable) {
        th.setAttribute("aria-sort", sort && sort.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : "none");
        const b = document.createElement("button");
        b.type = "button";
        b.className = "sort";
        b.dataset.sortKey = c.key;
        b.textContent = c.label;
        b.addEventListener("click", () => {
          const cur = sortState.get(container) || spec.sort || {};
          const dir = cur.key === c.key && cur.dir === "desc" ? "asc" : "desc";
          sortState.set(container, { key: c.key, dir });
          table(container, spec);
        });
        th.append(b);
      } else {
        th.textContent = c.label;
      }
      head.append(th);
    }
    const body = t.createTBody();
    for (const r of rows) {
      const tr = body.insertRow();
      spec.columns.forEach((c, i) => {
        const cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) cell.scope = "row";
        if (c.num) cell.className = "num";
        const content = c.render ? c.render(r) : r[c.key];
        if (content instanceof Node) cell.append(content);
        else cell.textContent = content === null || content === undefined ? "–" : String(content);
        tr.append(cell);
      });
    }
    // Live updates rebuild the table: keep where the user scrolled a wide table to.
    const scrolled = container.scrollLeft;
    container.replaceChildren(t);
    container.scrollLeft = scrolled;
    if (focusedKey) {
      const again = container.querySelector('[data-sort-key="' + focusedKey + '"]');
      if (again) again.focus();
    }
  }
  RM.table = table;

  function minibar(pct, text) {
    const wrap = document.createElement("span");
    wrap.append(text);
    const bar = document.createElement("span");
    bar.className = "minibar";
    bar.setAttribute("aria-hidden", "true");
    const fill = document.createElement("span");
    fill.style.width = Math.max(0, Math.min(100, pct || 0)).toFixed(1) + "%";
    bar.append(fill);
    wrap.append(bar);
    return wrap;
  }

  // Series grouped by instance label: { "/data": { used_percent: 41, ... } }.
  function group(values, prefix, label) {
    const out = {};
    for (const id of Object.keys(values)) {
      if (!id.startsWith(prefix)) continue;
      const meta = RM.state.series[id] || {};
      const labels = meta.labels || {};
      const name = labels[label];
      if (!name) continue;
      const metric = id.slice(id.lastIndexOf(".") + 1);
      (out[name] = out[name] || { name, kind: labels.kind })[metric] = values[id];
    }
    return Object.values(out);
  }

  // ---- Details
  function addonRows(values) {
    const out = {};
    for (const id of Object.keys(values)) {
      if (!id.startsWith("addon.")) continue;
      const cut = id.lastIndexOf(".");
      const labels = (RM.state.series[id] || {}).labels || {};
      const slug = labels.addon || id.slice("addon.".length, cut);
      (out[slug] = out[slug] || { name: slug })[id.slice(cut + 1)] = values[id];
    }
    return Object.values(out).map((r) => Object.assign(r, { growth: growth[r.name] ? growth[r.name].bytes : null }));
  }

  // Each add-on's power (its share of the busy CPU) and, with an energy price, its cost per
  // month: cost.per_month / power.watts is the price of one watt for a month.
  function powerColumns(v) {
    if (!Object.keys(v).some((id) => id.endsWith(".power_watts"))) return [];
    const cols = [{ key: "power_watts", label: "Power", num: true, sortable: true, render: (r) => F.value(r.power_watts, "watts") }];
    const cost = v["cost.per_month"], watts = v["power.watts"];
    if (cost !== undefined && watts > 0) {
      const currency = ((RM.state.series["cost.per_month"] || {}).labels || {}).currency || "";
      cols.push({ key: "power_watts", label: "Cost / month", num: true, render: (r) => (r.power_watts === undefined ? "–" : (r.power_watts * cost / watts).toFixed(2) + " " + currency) });
    }
    return cols;
  }

  // Memory growth over 24 h per add-on, from the hourly history; refreshed every 5 minutes.
  const growth = {};
  let growthAt = 0;
  async function refreshGrowth(values) {
    if (Date.now() - growthAt < 300000) return;
    growthAt = Date.now();
    const now = Math.floor(Date.now() / 1000);
    const ids = Object.keys(values).filter((id) => id.startsWith("addon.") && id.endsWith(".memory_bytes"));
    await Promise.all(ids.map(async (id) => {
      try {
        const h = await RM.api("api/v1/metrics/" + encodeURIComponent(id) + "/history?from=" + (now - 86400) + "&to=" + (now + 1) + "&resolution=1h&format=columns");
        const slug = id.slice("addon.".length, id.lastIndexOf("."));
        growth[slug] = { bytes: h.v.length >= 2 ? h.v[h.v.length - 1] - h.v[0] : null };
      } catch (e) { /* growth stays unknown; the table says "–" */ }
    }));
    if (RM.view === "details" && RM.state.event) renderDetails(RM.state.event);
  }

  // Restarts over the last day and week, from each add-on's stored restart counter (hourly
  // means over 7 days, refreshed every 5 minutes): the sum of its rises; a counter that went
  // back is Resource Manager's own restart, from which it counts from zero again.
  const restarts = {};
  let restartsAt = 0;
  function rises(points) {
    let total = 0;
    for (let i = 1; i < points.length; i++) {
      const d = points[i] - points[i - 1];
      total += d >= 0 ? d : points[i];
    }
    return total;
  }
  async function refreshRestarts(values) {
    if (Date.now() - restartsAt < 300000) return;
    restartsAt = Date.now();
    const now = Math.floor(Date.now() / 1000);
    const ids = Object.keys(values).filter((id) => id.startsWith("addon.") && id.endsWith(".restarts_total"));
    await Promise.all(ids.map(async (id) => {
      try {
        const h = await RM.api("api/v1/metrics/" + encodeURIComponent(id) + "/history?from=" + (now - 7 * 86400) + "&to=" + (now + 1) + "&resolution=1h&format=columns");
        const slug = id.slice("addon.".length, id.lastIndexOf("."));
        const week = h.v.concat([values[id]]);
        const dayFrom = h.t.findIndex((t) => t >= now - 86400);
        const day = dayFrom < 0 ? [values[id]] : h.v.slice(Math.max(0, dayFrom - 1)).concat([values[id]]);
        restarts[slug] = { day: Math.round(rises(day)), week: Math.round(rises(week)) };
      } catch (e) { /* the table shows the count since start instead */ }
    }));
    if (RM.view === "details" && RM.state.event) renderDetails(RM.state.event);
  }
  function restartsText(r) {
    const seen = restarts[r.name];
    if (r.restarts_total === undefined && !seen) return "–";
    const base = seen ? seen.day + " / " + seen.week : r.restarts_total.toFixed(0) + " since start";
    return base + (r.restarts_last_hour ? " (" + r.restarts_last_hour.toFixed(0) + " in 1 h)" : "");
  }

  const signed = (v) => (v === null || v === undefined ? "–" : (v >= 0 ? "+" : "−") + F.bytes(Math.abs(v)));

  // The server words the notes on the views; the add-on table leads when a host table is partial.
  function viewNotes(n) {
    for (const [id, text] of [["procs-note", n.processes], ["ifaces-note", n.network]]) {
      $(id).textContent = text || "";
      $(id).hidden = !text;
    }
    const card = $("addons-card");
    if (n.addons_first !== ($("view-details").firstElementChild === card)) {
      if (n.addons_first) $("view-details").prepend(card); else $("d-advice-h").parentElement.after(card);
    }
  }

  function renderDetails(ev) {
    const v = ev.values;
    const addons = addonRows(v);
    const supervisor = RM.status && RM.status.links ? RM.status.links.supervisor : null;
    const connected = supervisor && (typeof supervisor === "string" ? supervisor !== "not_configured" : supervisor.state !== "not_configured");
    table($("addons"), {
      caption: "Add-ons",
      rows: addons,
      empty: connected
        ? "No per-add-on readings yet: they appear once the Supervisor reports them."
        : "Not available: per-add-on readings need the Supervisor connection (Resource Manager running as a Home Assistant add-on).",
      sort: { key: "memory_bytes", dir: "desc" },
      columns: [
        { key: "name", label: "Add-on", sortable: true },
        { key: "cpu_percent", label: "CPU", num: true, sortable: true, render: (r) => F.value(r.cpu_percent, "percent") },
        { key: "memory_bytes", label: "Memory", num: true, sortable: true, render: (r) => F.value(r.memory_bytes, "bytes") },
        { key: "growth", label: "Growth 24 h", num: true, sortable: true, render: (r) => signed(r.growth) },
        // Restarts over the last day and week (from the stored counter), with the last hour's
        // (a loop); the count since Resource Manager started until the history is read.
        { key: "restarts_total", label: "Restarts 24 h / 7 d", num: true, sortable: true, render: restartsText },
        // Its data folder on the data disk (the Supervisor's hourly walk).
        { key: "data_bytes", label: "Data on disk", num: true, sortable: true, render: (r) => F.value(r.data_bytes, "bytes") },
      ].concat(powerColumns(v)),
    });
    if (addons.length) {
      refreshGrowth(v);
      refreshRestarts(v);
    }
    if (ev.notes) viewNotes(ev.notes);

    const cores = Object.keys(v).filter((id) => /^cpu\.core\d+\.usage$/.test(id))
      .map((id) => ({ core: Number(id.split(".")[1].slice(4)), usage: v[id] }))
      .sort((a, b) => a.core - b.core);
    table($("cores"), {
      caption: "Processor cores",
      rows: cores,
      empty: "No per-core readings.",
      columns: [
        { key: "core", label: "Core", render: (r) => "Core " + r.core },
        { key: "usage", label: "Usage", num: true, render: (r) => minibar(r.usage, F.value(r.usage, "percent")) },
      ],
    });

    const temps = group(v, "temp.", "sensor");
    table($("temps"), {
      caption: "Temperatures",
      rows: temps,
      empty: "No temperature sensor is readable on this machine.",
      sort: { key: "celsius", dir: "desc" },
      columns: [
        { key: "name", label: "Sensor", sortable: true },
        { key: "celsius", label: "Temperature", num: true, sortable: true, render: (r) => F.value(r.celsius, "celsius") },
      ],
    });

    // The data disk (what holds the history; /data and its siblings in an add-on) is marked,
    // with the Supervisor's own figures and the disk's wear where the host reports them.
    const dataDisk = RM.status ? RM.status.data_disk : null;
    const mounts = group(v, "disk.", "mount");
    for (const r of mounts) r.data = !!dataDisk && r.name === dataDisk.mount;
    const note = $("data-disk-note");
    const wear = v["disk.life_time_used_percent"];
    const host = dataDisk ? dataDisk.host : null;
    const parts = [];
    if (dataDisk) parts.push("Data disk: " + dataDisk.mount + " (holds " + dataDisk.data_dir + ")");
    if (host && host.total_gb !== null && host.free_gb !== null) parts.push("the Supervisor reports " + host.free_gb + " GB free of " + host.total_gb + " GB");
    if (typeof wear === "number") parts.push("wear " + F.value(wear, "percent") + " of its rated life");
    note.textContent = parts.join(" · ");
    note.hidden = !parts.length;
    table($("mounts"), {
      caption: "Disks",
      rows: mounts,
      empty: "No filesystem could be read.",
      sort: { key: "used_percent", dir: "desc" },
      columns: [
        { key: "name", label: "Mount", sortable: true, render: (r) => r.data ? r.name + " (data disk)" : r.name },
        { key: "used_percent", label: "Used", num: true, sortable: true, render: (r) => minibar(r.used_percent, F.value(r.used_percent, "percent")) },
        { key: "free_bytes", label: "Free", num: true, sortable: true, render: (r) => F.value(r.free_bytes, "bytes") },
        { key: "total_bytes", label: "Size", num: true, sortable: true, render: (r) => F.value(r.total_bytes, "bytes") },
        { key: "read_bytes_per_second", label: "Read", num: true, sortable: true, render: (r) => F.value(r.read_bytes_per_second, "bytes_per_second") },
        { key: "write_bytes_per_second", label: "Write", num: true, sortable: true, render: (r) => F.value(r.write_bytes_per_second, "bytes_per_second") },
      ],
    });

    table($("ifaces"), {
      caption: "Network interfaces",
      rows: group(v, "net.", "interface"),
      empty: "No network interface could be read.",
      sort: { key: "rx_bytes_per_second", dir: "desc" },
      columns: [
        { key: "name", label: "Interface", sortable: true },
        { key: "kind", label: "Kind", sortable: true },
        { key: "rx_bytes_per_second", label: "In", num: true, sortable: true, render: (r) => F.value(r.rx_bytes_per_second, "bytes_per_second") },
        { key: "tx_bytes_per_second", label: "Out", num: true, sortable: true, render: (r) => F.value(r.tx_bytes_per_second, "bytes_per_second") },
        { key: "errors", label: "Errors", num: true, sortable: true, sortValue: (r) => (r.rx_errors_total || 0) + (r.tx_errors_total || 0),
          render: (r) => F.value((r.rx_errors_total || 0) + (r.tx_errors_total || 0), "count") },
      ],
    });

    const p = RM.state.processes;
    const procs = new Map();
    if (p) for (const x of [...p.by_cpu, ...p.by_memory]) procs.set(x.pid, x);
    table($("procs"), {
      caption: "Top processes",
      rows: [...procs.values()],
      empty: "The process list is read every few seconds; it appears shortly.",
      sort: { key: "cpu_percent", dir: "desc" },
      columns: [
        { key: "name", label: "Process", sortable: true },
        { key: "pid", label: "PID", num: true, sortable: true },
        { key: "cpu_percent", label: "CPU", num: true, sortable: true, render: (r) => F.value(r.cpu_percent, "percent") },
        { key: "memory_bytes", label: "Memory", num: true, sortable: true, render: (r) => F.value(r.memory_bytes, "bytes") },
      ],
    });
  }

  // ---- Diagnostics
  function kv(container, pairs) {
    table(container, {
      rows: pairs.filter((p) => p[1] !== undefined).map(([k, val]) => ({ k, val })),
      empty: "Nothing to show.",
      columns: [{ key: "k", label: "Item" }, { key: "val", label: "Value" }],
    });
  }
  function linkWords(v) {
    if (v === null || v === undefined) return "not connected";
    if (typeof v === "string") return v === "not_configured" ? "not connected" : v.replace(/_/g, " ");
    let text = String(v.state || "unknown").replace(/_/g, " ");
    if (text === "not configured") text = "not connected";
    if (v.last_error) text += " (last error: " + v.last_error + ")";
    return text;
  }
  const when = (ms) => (ms ? new Date(ms).toLocaleString() : "never");

  function renderDiagnostics(d, s) {
    table($("diag-sources"), {
      caption: "Sources",
      rows: d.sources,
      empty: "No reading yet.",
      columns: [
        { key: "source", label: "Source" },
        { key: "ok", label: "State", render: (r) => {
          const span = document.createElement("span");
          span.className = r.ok ? "ok-text" : "problem-text";
          span.textContent = r.ok ? "OK" : "degraded: " + (r.error || "unknown error");
          return span;
        } },
        { key: "micros", label: "Read time", num: true, render: (r) => r.micros + " µs" },
      ],
    });
    const links = s.links || {};
    const rows = [];
    for (const k of Object.keys(links)) {
      if (k === "hosts") {
        // Remote hosts (ADR 0014): one row each.
        for (const h of links.hosts || []) {
          const state = h.up === null || h.up === undefined ? "not read yet" : h.up ? "up" : "unreachable: " + (h.error || "unknown error");
          rows.push(["Host " + h.name, state + " · " + h.url + " every " + h.interval_seconds + " s · last read " + when(h.last_success_ms)]);
        }
      } else if (k === "remote_write") {
        const w = links.remote_write;
        if (!w) continue;
        let text = (w.last_error ? "failing (" + w.last_error + ")" : "sending") + " · " + w.sent_samples + " samples sent · " +
          w.buffered_batches + " batches (" + RM.fmt.bytes(w.buffered_bytes) + ") waiting on disk";
        if (w.dropped_samples || w.rejected_samples) text += " · " + w.dropped_samples + " dropped (buffer full), " + w.rejected_samples + " refused";
        rows.push(["Remote write " + w.url, text]);
      } else {
        rows.push([k === "home_assistant" ? "Home Assistant" : k === "supervisor" ? "Supervisor" : k, linkWords(links[k])]);
      }
    }
    kv($("diag-links"), rows);
    const e = d.engine;
    kv($("diag-engine"), [
      ["Ticks since start", String(e.ticks)],
      ["Sample interval", s.engine ? s.engine.sample_interval_seconds + " s" : undefined],
      ["Tick CPU time (last · median · p99)", e.last_tick_cpu_micros + " · " + e.tick_cpu_micros_p50 + " · " + e.tick_cpu_micros_p99 + " µs"],
      ["Process scan CPU time", e.last_process_scan_cpu_micros + " µs"],
      ["Samples dropped (store queue full)", String(e.store_queue_full_drops)],
    ]);
    const pw = d.power;
    const methods = { rapl: "measured (RAPL)", hwmon: "measured (hwmon)", model: "modelled from CPU use", none: "no estimate" };
    const from = { os_info: "the Supervisor's /os/info", info_machine: "the Supervisor's /info machine", cpuinfo: "/proc/cpuinfo", device_tree: "the device tree", none: "no source" };
    kv($("diag-power"), pw ? [
      ["Method", methods[pw.method] || pw.method],
      ["Board", (pw.board || "unknown") + " (from " + (from[pw.board_from] || pw.board_from) + ")"],
      ["Preset", pw.preset.replace(/_/g, " ") + (pw.method === "none" ? "" : " · " + pw.idle_watts + " W idle, " + pw.max_watts + " W at full load")],
      ...(pw.reasons || []).map((r) => ["Not used", r]),
    ] : [["Power", "not started"]]);
    const st = d.store;
    const fail = st.write.failure;
    const notices = (st.notices || []).map((n) => [
      "Notice of " + new Date(n.ts_ms).toLocaleString(), n.message,
    ]);
    kv($("diag-store"), [
      ["Saving", fail
        ? "NOT SAVING since " + when(fail.since_ms) + ": " + fail.reason.replace(/_/g, " ")
          + (fail.free_bytes != null ? " (" + F.bytes(fail.free_bytes) + " free)" : "")
          + "; " + fail.attempts + " attempts, next " + when(fail.next_attempt_ms)
        : "OK, saved up to " + when(st.write.saved_until_ms)],
      ...notices,
      ["File", st.path],
      ["Size", F.bytes(st.database_bytes) + " (+ " + F.bytes(st.wal_bytes) + " WAL)"],
      ["Series", String(st.series)],
      ["Raw tier", st.raw_ticks + " ticks in " + st.raw_batches + " batches"],
      ["1-minute tier", st.minute_rows + " hours of 1-minute buckets"],
      ["1-hour tier", st.hour_rows + " hourly rows"],
      ["Waiting to be written", st.pending_ticks + " ticks" + (st.write.dropped_ticks ? " (" + st.write.dropped_ticks + " dropped while writes failed)" : "")],
      ["Last write", when(st.write.last_flush_ms) + " (" + st.write.flushes + " writes, " + st.write.flush_errors + " failed)"],
      ["Own disk writes", st.own_written_bytes_per_day != null ? F.bytes(st.own_written_bytes_per_day) + " a day (last hour, /proc/self/io)" : "not measured yet (needs 5 minutes)"],
      ["Writes by source", (st.writes && st.writes.by_source || []).filter((w) => w[1].commits > 0)
        .map((w) => w[0].replace(/_/g, " ") + " " + w[1].commits + " commits · " + w[1].wal_frames + " pages").join("; ")
        + (st.writes ? "; checkpoints " + st.writes.checkpoints.checkpoints + " · " + st.writes.checkpoints.frames + " pages" : "")],
      ["Rolled up until", when(st.write.rolled_until_ms)],
      ["Last store error", st.write.last_error || "none"],
    ]);
    const h = d.host;
    const versions = [
      ["Resource Manager", d.version + " (" + d.config.mode + ")"],
      ["Operating system", h.os],
      ["Kernel", h.kernel],
      ["Architecture", h.arch],
      ["Processor", h.cpu_model ? h.cpu_model + " (" + h.cores + " cores)" : String(h.cores) + " cores"],
      ["Running for", F.duration(s.uptime_seconds || 0)],
    ];
    for (const k of Object.keys(links)) {
      if (links[k] && typeof links[k] === "object" && links[k].version) versions.push([k === "home_assistant" ? "Home Assistant" : "Supervisor", String(links[k].version)]);
    }
    kv($("diag-versions"), versions);
    const a = d.advice;
    kv($("diag-advice"), a ? [
      ["Open recommendations", String(a.open)],
      ["Last pass", a.pass.runs ? when(a.pass.made_ms) + " (" + a.pass.cpu_ms.toFixed(2) + " ms CPU, " + a.pass.runs + " passes)" : "not yet"],
      ["Effectiveness", a.effectiveness.measured
        ? Math.round(a.effectiveness.share * 100) + " % (" + a.effectiveness.effective + " of " + a.effectiveness.measured + " measured actions reached half their estimate)"
        : "no action measured yet"],
      ["Recorder changes counted", String(a.recorder_writes_counted)],
    ] : [["Advisor", "not running"]]);
    $("diag-options").textContent = JSON.stringify(d.config, null, 2);
    table($("diag-feedback"), {
      caption: "Recent feedback",
      rows: d.recent_feedback,
      empty: "No votes yet.",
      columns: [
        { key: "ts_ms", label: "When", render: (r) => new Date(r.ts_ms).toLocaleString() },
        { key: "thumbs_up", label: "Vote", render: (r) => (r.thumbs_up ? "👍" : "👎") },
        { key: "comment", label: "Comment", render: (r) => r.comment || "–" },
        { key: "metrics", label: "At that moment", render: (r) => {
          const m = r.metrics || {};
          const parts = [];
          if (m.cpu_usage != null) parts.push("CPU " + F.value(m.cpu_usage, "percent"));
          if (m.memory_used_percent != null) parts.push("memory " + F.value(m.memory_used_percent, "percent"));
          if (m.load_5m != null) parts.push("load " + m.load_5m.toFixed(2));
          if (m.status) parts.push("“" + m.status + "”");
          return parts.join(" · ") || "–";
        } },
      ],
    });
    const log = $("diag-log");
    if (!d.recent_log.length) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = "No warnings or errors since Resource Manager started.";
      log.replaceChildren(p);
    } else {
      const ul = document.createElement("ul");
      ul.className = "log";
      for (const l of d.recent_log) {
        const li = document.createElement("li");
        const t = document.createElement("time");
        t.dateTime = new Date(l.ts_ms).toISOString();
        t.textContent = new Date(l.ts_ms).toLocaleString();
        const lvl = document.createElement("strong");
        lvl.className = l.level === "error" ? "problem-text" : "warn-text";
        lvl.textContent = l.level + " ";
        li.append(t, lvl, l.target + ": " + l.message);
        ul.append(li);
      }
      log.replaceChildren(ul);
    }
  }

  let diagTimer = 0;
  async function loadDiagnostics() {
    clearTimeout(diagTimer);
    if (RM.view !== "diagnostics") return;
    try {
      const [d, s] = await Promise.all([RM.api("api/v1/diagnostics"), RM.api("api/v1/status")]);
      RM.status = s;
      renderDiagnostics(d, s);
      RM.clearNotice("diagnostics");
    } catch (e) {
      RM.notice("Diagnostics could not be loaded: " + e.message, e.hint, "diagnostics");
    }
    diagTimer = setTimeout(loadDiagnostics, 10000);
  }
  async function loadStatusOnce() {
    if (RM.status) return;
    try { RM.status = await RM.api("api/v1/status"); } catch (e) { /* the tables say what is missing */ }
  }

  function onView(name) {
    if (name === "details") {
      loadStatusOnce().then(() => { if (RM.state.event) renderDetails(RM.state.event); });
    } else if (name === "diagnostics") {
      loadDiagnostics();
    }
  }
  document.addEventListener("rm:view", (e) => onView(e.detail));
  RM.onSnapshot((ev) => { if (RM.view === "details") renderDetails(ev); });
  onView(RM.view);
})();
