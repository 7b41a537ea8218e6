//! Where the store's disk writes come from: commits and write-ahead-log frames per source, and
//! the frames checkpoints copy into the database file. Frames are read from SQLite's own
//! wal-index (the `-shm` file: `mxFrame` of the index header and `nBackfill` of the checkpoint
//! info, <https://sqlite.org/walformat.html>) around each commit, so nothing is estimated.
//!
//! Every frame is one page plus a 24-byte header; a commit that adds `n` frames writes about
//! `n` pages to the log, and the checkpoint writes each page again into the database file.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::util::lock;

/// Frames in the write-ahead log (pages, about 4 KB each) that make a checkpoint due: SQLite's
/// own default, now run by a task of its own instead of whichever connection commits.
pub const CHECKPOINT_FRAMES: u32 = 1000;

/// What a write transaction is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteSource {
    /// A batch of raw ticks (and the state that rides on it, such as the energy counter).
    RawBatches,
    /// The hourly rollups.
    Rollups,
    /// Retention: old raw batches, rollups, leases, incidents and notices deleted.
    Retention,
    /// Resource leases of users (the engine's own jobs are not stored).
    Leases,
    /// Values of `store_state` written on their own (the restart marker at a clean stop).
    State,
    /// Recommendations, their states and the action audit.
    Advice,
    /// Alert incidents.
    Alerts,
    /// Votes.
    Feedback,
    /// Storage notices.
    Notices,
    /// History imported from elsewhere.
    Import,
}

impl WriteSource {
    /// Every source, in the order reports list them.
    pub const ALL: [WriteSource; 10] = [
        WriteSource::RawBatches,
        WriteSource::Rollups,
        WriteSource::Retention,
        WriteSource::Leases,
        WriteSource::State,
        WriteSource::Advice,
        WriteSource::Alerts,
        WriteSource::Feedback,
        WriteSource::Notices,
        WriteSource::Import,
    ];

    /// The name reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteSource::RawBatches => "raw_batches",
            WriteSource::Rollups => "rollups",
            WriteSource::Retention => "retention",
            WriteSource::Leases => "leases",
            WriteSource::State => "state",
            WriteSource::Advice => "advice",
            WriteSource::Alerts => "alerts",
            WriteSource::Feedback => "feedback",
            WriteSource::Notices => "notices",
            WriteSource::Import => "import",
        }
    }

    fn index(self) -> usize {
        WriteSource::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or_default()
    }
}

/// Commits and log frames of one source since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SourceWrites {
    pub commits: u64,
    /// Pages appended to the write-ahead log.
    pub wal_frames: u64,
}

/// Checkpoints since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CheckpointWrites {
    pub checkpoints: u64,
    /// Frames copied into the database file (each a page written again).
    pub frames: u64,
}

/// Everything the ledger counted, by source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriteCounts {
    pub by_source: Vec<(&'static str, SourceWrites)>,
    pub checkpoints: CheckpointWrites,
    /// Size of a page (and so of a frame's payload), in bytes.
    pub page_size: u32,
}

/// Where the write-ahead log stands, from the wal-index header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalPosition {
    /// Frames in the log (`mxFrame`).
    pub frames: u32,
    /// Frames already copied into the database (`nBackfill`).
    pub backfilled: u32,
    pub page_size: u32,
}

impl WalPosition {
    /// Frames a commit added between `self` (read inside its transaction) and `after`: the
    /// log restarts from its start once fully checkpointed, so a smaller count is all new.
    pub fn frames_until(self, after: WalPosition) -> u32 {
        if after.frames >= self.frames {
            after.frames - self.frames
        } else {
            after.frames
        }
    }

    /// Frames copied into the database between `self` and `after`.
    pub fn backfilled_until(self, after: WalPosition) -> u32 {
        if after.backfilled >= self.backfilled && after.frames >= self.frames {
            after.backfilled - self.backfilled
        } else {
            after.backfilled
        }
    }

    /// Frames still waiting for a checkpoint.
    pub fn pending(self) -> u32 {
        self.frames.saturating_sub(self.backfilled)
    }
}

