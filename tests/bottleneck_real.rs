//! Bottleneck verdicts on real load: the labelled situations of
//! `tests/fixtures/analysis/bottleneck/`, made with stress-ng on this machine and read by the
//! product's own host collectors (`cargo bench --bench record_bottlenecks`), replayed through the
//! same diagnosis the analysis runs. Two sets: the development set (recorded first; the
//! diagnosis was changed on what it taught) and the held-out set (other stressors, sizes and
//! limits, recorded after that change and scored once). Prints the confusion matrices
//! (`--nocapture`); the README there has the figures.

use std::collections::BTreeMap;

use resource_manager::analysis::bottleneck::{Bottleneck, Readings, diagnose};
use serde::Deserialize;

const SETS: [(&str, &str); 2] = [
    (
        "development",
        "tests/fixtures/analysis/bottleneck/recorded.json",
    ),
    (
        "held-out",
        "tests/fixtures/analysis/bottleneck/recorded-held-out.json",
    ),
];
const KINDS: [&str; 5] = ["none", "cpu", "memory", "io", "thermal"];

#[derive(Debug, Deserialize)]
struct Recording {
    cores: usize,
    situations: Vec<Situation>,
}

#[derive(Debug, Deserialize)]
struct Situation {
    name: String,
    label: String,
    also_right: Vec<String>,
    values: BTreeMap<String, f64>,
    cores: usize,
    processes: Vec<(String, f64)>,
}

impl Situation {
    fn readings(&self) -> Readings {
        // Throttling is not readable in this VM (no cpufreq or thermal zones), as on many boxes.
        Readings::from_latest(
            self.values.keys().map(String::as_str),
            |id| self.values.get(id).copied(),
            self.cores as f64,
            &self.processes,
            None,
        )
    }

    fn value(&self, id: &str) -> f64 {
        self.values.get(id).copied().unwrap_or(0.0)
    }

    /// Bytes a second read and written over every disk.
    fn disk_bytes_per_second(&self) -> f64 {
        self.values
            .iter()
            .filter(|(id, _)| {
                id.starts_with("disk.")
                    && (id.ends_with(".read_bytes_per_second")
                        || id.ends_with(".write_bytes_per_second"))
            })
            .map(|(_, v)| v)
            .sum()
    }
}

fn kind(verdict: Bottleneck) -> &'static str {
    match verdict {
        Bottleneck::None => "none",
        Bottleneck::Cpu => "cpu",
        Bottleneck::Memory => "memory",
        Bottleneck::Io => "io",
        Bottleneck::Thermal => "thermal",
    }
}

fn load(path: &str) -> Recording {
    let text = std::fs::read_to_string(path).expect("the recorded situations");
    serde_json::from_str(&text).expect("the recording parses")
}

/// The labels rest on what happened, not on the product's verdict: each memory situation
/// swapped or stalled on reclaim, each I/O one moved the disks, each CPU one kept the cores
/// busy, each quiet one did not. A recording where the load did not take hold would teach
/// nothing.
#[test]
fn each_recorded_situation_did_what_its_label_says() {
    let sizes: Vec<usize> = SETS
        .iter()
        .map(|(_, path)| load(path).situations.len())
        .collect();
    assert!(
        sizes.iter().sum::<usize>() >= 50,
        "at least 50 situations: {sizes:?}"
    );
    for (_, path) in SETS {
        let recording = load(path);
        assert!(recording.cores >= 1);
        check_labels(&recording);
    }
}

fn check_labels(recording: &Recording) {
    for s in &recording.situations {
        let swap = s.value("swap.in_bytes_per_second") + s.value("swap.out_bytes_per_second");
        let reclaim = s.value("pressure.memory.some_percent");
        match s.label.as_str() {
            "memory" => assert!(
                swap >= 1e6 || reclaim >= 10.0,
                "{}: swapped {swap} B/s, waited for memory {reclaim} %",
                s.name
            ),
            // Throughput, or waits on the disks for latency-bound work (syncs).
            "io" => assert!(
                s.disk_bytes_per_second() >= 5e6 || s.value("pressure.io.some_percent") >= 10.0,
                "{}: disks moved {} B/s, waited for {} %",
                s.name,
                s.disk_bytes_per_second(),
                s.value("pressure.io.some_percent")
            ),
            "cpu" => assert!(
                s.value("cpu.usage") >= 70.0,
                "{}: CPU {}",
                s.name,
                s.value("cpu.usage")
            ),
            "none" => assert!(
                swap < 1e6 && s.value("cpu.iowait") < 10.0,
                "{}: not quiet (swap {swap} B/s, iowait {})",
                s.name,
                s.value("cpu.iowait")
            ),
            other => panic!("{}: unknown label {other}", s.name),
        }
    }
}

/// Right verdicts of one set (a verdict is right when it names the label or, where two
/// resources ran out together, the other one), printed with the confusion matrix.
fn score(set: &str, recording: &Recording) -> (usize, usize) {
    let mut matrix: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let (mut right, mut right_single, mut single) = (0, 0, 0);
    let mut wrong = Vec::new();
    for s in &recording.situations {
        let verdict = diagnose(&s.readings());
        let got = kind(verdict.kind);
        *matrix.entry((s.label.as_str(), got)).or_default() += 1;
        let is_right = got == s.label || s.also_right.iter().any(|a| a == got);
        right += usize::from(is_right);
        if s.also_right.is_empty() {
            single += 1;
            right_single += usize::from(is_right);
        }
        if !is_right {
            wrong.push(format!(
                "{} ({}) -> {got}: {}",
                s.name,
                s.label,
                verdict.evidence.join("; ")
            ));
        }
    }
    let total = recording.situations.len();
    eprintln!("{set}: confusion matrix (rows: label, columns: verdict)");
    eprintln!("{:<8}{}", "", KINDS.map(|k| format!("{k:>9}")).concat());
    for label in &KINDS[..4] {
        let row: String = KINDS
            .iter()
            .map(|got| format!("{:>9}", matrix.get(&(*label, *got)).copied().unwrap_or(0)))
            .collect();
        eprintln!("{label:<8}{row}");
    }
    for w in &wrong {
        eprintln!("wrong: {w}");
    }
    eprintln!(
        "{set}: right {right}/{total} = {:.1} % ({right_single}/{single} of the single-resource situations)",
        100.0 * right as f64 / total as f64
    );
    (right, total)
}

#[test]
fn bottleneck_verdicts_on_recorded_load_are_at_least_90_percent_right() {
    let mut pooled = (0, 0);
    for (set, path) in SETS {
        let (right, total) = score(set, &load(path));
        assert!(right * 10 >= total * 9, "{set}: {right} of {total} right");
        pooled = (pooled.0 + right, pooled.1 + total);
    }
    eprintln!(
        "pooled: right {}/{} = {:.1} %",
        pooled.0,
        pooled.1,
        100.0 * pooled.0 as f64 / pooled.1 as f64
    );
}
