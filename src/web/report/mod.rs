//! "Copy Resource Status": a Markdown report for a forum post or an issue
//! (`GET /api/v1/status.md`, and the dashboard's copy button).
//!
//! The text is meant to be pasted in public, so it is built from an allow-list of facts and
//! then scrubbed: known secrets, the host name, IP addresses, URLs, e-mail addresses, network
//! host names and long token-like strings are replaced with `[redacted]`.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::feedback::FeedbackSummary;
use super::format::{format_bytes, format_duration, format_utc_minute, format_value};
use super::page::HostLine;
use super::summary::Overview;
use super::view_notes;
use super::{AppState, HostInfo, VERSION};
use crate::config::Mode;
use crate::model::Severity;
use crate::model::{Snapshot, Unit};

mod redact;

pub use redact::{REDACTED, scrub};

/// Everything the report is made of; built by the handler, rendered by [`render`].
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    pub version: &'a str,
    pub mode: Mode,
    pub host: &'a HostInfo,
    pub app_uptime_seconds: u64,
    pub snapshot: &'a Snapshot,
    pub overview: &'a Overview,
    /// (name, state in words), e.g. ("Home Assistant", "not connected").
    pub links: Vec<(&'static str, String)>,
    pub feedback: Option<FeedbackSummary>,
    /// Whether per-add-on readings can exist (Supervisor configured).
    pub supervisor: bool,
    /// Exact strings that must never appear (tokens, the host name).
    pub secrets: Vec<String>,
    /// The analysis' lines (label, text): outlook, health, bottleneck, forecast accuracy.
    pub analysis: Vec<(&'static str, String)>,
    /// Every host (this box first) with its state and headline values; a table when there is
    /// more than this box (ADR 0014).
    pub hosts: Vec<HostLine>,
}

/// The report as Markdown; the same input always gives the same text.
pub fn render(input: &ReportInput<'_>) -> String {
    let s = input.snapshot;
    let mut out = String::with_capacity(2048);
    let mut line = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    line("### Resource Manager status");
    line("");
    let taken = if s.ts_ms > 0 {
        format_utc_minute(s.ts_ms)
    } else {
        "before the first reading".into()
    };
    line(&format!("**Status:** {} ({taken})", input.overview.line));
    line("");
    line("| | |");
    line("|---|---|");
    let mode = match input.mode {
        Mode::Addon => "add-on",
        Mode::Standalone => "standalone",
    };
    line(&format!(
        "| Resource Manager | {} ({mode}) |",
        input.version
    ));
    let h = input.host;
    line(&format!(
        "| System | {} · kernel {} · {} |",
        h.os, h.kernel, h.arch
    ));
    if !h.cpu_model.is_empty() {
        line(&format!(
            "| Processor | {} ({} cores) |",
            h.cpu_model, h.cores
        ));
    }
    let host_up = s
        .value("system.uptime_seconds")
        .map_or_else(|| "unknown".into(), format_duration);
    line(&format!(
        "| Uptime | host {host_up} · Resource Manager {} |",
        format_duration(input.app_uptime_seconds as f64)
    ));
    line(&format!(
        "| Views | processes: {} · network: {} |",
        view_notes::words(s.views.processes),
        view_notes::words(s.views.network)
    ));
    for (name, state) in &input.links {
        line(&format!("| {name} | {state} |"));
    }
    line("");
    line("**Key metrics**");
    line("");
    line("| Metric | Value |");
    line("|---|---|");
    for (name, value) in key_metrics(s) {
        line(&format!("| {name} | {value} |"));
    }
    line("");
    if input.hosts.len() > 1 {
        line("**Hosts**");
        line("");
        line("| Host | State | Values |");
        line("|---|---|---|");
        for h in &input.hosts {
            line(&format!("| {} | {} | {} |", h.name, h.state, h.values));
        }
        line("");
    }
    let degraded: Vec<String> = s
        .degraded()
        .map(|d| match &d.error {
            Some(e) => format!("{} ({e})", d.source),
            None => d.source.to_string(),
        })
        .collect();
    line(&format!(
        "- **Degraded sources:** {}",
        if degraded.is_empty() {
            "none".into()
        } else {
            degraded.join("; ")
        }
    ));
    let attention: Vec<String> = input
        .overview
        .attention
        .iter()
        // Firing alerts have their own line below.
        .filter(|a| a.level > Severity::Ok && !a.alert)
        .map(|a| format!("{} ({})", a.what, a.level.as_str()))
        .collect();
    line(&format!(
        "- **Needs attention:** {}",
        if attention.is_empty() {
            "nothing".into()
        } else {
            attention.join("; ")
        }
    ));
    line(&format!(
        "- **Top add-ons by memory:** {}",
        top_addons(input)
    ));
    line(&format!(
        "- **Active alerts:** {}",
        active_alerts(input.overview)
    ));
    for (label, text) in &input.analysis {
        line(&format!("- **{label}:** {text}"));
    }
    line("- **Recommendations:** none (recommendations are not part of this version)");
    if let Some(f) = input.feedback.filter(|f| f.votes_30d > 0) {
        let pct = |v: Option<f64>| v.map_or_else(|| "–".into(), |p| format!("{p:.0} %"));
        line(&format!(
            "- **Satisfaction:** {} over 7 days ({} votes), {} over 30 days ({} votes)",
            pct(f.satisfaction_7d),
            f.votes_7d,
            pct(f.satisfaction_30d),
            f.votes_30d
        ));
    }
    line("");
    line(
        "<sub>Copied from the Resource Manager dashboard. Tokens, addresses and host names are left out.</sub>",
    );
    scrub(&out, &input.secrets)
}

/// `Memory in use (warning, 93.2 %, since 2026-11-27 14:11 UTC, acknowledged); …`.
fn active_alerts(overview: &Overview) -> String {
    if overview.alerts.is_empty() {
        return "none".into();
    }
    overview
        .alerts
        .iter()
        .map(|a| {
            let mut facts = vec![a.badge.to_lowercase(), a.value.clone()];
            if let Some(at) = a.since_ms {
                facts.push(format!("since {}", format_utc_minute(at)));
            }
            if a.acknowledged {
                facts.push("acknowledged".into());
            }
            format!("{} ({})", a.label, facts.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn key_metrics(s: &Snapshot) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let v = |id: &str| s.value(id);
    let pct = |p: f64| format_value(p, Unit::Percent);
    if let Some(cpu) = v("cpu.usage") {
        let mut text = pct(cpu);
        if let (Some(a), Some(b), Some(c)) = (v("load.1m"), v("load.5m"), v("load.15m")) {
            text.push_str(&format!(" · load {a:.2} / {b:.2} / {c:.2}"));
        }
        if let Some(w) = v("cpu.iowait") {
            text.push_str(&format!(" · iowait {}", pct(w)));
        }
        rows.push(("CPU".into(), text));
    }
    if let (Some(u), Some(t), Some(p)) = (
        v("memory.used_bytes"),
        v("memory.total_bytes"),
        v("memory.used_percent"),
    ) {
        rows.push((
            "Memory".into(),
            format!("{} of {} ({})", format_bytes(u), format_bytes(t), pct(p)),
        ));
    }
    if let (Some(u), Some(t)) = (v("swap.used_bytes"), v("swap.total_bytes"))
        && t > 0.0
    {
        rows.push((
            "Swap".into(),
            format!("{} of {}", format_bytes(u), format_bytes(t)),
        ));
    }
    for sample in s
        .samples
        .iter()
        .filter(|x| x.series.family == "disk.used_percent")
    {
        let mount = sample.label("mount");
        let used = v(&format!("disk.{mount}.used_bytes"));
        let total = v(&format!("disk.{mount}.total_bytes"));
        let text = match (used, total) {
            (Some(u), Some(t)) => format!(
                "{} of {} ({})",
                format_bytes(u),
                format_bytes(t),
                pct(sample.value)
            ),
            _ => pct(sample.value),
        };
        rows.push((format!("Disk {mount}"), text));
    }
    if let Some(wear) = v(crate::model::registry::DISK_LIFE_TIME.pattern) {
        rows.push((
            "Data disk wear".into(),
            format!("{} of its rated life used", pct(wear)),
        ));
    }
    if let Some(written) = v(crate::model::registry::ENGINE_DISK_WRITES.pattern) {
        rows.push((
            "Own disk writes".into(),
            format!("{} a day (last hour)", format_bytes(written)),
        ));
    }
    for sample in s
        .samples
        .iter()
        .filter(|x| x.series.family == "net.rx_bytes_per_second")
        .filter(|x| x.label("kind") != "loopback")
    {
        let iface = sample.label("interface");
        let kind = sample.label("kind");
        if kind == "virtual" && sample.value == 0.0 {
            continue;
        }
        let tx = v(&format!("net.{iface}.tx_bytes_per_second")).unwrap_or(0.0);
        rows.push((
            format!("Network {iface}"),
            format!(
                "in {} · out {}",
                format_value(sample.value, Unit::BytesPerSecond),
                format_value(tx, Unit::BytesPerSecond)
            ),
        ));
    }
    rows.push((
        "Temperature".into(),
        v("temp.max_celsius").map_or_else(
            || "not available".into(),
            |t| format!("{} (hottest sensor)", format_value(t, Unit::Celsius)),
        ),
    ));
    if let Some(power) = s.samples.iter().find(|x| x.series.id.starts_with("power.")) {
        rows.push((
            "Power".into(),
            format!("{:.1} {}", power.value, power.series.unit.symbol())
                .trim_end()
                .to_string(),
        ));
    }
    rows
}

fn top_addons(input: &ReportInput<'_>) -> String {
    let mut addons: Vec<(&str, f64)> = input
        .snapshot
        .samples
        .iter()
        .filter_map(|x| {
            let slug = x
                .series
                .id
                .strip_prefix("addon.")?
                .strip_suffix(".memory_bytes")?;
            Some((slug, x.value))
        })
        .collect();
    if addons.is_empty() {
        return if input.supervisor {
            "no per-add-on readings yet".into()
        } else {
            "not available (no Supervisor connection)".into()
        };
    }
    addons.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    addons
        .iter()
        .take(5)
        .map(|(slug, mem)| {
            let cpu = input
                .snapshot
                .value(&format!("addon.{slug}.cpu_percent"))
                .map(|c| format!(", CPU {}", format_value(c, Unit::Percent)))
                .unwrap_or_default();
            format!("{slug} {}{cpu}", format_bytes(*mem))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Link states in words, from the configuration (the HA integration reports live states
/// in `/api/v1/status` `links` once it exists).
fn links(state: &AppState) -> Vec<(&'static str, String)> {
    let word = |configured: bool| {
        if configured {
            "configured".to_string()
        } else {
            "not connected".to_string()
        }
    };
    let config = &state.inner.parts.config;
    let write = state.inner.parts.store.write_status();
    let history = match &write.failure {
        Some(failure) => format!(
            "{} ({} readings waiting, {} failed attempts)",
            failure.headline(),
            state.inner.parts.store.pending_ticks(),
            failure.attempts
        ),
        None => "saving".to_string(),
    };
    let mut rows = vec![
        ("Home Assistant", word(config.home_assistant.is_some())),
        ("Supervisor", word(config.supervisor.is_some())),
        ("History", history),
    ];
    for notice in state.inner.parts.store.notices() {
        rows.push(("History notice", notice.message));
    }
    if let Some(status) = &state.inner.parts.links.remote_write {
        let w = crate::util::lock(status).clone();
        let mut text = match &w.last_error {
            Some(error) => format!("failing ({error}, {} attempts)", w.failures),
            None => "sending".to_string(),
        };
        text.push_str(&format!(
            ", {} samples sent, {} batches waiting on disk",
            w.sent_samples, w.buffered_batches
        ));
        if w.dropped_samples + w.rejected_samples > 0 {
            text.push_str(&format!(
                ", {} samples dropped (buffer full), {} refused",
                w.dropped_samples, w.rejected_samples
            ));
        }
        rows.push(("Remote write", text));
    }
    rows
}

/// Strings that must never leave the box: the tokens this process knows and its host name.
fn secrets(state: &AppState) -> Vec<String> {
    let config = &state.inner.parts.config;
    let mut list: Vec<String> = Vec::new();
    if let Some(ha) = &config.home_assistant {
        list.push(ha.token.expose().to_string());
    }
    if let Some(sup) = &config.supervisor {
        list.push(sup.token.expose().to_string());
    }
    if let Some(token) = &config.api_token {
        list.push(token.expose().to_string());
    }
    // The default names say nothing about the user; replacing them would mangle paths.
    if let Ok(host) = sysinfo::System::host_name()
        && !matches!(host.as_str(), "" | "localhost" | "homeassistant")
    {
        list.push(host);
    }
    list
}

/// `/api/v1/status.md`.
/// The analysis in the report's words; before the first run, one line saying so.
pub fn analysis_lines(report: &crate::analysis::runner::Report) -> Vec<(&'static str, String)> {
    if report.made_ms == 0 {
        return vec![("Outlook", "not analysed yet".into())];
    }
    let f = &report.findings;
    let mut outlook: Vec<String> = f
        .forecasts
        .iter()
        .filter(|x| x.eta_seconds.is_some() || x.resource == "disk")
        .map(|x| x.summary.clone())
        .collect();
    outlook.extend(f.leaks.iter().map(|l| l.summary.clone()));
    let mut out = vec![(
        "Outlook",
        if outlook.is_empty() {
            "nothing fills or leaks".into()
        } else {
            outlook.join("; ")
        },
    )];
    if let Some(h) = &f.health {
        let parts: Vec<String> = h
            .parts
            .iter()
            .map(|p| format!("{} −{:.0}", p.name, p.points))
            .collect();
        out.push((
            "Health score",
            if parts.is_empty() {
                format!("{:.0}/100", h.score)
            } else {
                format!("{:.0}/100 ({})", h.score, parts.join(", "))
            },
        ));
    }
    if let Some(b) = &f.bottleneck {
        out.push(("Bottleneck", b.evidence.join("; ")));
    }
    out.push((
        "Anomalies",
        match f.anomalies.len() {
            0 => "none".into(),
            n => format!("{n} series (highest score {:.1})", f.anomaly_score),
        },
    ));
    let accuracy: Vec<String> = report
        .backtests
        .kinds
        .iter()
        .map(|k| {
            format!(
                "{}: {:.0} % of outcomes inside the 80 % interval over {} cases (least squares {:.0} %)",
                k.method.as_str(),
                k.ours.coverage * 100.0,
                k.ours.cases,
                k.baseline.coverage * 100.0
            )
        })
        .collect();
    out.push((
        "Forecast accuracy",
        if accuracy.is_empty() {
            "not measured yet".into()
        } else {
            accuracy.join("; ")
        },
    ));
    out
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/status.md", get(markdown))
}

/// `GET /api/v1/status.md`: the report as `text/markdown`.
pub async fn markdown(State(state): State<AppState>) -> impl IntoResponse {
    let snapshot = state.latest();
    let overview = state.overview(&snapshot);
    let feedback = match state.feedback_summary().await {
        Ok(f) => Some(f),
        Err(err) => {
            tracing::warn!(error = %err, "feedback numbers unavailable for the report");
            None
        }
    };
    let input = ReportInput {
        version: VERSION,
        mode: state.inner.parts.config.mode,
        host: &state.inner.parts.host,
        app_uptime_seconds: state.uptime_seconds(),
        snapshot: &snapshot,
        overview: &overview,
        links: links(&state),
        feedback,
        supervisor: state.inner.parts.config.supervisor.is_some(),
        secrets: secrets(&state),
        analysis: analysis_lines(&state.analysis().report()),
        hosts: state.host_cards().iter().map(HostLine::of).collect(),
    };
    (
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render(&input),
    )
}

#[cfg(test)]
mod tests;
