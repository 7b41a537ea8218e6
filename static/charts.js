// History chart with uPlot (static/vendor, MIT). The library loads only when the chart comes
// into view, so it never delays the first paint of the overview.
"use strict";
(function () {
  const RM = window.RM;
  const $ = (id) => document.getElementById(id);
  const assetV = document.body.dataset.assetV || "";

  // Each range reads the tier that has enough detail without sending more points than a
  // screen has pixels (7 days of minutes is the largest: 10 080 points a series).
  const RANGES = {
    "1h": { span: 3600, res: "raw", label: "raw readings" },
    "24h": { span: 86400, res: "1m", label: "1-minute averages" },
    "7d": { span: 7 * 86400, res: "1m", label: "1-minute averages" },
    "30d": { span: 30 * 86400, res: "1h", label: "1-hour averages" },
    "1y": { span: 365 * 86400, res: "1h", label: "1-hour averages" },
  };
  const STEP = { raw: 0, "1m": 60, "1h": 3600 };
  let topic = "cpu", range = "1h", plot = null, seq = 0, started = false, current = null;
  // The host whose series the chart shows: "local" (this box) or a remote host, whose ids
  // carry its name in front ("nas:cpu.usage").
  let host = "local";
  const onHost = (id) => {
    const colon = id.indexOf(":"), dot = id.indexOf(".");
    const remote = colon > 0 && (dot < 0 || colon < dot) ? id.slice(0, colon) : "local";
    return remote === host;
  };

  // Chart topics of the chosen host: a few that people look for first, then every series.
  function topics() {
    const series = RM.state.series;
    const prefix = host === "local" ? "" : host + ":";
    const ids = Object.keys(series).filter(onHost);
    const list = [];
    const add = (key, label, members) => {
      members = members.map((m) => (m.startsWith(prefix) ? m : prefix + m));
      if (members.length && members.every((m) => series[m])) list.push({ key, label, members, unit: series[members[0]].unit });
    };
    add("cpu", "CPU usage", ["cpu.usage"]);
    add("memory", "Memory used", ["memory.used_percent"]);
    add("load", "Load average", ["load.1m", "load.5m", "load.15m"]);
    add("temp", "Temperature (hottest)", ["temp.max_celsius"]);
    for (const full of ids) {
      const id = full.slice(prefix.length);
      const labels = series[full].labels || {};
      if (id.startsWith("disk.") && id.endsWith(".used_percent")) add("disk:" + labels.mount, "Disk " + labels.mount + " used", [id]);
      if (id.startsWith("net.") && id.endsWith(".rx_bytes_per_second") && labels.kind !== "loopback") {
        add("net:" + labels.interface, "Network " + labels.interface, [id, id.replace(/rx_bytes_per_second$/, "tx_bytes_per_second")]);
      }
      if (id.startsWith("addon.") && id.endsWith(".memory_bytes")) add("addon:" + id, "Add-on " + id.slice(6, -13) + " memory", [id]);
      if (id === "host.up") add("up", "Reachable", [id]);
    }
    const curated = new Set(list.flatMap((t) => t.members));
    const rest = ids.filter((id) => !curated.has(id)).sort().map((id) => ({ key: "series:" + id, label: id, members: [id], unit: series[id].unit, other: true }));
    return list.concat(rest);
  }

  let topicKey = "";
  function fillSelect() {
    const all = topics();
    const key = all.map((t) => t.key).join("|");
    if (key === topicKey) return;
    topicKey = key;
    const select = $("chart-metric");
    const main = document.createElement("optgroup");
    main.label = "Common";
    const other = document.createElement("optgroup");
    other.label = "Every series";
    for (const t of all) {
      const o = document.createElement("option");
      o.value = t.key;
      o.textContent = t.label;
      (t.other ? other : main).append(o);
    }
    select.replaceChildren(main, other);
    select.value = all.some((t) => t.key === topic) ? topic : "cpu";
  }

  let uplotLoading = null;
  function loadUPlot() {
    if (window.uPlot) return Promise.resolve();
    if (uplotLoading) return uplotLoading;
    uplotLoading = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = "static/vendor/uPlot.min.css?v=" + assetV;
      document.head.append(css);
      const s = document.createElement("script");
      s.src = "static/vendor/uPlot.iife.min.js?v=" + assetV;
      s.onload = () => resolve();
      s.onerror = () => { uplotLoading = null; reject(new Error("chart library failed to load")); };
      document.head.append(s);
    });
    return uplotLoading;
  }

  // The API's columns as uPlot's; a null after a gap keeps the line from bridging downtime.
  function columns(t, v, step) {
    let gap = step * 2.5;
    if (!step && t.length > 2) {
      const diffs = [];
      for (let i = 1; i < Math.min(t.length, 50); i++) diffs.push(t[i] - t[i - 1]);
      diffs.sort((a, b) => a - b);
      gap = diffs[diffs.length >> 1] * 3;
    }
    const xs = [], ys = [];
    for (let i = 0; i < t.length; i++) {
      if (i > 0 && gap > 0 && t[i] - t[i - 1] > gap) { xs.push(t[i - 1] + 1); ys.push(null); }
      xs.push(t[i]);
      ys.push(v[i]);
    }
    return [xs, ys];
  }

  const MIN_SPAN_S = 120;

  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  const PALETTE = ["--primary", "--warning", "--ok"];

  function axisValue(v, unit) {
    if (v === null) return "";
    if (unit === "percent") return v.toFixed(0) + " %";
    if (unit === "bytes") return RM.fmt.bytes(v);
    if (unit === "bytes_per_second") return RM.fmt.bytes(v) + "/s";
    if (unit === "celsius") return v.toFixed(0) + " °C";
    return String(+v.toFixed(2));
  }

  function options(t, width) {
    const fg = css("--muted"), line = css("--line");
    const axis = { stroke: fg, grid: { stroke: line, width: 1 }, ticks: { stroke: line, width: 1 } };
    return {
      width,
      height: 240,
      pxAlign: 0,
      cursor: { drag: { x: true, y: false } },
      // A few seconds of history (a fresh start) would get millisecond ticks; show 2 min at least.
      scales: { x: { time: true, range: (u, min, max) => (min == null || max == null ? [min, max] : [Math.min(min, max - MIN_SPAN_S), max]) }, y: t.unit === "percent" ? { range: [0, 100] } : { auto: true } },
      axes: [axis, Object.assign({}, axis, { size: 64, values: (u, vals) => vals.map((v) => axisValue(v, t.unit)) })],
      series: [{}].concat(t.members.map((id, i) => ({
        label: t.members.length > 1 ? id.split(".").slice(-1)[0].replace(/_bytes_per_second$/, "").replace(/^rx$/, "in").replace(/^tx$/, "out") : t.label,
        stroke: css(PALETTE[i % PALETTE.length]),
        width: 1.5,
        fill: t.members.length === 1 ? css("--primary") + "22" : undefined,
        points: { show: false },
        spanGaps: false,
        value: (u, v) => RM.fmt.value(v, t.unit),
      }))),
    };
  }

  async function draw() {
    if (!started) return;
    fillSelect();
    const t = topics().find((x) => x.key === topic) || topics()[0];
    if (!t) { $("chart-note").textContent = "Waiting for the first reading…"; return; }
    const my = ++seq;
    const r = RANGES[range];
    const el = $("chart");
    const note = $("chart-note");
    note.textContent = "Loading " + t.label.toLowerCase() + " for the last " + range + "…";
    el.setAttribute("aria-busy", "true");
    try {
      const now = Math.floor(Date.now() / 1000);
      const fetchStart = performance.now();
      const [histories] = await Promise.all([
        Promise.all(t.members.map((id) => RM.api("api/v1/metrics/" + encodeURIComponent(id) + "/history?from=" + (now - r.span) + "&to=" + (now + 1) + "&resolution=" + r.res + "&format=columns"))),
        loadUPlot(),
      ]);
      const ahead = await forecast(t, r);
      if (my !== seq) return;
      const fetchMs = performance.now() - fetchStart;
      const t0 = performance.now();
      const tables = histories.map((h) => columns(h.t, h.v, STEP[r.res]));
      let data = tables.length === 1 ? tables[0] : window.uPlot.join(tables);
      const opts = options(t, el.clientWidth || 600);
      if (ahead) data = withForecast(data, ahead, opts, t);
      if (plot) { plot.destroy(); plot = null; }
      el.replaceChildren();
      plot = new window.uPlot(opts, data, el);
      const points = histories.reduce((n, h) => n + h.t.length, 0);
      // uPlot draws synchronously on creation; the next frame shows it on screen.
      const renderMs = performance.now() - t0;
      el.dataset.points = String(points);
      el.dataset.renderMs = renderMs.toFixed(1);
      el.dataset.fetchMs = fetchMs.toFixed(1);
      el.dataset.topic = t.key;
      el.dataset.range = range;
      el.setAttribute("aria-label", t.label + ", last " + range + ", " + points + " points");
      current = { t, data, live: range === "1h" };
      note.textContent = points
        ? points.toLocaleString() + " points (" + r.label + "). Drag across the chart to zoom; double-click to reset."
        : "No history in this range yet: it fills as Resource Manager runs.";
    } catch (e) {
      if (my !== seq) return;
      note.textContent = "The chart could not be loaded: " + e.message + (e.hint ? " " + e.hint : "");
    } finally {
      if (my === seq) el.removeAttribute("aria-busy");
    }
  }

  // A forecast line with its 80 % band after the history, a quarter of the range ahead, for
  // single-series topics that have a forecast (what fills: disks, memory, add-on memory).
  async function forecast(t, r) {
    if (t.members.length !== 1 || r.span < 86400) return null;
    const known = (RM.analysis && RM.analysis.forecasts) || [];
    if (!known.some((f) => f.series === t.members[0])) return null;
    try {
      return await RM.api("api/v1/forecasts/" + encodeURIComponent(t.members[0]) + "?horizon=" + Math.round(r.span / 4));
    } catch (e) {
      return null;
    }
  }

  function withForecast(data, ahead, opts, t) {
    const n = data[0].length;
    const xs = data[0].concat(ahead.points.map((p) => p.t));
    const pad = (col, from) => col.concat(new Array(xs.length - col.length).fill(null)).map((v, i) => (i < from ? null : v));
    const hist = data[1].concat(new Array(ahead.points.length).fill(null));
    const value = pad(new Array(n).fill(null).concat(ahead.points.map((p) => p.value)), n);
    const low = pad(new Array(n).fill(null).concat(ahead.points.map((p) => p.low)), n);
    const high = pad(new Array(n).fill(null).concat(ahead.points.map((p) => p.high)), n);
    const stroke = css("--warning");
    opts.series.push(
      { label: "forecast (" + ahead.method.replace("_", " ") + ")", stroke, dash: [6, 4], width: 1.5, points: { show: false }, value: (u, v) => RM.fmt.value(v, t.unit) },
      { label: "low (80 %)", stroke: stroke + "66", width: 1, points: { show: false }, value: (u, v) => RM.fmt.value(v, t.unit) },
      { label: "high (80 %)", stroke: stroke + "66", width: 1, points: { show: false }, value: (u, v) => RM.fmt.value(v, t.unit) },
    );
    opts.bands = [{ series: [4, 3], fill: stroke + "22" }];
    if (opts.scales.y.range) opts.scales.y = { auto: true };
    return [xs, hist, value, low, high];
  }

  // The 1-hour chart moves with the live stream; longer ranges hold averages and stay put.
  function appendLive(ev) {
    if (!plot || !current || !current.live || !ev.ts) return;
    const x = ev.ts / 1000;
    const d = current.data;
    if (d[0].length && x <= d[0][d[0].length - 1]) return;
    d[0].push(x);
    current.t.members.forEach((id, i) => d[i + 1].push(id in ev.values ? ev.values[id] : null));
    while (d[0].length && d[0][0] < x - RANGES["1h"].span) d.forEach((col) => col.shift());
    plot.setData(d);
  }

  function select(newTopic, newRange) {
    if (newTopic) topic = newTopic;
    if (newRange && RANGES[newRange]) range = newRange;
    for (const b of document.querySelectorAll("[data-range]")) b.setAttribute("aria-pressed", String(b.dataset.range === range));
    $("chart-metric").value = topic;
    return draw();
  }
  function chooseHost(name) {
    if (name === host) return Promise.resolve();
    host = name;
    topicKey = "";
    topic = "cpu";
    fillSelect();
    return draw();
  }
  RM.charts = { select, host: chooseHost };

  function start() {
    if (started) return;
    started = true;
    draw();
  }

  $("chart-metric").addEventListener("change", (e) => select(e.target.value));
  for (const b of document.querySelectorAll("[data-range]")) b.addEventListener("click", () => select(null, b.dataset.range));
  RM.onSnapshot((ev) => {
    if (ev.series) fillSelect();
    if (started && !plot && !current && seq === 0) draw();
    appendLive(ev);
  });
  const card = document.querySelector(".chart-card");
  if ("IntersectionObserver" in window) {
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { io.disconnect(); start(); }
    });
    io.observe(card);
  } else {
    start();
  }
  if ("ResizeObserver" in window) {
    new ResizeObserver(() => { if (plot) plot.setSize({ width: $("chart").clientWidth, height: 240 }); }).observe($("chart"));
  }
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => { if (plot) draw(); });
})();
