//! Anomalies: each series against its own profile. With three days of history the profile is
//! the same hour of previous days (median and MAD after removing the trend), so a daily cycle
//! is expected rather than flagged; with less, an EWMA level and spread; with fewer than
//! [`WARMUP`] points nothing is flagged (cold start).

use crate::util::time::DAY_SECS_F64;
use serde::Serialize;

use super::Obs;
use super::season::hour_of_day;
use super::stats::{clean, mad_sigma, median};
use super::trend::theil_sen;

/// Points before anything is flagged.
pub const WARMUP: usize = 60;
/// |robust z| from which a point is anomalous.
pub const FLAG_Z: f64 = 6.0;
/// Days of history before the same-hour profile is used.
pub const PROFILE_DAYS: f64 = 3.0;
/// EWMA smoothing of level and spread.
const ALPHA: f64 = 0.05;

/// Which profile judged the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    ColdStart,
    Ewma,
    SameHour,
}

/// A run of anomalous points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    /// Unix seconds of the first and last anomalous point.
    pub from: f64,
    pub to: f64,
    /// Highest |z| in the run.
    pub peak: f64,
}

/// The verdict over the evaluated window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomalies {
    pub profile: Profile,
    /// |z| of the newest point, 0 in a cold start; capped at 100.
    pub score: f64,
    pub intervals: Vec<Interval>,
}

/// Scores the points of `obs` newer than `since` against the profile of what came before
/// (the EWMA walks the whole series).
pub fn detect(obs: &[Obs], since: f64) -> Anomalies {
    let obs = clean(obs);
    let cold = Anomalies {
        profile: Profile::ColdStart,
        score: 0.0,
        intervals: Vec::new(),
    };
    let (Some(first), Some(_)) = (obs.first(), obs.last()) else {
        return cold;
    };
    if obs.len() < WARMUP {
        return cold;
    }
    let history: Vec<Obs> = obs.iter().copied().filter(|o| o.t < since).collect();
    let scored: Vec<(f64, f64)> = if since - first.t >= PROFILE_DAYS * DAY_SECS_F64 {
        match same_hour(&history, &obs, since) {
            Some(z) => return finish(Profile::SameHour, z),
            None => ewma(&obs, since),
        }
    } else {
        ewma(&obs, since)
    };
    finish(Profile::Ewma, scored)
}

fn finish(profile: Profile, scored: Vec<(f64, f64)>) -> Anomalies {
    let score = scored.last().map_or(0.0, |p| p.1.abs().min(100.0));
    let mut intervals: Vec<Interval> = Vec::new();
    let mut open = false;
    for (t, z) in scored {
        let z = z.abs().min(100.0);
        if z >= FLAG_Z {
            match intervals.last_mut() {
                Some(run) if open => {
                    run.to = t;
                    run.peak = run.peak.max(z);
                }
                _ => intervals.push(Interval {
                    from: t,
                    to: t,
                    peak: z,
                }),
            }
            open = true;
        } else {
            open = false;
        }
    }
    Anomalies {
        profile,
        score,
        intervals,
    }
}

/// The scale below which differences do not count: a flat series is not anomalous for a
/// rounding step.
fn floor_for(level: f64, spread: f64) -> f64 {
    spread.max(1e-3 * level.abs()).max(1e-9)
}

fn same_hour(history: &[Obs], obs: &[Obs], since: f64) -> Option<Vec<(f64, f64)>> {
    let trend = theil_sen(history).map_or(0.0, |f| f.line.slope);
    let detrend = |o: &Obs| o.v - trend * (o.t - since);
    let mut by_hour: Vec<Vec<f64>> = vec![Vec::new(); 24];
    for o in history {
        by_hour[hour_of_day(o.t)].push(detrend(o));
    }
    let mut all: Vec<f64> = history.iter().map(detrend).collect();
    let global_spread = mad_sigma(&all).unwrap_or(0.0);
    let global_level = median(&mut all)?;
    let mut profile = Vec::with_capacity(24);
    for values in &by_hour {
        if values.len() < 3 {
            return None;
        }
        let mut v = values.clone();
        let med = median(&mut v)?;
        let spread = mad_sigma(values).unwrap_or(0.0);
        // An hour's spread is never taken below a tenth of the series' own, so a quiet hour
        // does not turn ordinary noise into anomalies.
        profile.push((
            med,
            floor_for(global_level, spread.max(0.1 * global_spread)),
        ));
    }
    Some(
        obs.iter()
            .filter(|o| o.t >= since)
            .map(|o| {
                let (med, spread) = profile[hour_of_day(o.t)];
                (o.t, (detrend(o) - med) / spread)
            })
            .collect(),
    )
}

fn ewma(obs: &[Obs], since: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let first = obs[0].v;
    let (mut level, mut var) = (first, 0.0f64);
    for (seen, o) in obs.iter().enumerate() {
        let spread = floor_for(level, var.sqrt());
        let z = (o.v - level) / spread;
        if o.t >= since && seen >= WARMUP {
            out.push((o.t, z));
        }
        // A flagged point moves the profile only as far as the flag line, so a spike does not
        // teach the profile that spikes are normal.
        let limited = level + z.clamp(-FLAG_Z, FLAG_Z) * spread;
        let input = if seen < WARMUP { o.v } else { limited };
        let diff = input - level;
        level += ALPHA * diff;
        var = (1.0 - ALPHA) * (var + ALPHA * diff * diff);
    }
    out
}
