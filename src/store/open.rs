//! Opening the history so that a damaged file never stops the add-on: the write-ahead log is
//! checked before SQLite replays it, the database must pass `quick_check`, and a file that
//! cannot be opened is moved aside (never deleted, at most one per day) for a fresh start.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, SqlitePool};

use super::backup_copy::BACKUP_COPY_FILE;
use super::health::{FailureReason, StoreNotice};
use super::{StoreError, StoreOptions, wal};

/// A pool on a database that passed its checks, and what was found on the way.
pub(super) struct Opened {
    pub pool: SqlitePool,
    pub notices: Vec<StoreNotice>,
}

/// Opens `path`, moving a damaged database aside and starting a fresh one.
pub(super) async fn open(path: &Path, opts: &StoreOptions) -> Result<Opened, StoreError> {
    let now_ms = opts.clock.now_ms();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|error| StoreError::Io {
        path: dir.to_path_buf(),
        error,
    })?;
    let mut notices = Vec::new();
    let snapshot = dir.join(BACKUP_COPY_FILE);
    if !path.exists() && snapshot.exists() {
        std::fs::rename(&snapshot, path).map_err(|error| StoreError::Io {
            path: snapshot.clone(),
            error,
        })?;
        notices.push(notice(
            now_ms,
            "restored_snapshot",
            format!(
                "The history file was missing; it was restored from the backup copy {}.",
                snapshot.display()
            ),
        ));
    }
    if let Some(lost) = damaged_wal(path, now_ms) {
        notices.push(lost);
    }
    match open_checked(path, opts).await {
        Ok(pool) => Ok(Opened { pool, notices }),
        Err(err) if is_damage(&err) => {
            let reason = err.to_string();
            notices.push(move_aside(path, &reason, now_ms)?);
            let pool = open_checked(path, opts).await?;
            Ok(Opened { pool, notices })
        }
        Err(err) => Err(err),
    }
}

/// Whether an error at open means the file itself is damaged (and not, say, a full disk).
fn is_damage(err: &StoreError) -> bool {
    matches!(err, StoreError::Corrupt { .. })
        || matches!(FailureReason::of(err), FailureReason::Corrupt)
}

/// Connects, checks the file and applies migrations.
async fn open_checked(path: &Path, opts: &StoreOptions) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .pragma("cache_size", "-1024")
        // No connection checkpoints on its own at commit: a task of the store does, off the
        // commit path, so a lease request never waits for one (`Store::run_checkpoints`).
        .pragma("wal_autocheckpoint", "0")
        .pragma("temp_store", "memory");
    let mut pool_options = SqlitePoolOptions::new()
        .max_connections(3)
        .min_connections(1)
        // Connections live as long as the store: when the last connection to a WAL database
        // closes, SQLite checkpoints the whole log and truncates it, and the pool's default
        // 30-minute lifetime closed them all at once, writing every page again each time.
        .max_lifetime(None)
        .idle_timeout(None)
        .after_release(|conn, _| {
            Box::pin(async move {
                // A dropped transaction queues its ROLLBACK; ping runs it. If SQLite had
                // already rolled back by itself (SQLITE_FULL, IOERR), that ROLLBACK fails and
                // the driver still counts a transaction: its next BEGIN would become a
                // SAVEPOINT inside a transaction that never commits, holding the write lock.
                // Such a connection is closed instead of reused.
                conn.ping().await?;
                Ok(!conn.is_in_transaction())
            })
        });
    if let Some(limit) = opts.page_limit.clone() {
        // New connections skip before_acquire, so both hooks apply the limit.
        let on_connect = limit.clone();
        pool_options = pool_options
            .after_connect(move |conn, _| {
                let pages = on_connect.load(Ordering::Relaxed);
                Box::pin(async move { apply_page_limit(conn, pages).await })
            })
            .before_acquire(move |conn, _| {
                let pages = limit.load(Ordering::Relaxed);
                Box::pin(async move { apply_page_limit(conn, pages).await.map(|()| true) })
            });
    }
    // One connection first creates the file and switches it to WAL, alone: on a new file two
    // pool connections switching at once can meet "database is locked" (seen under qemu).
    sqlx::ConnectOptions::connect(&options)
        .await?
        .close()
        .await?;
    let pool = pool_options.connect_with(options).await?;
    let checked: Result<(), StoreError> = async {
        let verdict: Vec<String> = sqlx::query_scalar("PRAGMA quick_check(5)")
            .fetch_all(&pool)
            .await?;
        if verdict.first().map(String::as_str) != Some("ok") {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: verdict.join("; "),
            });
        }
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(())
    }
    .await;
    match checked {
        Ok(()) => Ok(pool),
        Err(err) => {
            pool.close().await;
            Err(err)
        }
    }
}

async fn apply_page_limit(
    conn: &mut sqlx::SqliteConnection,
    pages: u64,
) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA max_page_count = {pages}"
    )))
    .execute(conn)
    .await
    .map(|_| ())
}

