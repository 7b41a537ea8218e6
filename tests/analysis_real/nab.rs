//! Reads the NAB fixtures (`tests/fixtures/analysis/nab`, see its README): the gzipped series,
//! their incident windows and labelled points, and the development / held-out split.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use resource_manager::analysis::Obs;

/// One public series with its labelled incidents.
pub struct Series {
    pub name: String,
    pub heldout: bool,
    pub obs: Vec<Obs>,
    /// Incident windows, Unix seconds.
    pub windows: Vec<(f64, f64)>,
    /// Labelled incident points (one per window), Unix seconds.
    pub labels: Vec<f64>,
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/analysis/nab")
}

fn parse(name: &str, text: &str) -> Vec<Obs> {
    let mut start = None;
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (a, b) = line
            .split_once(',')
            .unwrap_or_else(|| panic!("{name}: bad line {line:?}"));
        let num = |s: &str| -> f64 {
            s.parse()
                .unwrap_or_else(|e| panic!("{name}: bad number {s:?}: {e}"))
        };
        if a == "start" {
            start = Some(num(b));
            continue;
        }
        let t0 = start.unwrap_or_else(|| panic!("{name}: no start line"));
        out.push(Obs::new(t0 + 60.0 * num(a), num(b)));
    }
    out
}

/// Every fixture series, development first, each sorted by name.
pub fn load() -> Vec<Series> {
    let labels_text =
        std::fs::read_to_string(dir().join("labels.json")).expect("nab/labels.json readable");
    let labels: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&labels_text).expect("nab/labels.json is JSON");
    let mut out = Vec::new();
    for (name, meta) in labels {
        let file = dir().join(format!("{name}.csv.gz"));
        let raw = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut text = String::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let pairs = |key: &str| -> Vec<serde_json::Value> {
            meta[key].as_array().cloned().unwrap_or_default()
        };
        let windows = pairs("windows")
            .iter()
            .map(|w| {
                let f = |i: usize| w[i].as_f64().expect("window bound");
                (f(0), f(1))
            })
            .collect();
        let labels = pairs("labels")
            .iter()
            .map(|v| v.as_f64().expect("label time"))
            .collect();
        out.push(Series {
            heldout: meta["split"] == "heldout",
            obs: parse(&name, &text),
            name,
            windows,
            labels,
        });
    }
    out.sort_by(|a, b| a.heldout.cmp(&b.heldout).then(a.name.cmp(&b.name)));
    out
}
