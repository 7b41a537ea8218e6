//! The seams a test opens the store with (a page limit, a clock, injected faults); production
//! uses the defaults.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64};

use crate::util::Clock;

/// Seams for tests; the default is what production uses.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// SQLite's `max_page_count`, applied to each connection before use, so a test can make
    /// the database "full" for real (SQLITE_FULL) and lift the limit again.
    pub page_limit: Option<Arc<AtomicU64>>,
    /// The clock of the store's timestamps (open, commits, failures, notices) and of the
    /// writer's retention "now".
    pub clock: Clock,
    /// A fault injected into every write of ticks while set (see [`InjectedFault`]).
    pub inject: Option<Arc<AtomicU8>>,
    /// This store stands in, in memory, for a history that could not be opened because its
    /// disk is full: its status then always reports the full disk.
    pub stands_in_for: Option<StandIn>,
}

/// The history a stand-in store replaces, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandIn {
    /// The history file that could not be opened.
    pub path: std::path::PathBuf,
    pub since_ms: i64,
}

/// Faults a test can inject into the writes of ticks, as `u8` in [`StoreOptions::inject`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum InjectedFault {
    None = 0,
    /// SQLite ends the transaction by itself just before the COMMIT (as it does after some
    /// SQLITE_FULL and I/O errors): the COMMIT fails and the driver still counts a transaction.
    EndedBySqlite = 1,
    /// One statement fails and the transaction stays open (as with SQLITE_BUSY).
    StatementFails = 2,
}
