use proptest::prelude::*;

use super::super::Obs;
use super::super::forecast::{Method, fit, fit_best};
use super::super::{anomaly, leak, trend};

/// Finite series: increasing times with gaps, values across many magnitudes.
fn series() -> impl Strategy<Value = Vec<Obs>> {
    prop::collection::vec((0.001f64..100_000.0, -1e12f64..1e12), 0..300).prop_map(|steps| {
        let mut t = 1.7e9;
        steps
            .into_iter()
            .map(|(dt, v)| {
                t += dt;
                Obs::new(t, v)
            })
            .collect()
    })
}

fn finite(x: f64) -> bool {
    x.is_finite()
}

proptest! {
    #[test]
    fn forecasts_are_finite_and_ordered(obs in series(), h in 0.0f64..1e9, threshold in -1e12f64..1e13, factors in prop::array::uniform3(0.0f64..10.0), horizon in 60.0f64..1e7) {
        // Calibrated or not: a calibration only scales the band about the point forecast.
        let calibration = crate::analysis::conformal::Calibration {
            horizons: [0.25 * horizon, 0.5 * horizon, horizon],
            factors,
            cases: 8,
        };
        let models = [fit_best(&obs), fit(&obs, Method::Linear), fit(&obs, Method::LeastSquares), fit(&obs, Method::DailyMax)];
        let calibrated = models.map(|m| m.map(|mut m| { m.calibration = Some(calibration); m }));
        for m in models.into_iter().chain(calibrated).flatten() {
            let p = m.predict(h);
            prop_assert!(finite(p.value) && finite(p.low) && finite(p.high), "{p:?}");
            prop_assert!(p.low <= p.value && p.value <= p.high, "{p:?}");
            if let Some(eta) = m.eta(threshold) {
                prop_assert!(finite(eta.point) && finite(eta.low));
                prop_assert!(eta.low <= eta.point, "{eta:?}");
                if let Some(high) = eta.high {
                    prop_assert!(finite(high) && eta.point <= high, "{eta:?}");
                }
            }
            prop_assert!(finite(m.confidence()));
        }
    }

    #[test]
    fn trends_leaks_and_anomalies_are_finite(obs in series()) {
        let now = obs.last().map_or(0.0, |o| o.t);
        for t in trend::trends(&obs, now) {
            prop_assert!(finite(t.slope_per_day) && finite(t.least_squares_per_day) && finite(t.p_value));
        }
        if let Some(l) = leak::detect(&obs, Some(1e12)) {
            prop_assert!(finite(l.rate_per_day) && finite(l.confidence));
        }
        let a = anomaly::detect(&obs, now - 86_400.0);
        prop_assert!(finite(a.score) && finite(a.threshold));
        for run in a.intervals {
            prop_assert!(finite(run.peak) && run.from <= run.to);
        }
    }

    #[test]
    fn non_finite_input_is_ignored(obs in series(), junk in prop::collection::vec(prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]), 1..5)) {
        let mut dirty = obs.clone();
        for (k, bad) in junk.into_iter().enumerate() {
            dirty.push(Obs::new(1.7e9 + k as f64, bad));
        }
        prop_assert_eq!(fit_best(&dirty), fit_best(&obs));
    }
}

proptest! {
    /// The conformal factor is one of the scores, at least the LEVEL share of them lie at or
    /// under it, and it never exceeds the cap.
    #[test]
    fn the_conformal_factor_covers_its_share(scores in prop::collection::vec(0.0f64..50.0, 8..200)) {
        use crate::analysis::conformal::{LEVEL, MAX_FACTOR, WINDOW, factor};
        let f = factor(&scores).expect("enough scores");
        prop_assert!(f <= MAX_FACTOR);
        let recent = &scores[scores.len().saturating_sub(WINDOW)..];
        let under = recent.iter().filter(|s| **s <= f).count() as f64;
        prop_assert!(f == MAX_FACTOR || under >= LEVEL * recent.len() as f64, "{f} {under}");
    }
}
