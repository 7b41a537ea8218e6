//! The report's Markdown: the facts table, key metrics, hosts and the list of findings, in a
//! fixed order so the same input always gives the same text; scrubbed before it is returned.

use super::metrics::key_metrics;
use super::redact::scrub;
use crate::config::Mode;
use crate::model::{Severity, Snapshot, Unit};
use crate::web::about::HostInfo;
use crate::web::feedback::FeedbackSummary;
use crate::web::format::{format_bytes, format_duration, format_utc_minute, format_value};
use crate::web::page::HostLine;
use crate::web::summary::Overview;
use crate::web::view_notes;

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
