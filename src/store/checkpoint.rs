//! Checkpoints: copying the write-ahead log into the database file, in a task of its own while
//! the add-on runs and once more, completely, when the store closes.

use super::ledger::CHECKPOINT_FRAMES;
use super::{Store, StoreError};

impl Store {
    /// Copies the write-ahead log into the database file once it holds
    /// [`CHECKPOINT_FRAMES`] frames not yet copied: each page is then written once for all
    /// the commits that changed it since the last checkpoint. Passive: it never waits for
    /// readers or blocks writers. Returns whether one ran.
    pub async fn checkpoint_if_due(&self) -> Result<bool, StoreError> {
        let before = self.ledger.position();
        if before.is_some_and(|at| at.pending() < CHECKPOINT_FRAMES) {
            return Ok(false);
        }
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&self.pool)
            .await?;
        self.ledger.checkpointed(before);
        Ok(true)
    }

    /// Runs checkpoints until `stop`: one each time a commit leaves [`CHECKPOINT_FRAMES`]
    /// frames in the log. In a task of its own, so no committing caller (a lease request, a
    /// vote, the writer's batch) waits for one, and the log stays bounded.
    pub async fn run_checkpoints(self, stop: tokio_util::sync::CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.ledger.checkpoint_due.notified() => {}
            }
            if let Err(err) = self.checkpoint_if_due().await {
                tracing::warn!(error = %err, "checkpoint failed; will retry after the next commits");
            }
        }
    }

    /// Closes the pool after checkpointing the WAL into the main file.
    pub async fn close(self) {
        let before = self.ledger.position();
        match sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            Ok(_) => self.ledger.checkpointed(before),
            Err(err) => tracing::warn!(error = %err, "WAL checkpoint at close failed"),
        }
        self.pool.close().await;
    }
}
