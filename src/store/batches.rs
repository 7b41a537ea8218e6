//! How long one raw batch may cover, and the query that finds the batches overlapping a time
//! range: the writer cuts batches by the first, the readers and the rollup job run the second.

use crate::util::time::HOUR_MS;

/// Longest time span one raw batch may cover; queries look back this far for overlaps.
pub const MAX_BATCH_SPAN_MS: i64 = 2 * HOUR_MS;

/// Raw batches that may hold ticks in `[?2, ?3)`, oldest first; bind
/// `from - MAX_BATCH_SPAN_MS`, `to`, `from` (see [`overlap_query`]).
const OVERLAPPING_BATCHES: &str = "SELECT start_ms, data FROM raw_batches \
     WHERE start_ms >= ? AND start_ms < ? AND end_ms >= ? ORDER BY start_ms";

/// The query for raw batches overlapping `[from_ms, to_ms)`, bound and ready to run.
pub(super) fn overlap_query<'q>(
    from_ms: i64,
    to_ms: i64,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    sqlx::query(OVERLAPPING_BATCHES)
        .bind(from_ms.saturating_sub(MAX_BATCH_SPAN_MS))
        .bind(to_ms)
        .bind(from_ms)
}
