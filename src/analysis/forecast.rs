//! Forecasts of one series: a robust line (Theil–Sen) or, where the series has a daily season,
//! a line through its daily maxima; the least-squares line as the baseline. Each model gives a
//! value with its 80 % interval at any horizon, and the time until a threshold with an interval.

use crate::util::time::DAY_SECS_F64;
use serde::Serialize;

use super::Obs;
use super::conformal::Calibration;
use super::season::{is_daily, rolling_max};
use super::stats::clean;
use super::trend::{least_squares, theil_sen_with};

/// Longest time a forecast speaks about (about 5 years): beyond it a date means nothing.
pub const MAX_ETA: f64 = 5.0 * 365.0 * DAY_SECS_F64;
/// A slope must pass Mann–Kendall at this level to count as growth.
pub const GROWTH_ALPHA: f64 = 0.05;

/// Which model answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Theil–Sen line through the values, residual quantiles for the band.
    Linear,
    /// Theil–Sen line through the daily maxima: a daily cycle does not read as growth.
    DailyMax,
    /// Least-squares line with the classical prediction interval (the baseline).
    LeastSquares,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Linear => "linear",
            Method::DailyMax => "daily_max",
            Method::LeastSquares => "least_squares",
        }
    }
}

/// A fitted model: level now, slope with its 80 % interval, residual band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastModel {
    pub method: Method,
    /// Time the model speaks from (the newest observation), Unix seconds.
    pub t0: f64,
    pub level: f64,
    /// Units per second; `slope_low ≤ slope ≤ slope_high`.
    pub slope: f64,
    pub slope_low: f64,
    pub slope_high: f64,
    /// Band around the line: `resid_low ≤ 0 ≤ resid_high`.
    pub resid_low: f64,
    pub resid_high: f64,
    /// How far above the line the highest points of a day reach (≥ `resid_high`): the earliest
    /// time to a threshold is when they touch it, not the band's edge.
    pub resid_peak: f64,
    /// Mann–Kendall p-value of the trend (1 for the baseline, which has no test).
    pub p_value: f64,
    /// For the baseline: σ·√(1 + 1/n) and the slope's standard error, so its band widens.
    ls: Option<(f64, f64)>,
    /// The series' own backtest calibration of the band (ADR 0021); `None`: the model's band.
    pub calibration: Option<Calibration>,
}

/// The value forecast at one moment, with its 80 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Predicted {
    /// Unix seconds.
    pub t: f64,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Time until a threshold, in seconds from the model's `t0`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Eta {
    pub point: f64,
    /// Earliest plausible (the band's upper edge reaches the threshold).
    pub low: f64,
    /// Latest plausible; `None` when the slope's interval includes no growth.
    pub high: Option<f64>,
}

/// The series' forecast with the model the data calls for: daily maxima where there is a
/// daily season, else the robust line.
pub fn fit_best(obs: &[Obs]) -> Option<ForecastModel> {
    if is_daily(obs) {
        fit(obs, Method::DailyMax).or_else(|| fit(obs, Method::Linear))
    } else {
        fit(obs, Method::Linear)
    }
}

/// Fits one model to `obs`; `None` when there are too few points.
pub fn fit(obs: &[Obs], method: Method) -> Option<ForecastModel> {
    let obs = clean(obs);
    let t0 = obs.last()?.t;
    match method {
        Method::Linear => from_theil_sen(&obs, t0, method),
        Method::DailyMax => {
            let maxima = rolling_max(&obs);
            // At least three days of maxima, so a day's cycle cannot pass for a trend.
            let span = maxima.last()?.t - maxima.first()?.t;
            if span < 2.0 * DAY_SECS_F64 {
                return None;
            }
            from_theil_sen(&maxima, t0, method)
        }
        Method::LeastSquares => {
            let ls = least_squares(&obs)?;
            let slope_se = ls.sigma / ls.sxx.sqrt();
            let base = ls.sigma * (1.0 + 1.0 / ls.n as f64).sqrt();
            let level = ls.line.at(t0);
            Some(sanitize(ForecastModel {
                method,
                t0,
                level,
                slope: ls.line.slope,
                slope_low: ls.line.slope,
                slope_high: ls.line.slope,
                resid_low: 0.0,
                resid_high: 0.0,
                resid_peak: 0.0,
                p_value: 1.0,
                ls: Some((base, slope_se)),
                calibration: None,
            }))
        }
    }
}

fn from_theil_sen(obs: &[Obs], t0: f64, method: Method) -> Option<ForecastModel> {
    // The rolling maximum changes once a day or so: one independent value per day.
    let independent = match method {
        Method::DailyMax => {
            let span = obs.last()?.t - obs.first()?.t;
            Some((span / DAY_SECS_F64).round() as usize + 1)
        }
        _ => None,
    };
    let ts = theil_sen_with(obs, independent)?;
    Some(sanitize(ForecastModel {
        method,
        t0,
        level: ts.line.at(t0),
        slope: ts.line.slope,
        slope_low: ts.slope_low,
        slope_high: ts.slope_high,
        resid_low: ts.resid_low,
        resid_high: ts.resid_high,
        // The daily maxima are the peaks already.
        resid_peak: if method == Method::DailyMax {
            ts.resid_high
        } else {
            ts.resid_peak
        },
        p_value: ts.test.p,
        ls: None,
        calibration: None,
    }))
}

