//! The runner: applies the analyses to the stored history off the tick path. It first runs
//! shortly after start, then every few minutes, at once when asked (after an import), and runs
//! the backtests on their own, slower schedule. Loading is async (the store); the arithmetic
//! runs on a blocking thread whose CPU time is measured and shown in Diagnostics.
//!
//! - `handle.rs`: [`Analysis`], the handle, and the [`Report`] it holds.
//! - `task.rs`: the task ([`run`]) and one run.
//! - `load.rs`: loading and bucketing the history.
//! - `values.rs`: the values a run adds to every tick.
//! - `throttle.rs`: thermal throttling counters.

mod handle;
mod load;
mod task;
mod throttle;
mod values;

pub use handle::{Analysis, Report};
pub use load::{BUCKET_SECONDS, bucket, load_all};
pub use task::{AlertCounts, AnalysisSchedule, Parts, run};
pub use values::derived;
