//! Write transactions: each takes SQLite's write lock at once and, on commit, is counted in the
//! write ledger under the part of the add-on that wrote.

use std::sync::Arc;

use super::ledger::{WalPosition, WriteLedger, WriteSource};
use super::{Store, StoreError};

/// A write transaction of one [`WriteSource`]; its commit is counted in the ledger.
pub(crate) struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    source: WriteSource,
    before: Option<WalPosition>,
    ledger: Arc<WriteLedger>,
}

impl WriteTx {
    /// Commits, and counts the commit and the log frames it wrote.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        self.ledger.committed(self.source, self.before);
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Store {
    /// A write transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`), so a
    /// busy database is waited for (busy timeout) instead of failing at the first write of a
    /// transaction that had already read.
    pub(super) async fn begin_write(&self, source: WriteSource) -> Result<WriteTx, StoreError> {
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // Read under the write lock: no other commit moves the log until ours.
        let before = self.ledger.position();
        Ok(WriteTx {
            tx,
            source,
            before,
            ledger: self.ledger.clone(),
        })
    }
}
