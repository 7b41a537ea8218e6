//! Thermal throttling as the kernel counts it under `/sys`, for the bottleneck diagnosis.

use std::path::PathBuf;

/// Thermal throttling: whether the CPUs' throttle counters grew since the last look.
pub(super) struct Throttle {
    dir: PathBuf,
    last: Option<u64>,
}

impl Throttle {
    pub(super) fn new(dir: PathBuf) -> Throttle {
        Throttle { dir, last: None }
    }

    /// `None` where the kernel exposes no counters (most ARM boards, containers).
    pub(super) fn check(&mut self) -> Option<bool> {
        let mut total = 0u64;
        let mut found = false;
        let entries = std::fs::read_dir(&self.dir).ok()?;
        for entry in entries.flatten() {
            let dir = entry.path().join("thermal_throttle");
            for file in ["core_throttle_count", "package_throttle_count"] {
                if let Ok(text) = std::fs::read_to_string(dir.join(file))
                    && let Ok(n) = text.trim().parse::<u64>()
                {
                    total += n;
                    found = true;
                }
            }
        }
        if !found {
            return None;
        }
        let grew = self.last.is_some_and(|last| total > last);
        self.last = Some(total);
        Some(grew)
    }
}
