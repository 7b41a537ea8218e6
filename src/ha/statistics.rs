//! `import_ha_statistics`: once connected, Home Assistant's own hourly statistics of the System
//! Monitor sensors that match our series are loaded into the store (up to 30 days, only hours
//! before our own history of that series begins), so forecasts work from the first day. The
//! analysis is asked to run again afterwards.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::error::HaError;
use super::ws::{Readiness, WsRequest};
use crate::analysis::runner::Analysis;
use crate::store::import::{ImportReport, ImportRow};
use crate::store::{Resolution, Store, StoreError};

/// How far back statistics are asked for.
pub const DAYS: i64 = 30;
use crate::util::time::{DAY_MS, HOUR_MS};

/// Why an import of statistics failed.
#[derive(Debug, thiserror::Error)]
pub enum StatisticsError {
    #[error(transparent)]
    Ha(#[from] HaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the Home Assistant link is gone")]
    LinkGone,
}

/// One HA statistic that feeds one of our series, with the factor to our unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub statistic_id: String,
    pub series: String,
    pub factor: f64,
}

/// Our series for a System Monitor statistic id (`sensor.system_monitor_<key>`), if any:
/// disks by mount (`disk_usage` is `/`, `disk_usage_config` is `/config`).
fn series_for(statistic_id: &str) -> Option<String> {
    let key = statistic_id.strip_prefix("sensor.system_monitor_")?;
    let fixed = match key {
        "processor_use" => "cpu.usage",
        "memory_usage" => "memory.used_percent",
        "memory_use" => "memory.used_bytes",
        "memory_free" => "memory.available_bytes",
        "swap_usage" => "swap.used_percent",
        "swap_use" => "swap.used_bytes",
        "load_1m" => "load.1m",
        "load_5m" => "load.5m",
        "load_15m" => "load.15m",
        "processor_temperature" => "temp.max_celsius",
        _ => "",
    };
    if !fixed.is_empty() {
        return Some(fixed.to_string());
    }
    for (prefix, suffix) in [
        ("disk_usage", "used_percent"),
        ("disk_use", "used_bytes"),
        ("disk_free", "free_bytes"),
    ] {
        if let Some(rest) = key.strip_prefix(prefix) {
            let mount = match rest {
                "" => "/".to_string(),
                r => format!("/{}", r.strip_prefix('_')?),
            };
            return Some(format!("disk.{mount}.{suffix}"));
        }
    }
    None
}

/// Factor from HA's statistics unit to ours (bytes, percent, °C, load).
fn factor(unit: &str) -> Option<f64> {
    Some(match unit {
        "%" | "°C" | "" => 1.0,
        "B" => 1.0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "KiB" => 1024.0,
        "MiB" => 1_048_576.0,
        "GiB" => 1_073_741_824.0,
        _ => return None,
    })
}

/// The statistics (from `recorder/list_statistic_ids`) that match series we have.
pub fn plan(listed: &Value, ours: &[String]) -> Vec<Mapping> {
    let Some(list) = listed.as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|entry| {
            let id = entry.get("statistic_id")?.as_str()?;
            let series = series_for(id)?;
            if !ours.contains(&series) {
                return None;
            }
            let unit = entry
                .get("statistics_unit_of_measurement")
                .and_then(Value::as_str)
                .unwrap_or("");
            Some(Mapping {
                statistic_id: id.to_string(),
                series,
                factor: factor(unit)?,
            })
        })
        .collect()
}

/// Rows from a `recorder/statistics_during_period` answer: each hour's mean at the hour's
/// start, only hours that end before `first_ms[series]` (our own history of it).
pub fn rows(
    mappings: &[Mapping],
    answer: &Value,
    first_ms: &HashMap<String, i64>,
) -> Vec<ImportRow> {
    let mut out = Vec::new();
    for m in mappings {
        let Some(hours) = answer.get(&m.statistic_id).and_then(Value::as_array) else {
            continue;
        };
        let until = first_ms.get(&m.series).copied().unwrap_or(i64::MAX);
        for hour in hours {
            let start = hour.get("start").and_then(Value::as_f64).map(|s| s as i64);
            let mean = hour.get("mean").and_then(Value::as_f64);
            if let (Some(start), Some(mean)) = (start, mean) {
                let value = mean * m.factor;
                if start + HOUR_MS <= until && value.is_finite() {
                    out.push(ImportRow {
                        ts_ms: start,
                        series: m.series.clone(),
                        value,
                    });
                }
            }
        }
    }
    out.sort_by_key(|r| r.ts_ms);
    out
}

async fn command(
    commands: &mpsc::Sender<WsRequest>,
    command: Value,
) -> Result<Value, StatisticsError> {
    let (reply, answer) = oneshot::channel();
    commands
        .send(WsRequest { command, reply })
        .await
        .map_err(|_| StatisticsError::LinkGone)?;
    Ok(answer.await.map_err(|_| StatisticsError::LinkGone)??)
}

