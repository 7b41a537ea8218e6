//! The backtest harness over a recorded trace of a real machine
//! (`tests/fixtures/analysis/trace.csv`, see its README): the file is a valid import, every
//! series gets rolling-origin cases, and coverage and point error are measured for the method
//! and the least-squares baseline alike. The figures are printed (`--nocapture`), not judged:
//! the trace is what the machine did, not a target.

use std::collections::BTreeMap;

use resource_manager::analysis::Obs;
use resource_manager::analysis::accuracy::plan_for;
use resource_manager::analysis::backtest::{self, Score};
use resource_manager::analysis::forecast::Method;
use resource_manager::store::import::parse;

const TRACE: &str = include_str!("fixtures/analysis/trace.csv");

#[test]
fn the_recorded_trace_is_backtested_beside_the_baseline() {
    let rows = parse(TRACE, i64::MAX / 2).expect("the trace is a valid import file");
    let mut series: BTreeMap<String, Vec<Obs>> = BTreeMap::new();
    for row in rows {
        series
            .entry(row.series)
            .or_default()
            .push(Obs::new(row.ts_ms as f64 / 1000.0, row.value));
    }
    assert!(series.len() >= 6, "{:?}", series.keys());
    let (mut ours, mut base, mut cal) = (Vec::new(), Vec::new(), Vec::new());
    for (id, obs) in &series {
        let span = obs[obs.len() - 1].t - obs[0].t;
        let plan = plan_for(span, 10.0).unwrap_or_else(|| panic!("{id}: trace too short"));
        let outcome = backtest::run(obs, Method::Linear, &plan).expect("origins");
        assert!(outcome.ours.cases >= 20, "{id}: {outcome:?}");
        assert_eq!(outcome.ours.cases, outcome.baseline.cases);
        for s in [&outcome.ours, &outcome.baseline] {
            assert!((0.0..=1.0).contains(&s.coverage));
            assert!(s.mean_abs_error.is_finite() && s.relative_error.is_finite());
        }
        eprintln!(
            "{id}: coverage {:.2} (baseline {:.2}), relative error {:.4} (baseline {:.4}), {} cases",
            outcome.ours.coverage,
            outcome.baseline.coverage,
            outcome.ours.relative_error,
            outcome.baseline.relative_error,
            outcome.ours.cases
        );
        ours.push(outcome.ours);
        base.push(outcome.baseline);
        cal.push(outcome.calibrated);
    }
    let (o, b, c) = (
        Score::pool(ours.iter()),
        Score::pool(base.iter()),
        Score::pool(cal.iter()),
    );
    eprintln!(
        "ALL: coverage {:.3} (baseline {:.3}), {} cases; calibrated on earlier origins {:.3} of {} cases",
        o.coverage, b.coverage, o.cases, c.coverage, c.cases
    );
}
