//! The forecast intervals backtested on the public series: the model's own 80 % band and the
//! band calibrated online on the series' earlier outcomes, per forecast kind.

use resource_manager::analysis::accuracy::plan_for;
use resource_manager::analysis::backtest::{self, Score};
use resource_manager::analysis::forecast::Method;

use super::nab::Series;

/// Raw and calibrated scores of `method` pooled over `series`.
pub fn pooled(series: &[&Series], method: Method) -> (Score, Score) {
    let (mut raw, mut cal) = (Vec::new(), Vec::new());
    for s in series {
        let span = s.obs[s.obs.len() - 1].t - s.obs[0].t;
        let Some(plan) = plan_for(span, 300.0) else {
            continue;
        };
        if let Some(o) = backtest::run(&s.obs, method, &plan) {
            raw.push(o.ours);
            cal.push(o.calibrated);
        }
    }
    (Score::pool(raw.iter()), Score::pool(cal.iter()))
}