/// Reads the `-wal` file before SQLite replays it; a notice when committed writes are lost.
fn damaged_wal(path: &Path, now_ms: i64) -> Option<StoreNotice> {
    let bytes = std::fs::read(sidecar(path, "-wal")).ok()?;
    let report = wal::inspect(&bytes);
    if !report.is_damaged() {
        return None;
    }
    let what = if report.header_damaged {
        "its header is damaged, so none of it can be replayed".to_string()
    } else if report.lost_commits == 0 {
        format!(
            "it ends part-way through a write (cut short, as by a power loss), so what was being written is lost; {} saved writes before it are intact",
            report.readable_commits
        )
    } else {
        format!(
            "{} of its {} saved writes cannot be read",
            report.lost_commits,
            report.lost_commits + report.readable_commits
        )
    };
    Some(notice(
        now_ms,
        "lost_data",
        format!(
            "Some of the most recent history was lost: the write-ahead log ({}) was damaged before this start; {what}. The rest of the history is intact.",
            sidecar(path, "-wal").display()
        ),
    ))
}

/// Moves a damaged database (and its log) to `<name>.corrupt-<UTC time>`. If one from the same
/// day is already there, that one is kept and this file is removed, so a loop of restarts cannot
/// fill the disk.
fn move_aside(path: &Path, reason: &str, now_ms: i64) -> Result<StoreNotice, StoreError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "history.db".into());
    let dir = path.parent().unwrap_or(Path::new("."));
    let stamp = utc_stamp(now_ms);
    let day_prefix = format!("{name}.corrupt-{}", &stamp[..8]);
    let earlier_today = std::fs::read_dir(dir)
        .map_err(|error| StoreError::Io {
            path: dir.to_path_buf(),
            error,
        })?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with(&day_prefix) && !n.ends_with("-wal"));
    let _ = std::fs::remove_file(sidecar(path, "-shm"));
    let message = match earlier_today {
        None => {
            let target = dir.join(format!("{name}.corrupt-{stamp}"));
            rename(path, &target)?;
            let wal = sidecar(path, "-wal");
            if wal.exists() {
                rename(&wal, &sidecar(&target, "-wal"))?;
            }
            format!(
                "The history database could not be used ({reason}). It was moved to {} and a new, empty history was started. To try to get the old data back: sqlite3 {} \".recover\" | sqlite3 recovered.db",
                target.display(),
                target.display()
            )
        }
        Some(kept) => {
            remove(path)?;
            let _ = std::fs::remove_file(sidecar(path, "-wal"));
            format!(
                "The history database could not be used ({reason}) and a new, empty history was started. It was damaged again on the same day, so it was removed; the damaged copy from earlier today is kept at {}.",
                dir.join(kept).display()
            )
        }
    };
    Ok(notice(now_ms, "moved_aside", message))
}

fn rename(from: &Path, to: &Path) -> Result<(), StoreError> {
    std::fs::rename(from, to).map_err(|error| StoreError::Io {
        path: from.to_path_buf(),
        error,
    })
}

fn remove(path: &Path) -> Result<(), StoreError> {
    std::fs::remove_file(path).map_err(|error| StoreError::Io {
        path: path.to_path_buf(),
        error,
    })
}

/// `history.db` + `-wal` → `history.db-wal`.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn notice(now_ms: i64, kind: &str, message: String) -> StoreNotice {
    StoreNotice {
        ts_ms: now_ms,
        kind: kind.to_string(),
        message,
    }
}

/// `20261129T172001Z` for a file name.
fn utc_stamp(ms: i64) -> String {
    let t = crate::model::UtcTime::of_ms(ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite can end a transaction by itself (SQLITE_FULL, IOERR); `ROLLBACK` run inside the
    /// transaction puts the connection in the same state deterministically. Without the release
    /// check, the driver's next "transaction" on that connection is a savepoint, a failed one
    /// leaves an outer transaction open, and a later commit reports success for data that
    /// never reaches the file.
    #[tokio::test]
    async fn a_commit_after_sqlite_ended_a_transaction_by_itself_really_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("h.db");
        let pool = open_checked(&path, &StoreOptions::default())
            .await
            .expect("open");
        let insert = "INSERT INTO store_state (key, value) VALUES (?, 1)";

        // Every connection of the pool in turn (which one comes next is the pool's choice).
        for _ in 0..4 {
            let mut tx = pool.begin().await.expect("begin");
            sqlx::query("ROLLBACK")
                .execute(&mut *tx)
                .await
                .expect("rollback inside");
            drop(tx);
        }
        for round in 0..4 {
            let key = format!("a{round}");
            let mut tx = pool.begin().await.expect("begin");
            sqlx::query(insert)
                .bind(&key)
                .execute(&mut *tx)
                .await
                .expect("insert");
            let duplicate = sqlx::query(insert).bind(&key).execute(&mut *tx).await;
            assert!(duplicate.is_err());
            drop(tx);
        }

        let mut tx = pool.begin().await.expect("begin");
        sqlx::query(insert)
            .bind("b")
            .execute(&mut *tx)
            .await
            .expect("insert");
        tx.commit().await.expect("commit");

        let mut reader = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
            .await
            .expect("reader");
        let committed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM store_state WHERE key = 'b'")
            .fetch_one(&mut reader)
            .await
            .expect("count");
        assert_eq!(
            committed, 1,
            "the reported commit is visible to another connection"
        );
    }

    #[test]
    fn file_stamps_are_utc_and_sort_by_time() {
        assert_eq!(utc_stamp(1_767_225_600_000), "20260101T000000Z");
        assert_eq!(utc_stamp(1_795_972_961_809), "20261129T172241Z");
    }
}
