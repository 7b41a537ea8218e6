//! Backtests: rolling-origin evaluation on stored history. At each origin a model is fitted on
//! the history before it and asked for the value a horizon later; the outcome is inside the
//! 80 % interval or not, and off by some amount. The least-squares baseline is judged on the
//! same origins and the same targets. The calibrated interval (split-conformal, see
//! [`conformal`](super::conformal)) is judged online: at each origin it is calibrated only on
//! the outcomes known by then.

use serde::Serialize;

use super::Obs;
use super::conformal::{self, Calibration, FRACTIONS};
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

    /// Several scores pooled (cases summed; errors and widths are means over all cases, so
    /// in the series' units when they share one).
    pub fn pool<'a>(scores: impl Iterator<Item = &'a Score>) -> Score {
        let mut out = Score::default();
        let (mut rel, mut abs, mut width) = (0.0, 0.0, 0.0);
        for s in scores {
            out.cases += s.cases;
            out.inside += s.inside;
            let n = s.cases as f64;
            rel += s.relative_error * n;
            abs += s.mean_abs_error * n;
            width += s.mean_width * n;
        }
        if out.cases > 0 {
            let n = out.cases as f64;
            out.coverage = out.inside as f64 / n;
            out.relative_error = rel / n;
            out.mean_abs_error = abs / n;
            out.mean_width = width / n;
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
    /// The method's interval calibrated on the earlier origins' outcomes (the cases where
    /// [`conformal::MIN_CASES`] were known).
    pub calibrated: Score,
    /// The calibration from all outcomes, for the live forecasts.
    pub calibration: Option<Calibration>,
}

/// Time-to-threshold forecasts judged: how often the stated interval held the crossing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct EtaScore {
    /// Origins with a stated time to the threshold whose truth is known (crossed within the
    /// data, or the interval's end passed within it without a crossing).
    pub cases: usize,
    /// Of those, the ones whose model band (uncalibrated) held the crossing.
    pub inside_raw: usize,
    /// Of those, the ones whose calibrated band held the crossing.
    pub inside: usize,
}

impl EtaScore {
    pub fn share(&self) -> f64 {
        self.inside as f64 / self.cases.max(1) as f64
    }
    pub fn share_raw(&self) -> f64 {
        self.inside_raw as f64 / self.cases.max(1) as f64
    }
}

/// Runs `plan` for `method` (Linear or DailyMax) over `obs`; `None` when the history is too
/// short for a single origin.
pub fn run(obs: &[Obs], method: Method, plan: &Plan) -> Option<Outcome> {
    run_to(obs, method, plan, f64::NAN).map(|r| r.0)
}

/// [`run`], and at each origin the time until `threshold` (a disk's capacity, a memory limit)
/// judged against when the series really crossed it.
pub fn run_to(
    obs: &[Obs],
    method: Method,
    plan: &Plan,
    threshold: f64,
) -> Option<(Outcome, EtaScore)> {
    let obs = clean(obs);
    let mut eta = EtaScore::default();
    let (start, end) = (obs.first()?.t, obs.last()?.t);
    let mut origin = start + plan.history;
    let (mut ours, mut base, mut cal) = (Score::default(), Score::default(), Score::default());
    let (mut scale_ours, mut scale_base, mut scale_cal) = (0.0, 0.0, 0.0);
    // Per horizon: (time the outcome is known, its conformal score).
    let mut scores: [Vec<(f64, f64)>; 3] = Default::default();
    while origin + plan.horizon <= end {
        let lo = obs.partition_point(|o| o.t < origin - plan.history);
        let hi = obs.partition_point(|o| o.t < origin);
        let train = &obs[lo..hi];
        let at = origin + plan.horizon;
        let known = calibration_at(&scores, origin, plan.horizon);
        let Some(mut m) = fit(train, method) else {
            origin += plan.step;
            continue;
        };
        if threshold.is_finite() {
            judge_eta(&obs[hi..], &mut m, known, threshold, &mut eta);
        }
        for (k, frac) in FRACTIONS.iter().enumerate() {
            let t = origin + frac * plan.horizon;
            if let Some(actual) = target(&obs, method, t, plan.tolerance) {
                let p = m.predict(t - m.t0);
                scores[k].push((t, conformal::score(p.value, p.low, p.high, actual)));
            }
        }
        // The baseline fits the same input the method does (values or daily maxima).
        let base_input = match method {
            Method::DailyMax => super::season::rolling_max(train),
            _ => train.to_vec(),
        };
        if let (Some(actual), Some(b)) = (
            target(&obs, method, at, plan.tolerance),
            fit(&base_input, Method::LeastSquares),
        ) {
            let h = at - m.t0;
            let p = m.predict(h);
            ours.add(p.value, p.low, p.high, actual, &mut scale_ours);
            if let Some(c) = known {
                let (low, high) = c.apply(p.value, p.low, p.high, h);
                cal.add(p.value, low, high, actual, &mut scale_cal);
            }
            let q = b.predict(at - b.t0);
            base.add(q.value, q.low, q.high, actual, &mut scale_base);
        }
        origin += plan.step;
    }
    let outcome = Outcome {
        method,
        ours: ours.finish(scale_ours),
        baseline: base.finish(scale_base),
        calibrated: cal.finish(scale_cal),
        calibration: calibration_at(&scores, f64::INFINITY, plan.horizon),
    };
    (ours.cases > 0).then_some((outcome, eta))
}

/// One origin's time to `threshold`, raw and calibrated, against the `future` observations.
fn judge_eta(
    future: &[Obs],
    m: &mut super::forecast::ForecastModel,
    known: Option<Calibration>,
    threshold: f64,
    score: &mut EtaScore,
) {
    let Some(end) = future.last().map(|o| o.t) else {
        return;
    };
    if m.level >= threshold {
        return;
    }
    let raw = m.eta(threshold);
    m.calibration = known;
    let cal = m.eta(threshold);
    m.calibration = None;
    let (Some(raw), Some(cal)) = (raw, cal) else {
        return;
    };
    let crossed = future.iter().find(|o| o.v >= threshold).map(|o| o.t - m.t0);
    let holds = |e: &super::forecast::Eta| match crossed {
        Some(t) => Some(e.low <= t && e.high.is_none_or(|h| t <= h)),
        None => e.high.filter(|h| m.t0 + h < end).map(|_| false),
    };
    // Judged only when the truth is known for the calibrated interval.
    if let Some(inside) = holds(&cal) {
        score.cases += 1;
        score.inside += usize::from(inside);
        score.inside_raw += usize::from(holds(&raw).unwrap_or(false));
    }
}

/// The calibration from the outcomes known at `now`.
fn calibration_at(scores: &[Vec<(f64, f64)>; 3], now: f64, horizon: f64) -> Option<Calibration> {
    let known = |k: usize| -> Vec<f64> {
        scores[k]
            .iter()
            .filter(|(t, _)| *t <= now)
            .map(|s| s.1)
            .collect()
    };
    conformal::calibrate(horizon, &[known(0), known(1), known(2)])
}
