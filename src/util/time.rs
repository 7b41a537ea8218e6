//! The one time vocabulary: spans in the units the code counts in (Unix milliseconds for
//! timestamps, seconds for rates and durations as `f64`). Use these instead of local constants.

/// One second in milliseconds.
pub const SECOND_MS: i64 = 1_000;
/// One minute in milliseconds.
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// One day in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// One minute in seconds.
pub const MINUTE_SECS: u64 = 60;
/// One hour in seconds.
pub const HOUR_SECS: u64 = 60 * MINUTE_SECS;
/// One day in seconds.
pub const DAY_SECS: u64 = 24 * HOUR_SECS;

/// One day in seconds, for rates ("per day") and fits over seconds.
pub const DAY_SECS_F64: f64 = DAY_SECS as f64;
/// One minute in seconds, as `f64`.
pub const MINUTE_SECS_F64: f64 = MINUTE_SECS as f64;
/// One day in milliseconds, as `f64` (rates per day from millisecond spans).
pub const DAY_MS_F64: f64 = DAY_MS as f64;

/// Hours in an average month (365.25 × 24 / 12), for costs a month.
pub const HOURS_PER_MONTH: f64 = 730.5;
