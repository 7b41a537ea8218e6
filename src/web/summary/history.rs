//! "Needs attention" items about the history itself: writes failing, a backlog, and storage
//! notices (a damaged file moved aside, lost data) of the last day.

use crate::model::Severity;
use crate::store::{StoreNotice, WriteStatus};
use crate::util::time::DAY_MS;
use crate::web::attention::Attention;

/// How long a storage notice stays on the overview (Diagnostics lists a week).
const NOTICE_ON_OVERVIEW_MS: i64 = DAY_MS;

/// Items about the history, worst first.
pub fn history_items(
    write: &WriteStatus,
    pending_ticks: usize,
    ticks_per_batch: usize,
    notices: &[StoreNotice],
    now_ms: i64,
) -> Vec<Attention> {
    let mut items = Vec::new();
    if let Some(failure) = &write.failure {
        let kept = if write.dropped_ticks > 0 {
            format!(
                "{pending_ticks} readings are waiting in memory ({} older ones were dropped).",
                write.dropped_ticks
            )
        } else {
            format!(
                "{pending_ticks} readings are waiting in memory and will be written once this is fixed."
            )
        };
        let todo = match failure.reason {
            crate::store::FailureReason::DiskFull => {
                "Free space on the data disk (old backups are the usual culprit)."
            }
            crate::store::FailureReason::ReadOnly => {
                "The data disk went read-only, often after file-system errors: check the host's log."
            }
            crate::store::FailureReason::Locked => {
                "Close any program that has history.db open (a sqlite3 shell, a backup tool)."
            }
            _ => "See the add-on log for the database's own message.",
        };
        items.push(Attention::new(
            Severity::Critical,
            failure.headline(),
            format!("{todo} {kept}"),
        ));
    } else if pending_ticks > (ticks_per_batch.max(1) * 3).max(50) {
        items.push(Attention::new(
            Severity::Warning,
            format!("History is behind ({pending_ticks} readings waiting)"),
            "Writes are slow: check the data disk and the add-on log.",
        ));
    }
    if write.dropped_ticks > 0 && write.failure.is_none() {
        items.push(Attention::new(
            Severity::Warning,
            format!(
                "{} readings were dropped while history could not be saved",
                write.dropped_ticks
            ),
            "They were the oldest of a long outage; newer history is complete.",
        ));
    }
    for notice in notices
        .iter()
        .filter(|n| now_ms - n.ts_ms < NOTICE_ON_OVERVIEW_MS)
    {
        let what = match notice.kind.as_str() {
            "moved_aside" => "The history database was damaged and replaced",
            "lost_data" => "Some history was lost before the last start",
            _ => "The history was restored from its backup copy",
        };
        items.push(Attention::new(
            Severity::Warning,
            what.to_string(),
            notice.message.clone(),
        ));
    }
    items
}
