//! Top processes by CPU and by memory, from `/proc/<pid>/stat` (one file per process).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use super::CollectError;
use super::procfs::read_into;
use crate::config::SysRoot;
use crate::model::{ProcessInfo, TopProcesses};

/// How many processes each top list holds.
pub const TOP_N: usize = 10;

/// The fields of `/proc/<pid>/stat` we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat<'a> {
    pub name: &'a str,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    pub start_time: u64,
    pub rss_pages: u64,
}

/// Parses one stat line. The name sits in parentheses and may itself hold spaces and ')'.
pub fn parse_stat(text: &str) -> Option<ProcStat<'_>> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?;
    let mut fields = text.get(close + 1..)?.split_ascii_whitespace();
    // After the name: state(3) ppid(4) ... utime(14) stime(15) ... starttime(22) vsize(23) rss(24).
    let mut nth = |skip: usize| fields.nth(skip).and_then(|v| v.parse::<u64>().ok());
    let utime = nth(11)?;
    let stime = nth(0)?;
    let start_time = nth(6)?;
    let rss_pages = nth(1)?;
    Some(ProcStat {
        name,
        cpu_ticks: utime.saturating_add(stime),
        start_time,
        rss_pages,
    })
}

/// Scans `/proc` on its own cadence and keeps the two top lists.
pub struct ProcessCollector {
    proc: PathBuf,
    buf: String,
    ticks_per_second: f64,
    page_size: u64,
    previous: HashMap<u32, (u64, u64)>,
    previous_at: Option<Instant>,
}

impl ProcessCollector {
    /// A collector reading `<proc>/<pid>/stat`.
    pub fn new(root: &SysRoot) -> Self {
        ProcessCollector {
            proc: root.proc.clone(),
            buf: String::with_capacity(512),
            ticks_per_second: rustix::param::clock_ticks_per_second() as f64,
            page_size: rustix::param::page_size() as u64,
            previous: HashMap::new(),
            previous_at: None,
        }
    }

    /// Reads every process once; CPU shares cover the time since the previous call
    /// (100% = one core busy, as `top` shows it).
    pub fn collect(&mut self, now: Instant, ts_ms: i64) -> Result<TopProcesses, CollectError> {
        let entries = std::fs::read_dir(&self.proc).map_err(|source| CollectError::Io {
            path: self.proc.clone(),
            source,
        })?;
        let elapsed = self
            .previous_at
            .map(|then| now.duration_since(then).as_secs_f64());
        let mut current = HashMap::with_capacity(self.previous.len().max(64));
        let mut all: Vec<ProcessInfo> = Vec::with_capacity(self.previous.len().max(64));
        let mut path = self.proc.clone();
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(pid) = file_name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            path.push(&file_name);
            path.push("stat");
            let read = read_into(&path, &mut self.buf);
            path.pop();
            path.pop();
            // Processes exit between listing and reading: not an error.
            if read.is_err() {
                continue;
            }
            let Some(stat) = parse_stat(&self.buf) else {
                continue;
            };
            let cpu_percent = match (elapsed, self.previous.get(&pid)) {
                (Some(secs), Some(&(ticks, start))) if start == stat.start_time && secs > 0.0 => {
                    stat.cpu_ticks.saturating_sub(ticks) as f64 / self.ticks_per_second / secs
                        * 100.0
                }
                _ => 0.0,
            };
            current.insert(pid, (stat.cpu_ticks, stat.start_time));
            all.push(ProcessInfo {
                pid,
                name: stat.name.to_string(),
                cpu_percent,
                memory_bytes: stat.rss_pages.saturating_mul(self.page_size),
            });
        }
        self.previous = current;
        self.previous_at = Some(now);
        Ok(top_lists(all, ts_ms))
    }
}

/// Builds the two top lists from every process.
pub fn top_lists(mut all: Vec<ProcessInfo>, ts_ms: i64) -> TopProcesses {
    let total = all.len();
    let n = TOP_N.min(total);
    let by_cpu = if n == 0 {
        Vec::new()
    } else {
        all.select_nth_unstable_by(n - 1, |a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
        let mut top = all[..n].to_vec();
        top.sort_by(|a, b| {
            b.cpu_percent
                .total_cmp(&a.cpu_percent)
                .then(a.pid.cmp(&b.pid))
        });
        top
    };
    let by_memory = if n == 0 {
        Vec::new()
    } else {
        all.select_nth_unstable_by(n - 1, |a, b| b.memory_bytes.cmp(&a.memory_bytes));
        let mut top = all[..n].to_vec();
        top.sort_by(|a, b| b.memory_bytes.cmp(&a.memory_bytes).then(a.pid.cmp(&b.pid)));
        top
    };
    TopProcesses {
        ts_ms,
        by_cpu,
        by_memory,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_a_name_with_spaces_and_parentheses() {
        let line = "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 9999 123456789 300 18446744073709551615";
        let stat = parse_stat(line).expect("parsed");
        assert_eq!(stat.name, "my (odd) proc");
        assert_eq!(stat.cpu_ticks, 300);
        assert_eq!(stat.start_time, 9999);
        assert_eq!(stat.rss_pages, 300);
    }

    #[test]
    fn top_lists_are_sorted_and_bounded() {
        let all: Vec<ProcessInfo> = (0..25)
            .map(|i| ProcessInfo {
                pid: i,
                name: format!("p{i}"),
                cpu_percent: f64::from(i % 7),
                memory_bytes: u64::from(i) * 10,
            })
            .collect();
        let top = top_lists(all, 0);
        assert_eq!(top.total, 25);
        assert_eq!(top.by_cpu.len(), TOP_N);
        assert_eq!(top.by_memory[0].pid, 24);
        assert!(
            top.by_cpu
                .windows(2)
                .all(|w| w[0].cpu_percent >= w[1].cpu_percent)
        );
        assert_eq!(top.by_cpu[0].cpu_percent, 6.0);
    }

    #[test]
    fn this_machine_lists_itself() {
        let mut collector = ProcessCollector::new(&SysRoot::default());
        let top = collector.collect(Instant::now(), 0).expect("collect");
        assert!(top.total > 1);
        assert!(top.by_memory.iter().any(|p| p.memory_bytes > 0));
    }

    proptest! {
        #[test]
        fn parser_never_panics(text in "\\PC{0,300}") {
            let _ = parse_stat(&text);
        }
    }
}
