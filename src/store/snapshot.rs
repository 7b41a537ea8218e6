//! The consistent copy of the database written before a backup; a fresh start picks it up when
//! the database itself is missing.

use std::path::{Path, PathBuf};

use super::{Store, StoreError};

/// Consistent copy written before a backup (`resource-manager snapshot`).
pub const SNAPSHOT_FILE: &str = "history-snapshot.db";

impl Store {
    /// Writes a consistent copy of the database next to it (for backups) with `VACUUM INTO`.
    pub async fn write_snapshot(&self) -> Result<PathBuf, StoreError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let target = dir.join(SNAPSHOT_FILE);
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
