//! Memory of the processes in the top lists, remembered by the runner for leak suspicion per
//! process: process memory is not a stored series (the top lists change member every few
//! seconds), so the runner keeps, per process, the minimum of each 5-minute bucket for up to a
//! week, in memory. A restart forgets it; a leak then needs a day of evidence again.

use crate::util::time::DAY_SECS_F64;
use std::collections::HashMap;

use super::Obs;
use crate::model::TopProcesses;

const BUCKET: f64 = 300.0;
/// Buckets kept per process (a week).
const KEEP: usize = (7.0 * DAY_SECS_F64 / BUCKET) as usize;
/// Processes tracked at most (the top list by memory is short; this bounds churn).
const MAX_PROCESSES: usize = 64;

/// Per-process memory troughs.
#[derive(Debug, Default)]
pub struct ProcessMemory {
    by: HashMap<(u32, String), Vec<Obs>>,
    last_ts_ms: i64,
}

impl ProcessMemory {
    /// Takes one top list (ignored if already seen).
    pub fn observe(&mut self, top: &TopProcesses) {
        if top.ts_ms == self.last_ts_ms || top.ts_ms <= 0 {
            return;
        }
        self.last_ts_ms = top.ts_ms;
        let t = top.ts_ms as f64 / 1000.0;
        let bucket = (t / BUCKET).floor() * BUCKET;
        for p in &top.by_memory {
            let key = (p.pid, p.name.clone());
            if !self.by.contains_key(&key) && self.by.len() >= MAX_PROCESSES {
                continue;
            }
            let troughs = self.by.entry(key).or_default();
            let v = p.memory_bytes as f64;
            match troughs.last_mut() {
                Some(last) if last.t == bucket => last.v = last.v.min(v),
                _ => troughs.push(Obs::new(bucket, v)),
            }
            if troughs.len() > KEEP {
                troughs.drain(..troughs.len() - KEEP);
            }
        }
        // Processes gone from the list for a day are forgotten.
        self.by
            .retain(|_, troughs| troughs.last().is_some_and(|o| t - o.t < DAY_SECS_F64));
    }

    /// (`name (pid N)`, troughs) per process.
    pub fn series(&self) -> Vec<(String, Vec<Obs>)> {
        let mut out: Vec<(String, Vec<Obs>)> = self
            .by
            .iter()
            .map(|((pid, name), troughs)| (format!("{name} (pid {pid})"), troughs.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProcessInfo;

    fn top(ts_ms: i64, memory: u64) -> TopProcesses {
        TopProcesses {
            ts_ms,
            by_memory: vec![ProcessInfo {
                pid: 7,
                name: "node".into(),
                cpu_percent: 1.0,
                memory_bytes: memory,
            }],
            ..TopProcesses::default()
        }
    }

    #[test]
    fn each_bucket_keeps_its_minimum_and_a_list_is_taken_once() {
        let mut m = ProcessMemory::default();
        m.observe(&top(1_000_000_200_000, 500));
        m.observe(&top(1_000_000_200_000, 1));
        m.observe(&top(1_000_000_260_000, 300));
        m.observe(&top(1_000_000_500_000, 400));
        let series = m.series();
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].0, "node (pid 7)");
        let values: Vec<f64> = series[0].1.iter().map(|o| o.v).collect();
        assert_eq!(values, [300.0, 400.0]);
    }
}
