//! History import: a CSV of `ts,series,value` lines loaded into the store with its rollups.
//!
//! The file is checked whole before anything is written: one bad line and nothing loads, and
//! every bad line is reported with its number. Hours already rolled up (or older than any
//! data not yet rolled up) are merged into their rollup rows directly; newer hours are written
//! as raw batches and rolled up like live data.

mod check;
mod load;

pub use check::{BadLine, HEADER, ImportError, ImportRow, parse};
pub use load::ImportReport;
