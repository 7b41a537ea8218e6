//! Forecast accuracy on the stored history: the backtest harness run per series that fills,
//! for each forecast kind, pooled per kind, with the least-squares baseline beside.

use crate::util::time::DAY_SECS_F64;
use serde::Serialize;

use super::anomaly;
use super::backtest;
use super::conformal::Calibration;
use super::forecast::Method;
use super::report::{SeriesData, filler, is_own};
use crate::model::Kind;

/// Backtest results per forecast kind, pooled over series, and per series.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Backtests {
    /// Unix ms of the run; 0 before the first.
    pub made_ms: i64,
    pub kinds: Vec<KindScore>,
    pub series: Vec<SeriesScore>,
    /// How often the anomaly detector flagged something on this box's own series.
    pub anomaly_days: FlagDays,
}

/// The anomaly detector replayed on the stored gauges over the last [`FLAG_DAYS`] whole days,
/// each day judged on the days before it: series-days with any flag. With no incident labels
/// this is an upper bound of the false-flag rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct FlagDays {
    pub series: usize,
    pub days: usize,
    pub flagged: usize,
}

/// Whole days of history the anomaly replay looks at.
pub const FLAG_DAYS: usize = 7;

/// Replays the anomaly detector over the last [`FLAG_DAYS`] whole days of each gauge.
pub fn flag_days(series: &[SeriesData], now: f64) -> FlagDays {
    let mut out = FlagDays::default();
    let today = (now / DAY_SECS_F64).floor() * DAY_SECS_F64;
    for s in series
        .iter()
        .filter(|s| s.kind == Kind::Gauge && !is_own(&s.id))
    {
        let mut counted = false;
        for back in (1..=FLAG_DAYS).rev() {
            let day = today - back as f64 * DAY_SECS_F64;
            let end = s.mean.partition_point(|o| o.t < day + DAY_SECS_F64);
            let found = anomaly::detect(&s.mean[..end], day);
            if found.profile == anomaly::Profile::ColdStart {
                continue;
            }
            counted = true;
            out.days += 1;
            out.flagged += usize::from(!found.intervals.is_empty());
        }
        out.series += usize::from(counted);
    }
    out
}

/// One forecast kind's pooled scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindScore {
    pub method: Method,
    pub series: usize,
    pub ours: backtest::Score,
    pub baseline: backtest::Score,
    /// The band calibrated on each series' earlier outcomes (what the live forecasts show).
    pub calibrated: backtest::Score,
}

/// One series' scores for one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesScore {
    pub series: String,
    pub method: Method,
    pub ours: backtest::Score,
    pub baseline: backtest::Score,
    pub calibrated: backtest::Score,
    /// The calibration the live forecast of this series and kind uses.
    pub calibration: Option<Calibration>,
}

impl Backtests {
    /// Each series' calibration per kind, for the live forecasts.
    pub fn calibrations(&self) -> Vec<(String, Method, Calibration)> {
        self.series
            .iter()
            .filter_map(|s| s.calibration.map(|c| (s.series.clone(), s.method, c)))
            .collect()
    }
}

/// The rolling-origin plan for a history spanning `span` seconds: a week of history and a day
/// ahead when there is room, otherwise halves and eighths of what there is.
pub fn plan_for(span: f64, bucket: f64) -> Option<backtest::Plan> {
    if span >= 10.0 * DAY_SECS_F64 {
        return Some(backtest::Plan {
            history: 7.0 * DAY_SECS_F64,
            horizon: DAY_SECS_F64,
            step: DAY_SECS_F64 / 4.0,
            tolerance: bucket.max(3600.0),
        });
    }
    (span >= 40.0 * bucket).then(|| backtest::Plan {
        history: span / 2.0,
        horizon: span / 8.0,
        step: (span / 60.0).max(bucket),
        tolerance: bucket,
    })
}

/// Backtests the series that fill (the forecast kinds: the line, and daily maxima where
/// there are days enough) against the least-squares baseline.
pub fn backtests(series: &[SeriesData], bucket: f64, made_ms: i64) -> Backtests {
    let mut per = Vec::new();
    for s in series.iter().filter(|s| filler(s, series).is_some()) {
        let (Some(a), Some(b)) = (s.mean.first(), s.mean.last()) else {
            continue;
        };
        let Some(plan) = plan_for(b.t - a.t, bucket) else {
            continue;
        };
        if let Some(o) = backtest::run(&s.mean, Method::Linear, &plan) {
            per.push(SeriesScore {
                series: s.id.clone(),
                method: Method::Linear,
                ours: o.ours,
                baseline: o.baseline,
                calibrated: o.calibrated,
                calibration: o.calibration,
            });
        }
        if plan.history >= 3.0 * DAY_SECS_F64
            && let Some(o) = backtest::run(&s.max, Method::DailyMax, &plan)
        {
            per.push(SeriesScore {
                series: s.id.clone(),
                method: Method::DailyMax,
                ours: o.ours,
                baseline: o.baseline,
                calibrated: o.calibrated,
                calibration: o.calibration,
            });
        }
    }
    let kinds = [Method::Linear, Method::DailyMax]
        .into_iter()
        .filter_map(|method| {
            let of: Vec<&SeriesScore> = per.iter().filter(|p| p.method == method).collect();
            (!of.is_empty()).then(|| KindScore {
                method,
                series: of.len(),
                ours: backtest::Score::pool(of.iter().map(|p| &p.ours)),
                baseline: backtest::Score::pool(of.iter().map(|p| &p.baseline)),
                calibrated: backtest::Score::pool(of.iter().map(|p| &p.calibrated)),
            })
        })
        .collect();
    Backtests {
        made_ms,
        kinds,
        series: per,
        anomaly_days: flag_days(series, made_ms as f64 / 1000.0),
    }
}

/// The claim "reliable" for a forecast kind: its calibrated 80 % interval held 75 to 85 % of
/// at least [`RELIABLE_CASES`] outcomes on this box (it holds what it claims, no more, no less).
pub fn reliable(calibrated: &backtest::Score) -> bool {
    calibrated.cases >= RELIABLE_CASES && (0.75..=0.85).contains(&calibrated.coverage)
}

/// Outcomes before a measured coverage is taken as evidence.
pub const RELIABLE_CASES: usize = 30;
