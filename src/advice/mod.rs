//! Advice and action (ADR 0012): recommendations with evidence, an estimated saving and an
//! optional add-on action ([`recommend`]), the policy that decides whether an action may be
//! carried out ([`policy`]), the audit and the measured effect ([`service`]), the recorder's
//! churn ([`recorder`]) and the runner that feeds it all ([`runner`]).
//!
//! Below: what to try, per metric: one sentence shared by the fixed-threshold items of the
//! overview and by firing alerts, so the same problem gets the same advice whichever noticed it.

pub mod policy;
pub mod recommend;
pub mod recorder;
pub mod runner;
pub mod service;
pub mod start;
pub mod types;

pub use policy::{ActionRequest, Origin};
pub use service::{ActionDecision, AdviceError, Advisor, AdvisorParts, Effectiveness};
pub use start::{AdviceParts, start};
pub use types::{AdviceKind, AdviceState, Recommendation};

/// Memory nearly full.
pub const MEMORY: &str =
    "Stop add-ons you do not use; Details → add-ons and top processes show the largest.";
/// Swap in use or being written.
pub const SWAP: &str = "Swapping slows everything down: free memory by stopping add-ons you do not use; Details → add-ons shows the largest.";
/// A filesystem filling up.
pub const DISK_FULL: &str =
    "Delete old backups (Settings → System → Backups) or large media files.";
/// Disk traffic.
pub const DISK_BUSY: &str = "Details → top processes and add-ons show who reads and writes.";
/// The processor busy or overloaded.
pub const CPU: &str = "Details → top processes shows what keeps it busy.";
/// The processor waiting for storage.
pub const IOWAIT: &str =
    "A slow or worn SD card is the usual cause; Details → disks shows who writes.";
/// Too hot.
pub const HOT: &str = "Check the fan and airflow; many boards slow down above 80 °C.";
/// One add-on using a lot.
pub const ADDON: &str =
    "If that is more than you expect, restart it and watch whether it grows again.";
/// Network traffic or errors.
pub const NETWORK: &str =
    "Details → network interfaces shows the traffic and errors per interface.";
/// Anything else an alert rule may watch.
pub const OTHER: &str = "Details → Alerts shows the rule and its history.";

/// The advice for a series id (`disk./data.used_percent`, `addon.core_mosquitto.memory_bytes`).
pub fn for_series(series: &str) -> &'static str {
    let (group, metric) = match (series.split_once('.'), series.rsplit_once('.')) {
        (Some((group, _)), Some((_, metric))) => (group, metric),
        _ => return OTHER,
    };
    match (group, metric) {
        ("memory", _) => MEMORY,
        ("swap", _) => SWAP,
        ("disk", "read_bytes_per_second" | "write_bytes_per_second") => DISK_BUSY,
        ("disk", _) => DISK_FULL,
        ("cpu", "iowait") => IOWAIT,
        ("cpu" | "load", _) => CPU,
        ("temp", _) => HOT,
        ("addon", _) => ADDON,
        ("net", _) => NETWORK,
        _ => OTHER,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_of_the_alert_catalog_gets_fitting_advice() {
        assert_eq!(for_series("memory.used_percent"), MEMORY);
        assert_eq!(for_series("disk./mnt/data.used_percent"), DISK_FULL);
        assert_eq!(for_series("disk./data.write_bytes_per_second"), DISK_BUSY);
        assert_eq!(for_series("cpu.iowait"), IOWAIT);
        assert_eq!(for_series("cpu.core2.usage"), CPU);
        assert_eq!(for_series("load.5m"), CPU);
        assert_eq!(for_series("addon.core_mosquitto.memory_percent"), ADDON);
        assert_eq!(for_series("system.uptime_seconds"), OTHER);
        assert_eq!(for_series("nodots"), OTHER);
    }
}
