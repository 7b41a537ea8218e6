//! Split-conformal calibration of the forecast intervals (ADR 0021). Each series' own
//! rolling-origin backtest says how far outcomes fell from the point forecast, in units of the
//! model's half-width on the side they fell; the 80 % quantile of those ratios (with the
//! finite-sample correction) is the factor that widens or narrows the model's band so that it
//! holds about 80 % of outcomes. One factor per horizon, interpolated between them.

use serde::Serialize;

/// The coverage the intervals claim.
pub const LEVEL: f64 = 0.8;
/// Outcomes a horizon needs before its factor is used.
pub const MIN_CASES: usize = 8;
/// The calibrated horizons, as fractions of the backtest's horizon.
pub const FRACTIONS: [f64; 3] = [0.25, 0.5, 1.0];
/// A factor is kept under this: widening more says the model does not fit the series (a
/// level step, a band of almost zero width), which no factor mends; the backtest shows it.
pub const MAX_FACTOR: f64 = 10.0;
/// The newest outcomes per horizon the factor is taken from, so it follows a changed regime.
pub const WINDOW: usize = 60;

/// Factors per horizon, from one series' backtest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    /// Seconds ahead, ascending.
    pub horizons: [f64; 3],
    /// The band's multiplier at each horizon.
    pub factors: [f64; 3],
    /// Outcomes behind the factor of the longest horizon.
    pub cases: usize,
}

impl Calibration {
    /// The multiplier at `h` seconds ahead: linear between the calibrated horizons, the
    /// nearest one's outside them.
    pub fn factor(&self, h: f64) -> f64 {
        let (hs, fs) = (&self.horizons, &self.factors);
        if h.is_nan() || h <= hs[0] {
            return fs[0];
        }
        for k in 1..hs.len() {
            if h <= hs[k] {
                let w = (h - hs[k - 1]) / (hs[k] - hs[k - 1]).max(1e-9);
                return fs[k - 1] + w * (fs[k] - fs[k - 1]);
            }
        }
        fs[fs.len() - 1]
    }

    /// The band `low ≤ value ≤ high` at `h` seconds ahead, scaled about the point forecast.
    pub fn apply(&self, value: f64, low: f64, high: f64, h: f64) -> (f64, f64) {
        let f = self.factor(h);
        (value - f * (value - low), value + f * (high - value))
    }
}

/// How many half-widths `actual` lies from the point forecast `value`, on its side (≤ 1:
/// inside the band `low ≤ value ≤ high`).
pub fn score(value: f64, low: f64, high: f64, actual: f64) -> f64 {
    let (dist, half) = if actual >= value {
        (actual - value, high - value)
    } else {
        (value - actual, value - low)
    };
    let half = half.max(1e-9 * value.abs()).max(1e-12);
    (dist / half).min(MAX_FACTOR)
}

/// The split-conformal factor of `scores` (oldest first): the ⌈(n + 1)·LEVEL⌉-th smallest of
/// the newest [`WINDOW`]; `None` with fewer than [`MIN_CASES`].
pub fn factor(scores: &[f64]) -> Option<f64> {
    let n = scores.len();
    if n < MIN_CASES {
        return None;
    }
    let recent = &scores[n.saturating_sub(WINDOW)..];
    let mut sorted: Vec<f64> = recent.iter().copied().filter(|s| s.is_finite()).collect();
    if sorted.len() < MIN_CASES {
        return None;
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let k = (((sorted.len() + 1) as f64 * LEVEL).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[k - 1].min(MAX_FACTOR))
}

/// The calibration from per-horizon scores (one list per entry of [`FRACTIONS`]); `None`
/// until every horizon has [`MIN_CASES`] outcomes.
pub fn calibrate(horizon: f64, scores: &[Vec<f64>; 3]) -> Option<Calibration> {
    let mut factors = [1.0; 3];
    for (k, s) in scores.iter().enumerate() {
        factors[k] = factor(s)?;
    }
    Some(Calibration {
        horizons: FRACTIONS.map(|f| f * horizon),
        factors,
        cases: scores[2].len(),
    })
}
