//! What can go wrong in the store, in one error type every part of it returns, each message
//! carrying its cause in words.

use std::path::PathBuf;

use super::codec;

/// Everything that can go wrong in the store. Each message carries its cause in words and
/// exposes no `source()`, so a printed chain never repeats itself.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {}", describe_sqlx(.0))]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    #[error("{path} is damaged ({detail})")]
    Corrupt { path: PathBuf, detail: String },
    #[error("cannot prepare {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Codec(#[from] codec::CodecError),
    #[error("unknown series '{0}'")]
    UnknownSeries(String),
    /// The same rows were imported before: again, their values would count twice.
    #[error(
        "these rows were imported already, at {} UTC; importing them again would count their values twice, so nothing was loaded",
        crate::model::format_utc_minute(*.at_ms)
    )]
    AlreadyImported { at_ms: i64 },
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::Database(err)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(err)
    }
}

/// A driver error in one line: the database's own message for database errors (sqlx's
/// wrapper would repeat it through its source).
fn describe_sqlx(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => db.to_string(),
        other => other.to_string(),
    }
}

impl StoreError {
    /// Whether the error says the disk is full (SQLITE_FULL, ENOSPC), however deep: a
    /// migration wraps the database's error, an I/O error carries the OS code.
    pub fn is_disk_full(&self) -> bool {
        const ENOSPC: i32 = 28;
        let io_full = |e: &std::io::Error| e.raw_os_error() == Some(ENOSPC);
        let sqlx_full = |e: &sqlx::Error| match e {
            sqlx::Error::Database(db) => db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .is_some_and(|code| code & 0xff == 13),
            sqlx::Error::Io(io) => io_full(io),
            _ => false,
        };
        match self {
            StoreError::Database(e) => sqlx_full(e),
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => sqlx_full(e),
            StoreError::Migrate(sqlx::migrate::MigrateError::ExecuteMigration(e, _)) => {
                sqlx_full(e)
            }
            StoreError::Io { error, .. } => io_full(error),
            // The driver's message is all some paths keep.
            other => other.to_string().contains("database or disk is full"),
        }
    }
}
