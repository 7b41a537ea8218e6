//! Leak suspicion: memory that keeps growing underneath the garbage collector's sawtooth.
//!
//! The evidence is the troughs: the minimum of each of [`SLOTS`] equal slots of the window.
//! A sawtooth's troughs stay level however tall its teeth; a leak lifts them. Growth counts
//! only when the troughs rise significantly (Mann–Kendall), by more than their noise, and in
//! both halves of the window, so one step up followed by a plateau is not called a leak.

use crate::util::time::DAY_SECS_F64;
use serde::Serialize;

use super::Obs;
use super::stats::{clean, mad_sigma};
use super::trend::{mann_kendall, theil_sen};

/// Slots the evidence window is cut into (one trough each).
pub const SLOTS: usize = 24;
/// Shortest evidence window: a day, so a daily job's growth is not a leak.
pub const MIN_WINDOW: f64 = DAY_SECS_F64;
/// Longest evidence window looked at.
pub const MAX_WINDOW: f64 = 7.0 * DAY_SECS_F64;
/// Mann–Kendall level the troughs' rise must pass.
pub const ALPHA: f64 = 0.01;

/// A suspected leak.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leak {
    /// Growth of the troughs, units per day.
    pub rate_per_day: f64,
    /// 1 − the Mann–Kendall p-value of the troughs.
    pub confidence: f64,
    /// The evidence window, Unix seconds.
    pub from: f64,
    pub to: f64,
    /// Seconds from `to` until the troughs reach the limit, if one is known and reached
    /// within five years.
    pub eta_to_limit: Option<f64>,
}

/// A leak in `obs` (a memory series), or `None`. `limit` is the memory limit, same unit.
pub fn detect(obs: &[Obs], limit: Option<f64>) -> Option<Leak> {
    let obs = clean(obs);
    let to = obs.last()?.t;
    let from = (to - MAX_WINDOW).max(obs.first()?.t);
    if to - from < MIN_WINDOW {
        return None;
    }
    let troughs = troughs(&obs, from, to);
    if troughs.len() < SLOTS / 2 {
        return None;
    }
    let fit = theil_sen(&troughs)?;
    let test = mann_kendall(&troughs.iter().map(|o| o.v).collect::<Vec<_>>());
    if fit.line.slope <= 0.0 || !test.significant(ALPHA) {
        return None;
    }
    let resid: Vec<f64> = troughs.iter().map(|o| o.v - fit.line.at(o.t)).collect();
    let noise = mad_sigma(&resid).unwrap_or(0.0);
    let level = fit.line.at(to).abs();
    let growth = fit.line.slope * (to - from);
    if growth <= 3.0 * noise || growth <= 0.01 * level {
        return None;
    }
    // Sustained: each half rises on its own at a good share of the whole window's rate.
    let half = troughs.len() / 2;
    for part in [&troughs[..half], &troughs[half..]] {
        let part_slope = theil_sen(part).map_or(0.0, |f| f.line.slope);
        if part_slope < 0.3 * fit.line.slope {
            return None;
        }
    }
    let eta_to_limit = limit.filter(|l| l.is_finite()).and_then(|l| {
        let eta = ((l - fit.line.at(to)) / fit.line.slope).max(0.0);
        (eta <= super::forecast::MAX_ETA).then_some(eta)
    });
    Some(Leak {
        rate_per_day: fit.line.slope * DAY_SECS_F64,
        confidence: 1.0 - test.p,
        from,
        to,
        eta_to_limit,
    })
}

/// The minimum of each slot of `[from, to]`, placed at the slot's middle.
fn troughs(obs: &[Obs], from: f64, to: f64) -> Vec<Obs> {
    let width = (to - from) / SLOTS as f64;
    let mut out = Vec::with_capacity(SLOTS);
    for k in 0..SLOTS {
        let (a, b) = (from + k as f64 * width, from + (k + 1) as f64 * width);
        let min = obs
            .iter()
            .filter(|o| o.t >= a && (o.t < b || (k + 1 == SLOTS && o.t <= b)))
            .map(|o| o.v)
            .fold(f64::INFINITY, f64::min);
        if min.is_finite() {
            out.push(Obs::new((a + b) / 2.0, min));
        }
    }
    out
}
