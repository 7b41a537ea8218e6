//! The backup copy: a consistent copy of the database written before a backup (the live file
//! is excluded from it); a fresh start restores it when the database itself is missing.

use std::path::{Path, PathBuf};

use super::{Store, StoreError};

/// The backup copy (`resource-manager backup-copy`). The name predates the word and stays: a
/// backup made by an older version restores through it.
pub const BACKUP_COPY_FILE: &str = "history-snapshot.db";

impl Store {
    /// Writes a consistent copy of the database next to it (for backups) with `VACUUM INTO`.
    pub async fn write_backup_copy(&self) -> Result<PathBuf, StoreError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let target = dir.join(BACKUP_COPY_FILE);
        if target.exists() {
            std::fs::remove_file(&target).map_err(|error| StoreError::Io {
                path: target.clone(),
                error,
            })?;
        }
        sqlx::query("VACUUM INTO ?")
            .bind(target.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        Ok(target)
    }
}
