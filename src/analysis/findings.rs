//! What a run found, as the API, the dashboard and the advisor read it: forecasts, suspected
//! leaks, anomalies, the bottleneck and the health score. Plain data in its own file, so the
//! run that fills it (`report.rs`) and the words that describe it (`words.rs`) both use it.

use serde::Serialize;

use super::anomaly::Anomalies;
use super::bottleneck::BottleneckVerdict;
use super::forecast::{ForecastModel, Method};
use super::health::Health;
use super::leak::Leak;
use super::trend::Trend;
use crate::model::Unit;

/// One forecast, as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastItem {
    pub series: String,
    /// `disk`, `memory`, `swap` or `addon_memory`.
    pub resource: &'static str,
    /// The mount, the add-on slug, or `host`.
    pub instance: String,
    pub unit: Unit,
    pub current: f64,
    pub threshold: f64,
    pub eta_seconds: Option<f64>,
    pub eta_low_seconds: Option<f64>,
    pub eta_high_seconds: Option<f64>,
    pub slope_per_day: f64,
    pub method: Method,
    pub confidence: f64,
    /// The forecast in one sentence.
    pub summary: String,
    pub trends: Vec<Trend>,
    #[serde(skip)]
    pub model: ForecastModel,
}

/// One suspected leak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeakItem {
    pub series: String,
    /// The add-on slug, or `host`.
    pub suspect: String,
    pub limit: Option<f64>,
    /// The suspicion in one sentence.
    pub summary: String,
    #[serde(flatten)]
    pub leak: Leak,
}

/// One series' anomaly verdict (only series with something to say are listed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnomalyItem {
    pub series: String,
    #[serde(flatten)]
    pub found: Anomalies,
}

/// A run's findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Findings {
    pub forecasts: Vec<ForecastItem>,
    pub leaks: Vec<LeakItem>,
    pub anomalies: Vec<AnomalyItem>,
    pub anomaly_score: f64,
    pub bottleneck: Option<BottleneckVerdict>,
    pub health: Option<Health>,
    pub series_analysed: usize,
}
