//! Whether history is being saved: why writes fail, in plain words, and how long to wait
//! before the next attempt.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::StoreError;

/// Longest wait between two attempts while writes fail.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// Why writes to the history fail, as far as SQLite's result code tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// SQLITE_FULL: no room on the data disk (or SQLite's own size limit).
    DiskFull,
    /// SQLITE_READONLY: the file or its file system is read-only.
    ReadOnly,
    /// SQLITE_BUSY / SQLITE_LOCKED: another process holds the database.
    Locked,
    /// SQLITE_IOERR / SQLITE_CANTOPEN: the disk or file system reported an error.
    IoError,
    /// SQLITE_CORRUPT / SQLITE_NOTADB: the file is damaged.
    Corrupt,
    /// Anything else (the message says what).
    Other,
}

impl FailureReason {
    /// Classifies a store error by SQLite's primary result code.
    pub fn of(err: &StoreError) -> FailureReason {
        match err {
            StoreError::Database(sqlx::Error::Database(db)) => {
                let code = db.code().and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
                FailureReason::of_code(code)
            }
            StoreError::Database(sqlx::Error::Io(_)) | StoreError::Io { .. } => {
                FailureReason::IoError
            }
            _ => FailureReason::Other,
        }
    }

    /// Classifies SQLite's (extended) result code.
    pub fn of_code(code: i32) -> FailureReason {
        match code & 0xff {
            13 => FailureReason::DiskFull,
            8 => FailureReason::ReadOnly,
            5 | 6 => FailureReason::Locked,
            10 | 14 => FailureReason::IoError,
            11 | 26 => FailureReason::Corrupt,
            _ => FailureReason::Other,
        }
    }

    /// The cause in plain words, to follow "History is not being saved: ".
    pub fn words(self) -> &'static str {
        match self {
            FailureReason::DiskFull => "the data disk is full",
            FailureReason::ReadOnly => "the data disk is read-only",
            FailureReason::Locked => "the database is locked by another process",
            FailureReason::IoError => "the data disk reports input/output errors",
            FailureReason::Corrupt => "the database file is damaged",
            FailureReason::Other => "the database refuses writes",
        }
    }
}

/// Present while writes fail; cleared by the first successful commit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteFailure {
    /// Unix milliseconds of the first failed attempt of this episode.
    pub since_ms: i64,
    pub reason: FailureReason,
    /// The last error as the database gave it.
    pub error: String,
    /// Free space on the data disk at the last attempt, when it could be read.
    pub free_bytes: Option<u64>,
    /// Failed attempts in this episode.
    pub attempts: u64,
    /// Unix milliseconds of the next attempt.
    pub next_attempt_ms: i64,
    /// When the log last told about this episode (it repeats at most once a minute).
    #[serde(skip)]
    pub logged_ms: i64,
}

impl WriteFailure {
    /// One sentence for the dashboard, the status report and Home Assistant, e.g.
    /// "History is not being saved: the data disk is full (2.1 MB free)."
    pub fn summary(&self) -> String {
        format!("{}.", self.headline())
    }

    /// [`WriteFailure::summary`] without the full stop, for a status line or a table cell.
    pub fn headline(&self) -> String {
        let free = match (self.reason, self.free_bytes) {
            (FailureReason::DiskFull, Some(free)) => {
                format!(" ({} free)", crate::util::format_bytes(free as f64))
            }
            _ => String::new(),
        };
        format!("History is not being saved: {}{free}", self.reason.words())
    }
}

/// Wait before attempt `attempt + 1` after `attempt` failures in a row: 1 s, 2 s, 4 s, … but
/// never longer than the batch interval (a healthy writer's own pace) nor [`MAX_RETRY`].
pub fn retry_delay(attempt: u64, batch: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).min(16) as u32;
    Duration::from_secs(1u64 << exp)
        .min(batch)
        .min(MAX_RETRY)
        .max(Duration::from_secs(1))
}

/// The failure a stand-in store reports all along: the real history's disk is full, and the
/// measurements are kept in memory until it can be opened.
pub fn standing_in(stand_in: &super::StandIn, now_ms: i64) -> WriteFailure {
    let dir = stand_in.path.parent().unwrap_or(Path::new("."));
    WriteFailure {
        since_ms: stand_in.since_ms,
        reason: FailureReason::DiskFull,
        error: format!(
            "{} could not be opened at start; the history is kept in memory and moves there \
             once space returns",
            stand_in.path.display()
        ),
        free_bytes: free_bytes(dir),
        attempts: 1,
        next_attempt_ms: now_ms,
        logged_ms: now_ms,
    }
}

/// Free bytes for unprivileged writers on the file system holding `dir`.
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

/// Something that happened to the history that the user should hear about (a damaged file
/// moved aside, data found missing after a restart). Kept in the database for a week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreNotice {
    /// Unix milliseconds when it was found.
    pub ts_ms: i64,
    /// `moved_aside`, `lost_data` or `restored_snapshot`.
    pub kind: String,
    /// Plain words: what happened, where the old file is, what to do.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_map_to_plain_reasons_including_extended_codes() {
        assert_eq!(FailureReason::of_code(13), FailureReason::DiskFull);
        assert_eq!(
            FailureReason::of_code(8 | (1 << 8)),
            FailureReason::ReadOnly
        );
        assert_eq!(FailureReason::of_code(5), FailureReason::Locked);
        assert_eq!(
            FailureReason::of_code(10 | (4 << 8)),
            FailureReason::IoError
        );
        assert_eq!(FailureReason::of_code(26), FailureReason::Corrupt);
        assert_eq!(FailureReason::of_code(1), FailureReason::Other);
    }

    #[test]
    fn retries_back_off_but_never_wait_longer_than_a_batch_or_thirty_seconds() {
        let batch = Duration::from_secs(5);
        let delays: Vec<u64> = (1..=6).map(|n| retry_delay(n, batch).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 5, 5, 5]);
        let long = Duration::from_secs(120);
        let delays: Vec<u64> = (1..=8).map(|n| retry_delay(n, long).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(retry_delay(u64::MAX, long).as_secs(), 30);
    }

    #[test]
    fn the_summary_names_the_cause_and_the_free_space_when_the_disk_is_full() {
        let failure = WriteFailure {
            since_ms: 0,
            reason: FailureReason::DiskFull,
            error: "(code: 13) database or disk is full".into(),
            free_bytes: Some(2_100_000),
            attempts: 1,
            next_attempt_ms: 0,
            logged_ms: 0,
        };
        assert_eq!(
            failure.summary(),
            "History is not being saved: the data disk is full (2.1 MB free)."
        );
        let locked = WriteFailure {
            reason: FailureReason::Locked,
            ..failure
        };
        assert_eq!(
            locked.summary(),
            "History is not being saved: the database is locked by another process."
        );
        assert_eq!(crate::util::format_bytes(340_000.0), "340 kB");
        assert_eq!(crate::util::format_bytes(999.0), "999 B");
    }
}
