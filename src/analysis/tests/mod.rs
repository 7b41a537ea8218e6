//! Synthetic series with known truth, and property tests, for the pure analyses.

mod accuracy;
mod anomaly;
mod backtest;
mod bottleneck;
mod forecast;
mod leak;
mod props;

use super::synthetic::{START, Shape};

use crate::util::time::MINUTE_SECS_F64;
const GB: f64 = 1e9;
const MB: f64 = 1e6;

/// `days` of one-minute observations of `shape`.
fn minutes(shape: Shape, days: f64, seed: u64) -> Vec<super::Obs> {
    shape.sample(START, days, MINUTE_SECS_F64, seed)
}
