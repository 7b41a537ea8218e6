//! Backtests: rolling-origin evaluation on stored history. At each origin a model is fitted on
//! the history before it and asked for the value a horizon later; the outcome is inside the
//! 80 % interval or not, and off by some amount. The least-squares baseline is judged on the
//! same origins and the same targets.

use serde::Serialize;

use super::Obs;
use super::forecast::{Method, fit, target};
use super::stats::clean;

/// How a backtest is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Seconds of history each fit sees.
    pub history: f64,
    /// Seconds ahead each forecast is judged.
    pub horizon: f64,
    /// Seconds between origins.
    pub step: f64,
    /// How far from the target time an observation may be and still count as the outcome.
    pub tolerance: f64,
}

/// Coverage and error of one method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Score {
    pub cases: usize,
    pub inside: usize,
    /// inside / cases (0 with no case).
    pub coverage: f64,
    /// Mean absolute error of the point forecast, in the series' unit.
    pub mean_abs_error: f64,
    /// Mean absolute error relative to the mean |outcome| (comparable across series).
    pub relative_error: f64,
    /// Mean width of the 80 % interval, in the series' unit.
    pub mean_width: f64,
}

impl Score {
    fn add(&mut self, value: f64, low: f64, high: f64, actual: f64, scale: &mut f64) {
        self.cases += 1;
        if actual >= low && actual <= high {
            self.inside += 1;
        }
        self.mean_abs_error += (value - actual).abs();
        self.mean_width += high - low;
        *scale += actual.abs();
    }

    fn finish(mut self, scale: f64) -> Score {
        if self.cases > 0 {
            let n = self.cases as f64;
            self.coverage = self.inside as f64 / n;
            self.mean_abs_error /= n;
            self.mean_width /= n;
            let mean_actual = scale / n;
            self.relative_error = if mean_actual > 0.0 {
                self.mean_abs_error / mean_actual
            } else {
                0.0
            };
        }
        self
    }

    /// Several scores pooled (cases summed, errors weighted by cases).
    pub fn pool<'a>(scores: impl Iterator<Item = &'a Score>) -> Score {
        let mut out = Score::default();
        let mut rel = 0.0;
        for s in scores {
            out.cases += s.cases;
            out.inside += s.inside;
            rel += s.relative_error * s.cases as f64;
        }
        if out.cases > 0 {
            out.coverage = out.inside as f64 / out.cases as f64;
            out.relative_error = rel / out.cases as f64;
        }
        out
    }
}

/// One forecast kind's result on one series: the method and the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Outcome {
    pub method: Method,
    pub ours: Score,
    pub baseline: Score,
}

/// Runs `plan` for `method` (Linear or DailyMax) over `obs`; `None` when the history is too
/// short for a single origin.
pub fn run(obs: &[Obs], method: Method, plan: &Plan) -> Option<Outcome> {
    let obs = clean(obs);
    let (start, end) = (obs.first()?.t, obs.last()?.t);
    let mut origin = start + plan.history;
    let (mut ours, mut base) = (Score::default(), Score::default());
    let (mut scale_ours, mut scale_base) = (0.0, 0.0);
    while origin + plan.horizon <= end {
        let lo = obs.partition_point(|o| o.t < origin - plan.history);
        let hi = obs.partition_point(|o| o.t < origin);
        let train = &obs[lo..hi];
        let at = origin + plan.horizon;
        if let Some(actual) = target(&obs, method, at, plan.tolerance) {
            // The baseline fits the same input the method does (values or daily maxima).
            let base_input = match method {
                Method::DailyMax => super::season::rolling_max(train),
                _ => train.to_vec(),
            };
            if let (Some(m), Some(b)) = (fit(train, method), fit(&base_input, Method::LeastSquares))
            {
                let h = at - m.t0;
                let p = m.predict(h);
                ours.add(p.value, p.low, p.high, actual, &mut scale_ours);
                let q = b.predict(at - b.t0);
                base.add(q.value, q.low, q.high, actual, &mut scale_base);
            }
        }
        origin += plan.step;
    }
    (ours.cases > 0).then(|| Outcome {
        method,
        ours: ours.finish(scale_ours),
        baseline: base.finish(scale_base),
    })
}