/// Counts per source, read from the wal-index next to the database.
#[derive(Debug)]
pub struct WriteLedger {
    shm_path: PathBuf,
    shm: Mutex<Option<File>>,
    counts: Mutex<(
        [SourceWrites; WriteSource::ALL.len()],
        CheckpointWrites,
        u32,
    )>,
    /// Woken when a commit leaves [`CHECKPOINT_FRAMES`] frames waiting for a
    /// checkpoint (see `Store::run_checkpoints`).
    pub(super) checkpoint_due: tokio::sync::Notify,
}

impl WriteLedger {
    /// A ledger for the database at `db_path`.
    pub fn new(db_path: &Path) -> Self {
        let mut shm = db_path.as_os_str().to_owned();
        shm.push("-shm");
        WriteLedger {
            shm_path: PathBuf::from(shm),
            shm: Mutex::new(None),
            counts: Mutex::default(),
            checkpoint_due: tokio::sync::Notify::new(),
        }
    }

    /// The log's position now; `None` where there is no wal-index to read.
    pub fn position(&self) -> Option<WalPosition> {
        let mut shm = lock(&self.shm);
        if shm.is_none() {
            *shm = File::open(&self.shm_path).ok();
        }
        let file = shm.as_ref()?;
        // Two copies of the 48-byte index header, then the checkpoint info.
        let mut header = [0u8; 100];
        file.read_exact_at(&mut header, 0).ok()?;
        let u32_at = |at: usize| {
            let mut bytes = [0u8; 4];
            bytes.copy_from_slice(&header[at..at + 4]);
            u32::from_ne_bytes(bytes)
        };
        let page_size = match u32::from(u16::from_ne_bytes([header[14], header[15]])) {
            1 => 65_536,
            size => size,
        };
        Some(WalPosition {
            frames: u32_at(16),
            backfilled: u32_at(96),
            page_size,
        })
    }

    /// Records a commit of `source` that started at `before`.
    pub fn committed(&self, source: WriteSource, before: Option<WalPosition>) {
        let after = self.position();
        let mut counts = lock(&self.counts);
        let entry = &mut counts.0[source.index()];
        entry.commits += 1;
        if let (Some(before), Some(after)) = (before, after) {
            entry.wal_frames += u64::from(before.frames_until(after));
            counts.2 = after.page_size;
        }
        drop(counts);
        // No wal-index to read: let the checkpointer decide by itself.
        if after.is_none_or(|at| at.pending() >= CHECKPOINT_FRAMES) {
            self.checkpoint_due.notify_one();
        }
    }

    /// Records a checkpoint that started at `before`.
    pub fn checkpointed(&self, before: Option<WalPosition>) {
        let after = self.position();
        let mut counts = lock(&self.counts);
        counts.1.checkpoints += 1;
        if let (Some(before), Some(after)) = (before, after) {
            counts.1.frames += u64::from(before.backfilled_until(after));
        }
    }

    /// Everything counted since start.
    pub fn counts(&self) -> WriteCounts {
        let counts = lock(&self.counts);
        WriteCounts {
            by_source: WriteSource::ALL
                .iter()
                .map(|s| (s.as_str(), counts.0[s.index()]))
                .collect(),
            checkpoints: counts.1,
            page_size: counts.2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(frames: u32, backfilled: u32) -> WalPosition {
        WalPosition {
            frames,
            backfilled,
            page_size: 4096,
        }
    }

    #[test]
    fn frames_of_a_commit_count_a_restarted_log_from_its_start() {
        assert_eq!(at(10, 0).frames_until(at(13, 0)), 3);
        // Fully checkpointed, then this commit restarted the log: 2 new frames.
        assert_eq!(at(10, 10).frames_until(at(2, 0)), 2);
        assert_eq!(at(10, 4).backfilled_until(at(10, 10)), 6);
        assert_eq!(at(10, 4).pending(), 6);
    }

    #[test]
    fn every_source_has_its_own_name() {
        let names: std::collections::BTreeSet<&str> =
            WriteSource::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names.len(), WriteSource::ALL.len());
        for source in WriteSource::ALL {
            assert_eq!(WriteSource::ALL[source.index()], source);
        }
    }
}
