//! Prometheus text exposition (format 0.0.4) of a snapshot, in base units.

use std::fmt::Write;

use crate::model::{Kind, SeriesMeta, Snapshot, Unit, registry};

/// Content type of the exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Metric name of a series: its family's name in the registry.
pub fn metric_name(meta: &SeriesMeta) -> String {
    registry::of(meta).map_or_else(|| conventional_name(meta), |f| f.prometheus.to_string())
}

/// The name Prometheus conventions give a family: prefixed, base units, `_ratio` for shares,
/// `_total` for counters. Used for series outside the registry; a test checks the registry's
/// names follow it.
fn conventional_name(meta: &SeriesMeta) -> String {
    let mut name = String::from("resource_manager_");
    for c in meta.family.chars() {
        name.push(if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        });
    }
    match meta.unit {
        Unit::Percent => {
            if let Some(stem) = name.strip_suffix("_percent") {
                name = stem.to_string();
            }
            name.push_str("_ratio");
        }
        Unit::Bytes if !name.ends_with("_bytes") => name.push_str("_bytes"),
        Unit::Seconds | Unit::Days
            if !name.ends_with("_seconds") && !name.ends_with("_seconds_total") =>
        {
            name.push_str("_seconds")
        }
        Unit::Celsius if !name.ends_with("_celsius") => name.push_str("_celsius"),
        Unit::Watts if !name.ends_with("_watts") => name.push_str("_watts"),
        _ => {}
    }
    if meta.kind == Kind::Counter && !name.ends_with("_total") {
        name.push_str("_total");
    }
    name
}

/// A series' labels as exposed: its own (`mount`, `interface`, …), then `host` (`local` for
/// this box; ADR 0014). Remote write sends the same.
pub fn labels(meta: &SeriesMeta) -> impl Iterator<Item = (&str, &str)> {
    meta.labels
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(std::iter::once(("host", meta.host_name())))
}

/// The value in base units (percent becomes a 0–1 ratio).
pub fn base_value(meta: &SeriesMeta, value: f64) -> f64 {
    match meta.unit {
        Unit::Percent => value / 100.0,
        Unit::Days => value * 86_400.0,
        _ => value,
    }
}

fn escape_label(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// The store's own health, exposed beside the snapshot.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreHealth {
    /// 1 while history writes fail.
    pub failing: bool,
    pub write_errors: u64,
    pub commits: u64,
    pub pending_ticks: usize,
    pub dropped_ticks: u64,
}

/// Renders every sample of the snapshot, plus source health, the store's health and build info.
pub fn render(snapshot: &Snapshot, store: &StoreHealth, version: &str) -> String {
    let mut out = String::with_capacity(snapshot.samples.len() * 96 + 512);
    // Group by metric name while keeping the snapshot's order of first appearance.
    let mut families: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, sample) in snapshot.samples.iter().enumerate() {
        let name = metric_name(&sample.series);
        match families.iter_mut().find(|(n, _)| *n == name) {
            Some((_, members)) => members.push(i),
            None => families.push((name, vec![i])),
        }
    }
    for (name, members) in &families {
        let first = &snapshot.samples[members[0]].series;
        let kind = if first.kind == Kind::Counter {
            "counter"
        } else {
            "gauge"
        };
        let unit = match first.unit {
            Unit::Percent => " (ratio 0-1)",
            Unit::Bytes => " (bytes)",
            Unit::BytesPerSecond => " (bytes per second)",
            Unit::Celsius => " (degrees Celsius)",
            Unit::Seconds | Unit::Days => " (seconds)",
            Unit::Watts => " (watts)",
            Unit::KilowattHours => " (kilowatt hours)",
            Unit::Money => " (money, currency label)",
            Unit::Count | Unit::Ratio => "",
        };
        let _ = writeln!(out, "# HELP {name} Resource Manager {}{unit}", first.family);
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for &i in members {
            let sample = &snapshot.samples[i];
            out.push_str(name);
            out.push('{');
            for (label, value) in labels(&sample.series) {
                out.push_str(label);
                out.push_str("=\"");
                escape_label(value, &mut out);
                out.push_str("\",");
            }
            out.pop();
            out.push('}');
            let _ = writeln!(out, " {}", base_value(&sample.series, sample.value));
        }
    }
    out.push_str("# HELP resource_manager_source_up Whether a data source was read in the last tick (1) or is degraded (0)\n# TYPE resource_manager_source_up gauge\n");
    for source in &snapshot.sources {
        let _ = writeln!(
            out,
            "resource_manager_source_up{{source=\"{}\"}} {}",
            source.source,
            u8::from(source.ok)
        );
    }
    let _ = write!(
        out,
        "# HELP resource_manager_history_write_failing Whether writing history fails now (1) or works (0)\n\
         # TYPE resource_manager_history_write_failing gauge\n\
         resource_manager_history_write_failing {}\n\
         # HELP resource_manager_history_write_errors_total Failed attempts to write history\n\
         # TYPE resource_manager_history_write_errors_total counter\n\
         resource_manager_history_write_errors_total {}\n\
         # HELP resource_manager_history_commits_total Batches of samples committed to the history\n\
         # TYPE resource_manager_history_commits_total counter\n\
         resource_manager_history_commits_total {}\n\
         # HELP resource_manager_history_pending_samples Samples kept in memory, not yet written\n\
         # TYPE resource_manager_history_pending_samples gauge\n\
         resource_manager_history_pending_samples {}\n\
         # HELP resource_manager_history_dropped_samples_total Samples dropped because the memory backlog was full\n\
         # TYPE resource_manager_history_dropped_samples_total counter\n\
         resource_manager_history_dropped_samples_total {}\n",
        u8::from(store.failing),
        store.write_errors,
        store.commits,
        store.pending_ticks,
        store.dropped_ticks
    );
    out.push_str("# HELP resource_manager_build_info Version of Resource Manager\n# TYPE resource_manager_build_info gauge\n");
    out.push_str("resource_manager_build_info{version=\"");
    escape_label(version, &mut out);
    out.push_str("\"} 1\n");
    out
}

