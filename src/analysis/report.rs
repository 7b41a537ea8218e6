//! One analysis run over prepared series: which series fill and against what, what leaks, what
//! is unusual, what the box is short of, the health score and the derived values. Pure: the
//! runner loads the data, this decides; the benchmark calls it directly.

use super::Obs;
use super::anomaly;
use super::bottleneck::{self, Readings};
use super::forecast::{self, Method};
use super::health;
use super::leak;
use super::trend;
use super::words;
use crate::model::{Kind, Unit};
use crate::util::time::DAY_SECS_F64;

pub use super::findings::{AnomalyItem, Findings, ForecastItem, LeakItem};

/// One series, bucketed: each bucket's mean, minimum and maximum at the bucket's time.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesData {
    pub id: String,
    pub family: String,
    pub unit: Unit,
    pub kind: Kind,
    pub mean: Vec<Obs>,
    pub min: Vec<Obs>,
    pub max: Vec<Obs>,
}

impl SeriesData {
    fn last(&self) -> Option<f64> {
        self.mean.last().map(|o| o.v)
    }
}

/// What the run needs besides the series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// Unix seconds.
    pub now: f64,
    pub alerts_warning: usize,
    pub alerts_error: usize,
    pub alerts_critical: usize,
    /// Whether `/sys` reported new thermal throttling since the last run.
    pub throttled: Option<bool>,
    /// The busiest processes now (name, percent of the host).
    pub processes: Vec<(String, f64)>,
    /// Memory troughs of the processes in the top lists (see `processes.rs`).
    pub process_memory: Vec<(String, Vec<Obs>)>,
    /// From the last backtests, each series' calibration per forecast kind: the forecast's
    /// band is calibrated on its series' own outcomes.
    pub calibrations: std::sync::Arc<Vec<(String, Method, super::conformal::Calibration)>>,
}

/// Series of the analysis itself, never analysed again.
pub fn is_own(id: &str) -> bool {
    id.starts_with("health.")
        || id.starts_with("anomaly.")
        || id.starts_with("leak.")
        || id.ends_with(".days_until_full")
}

fn find<'a>(series: &'a [SeriesData], id: &str) -> Option<&'a SeriesData> {
    series.iter().find(|s| s.id == id)
}

fn latest(series: &[SeriesData], id: &str) -> Option<f64> {
    find(series, id).and_then(SeriesData::last)
}

/// `prefix*suffix` → the instance, if `id` has that shape.
fn instance<'a>(id: &'a str, prefix: &str, suffix: &str) -> Option<&'a str> {
    id.strip_prefix(prefix)?
        .strip_suffix(suffix)
        .filter(|i| !i.is_empty())
}

/// What fills, against what: (resource, instance, threshold).
pub(super) fn filler(s: &SeriesData, all: &[SeriesData]) -> Option<(&'static str, String, f64)> {
    if let Some(mount) = instance(&s.id, "disk.", ".used_bytes") {
        let free = latest(all, &format!("disk.{mount}.free_bytes"));
        let total = latest(all, &format!("disk.{mount}.total_bytes"));
        // Full is when the space available to users is gone (root's reserve excluded).
        let cap = match (s.last(), free) {
            (Some(used), Some(free)) => Some(used + free),
            _ => total,
        };
        return cap.map(|c| ("disk", mount.to_string(), c));
    }
    if s.id == "memory.used_bytes" {
        return latest(all, "memory.total_bytes").map(|t| ("memory", "host".into(), t));
    }
    if s.id == "swap.used_bytes" {
        return latest(all, "swap.total_bytes")
            .filter(|t| *t > 0.0)
            .map(|t| ("swap", "host".into(), t));
    }
    if let Some(slug) = instance(&s.id, "addon.", ".memory_bytes") {
        return addon_limit(all, slug, s.last()?).map(|l| ("addon_memory", slug.to_string(), l));
    }
    None
}

/// An add-on's memory limit: its usage over its share of the limit.
fn addon_limit(all: &[SeriesData], slug: &str, used: f64) -> Option<f64> {
    let percent = latest(all, &format!("addon.{slug}.memory_percent"))?;
    (percent > 0.1).then(|| used / (percent / 100.0))
}