/// Keeps the ordering invariants whatever rounding did.
fn sanitize(mut m: ForecastModel) -> ForecastModel {
    let fin = |x: f64| if x.is_finite() { x } else { 0.0 };
    m.level = fin(m.level);
    m.slope = fin(m.slope);
    m.slope_low = fin(m.slope_low).min(m.slope);
    m.slope_high = fin(m.slope_high).max(m.slope);
    m.resid_low = fin(m.resid_low).min(0.0);
    m.resid_high = fin(m.resid_high).max(0.0);
    m.resid_peak = fin(m.resid_peak).max(m.resid_high);
    m.p_value = if m.p_value.is_finite() {
        m.p_value.clamp(0.0, 1.0)
    } else {
        1.0
    };
    m
}

impl ForecastModel {
    /// Whether the series grows beyond noise.
    pub fn growing(&self) -> bool {
        self.slope > 0.0 && (self.method == Method::LeastSquares || self.p_value < GROWTH_ALPHA)
    }

    /// 0..=1: how sure the test is that the trend is real (1 − p).
    pub fn confidence(&self) -> f64 {
        1.0 - self.p_value
    }

    /// The value `h` seconds after `t0` with its 80 % interval (`h` clamped to 0..=MAX_ETA).
    pub fn predict(&self, h: f64) -> Predicted {
        let h = if h.is_finite() {
            h.clamp(0.0, MAX_ETA)
        } else {
            0.0
        };
        let value = self.level + self.slope * h;
        let (low, high) = match self.ls {
            Some((base, slope_se)) => {
                let half = super::stats::Z80 * (base * base + (slope_se * h).powi(2)).sqrt();
                (value - half, value + half)
            }
            None => (
                self.level + self.slope_low * h + self.resid_low,
                self.level + self.slope_high * h + self.resid_high,
            ),
        };
        let finite = |x: f64| if x.is_finite() { x } else { value };
        let value = if value.is_finite() { value } else { 0.0 };
        let p = Predicted {
            t: self.t0 + h,
            value,
            low: finite(low).min(value),
            high: finite(high).max(value),
        };
        match self.calibration {
            Some(c) => {
                let (low, high) = c.apply(p.value, p.low, p.high, h);
                Predicted { low, high, ..p }
            }
            None => p,
        }
    }

    /// Time until the series reaches `threshold`; `None` when it is not growing (or the
    /// time is beyond [`MAX_ETA`]). Already at or above it: zero.
    pub fn eta(&self, threshold: f64) -> Option<Eta> {
        if !threshold.is_finite() || !self.growing() {
            return None;
        }
        let remaining = threshold - self.level;
        if remaining <= 0.0 {
            return Some(Eta {
                point: 0.0,
                low: 0.0,
                high: Some(0.0),
            });
        }
        let point = remaining / self.slope;
        if !point.is_finite() || point > MAX_ETA {
            return None;
        }
        // Earliest: when the band's top, raised to the day's peaks, reaches the threshold (a
        // disk is full at the first sample that touches it); latest: when the bottom does.
        // The daily-maximum line speaks of "the highest value of the last 24 hours", sampled
        // once a day: which day's peak crosses first is uncertain by about a day either way.
        let phase = if self.method == Method::DailyMax {
            DAY_SECS_F64
        } else {
            0.0
        };
        let peak = (self.resid_peak - self.resid_high).max(0.0);
        let earliest =
            (self.solve(threshold - peak, true).unwrap_or(0.0) - phase).clamp(0.0, point);
        let latest = self
            .solve(threshold, false)
            .map(|h| h + phase)
            .filter(|h| *h <= MAX_ETA)
            .map(|h| h.max(point));
        Some(Eta {
            point,
            low: earliest,
            high: latest,
        })
    }

    /// First `h ≥ 0` where the band's upper (or lower) edge reaches `threshold`, by bisection
    /// on the monotone edge; `None` when it does not within [`MAX_ETA`].
    fn solve(&self, threshold: f64, upper: bool) -> Option<f64> {
        let edge = |h: f64| {
            let p = self.predict(h);
            if upper { p.high } else { p.low }
        };
        if edge(0.0) >= threshold {
            return Some(0.0);
        }
        if edge(MAX_ETA) < threshold {
            return None;
        }
        let (mut lo, mut hi) = (0.0, MAX_ETA);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if edge(mid) >= threshold {
                hi = mid;
            } else {
                lo = mid;
            }
            if hi - lo < 1.0 {
                break;
            }
        }
        Some(hi)
    }

    /// Predicted points every `step` seconds up to `horizon` (at most 500 points).
    pub fn path(&self, horizon: f64, step: f64) -> Vec<Predicted> {
        let horizon = horizon.clamp(0.0, MAX_ETA);
        let step = step.max(horizon / 500.0).max(1.0);
        let n = (horizon / step).floor() as usize;
        (0..=n).map(|k| self.predict(k as f64 * step)).collect()
    }
}

/// Which observations a model of `method` is judged against at time `t`: the value itself, or
/// the maximum of the 24 hours ending there.
pub fn target(obs: &[Obs], method: Method, t: f64, tolerance: f64) -> Option<f64> {
    match method {
        Method::DailyMax => {
            let day: Vec<f64> = obs
                .iter()
                .filter(|o| o.t > t - DAY_SECS_F64 && o.t <= t)
                .map(|o| o.v)
                .collect();
            let first = obs.iter().find(|o| o.t > t - DAY_SECS_F64)?.t;
            (first <= t - DAY_SECS_F64 * 0.75 && !day.is_empty())
                .then(|| day.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        }
        _ => obs
            .iter()
            .filter(|o| (o.t - t).abs() <= tolerance)
            .min_by(|a, b| (a.t - t).abs().total_cmp(&(b.t - t).abs()))
            .map(|o| o.v),
    }
}

/// A clean copy of `obs` (exposed for callers that reuse it across models).
pub fn prepared(obs: &[Obs]) -> Vec<Obs> {
    clean(obs)
}
