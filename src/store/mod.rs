//! SQLite history: raw batches, hourly rows holding minute and hour rollups, retention.
//!
//! All SQL of the project lives in this module. One writer task ([`writer`]) owns every write;
//! readers go through the pool concurrently (WAL).
//!
//! The [`Store`] handle lives in `handle`; each file beside it adds what it owns to the handle:
//! opening (`startup`, `open`), writes and jobs (`jobs`, [`writer`]), reads (`query`),
//! checkpoints, and the rows of the other parts (`advice`, `alerts`, `feedback`, `leases`,
//! [`import`]).

mod advice;
mod alerts;
mod backup_copy;
mod batches;
mod checkpoint;
pub mod codec;
pub mod durable;
mod error;
mod feedback;
mod handle;
pub mod health;
mod held;
pub mod import;
pub mod incident;
mod jobs;
mod leases;
pub mod ledger;
mod notices;
mod on_change;
mod open;
mod options;
mod point;
mod query;
pub mod rollup;
mod series;
mod shared;
mod start;
mod state;
mod transaction;
pub mod wal;
pub mod writer;

pub use advice::{ActionRow, AdviceStateRow, ChurnRow};
pub use backup_copy::BACKUP_COPY_FILE;
pub use batches::MAX_BATCH_SPAN_MS;
pub use durable::DurableValue;
pub use error::StoreError;
pub use feedback::{NewVote, StoredVote, VoteCounts};
pub use handle::Store;
pub use health::{FailureReason, StoreNotice, WriteFailure};
pub use jobs::RetentionReport;
pub use leases::LeaseRow;
pub use ledger::{CHECKPOINT_FRAMES, WriteCounts, WriteSource};
pub use options::{InjectedFault, StandIn, StoreOptions};
pub use point::Point;
pub use query::{History, Resolution, StoreStats};
pub use series::SeriesInfo;
pub use shared::WriteStatus;
pub use start::{StoreWriter, start_checkpoints, start_writer};

#[cfg(test)]
mod hosts_tests;
