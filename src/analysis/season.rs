//! The daily season: whether a series repeats itself every day (nightly backups, recorder
//! purges, the heating's day), and its daily maxima for a trend that such cycles cannot fool.

use super::Obs;
use super::stats::clean;
use super::trend::least_squares;

pub const DAY: f64 = 86_400.0;
/// Share of the detrended variance the hour-of-day profile must explain to call it a season.
pub const SEASONAL_STRENGTH: f64 = 0.25;
/// Days of data before a season can be told from a trend.
pub const SEASON_MIN_DAYS: f64 = 3.0;

/// How much of the variance around the trend the hour-of-day profile explains (0..=1);
/// `None` with less than [`SEASON_MIN_DAYS`] of data.
pub fn daily_strength(obs: &[Obs]) -> Option<f64> {
    let obs = clean(obs);
    let (first, last) = (obs.first()?.t, obs.last()?.t);
    if last - first < SEASON_MIN_DAYS * DAY {
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
    ((t.rem_euclid(DAY)) / 3600.0) as usize % 24
}

/// The maximum of each 24-hour period ending at `end` (newest last), placed where it
/// occurred (at the period's end, a growing peak would read as late and the forecast early);
/// periods with less than a quarter of the day covered are skipped, so a partial first
/// day does not look like a low one.
pub fn daily_maxima(obs: &[Obs], end: f64) -> Vec<Obs> {
    let obs = clean(obs);
    let Some(first) = obs.first().map(|o| o.t) else {
        return Vec::new();
    };
    let days = ((end - first) / DAY).ceil().max(0.0) as usize;
    let mut out = Vec::with_capacity(days);
    for k in (0..days).rev() {
        let to = end - k as f64 * DAY;
        let from = to - DAY;
        let day: Vec<&Obs> = obs.iter().filter(|o| o.t > from && o.t <= to).collect();
        let (Some(a), Some(b)) = (day.first(), day.last()) else {
            continue;
        };
        if b.t - a.t < DAY / 4.0 {
            continue;
        }
        if let Some(peak) = day.iter().max_by(|a, b| a.v.total_cmp(&b.v)) {
            out.push(**peak);
        }
    }
    out
}
