//! Small robust statistics shared by the analyses: medians, quantiles, MAD, the normal
//! distribution and thinning a long series to a bounded number of points.

use super::Obs;

/// z of the two-sided 80 % interval (10 % in each tail): the intervals every forecast gives.
pub const Z80: f64 = 1.281_551_565_545;

/// Median of `values` (reordered in place); `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// The `q` quantile (0..=1) with linear interpolation (values reordered in place).
pub fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    Some(quantile_sorted(values, q))
}

/// [`quantile`] of values already sorted ascending (not empty).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// Median absolute deviation scaled to a normal standard deviation (× 1.4826).
pub fn mad_sigma(values: &[f64]) -> Option<f64> {
    let mut copy = values.to_vec();
    let med = median(&mut copy)?;
    for v in copy.iter_mut() {
        *v = (*v - med).abs();
    }
    median(&mut copy).map(|m| m * 1.4826)
}

/// Standard normal cumulative distribution (Abramowitz–Stegun 7.1.26 for erf, error < 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    if !z.is_finite() {
        return if z > 0.0 { 1.0 } else { 0.0 };
    }
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// The finite observations of `obs`, sorted by time: every analysis starts from this, so no
/// NaN or infinity from a caller can reach the arithmetic.
pub fn clean(obs: &[Obs]) -> Vec<Obs> {
    let mut out: Vec<Obs> = obs
        .iter()
        .copied()
        .filter(|o| o.t.is_finite() && o.v.is_finite())
        .collect();
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    out
}

/// At most `max` points: consecutive runs of `obs` averaged (time and value). Keeps the
/// pairwise estimators (Theil–Sen, Mann–Kendall) at a bounded cost on 30 days of minutes, and
/// the means of runs are less autocorrelated than the minutes they summarise.
pub fn thin(obs: &[Obs], max: usize) -> Vec<Obs> {
    if obs.len() <= max || max == 0 {
        return obs.to_vec();
    }
    let per = obs.len().div_ceil(max);
    obs.chunks(per)
        .map(|run| {
            let n = run.len() as f64;
            Obs {
                t: run.iter().map(|o| o.t).sum::<f64>() / n,
                v: run.iter().map(|o| o.v).sum::<f64>() / n,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let mut v = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(median(&mut v), Some(2.5));
        assert_eq!(quantile(&mut v, 0.0), Some(1.0));
        assert_eq!(quantile(&mut v, 1.0), Some(4.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(Z80) - 0.9).abs() < 1e-6);
        assert!((normal_cdf(-1.96) - 0.025).abs() < 1e-4);
    }

    #[test]
    fn thin_bounds_the_points_and_keeps_the_mean() {
        let obs: Vec<Obs> = (0..1000).map(|i| Obs::new(i as f64, i as f64)).collect();
        let thinned = thin(&obs, 100);
        assert!(thinned.len() <= 100);
        let mean = thinned.iter().map(|o| o.v).sum::<f64>() / thinned.len() as f64;
        assert!((mean - 499.5).abs() < 1e-9);
    }
}
