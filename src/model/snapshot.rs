//! One tick of the engine as everyone downstream sees it: the samples, the sources' health,
//! the top processes and the views in effect.

use serde::Serialize;

use super::series::Sample;

/// Health of one data source in one tick.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceHealth {
    pub source: &'static str,
    pub ok: bool,
    /// Why the source is degraded; `None` when healthy.
    pub error: Option<String>,
    /// CPU-side cost of reading the source, in microseconds of wall time.
    pub micros: u64,
}

/// One process in a top list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessInfo {
    pub pid: u32,
    pub name: String,
    pub cpu_percent: f64,
    pub memory_bytes: u64,
}

/// Top processes, refreshed on their own cadence.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TopProcesses {
    /// Unix milliseconds of the refresh.
    pub ts_ms: i64,
    pub by_cpu: Vec<ProcessInfo>,
    pub by_memory: Vec<ProcessInfo>,
    pub total: usize,
}

/// Whose processes or network traffic a view shows: the whole machine's, or only those of the
/// container (PID or network namespace) this process runs in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum View {
    Host,
    Container,
    /// The signals could not tell (unreadable, or contradicting each other).
    #[default]
    Unknown,
}

impl View {
    /// The word the API and the report use.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Host => "host",
            View::Container => "container",
            View::Unknown => "unknown",
        }
    }
}

/// Which views are in effect (`collect::views` decides).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Views {
    /// Whose processes the process list shows.
    pub processes: View,
    /// Whose traffic `/proc/net/dev` counts.
    pub network: View,
}

/// One tick of the engine: every source read once, stamped with one timestamp.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    /// Unix milliseconds.
    pub ts_ms: i64,
    pub samples: Vec<Sample>,
    pub sources: Vec<SourceHealth>,
    pub processes: std::sync::Arc<TopProcesses>,
    /// The process and network views in effect at this tick.
    pub views: Views,
}

impl Snapshot {
    /// The value of a series in this snapshot, if present.
    pub fn value(&self, id: &str) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.series.id == id)
            .map(|s| s.value)
    }

    /// Sources that failed in this tick.
    pub fn degraded(&self) -> impl Iterator<Item = &SourceHealth> {
        self.sources.iter().filter(|s| !s.ok)
    }
}
