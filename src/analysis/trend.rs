//! Slopes: least squares (the baseline), Theil–Sen (robust, with Sen's 80 % interval for the
//! slope) and the Mann–Kendall test that keeps noise from being called a trend.

use super::Obs;
use super::stats::{Z80, clean, median, normal_cdf, thin};

/// Most points the pairwise estimators look at (n² / 2 pairs).
pub const PAIR_POINTS: usize = 96;

/// A straight line `v = level + slope × (t − t_ref)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub t_ref: f64,
    pub level: f64,
    /// Units per second.
    pub slope: f64,
}

impl Line {
    /// The line's value at `t`.
    pub fn at(&self, t: f64) -> f64 {
        self.level + self.slope * (t - self.t_ref)
    }
}

/// An ordinary least-squares fit with what its classical prediction interval needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeastSquares {
    /// Referenced at the mean time.
    pub line: Line,
    /// Residual standard deviation (n − 2 degrees of freedom).
    pub sigma: f64,
    /// Σ (t − t̄)².
    pub sxx: f64,
    pub n: usize,
}

/// Least squares over `obs`; `None` with fewer than 3 points or no time spread.
pub fn least_squares(obs: &[Obs]) -> Option<LeastSquares> {
    let obs = clean(obs);
    let n = obs.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let mean_t = obs.iter().map(|o| o.t).sum::<f64>() / nf;
    let mean_v = obs.iter().map(|o| o.v).sum::<f64>() / nf;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for o in &obs {
        let dt = o.t - mean_t;
        sxx += dt * dt;
        sxy += dt * (o.v - mean_v);
    }
    if sxx <= 0.0 || !sxx.is_finite() {
        return None;
    }
    let line = Line {
        t_ref: mean_t,
        level: mean_v,
        slope: sxy / sxx,
    };
    let sse: f64 = obs.iter().map(|o| (o.v - line.at(o.t)).powi(2)).sum();
    let sigma = (sse / (nf - 2.0)).sqrt();
    finite_line(&line).then_some(LeastSquares {
        line,
        sigma: if sigma.is_finite() { sigma } else { 0.0 },
        sxx,
        n,
    })
}

impl LeastSquares {
    /// The classical 80 % prediction interval of one new value at `t`: (point, low, high).
    pub fn predict(&self, t: f64) -> (f64, f64, f64) {
        let point = self.line.at(t);
        let dt = t - self.line.t_ref;
        let half = Z80 * self.sigma * (1.0 + 1.0 / self.n as f64 + dt * dt / self.sxx).sqrt();
        let half = if half.is_finite() { half } else { 0.0 };
        (point, point - half, point + half)
    }
}

/// A Theil–Sen fit: the median of pairwise slopes, Sen's interval for it, and the spread of
/// the residuals around the line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TheilSen {
    /// Referenced at the last observation's time.
    pub line: Line,
    /// 80 % interval of the slope (units per second), `slope_low ≤ line.slope ≤ slope_high`.
    pub slope_low: f64,
    pub slope_high: f64,
    /// 10th and 90th percentile of the residuals (≤ 0 and ≥ 0).
    pub resid_low: f64,
    pub resid_high: f64,
    /// 99.5th percentile of the residuals (≥ `resid_high`): about the highest a day of
    /// five-minute points rises above the line, which is when a threshold is first touched.
    pub resid_peak: f64,
    /// Points the slope was estimated from (after thinning).
    pub n: usize,
    pub test: MannKendall,
}

/// Theil–Sen over `obs` (thinned to [`PAIR_POINTS`]); `None` with fewer than 4 points or no
/// time spread.
pub fn theil_sen(obs: &[Obs]) -> Option<TheilSen> {
    theil_sen_with(obs, None)
}

