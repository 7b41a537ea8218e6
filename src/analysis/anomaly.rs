//! Anomalies: each series against its own history, rare by construction (ADR 0021).
//!
//! The series is judged in hourly means (the stored history older than two days is hourly, so
//! history and the day judged are compared like with like, and one noisy sample cannot make an
//! incident). Each hour's score is its distance from the expected value (the history's recent
//! trend plus, where the series has a daily cycle, the same hour's usual offset) in robust
//! standard deviations. A point is flagged only above a threshold calibrated on the series'
//! own past: above [`DAY_QUANTILE`] of the past days' peak scores (times [`MARGIN`]), and never
//! below [`FLAG_Z`]. A normal day then raises a flag about one time in ten. With less than
//! [`MIN_HISTORY_DAYS`] of history nothing is flagged (cold start).

use crate::util::time::DAY_SECS_F64;
use serde::Serialize;

use super::Obs;
use super::season::{SEASONAL_STRENGTH, daily_strength, hour_of_day};
use super::stats::{clean, mad_sigma, median, quantile, quantile_sorted};
use super::trend::theil_sen;

/// Points before anything is flagged.
pub const WARMUP: usize = 60;
/// The lowest threshold, in robust standard deviations.
pub const FLAG_Z: f64 = 6.0;
/// Quantile of the past days' peak scores the threshold sits above.
pub const DAY_QUANTILE: f64 = 0.9;
/// Headroom over that quantile: the profile is fitted on the days that calibrate it, so their
/// scores run lower than a new day's.
pub const MARGIN: f64 = 1.25;
/// Days of history before anything is flagged.
pub const MIN_HISTORY_DAYS: f64 = 2.0;
/// Days of history before the daily cycle is learned.
pub const PROFILE_DAYS: f64 = 3.0;
/// The history the profile and the threshold are learned from (the newest part).
pub const LOOKBACK_DAYS: f64 = 14.0;
const HOUR: f64 = 3600.0;

/// Which profile judged the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    ColdStart,
    /// The recent trend alone (no daily cycle learned or none present).
    Level,
    /// The recent trend plus the same hour's usual offset.
    SameHour,
}

/// A run of anomalous hours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    /// Unix seconds: start of the first anomalous hour, end of the last.
    pub from: f64,
    pub to: f64,
    /// Highest |z| in the run.
    pub peak: f64,
}

/// The verdict over the evaluated window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomalies {
    pub profile: Profile,
    /// |z| of the newest hour, 0 in a cold start; capped at 100.
    pub score: f64,
    /// The calibrated threshold a score must reach to be flagged (0 in a cold start).
    pub threshold: f64,
    pub intervals: Vec<Interval>,
}

impl Anomalies {
    /// Whether the newest hour is itself anomalous.
    pub fn flagged_now(&self) -> bool {
        self.threshold > 0.0 && self.score >= self.threshold
    }
}

/// Hourly means of `obs` (sorted): one point per UTC hour with data, at the hour's start.
pub fn hourly(obs: &[Obs]) -> Vec<Obs> {
    let mut out: Vec<Obs> = Vec::new();
    let (mut key, mut sum, mut n) = (f64::NAN, 0.0, 0.0);
    for o in obs {
        let k = (o.t / HOUR).floor();
        if k != key && n > 0.0 {
            out.push(Obs::new(key * HOUR, sum / n));
            (sum, n) = (0.0, 0.0);
        }
        key = k;
        sum += o.v;
        n += 1.0;
    }
    if n > 0.0 {
        out.push(Obs::new(key * HOUR, sum / n));
    }
    out
}

/// The expected value of an hour: trend through the history plus the hour's offset.
struct Model {
    t0: f64,
    level: f64,
    slope: f64,
    offsets: Option<[f64; 24]>,
    spread: f64,
}