/// Imports once: lists the statistics, asks for the matching ones, loads them.
pub async fn import_once(
    commands: &mpsc::Sender<WsRequest>,
    store: &Store,
) -> Result<ImportReport, StatisticsError> {
    let now_ms = store.clock().now_ms();
    let listed = command(
        commands,
        json!({"type": "recorder/list_statistic_ids", "statistic_type": "mean"}),
    )
    .await?;
    let ours: Vec<String> = store.series().into_iter().map(|s| s.id).collect();
    let mappings = plan(&listed, &ours);
    if mappings.is_empty() {
        return Ok(ImportReport::default());
    }
    let from_ms = now_ms - DAYS * DAY_MS;
    let mut first_ms = HashMap::new();
    for m in &mappings {
        let history = store
            .history(&m.series, from_ms, now_ms, Resolution::Hour)
            .await?;
        if let Some(first) = history.points.first() {
            first_ms.insert(m.series.clone(), (first.t * 1000.0) as i64);
        }
    }
    let answer = command(
        commands,
        json!({
            "type": "recorder/statistics_during_period",
            "start_time": super::alerts::iso8601(from_ms),
            "statistic_ids": mappings.iter().map(|m| m.statistic_id.clone()).collect::<Vec<_>>(),
            "period": "hour",
            "types": ["mean"],
        }),
    )
    .await?;
    let rows = rows(&mappings, &answer, &first_ms);
    Ok(store.import(&rows).await?)
}

/// Waits for Core to be ready, imports once (retrying a failed attempt after a minute, up to
/// five times), then asks the analysis to run.
pub async fn run(
    commands: mpsc::Sender<WsRequest>,
    mut ready: watch::Receiver<Readiness>,
    store: Store,
    analysis: Analysis,
    stop: CancellationToken,
) {
    // Only series we have are imported: wait for the first tick to name them.
    while store.series().is_empty() {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    for attempt in 1..=5 {
        loop {
            if ready.borrow_and_update().ready {
                break;
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                changed = ready.changed() => if changed.is_err() { return },
            }
        }
        match import_once(&commands, &store).await {
            Ok(report) => {
                tracing::info!(
                    values = report.rows,
                    series = report.series,
                    "imported Home Assistant statistics"
                );
                if report.rows > 0 {
                    analysis.run_soon();
                }
                return;
            }
            Err(err) => {
                tracing::warn!(attempt, error = %err, "importing Home Assistant statistics failed")
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_monitor_ids_map_to_our_series_in_our_units() {
        let listed = json!([
            {"statistic_id": "sensor.system_monitor_processor_use", "statistics_unit_of_measurement": "%"},
            {"statistic_id": "sensor.system_monitor_memory_use", "statistics_unit_of_measurement": "MiB"},
            {"statistic_id": "sensor.system_monitor_disk_use_config", "statistics_unit_of_measurement": "GiB"},
            {"statistic_id": "sensor.system_monitor_disk_usage", "statistics_unit_of_measurement": "%"},
            {"statistic_id": "sensor.system_monitor_swap_use", "statistics_unit_of_measurement": "furlong"},
            {"statistic_id": "sensor.kitchen_temperature", "statistics_unit_of_measurement": "°C"},
        ]);
        let ours: Vec<String> = [
            "cpu.usage",
            "memory.used_bytes",
            "disk./config.used_bytes",
            "disk./.used_percent",
            "swap.used_bytes",
        ]
        .map(String::from)
        .to_vec();
        let got = plan(&listed, &ours);
        let pairs: Vec<(&str, f64)> = got.iter().map(|m| (m.series.as_str(), m.factor)).collect();
        assert_eq!(
            pairs,
            [
                ("cpu.usage", 1.0),
                ("memory.used_bytes", 1_048_576.0),
                ("disk./config.used_bytes", 1_073_741_824.0),
                ("disk./.used_percent", 1.0)
            ]
        );
        assert!(plan(&listed, &[]).is_empty(), "only series we have");
    }

    #[test]
    fn only_hours_before_our_own_history_are_taken() {
        let mappings = vec![Mapping {
            statistic_id: "sensor.system_monitor_memory_use".into(),
            series: "memory.used_bytes".into(),
            factor: 1e6,
        }];
        let answer = json!({"sensor.system_monitor_memory_use": [
            {"start": 0.0, "mean": 1.5},
            {"start": 3_600_000.0, "mean": 2.0},
            {"start": 7_200_000.0, "mean": 3.0},
        ]});
        let first = HashMap::from([("memory.used_bytes".to_string(), 7_200_000)]);
        let rows = rows(&mappings, &answer, &first);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].value, 2e6);
    }
}
