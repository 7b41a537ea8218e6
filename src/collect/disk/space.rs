//! Space figures of one filesystem (statvfs), and its used share as `df` computes it.

use std::path::Path;

/// Space figures of one filesystem, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Space {
    pub total: u64,
    pub free: u64,
    pub available: u64,
}

impl Space {
    /// Used bytes (what `df` shows).
    pub fn used(&self) -> u64 {
        self.total.saturating_sub(self.free)
    }

    /// Used share as `df` computes it: used / (used + available to users).
    pub fn used_percent(&self) -> f64 {
        let denominator = self.used() + self.available;
        if denominator == 0 {
            0.0
        } else {
            self.used() as f64 / denominator as f64 * 100.0
        }
    }
}

pub(super) fn statvfs(path: &Path) -> std::io::Result<Space> {
    let st = rustix::fs::statvfs(path)?;
    let unit = if st.f_frsize > 0 {
        st.f_frsize
    } else {
        st.f_bsize
    };
    Ok(Space {
        total: st.f_blocks.saturating_mul(unit),
        free: st.f_bfree.saturating_mul(unit),
        available: st.f_bavail.saturating_mul(unit),
    })
}
