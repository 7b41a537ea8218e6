//! The daily season: whether a series repeats itself every day (nightly backups, recorder
//! purges, the heating's day), and its daily maxima for a trend that such cycles cannot fool.

use super::Obs;
use super::stats::clean;
use super::trend::least_squares;

use crate::util::time::DAY_SECS_F64;
/// Share of the detrended variance the hour-of-day profile must explain to call it a season.
pub const SEASONAL_STRENGTH: f64 = 0.25;
/// Days of data before a season can be told from a trend.
pub const SEASON_MIN_DAYS: f64 = 3.0;

/// How much of the variance around the trend the hour-of-day profile explains (0..=1);
/// `None` with less than [`SEASON_MIN_DAYS`] of data.
pub fn daily_strength(obs: &[Obs]) -> Option<f64> {
    let obs = clean(obs);
    let (first, last) = (obs.first()?.t, obs.last()?.t);
    if last - first < SEASON_MIN_DAYS * DAY_SECS_F64 {
        return None;
    }
    let fit = least_squares(&obs)?;
    let resid: Vec<(usize, f64)> = obs
        .iter()
        .map(|o| (hour_of_day(o.t), o.v - fit.line.at(o.t)))
        .collect();
    let mut sums = [0.0f64; 24];
    let mut counts = [0usize; 24];
    for (h, r) in &resid {
        sums[*h] += r;
        counts[*h] += 1;
    }
    let n = resid.len() as f64;
    let mean = resid.iter().map(|r| r.1).sum::<f64>() / n;
    let total: f64 = resid.iter().map(|r| (r.1 - mean).powi(2)).sum::<f64>() / n;
    if total <= 0.0 || !total.is_finite() {
        return Some(0.0);
    }
    let between: f64 = (0..24)
        .filter(|h| counts[*h] > 0)
        .map(|h| counts[h] as f64 * (sums[h] / counts[h] as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    Some((between / total).clamp(0.0, 1.0))
}

/// Whether `obs` has a daily season worth modelling.
pub fn is_daily(obs: &[Obs]) -> bool {
    daily_strength(obs).is_some_and(|s| s >= SEASONAL_STRENGTH)
}

/// UTC hour of day of a Unix time in seconds.
pub fn hour_of_day(t: f64) -> usize {
    ((t.rem_euclid(DAY_SECS_F64)) / 3600.0) as usize % 24
}

/// The highest value of the 24 hours ending at each observation, from the first observation a
/// full day (less one bucket) after the start: the daily-maximum model's input at every phase
/// of the day, not only one sample a day. O(n) with a monotone queue.
pub fn rolling_max(obs: &[Obs]) -> Vec<Obs> {
    let obs = clean(obs);
    let Some(first) = obs.first().map(|o| o.t) else {
        return Vec::new();
    };
    let mut queue: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut out = Vec::new();
    for (i, o) in obs.iter().enumerate() {
        while queue.back().is_some_and(|&j| obs[j].v <= o.v) {
            queue.pop_back();
        }
        queue.push_back(i);
        while queue
            .front()
            .is_some_and(|&j| obs[j].t <= o.t - DAY_SECS_F64)
        {
            queue.pop_front();
        }
        if o.t - first >= DAY_SECS_F64 * 0.95
            && let Some(&j) = queue.front()
        {
            out.push(Obs::new(o.t, obs[j].v));
        }
    }
    out
}