impl Model {
    fn fit(history: &[Obs]) -> Option<Model> {
        let (first, last) = (history.first()?, history.last()?);
        let t0 = last.t;
        let slope = theil_sen(history).map_or(0.0, |f| f.line.slope);
        let detrended: Vec<Obs> = history
            .iter()
            .map(|o| Obs::new(o.t, o.v - slope * (o.t - t0)))
            .collect();
        let seasonal = last.t - first.t >= PROFILE_DAYS * DAY_SECS_F64
            && daily_strength(&detrended).is_some_and(|s| s >= SEASONAL_STRENGTH);
        let mut values: Vec<f64> = detrended.iter().map(|o| o.v).collect();
        let level = median(&mut values)?;
        let offsets = if seasonal {
            let mut by_hour: Vec<Vec<f64>> = vec![Vec::new(); 24];
            for o in &detrended {
                by_hour[hour_of_day(o.t)].push(o.v - level);
            }
            let mut offsets = [0.0; 24];
            for (h, v) in by_hour.iter_mut().enumerate() {
                offsets[h] = median(v).unwrap_or(0.0);
            }
            Some(offsets)
        } else {
            None
        };
        let mut model = Model {
            t0,
            level,
            slope,
            offsets,
            spread: 0.0,
        };
        let resid: Vec<f64> = history.iter().map(|o| o.v - model.expected(o.t)).collect();
        // A flat or quantised series is not anomalous for a rounding step, and a mostly idle
        // one (MAD 0: disk writes in bursts) is measured by its wider quantiles instead.
        let floor = (1e-3 * level.abs()).max(1e-9);
        let mut sorted = resid.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let wide = if sorted.is_empty() {
            0.0
        } else {
            (quantile_sorted(&sorted, 0.95) - quantile_sorted(&sorted, 0.05)) / (2.0 * 1.645)
        };
        model.spread = mad_sigma(&resid).unwrap_or(0.0).max(wide / 3.0).max(floor);
        Some(model)
    }

    fn expected(&self, t: f64) -> f64 {
        let offset = self.offsets.map_or(0.0, |o| o[hour_of_day(t)]);
        self.level + self.slope * (t - self.t0) + offset
    }

    fn z(&self, o: &Obs) -> f64 {
        ((o.v - self.expected(o.t)) / self.spread).abs()
    }
}

/// The threshold from the history's own scores: above [`DAY_QUANTILE`] of its days' peaks.
fn calibrate(model: &Model, history: &[Obs]) -> f64 {
    let mut peaks: Vec<f64> = Vec::new();
    let mut day = f64::NAN;
    for o in history {
        let d = (o.t / DAY_SECS_F64).floor();
        let z = model.z(o);
        if d == day {
            if let Some(p) = peaks.last_mut() {
                *p = p.max(z);
            }
        } else {
            peaks.push(z);
            day = d;
        }
    }
    quantile(&mut peaks, DAY_QUANTILE).map_or(FLAG_Z, |q| (MARGIN * q).max(FLAG_Z))
}

/// Scores the hours from `since` on against a profile and threshold learned from the
/// [`LOOKBACK_DAYS`] before it.
pub fn detect(obs: &[Obs], since: f64) -> Anomalies {
    let cold = Anomalies {
        profile: Profile::ColdStart,
        score: 0.0,
        threshold: 0.0,
        intervals: Vec::new(),
    };
    let obs = clean(obs);
    if obs.len() < WARMUP {
        return cold;
    }
    let hours = hourly(&obs);
    let cut = (since / HOUR).floor() * HOUR;
    let split = hours.partition_point(|o| o.t < cut);
    let from = hours.partition_point(|o| o.t < cut - LOOKBACK_DAYS * DAY_SECS_F64);
    let (history, recent) = (&hours[from..split], &hours[split..]);
    let enough = history
        .first()
        .is_some_and(|f| cut - f.t >= MIN_HISTORY_DAYS * DAY_SECS_F64);
    let Some(model) = enough.then(|| Model::fit(history)).flatten() else {
        return cold;
    };
    let threshold = calibrate(&model, history);
    let mut intervals: Vec<Interval> = Vec::new();
    let mut open = false;
    let mut score = 0.0;
    for o in recent {
        let z = model.z(o);
        score = z.min(100.0);
        if z < threshold {
            open = false;
            continue;
        }
        match intervals.last_mut() {
            Some(run) if open => {
                run.to = o.t + HOUR;
                run.peak = run.peak.max(z.min(100.0));
            }
            _ => intervals.push(Interval {
                from: o.t,
                to: o.t + HOUR,
                peak: z.min(100.0),
            }),
        }
        open = true;
    }
    Anomalies {
        profile: if model.offsets.is_some() {
            Profile::SameHour
        } else {
            Profile::Level
        },
        score,
        threshold,
        intervals,
    }
}
