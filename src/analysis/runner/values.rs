//! The values a run adds to every tick: days until a disk is full, the health and anomaly
//! scores, leak rates.

use std::sync::Arc;

use super::super::findings::Findings;
use crate::model::{Sample, registry};

/// The values that join every tick (see [`AnalysisValues`](crate::collect::derive::AnalysisValues)).
pub fn derived(findings: &Findings) -> Vec<Sample> {
    let mut out = Vec::new();
    for f in &findings.forecasts {
        if let ("disk", Some(eta)) = (f.resource, f.eta_seconds) {
            out.push(Sample {
                series: Arc::new(
                    registry::DISK_DAYS_UNTIL_FULL.instance(&f.instance, &[f.instance.as_str()]),
                ),
                value: eta / 86_400.0,
            });
        }
    }
    if let Some(health) = &findings.health {
        out.push(Sample {
            series: Arc::new(registry::HEALTH_SCORE.global()),
            value: health.score.round(),
        });
    }
    if findings.series_analysed > 0 {
        out.push(Sample {
            series: Arc::new(registry::ANOMALY_SCORE.global()),
            value: findings.anomaly_score,
        });
    }
    for leak in &findings.leaks {
        let instance = id_safe(&leak.suspect);
        out.push(Sample {
            series: Arc::new(registry::LEAK_RATE.instance(&instance, &[leak.suspect.as_str()])),
            value: leak.leak.rate_per_day / 86_400.0,
        });
    }
    out
}

/// A suspect as a series instance: `process node (pid 7)` becomes `process_node_pid_7`; add-on
/// slugs and `host` stay as they are.
fn id_safe(text: &str) -> String {
    let mapped: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    mapped
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}
