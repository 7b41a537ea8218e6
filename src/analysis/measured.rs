//! What the analyses were measured to do on data with known truth, shown beside what this box
//! measures of itself (ADR 0021). Each figure names the data it comes from; the tests that
//! produce them are `tests/analysis_real.rs` (public traces), `tests/bottleneck_real.rs`
//! (recorded stress-ng load) and `src/analysis/tests/backtest.rs` (synthetic fills).

use serde::Serialize;

/// One measured figure and its data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reference {
    pub what: &'static str,
    pub figure: &'static str,
    pub data: &'static str,
}

const NAB: &str = "Numenta Anomaly Benchmark (MIT), 20 machine-metric series with labelled \
                   incidents: 10 held out, scored once after tuning on the other 10";

/// The measured figures, held-out part first where there is one.
pub const REFERENCES: [Reference; 5] = [
    Reference {
        what: "Anomaly flags",
        figure: "held-out: 13 of 24 incidents flagged in their window (54 %), 12 of 153 \
                 normal days with a flag (8 %); development: 11 of 14 (79 %), 8 of 144 (6 %)",
        data: NAB,
    },
    Reference {
        what: "80 % intervals, calibrated",
        figure: "held-out: linear 81.0 % of 411 outcomes inside, daily maximum 78.3 % of 411; \
                 development: 73.7 % of 334 and 80.1 % of 326 (the models' own bands: 61 to 73 %)",
        data: NAB,
    },
    Reference {
        what: "80 % intervals, calibrated",
        figure: "linear 80.8 % of 287 outcomes inside, daily maximum 82.9 % of 287",
        data: "synthetic suite of 7 shapes over 21 days (growth, daily cycles, purge, noise, \
               step, gap)",
    },
    Reference {
        what: "Time to a threshold",
        figure: "94.8 % of 134 forecasts held the real crossing inside their interval",
        data: "synthetic fills over 21 days: a filling disk, one with daily churn, a leaking \
               heap, a fill with a gap, a slow noisy fill (no public trace reaches a limit)",
    },
    Reference {
        what: "Bottleneck verdicts",
        figure: "held-out: 25 of 26 situations named right (96.2 %); development: 51 of 53 \
                 (96.2 %), 47 of 53 (88.7 %) before two rules learnt from it",
        data: "real load made with stress-ng on a 2-core VM and read by this add-on's own \
               collectors: quiet, CPU, memory (swapping, reclaim), disk I/O and two at once; \
               no heat (the VM has no sensors)",
    },
];
