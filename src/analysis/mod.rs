//! Analysis: pure functions over series (trends, forecasts with intervals, leaks, anomalies,
//! the bottleneck, the health score, backtests), and the runner that applies them to the
//! stored history off the tick path ([`start`](mod@start)). See docs/adr/0010-analysis.md.
//!
//! Every function takes observations as `(t, v)` with `t` in Unix seconds; non-finite input is
//! dropped at the door ([`stats::clean`]), so no NaN or infinity comes out.

pub mod accuracy;
pub mod anomaly;
pub mod backtest;
pub mod bottleneck;
pub mod conformal;
pub mod findings;
pub mod forecast;
pub mod health;
pub mod leak;
pub mod measured;
pub mod processes;
pub mod report;
pub mod runner;
pub mod season;
pub mod start;
pub mod stats;
pub mod synthetic;
pub mod trend;
pub mod words;

pub use start::start;

#[cfg(test)]
mod tests;

/// One observation: Unix seconds and a value.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Obs {
    pub t: f64,
    pub v: f64,
}

impl Obs {
    pub const fn new(t: f64, v: f64) -> Obs {
        Obs { t, v }
    }
}