/// The server process' own figures, appended after [`render`]'s families.
pub struct ProcessFigures {
    /// Asynchronous tasks alive.
    pub tasks: usize,
    pub http_connections: usize,
    /// Requests refused because their bearer token matched none.
    pub refused_wrong_token: u64,
    /// Requests refused because an untrusted peer sent no token.
    pub refused_no_token: u64,
}

/// Appends the process' own figures after [`render`]'s families.
pub fn render_process(out: &mut String, figures: &ProcessFigures) {
    let ProcessFigures {
        tasks,
        http_connections,
        refused_wrong_token,
        refused_no_token,
    } = figures;
    let _ = write!(
        out,
        "# HELP resource_manager_process_tasks Asynchronous tasks alive in the process\n\
         # TYPE resource_manager_process_tasks gauge\n\
         resource_manager_process_tasks {tasks}\n\
         # HELP resource_manager_http_connections Open HTTP connections\n\
         # TYPE resource_manager_http_connections gauge\n\
         resource_manager_http_connections {http_connections}\n\
         # HELP resource_manager_http_refused_total HTTP requests refused by the access policy\n\
         # TYPE resource_manager_http_refused_total counter\n\
         resource_manager_http_refused_total{{reason=\"wrong_token\"}} {refused_wrong_token}\n\
         resource_manager_http_refused_total{{reason=\"no_token\"}} {refused_no_token}\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sample;
    use std::sync::Arc;

    #[test]
    fn names_follow_conventions() {
        let pct = SeriesMeta::global("memory", "used_percent", Unit::Percent, "x");
        assert_eq!(metric_name(&pct), "resource_manager_memory_used_ratio");
        let cpu = SeriesMeta::global("cpu", "usage", Unit::Percent, "x");
        assert_eq!(metric_name(&cpu), "resource_manager_cpu_usage_ratio");
        let disk = SeriesMeta::instance("disk", "mount", "/data", "used_bytes", Unit::Bytes, "x");
        assert_eq!(metric_name(&disk), "resource_manager_disk_used_bytes");
        let errors = SeriesMeta::instance(
            "net",
            "interface",
            "eth0",
            "rx_errors_total",
            Unit::Count,
            "x",
        )
        .counter();
        assert_eq!(metric_name(&errors), "resource_manager_net_rx_errors_total");
    }

    #[test]
    fn the_registry_names_follow_the_conventions() {
        for family in registry::families() {
            let meta = if family.label.is_some() {
                family.instance("x", &[])
            } else {
                family.global()
            };
            assert_eq!(
                conventional_name(&meta),
                family.prometheus,
                "{}",
                family.pattern
            );
            assert_eq!(metric_name(&meta), family.prometheus);
        }
    }

    #[test]
    fn renders_families_once_with_escaped_labels_and_base_units() {
        let a = Arc::new(SeriesMeta::instance(
            "disk",
            "mount",
            "/a \"b\"",
            "used_percent",
            Unit::Percent,
            "x",
        ));
        let b = Arc::new(SeriesMeta::instance(
            "disk",
            "mount",
            "/c",
            "used_percent",
            Unit::Percent,
            "x",
        ));
        let snapshot = Snapshot {
            samples: vec![
                Sample {
                    series: a,
                    value: 50.0,
                },
                Sample {
                    series: b,
                    value: 25.0,
                },
            ],
            ..Snapshot::default()
        };
        let text = render(&snapshot, &StoreHealth::default(), "1.0");
        assert_eq!(
            text.matches("# TYPE resource_manager_disk_used_ratio gauge")
                .count(),
            1
        );
        assert!(text.contains(
            "resource_manager_disk_used_ratio{mount=\"/a \\\"b\\\"\",host=\"local\"} 0.5\n"
        ));
        assert!(
            text.contains("resource_manager_disk_used_ratio{mount=\"/c\",host=\"local\"} 0.25\n")
        );
        let remote = Snapshot {
            samples: vec![Sample {
                series: Arc::new(registry::LOAD_1M.global().on_host(&Arc::from("nas"))),
                value: 0.5,
            }],
            ..Snapshot::default()
        };
        let text = render(&remote, &StoreHealth::default(), "1.0");
        assert!(
            text.contains("resource_manager_load_1m{host=\"nas\"} 0.5\n"),
            "{text}"
        );
    }
}