/// [`theil_sen`] where the observations are far from independent (a rolling maximum holds
/// about one independent value a day): `independent` sets the sample size of the band.
pub fn theil_sen_with(obs: &[Obs], independent: Option<usize>) -> Option<TheilSen> {
    let all = clean(obs);
    let pts = thin(&all, PAIR_POINTS);
    let n = pts.len();
    if n < 4 {
        return None;
    }
    let mut slopes = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            let dt = pts[j].t - pts[i].t;
            if dt > 0.0 {
                let s = (pts[j].v - pts[i].v) / dt;
                if s.is_finite() {
                    slopes.push(s);
                }
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    slopes.sort_unstable_by(f64::total_cmp);
    let m = slopes.len();
    let slope = super::stats::quantile_sorted(&slopes, 0.5);
    // Sen's interval: ranks (N ∓ z·√Var S) / 2 of the ordered slopes.
    let test = mann_kendall(&pts.iter().map(|o| o.v).collect::<Vec<_>>());
    let c = Z80 * test.var_s.sqrt();
    let lo_rank = (((m as f64 - c) / 2.0).floor().max(0.0) as usize).min(m - 1);
    let hi_rank = (((m as f64 + c) / 2.0).ceil().max(0.0) as usize).min(m - 1);
    let t_ref = all.last().map_or(0.0, |o| o.t);
    let mut offsets: Vec<f64> = all.iter().map(|o| o.v - slope * (o.t - t_ref)).collect();
    let level = median(&mut offsets)?;
    let mut resid: Vec<f64> = offsets.iter().map(|o| o - level).collect();
    resid.sort_unstable_by(f64::total_cmp);
    let line = Line {
        t_ref,
        level,
        slope,
    };
    if !finite_line(&line) {
        return None;
    }
    // The empirical 10th/90th percentiles of a handful of residuals (a week of daily maxima)
    // understate the spread: never narrower than Student's t band of their robust sigma.
    let sigma = super::stats::mad_sigma(&resid).unwrap_or(0.0);
    let n = independent.unwrap_or(all.len()).clamp(1, all.len());
    let t_band = t90(n.saturating_sub(2)) * sigma * (1.0 + 1.0 / n as f64).sqrt();
    let t_band = if t_band.is_finite() { t_band } else { 0.0 };
    Some(TheilSen {
        line,
        slope_low: slopes[lo_rank].min(slope),
        slope_high: slopes[hi_rank].max(slope),
        resid_low: super::stats::quantile_sorted(&resid, 0.1)
            .min(-t_band)
            .min(0.0),
        resid_high: super::stats::quantile_sorted(&resid, 0.9)
            .max(t_band)
            .max(0.0),
        resid_peak: super::stats::quantile_sorted(&resid, 0.995)
            .max(t_band)
            .max(0.0),
        n,
        test,
    })
}

/// Student's t 90th percentile for `df` degrees of freedom (table, then the normal's).
fn t90(df: usize) -> f64 {
    const TABLE: [f64; 10] = [
        3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397, 1.383, 1.372,
    ];
    match df {
        0 => TABLE[0],
        1..=10 => TABLE[df - 1],
        11..=15 => 1.345,
        16..=30 => 1.320,
        _ => Z80,
    }
}

fn finite_line(line: &Line) -> bool {
    line.level.is_finite() && line.slope.is_finite() && line.t_ref.is_finite()
}

/// The Mann–Kendall trend test of values in time order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannKendall {
    /// Σ sign(v_j − v_i) over i < j.
    pub s: i64,
    /// Variance of S under "no trend" (ties ignored).
    pub var_s: f64,
    /// Two-sided p-value (normal approximation with continuity correction).
    pub p: f64,
}

impl MannKendall {
    /// Whether the trend is unlikely to be noise at level `alpha`.
    pub fn significant(&self, alpha: f64) -> bool {
        self.p < alpha
    }
}

/// Mann–Kendall over `values` in time order.
pub fn mann_kendall(values: &[f64]) -> MannKendall {
    let n = values.len();
    let mut s: i64 = 0;
    for i in 0..n {
        for j in i + 1..n {
            s += match values[j].partial_cmp(&values[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let nf = n as f64;
    let var_s = nf * (nf - 1.0) * (2.0 * nf + 5.0) / 18.0;
    let p = if var_s <= 0.0 || s == 0 {
        1.0
    } else {
        let z = (s.abs() as f64 - 1.0) / var_s.sqrt();
        (2.0 * (1.0 - normal_cdf(z))).clamp(0.0, 1.0)
    };
    MannKendall { s, var_s, p }
}

/// One window's trend as the API reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trend {
    /// `1h`, `24h` or `7d`.
    pub window: &'static str,
    /// Theil–Sen slope, units per day.
    pub slope_per_day: f64,
    /// Least-squares slope, units per day (the baseline).
    pub least_squares_per_day: f64,
    /// Mann–Kendall two-sided p-value.
    pub p_value: f64,
    /// p < 0.05: a trend, not noise.
    pub significant: bool,
}

/// The windows trends are reported over, with their length in seconds.
pub const WINDOWS: [(&str, f64); 3] = [("1h", 3600.0), ("24h", 86_400.0), ("7d", 604_800.0)];

/// Trends of `obs` over the windows ending at `now` (a window with too few points is left out).
pub fn trends(obs: &[Obs], now: f64) -> Vec<Trend> {
    WINDOWS
        .iter()
        .filter_map(|(name, span)| {
            let window: Vec<Obs> = obs
                .iter()
                .copied()
                .filter(|o| o.t > now - span && o.t <= now)
                .collect();
            let ts = theil_sen(&window)?;
            let ls = least_squares(&window)?;
            Some(Trend {
                window: name,
                slope_per_day: ts.line.slope * 86_400.0,
                least_squares_per_day: ls.line.slope * 86_400.0,
                p_value: ts.test.p,
                significant: ts.test.significant(0.05),
            })
        })
        .collect()
}