/// Analyses `series` at `ctx.now`.
pub fn analyze(series: &[SeriesData], ctx: &Context) -> Findings {
    let mut out = Findings::default();
    for s in series.iter().filter(|s| !is_own(&s.id)) {
        out.series_analysed += 1;
        if let Some((resource, inst, threshold)) = filler(s, series)
            && let Some(item) = forecast_item(s, resource, inst, threshold, ctx)
        {
            out.forecasts.push(item);
        }
        let leak_subject = if s.id == "memory.used_bytes" {
            Some(("host".to_string(), latest(series, "memory.total_bytes")))
        } else {
            instance(&s.id, "addon.", ".memory_bytes").map(|slug| {
                (
                    slug.to_string(),
                    s.last().and_then(|u| addon_limit(series, slug, u)),
                )
            })
        };
        if let Some((suspect, limit)) = leak_subject
            && let Some(found) = leak::detect(&s.min, limit)
        {
            let mut item = LeakItem {
                series: s.id.clone(),
                suspect,
                limit,
                summary: String::new(),
                leak: found,
            };
            item.summary = words::leak(&item);
            out.leaks.push(item);
        }
        if s.kind == Kind::Gauge {
            let found = anomaly::detect(&s.mean, ctx.now - DAY_SECS_F64);
            out.anomaly_score = out.anomaly_score.max(found.score);
            if !found.intervals.is_empty() || found.flagged_now() {
                out.anomalies.push(AnomalyItem {
                    series: s.id.clone(),
                    found,
                });
            }
        }
    }
    let total = latest(series, "memory.total_bytes");
    for (name, troughs) in &ctx.process_memory {
        if let Some(found) = leak::detect(troughs, total) {
            let mut item = LeakItem {
                series: format!("process {name}"),
                suspect: format!("process {name}"),
                limit: total,
                summary: String::new(),
                leak: found,
            };
            item.summary = words::leak(&item);
            out.leaks.push(item);
        }
    }
    out.forecasts.sort_by(|a, b| {
        let key = |f: &ForecastItem| f.eta_seconds.unwrap_or(f64::INFINITY);
        key(a).total_cmp(&key(b)).then(a.series.cmp(&b.series))
    });
    out.anomalies
        .sort_by(|a, b| b.found.score.total_cmp(&a.found.score));
    let readings = readings(series, ctx);
    out.bottleneck = Some(bottleneck::diagnose(&readings));
    out.health = Some(health::score(&health_inputs(series, ctx, &out)));
    out
}

fn forecast_item(
    s: &SeriesData,
    resource: &'static str,
    instance: String,
    threshold: f64,
    ctx: &Context,
) -> Option<ForecastItem> {
    // Daily maxima come from the buckets' maxima, the line from their means.
    let model = if super::season::is_daily(&s.mean) {
        forecast::fit(&s.max, Method::DailyMax).or_else(|| forecast::fit(&s.mean, Method::Linear))
    } else {
        forecast::fit(&s.mean, Method::Linear)
    }?;
    let mut model = model;
    model.calibration = ctx
        .calibrations
        .iter()
        .find(|c| c.0 == s.id && c.1 == model.method)
        .map(|c| c.2);
    let eta = model.eta(threshold);
    let mut item = ForecastItem {
        series: s.id.clone(),
        resource,
        instance,
        unit: s.unit,
        current: s.last()?,
        threshold,
        eta_seconds: eta.map(|e| e.point),
        eta_low_seconds: eta.map(|e| e.low),
        eta_high_seconds: eta.and_then(|e| e.high),
        slope_per_day: model.slope * DAY_SECS_F64,
        method: model.method,
        confidence: model.confidence(),
        summary: String::new(),
        trends: trend::trends(&s.mean, ctx.now),
        model,
    };
    item.summary = words::forecast(&item);
    Some(item)
}

fn readings(series: &[SeriesData], ctx: &Context) -> Readings {
    let cores = series
        .iter()
        .filter(|s| {
            s.family == "cpu.core_usage"
                && crate::model::host::of(&s.id) == crate::model::host::LOCAL
        })
        .count() as f64;
    Readings::from_latest(
        series.iter().map(|s| s.id.as_str()),
        |id| latest(series, id),
        cores,
        &ctx.processes,
        ctx.throttled,
    )
}

fn health_inputs(series: &[SeriesData], ctx: &Context, found: &Findings) -> health::HealthInputs {
    let mut usage = Vec::new();
    for (id, name) in [("cpu.usage", "CPU"), ("memory.used_percent", "memory")] {
        if let Some(v) = latest(series, id) {
            usage.push((name.to_string(), v));
        }
    }
    if latest(series, "swap.total_bytes").is_some_and(|t| t > 0.0)
        && let Some(v) = latest(series, "swap.used_percent")
    {
        usage.push(("swap".into(), v));
    }
    for s in series {
        if let Some(mount) = instance(&s.id, "disk.", ".used_percent")
            && let Some(v) = s.last()
        {
            usage.push((format!("disk {mount}"), v));
        }
    }
    health::HealthInputs {
        usage,
        alerts_warning: ctx.alerts_warning,
        alerts_error: ctx.alerts_error,
        alerts_critical: ctx.alerts_critical,
        etas: found
            .forecasts
            .iter()
            .filter_map(|f| Some((format!("{} {}", f.resource, f.instance), f.eta_seconds?)))
            .collect(),
        anomalies: found
            .anomalies
            .iter()
            .filter(|a| a.found.flagged_now())
            .count(),
        leaks: found.leaks.len(),
        pressure: [("CPU", "cpu"), ("memory", "memory"), ("disks", "io")]
            .iter()
            .filter_map(|(name, resource)| {
                let waited = latest(series, &format!("pressure.{resource}.some_percent"))?;
                Some((name.to_string(), waited))
            })
            .collect(),
    }
}
