//! Where things are on disk: the history database in the data directory, and the `/proc` and
//! `/sys` trees the collectors read. Plain data, here so that `collect` and `store` (above
//! `config`) import them and `config` imports neither.

use std::path::{Path, PathBuf};

/// File name of the history database inside the data directory.
pub const DATABASE_FILE: &str = "history.db";

/// The roots that collectors read from; tests point them at fixture trees.
#[derive(Debug, Clone)]
pub struct SysRoot {
    pub proc: PathBuf,
    pub sys: PathBuf,
}

impl Default for SysRoot {
    fn default() -> Self {
        SysRoot {
            proc: PathBuf::from("/proc"),
            sys: PathBuf::from("/sys"),
        }
    }
}

impl SysRoot {
    /// A fixture tree holding `proc/` and `sys/` folders.
    pub fn fixture(root: &Path) -> Self {
        SysRoot {
            proc: root.join("proc"),
            sys: root.join("sys"),
        }
    }
}
