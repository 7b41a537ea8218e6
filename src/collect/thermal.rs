//! Temperatures per sensor from hwmon (`/sys/class/hwmon`), else thermal zones.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{CollectError, Collector, Tick};
use crate::config::SysRoot;
use crate::model::{Sample, SeriesMeta, registry};

/// How often the sensor list is rebuilt (drivers rarely come and go).
const REDISCOVER_EVERY: Duration = Duration::from_secs(300);

/// One temperature input file and the name it is reported under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sensor {
    pub name: String,
    pub input: PathBuf,
}

/// Lowercase letters, digits and underscores only, so names work as ids and entity ids.
pub fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    entries.sort();
    entries
}

/// Finds every temperature input: hwmon first; thermal zones only when hwmon has none
/// (on most boards the zones repeat the hwmon sensors).
pub fn discover(sys: &Path) -> Vec<Sensor> {
    let mut sensors: Vec<Sensor> = Vec::new();
    for dir in sorted_entries(&sys.join("class/hwmon")) {
        let chip = read_trimmed(&dir.join("name")).unwrap_or_else(|| "hwmon".into());
        for file in sorted_entries(&dir) {
            let Some(fname) = file.file_name().and_then(|f| f.to_str()) else {
                continue;
            };
            let Some(index) = fname
                .strip_prefix("temp")
                .and_then(|r| r.strip_suffix("_input"))
            else {
                continue;
            };
            let label = read_trimmed(&dir.join(format!("temp{index}_label")))
                .unwrap_or_else(|| format!("temp{index}"));
            let mut name = sanitize(&format!("{chip}_{label}"));
            if sensors.iter().any(|s| s.name == name) {
                let hw = dir.file_name().and_then(|f| f.to_str()).unwrap_or("hwmon");
                name = sanitize(&format!("{chip}_{hw}_{label}"));
            }
            sensors.push(Sensor { name, input: file });
        }
    }
    if sensors.is_empty() {
        for dir in sorted_entries(&sys.join("class/thermal")) {
            let Some(fname) = dir.file_name().and_then(|f| f.to_str()) else {
                continue;
            };
            let Some(index) = fname.strip_prefix("thermal_zone") else {
                continue;
            };
            let kind = read_trimmed(&dir.join("type")).unwrap_or_else(|| "zone".into());
            let mut name = sanitize(&kind);
            if sensors.iter().any(|s| s.name == name) {
                name = sanitize(&format!("{kind}_{index}"));
            }
            sensors.push(Sensor {
                name,
                input: dir.join("temp"),
            });
        }
    }
    sensors
}

/// Parses a millidegree reading; absurd values (disconnected probes) are dropped.
pub fn parse_millidegrees(text: &str) -> Option<f64> {
    let value: i64 = text.trim().parse().ok()?;
    let celsius = value as f64 / 1000.0;
    (-60.0..=200.0).contains(&celsius).then_some(celsius)
}

/// Reads every temperature each tick, and the hottest.
pub struct ThermalCollector {
    sys: PathBuf,
    sensors: Vec<(Sensor, Arc<SeriesMeta>)>,
    hottest: Arc<SeriesMeta>,
    discovered_at: Option<Instant>,
    buf: String,
}

impl ThermalCollector {
    /// A collector reading under `<sys>/class`.
    pub fn new(root: &SysRoot) -> Self {
        ThermalCollector {
            sys: root.sys.clone(),
            sensors: Vec::new(),
            hottest: Arc::new(registry::TEMP_MAX.global()),
            discovered_at: None,
            buf: String::with_capacity(16),
        }
    }
}

impl Collector for ThermalCollector {
    fn source(&self) -> &'static str {
        "thermal"
    }

    fn collect(&mut self, tick: &Tick, out: &mut Vec<Sample>) -> Result<(), CollectError> {
        if self
            .discovered_at
            .is_none_or(|at| tick.now.duration_since(at) >= REDISCOVER_EVERY)
        {
            self.sensors = discover(&self.sys)
                .into_iter()
                .map(|sensor| {
                    let meta =
                        Arc::new(registry::TEMP_SENSOR.instance(&sensor.name, &[&sensor.name]));
                    (sensor, meta)
                })
                .collect();
            self.discovered_at = Some(tick.now);
        }
        let mut hottest: Option<f64> = None;
        for (sensor, meta) in &self.sensors {
            // Some drivers answer ENODATA while a probe is absent: skip that sensor only.
            if super::procfs::read_into(&sensor.input, &mut self.buf).is_err() {
                continue;
            }
            let Some(celsius) = parse_millidegrees(&self.buf) else {
                continue;
            };
            hottest = Some(hottest.map_or(celsius, |h| h.max(celsius)));
            out.push(Sample {
                series: meta.clone(),
                value: celsius,
            });
        }
        if let Some(value) = hottest {
            out.push(Sample {
                series: self.hottest.clone(),
                value,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn write(path: PathBuf, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn hwmon_sensors_with_labels_and_the_hottest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = SysRoot::fixture(dir.path());
        let hw0 = root.sys.join("class/hwmon/hwmon0");
        write(hw0.join("name"), "coretemp\n");
        write(hw0.join("temp1_input"), "45000\n");
        write(hw0.join("temp1_label"), "Package id 0\n");
        write(hw0.join("temp2_input"), "51500\n");
        let hw1 = root.sys.join("class/hwmon/hwmon1");
        write(hw1.join("name"), "nvme\n");
        write(hw1.join("temp1_input"), "-300000\n"); // disconnected probe
        write(
            root.sys.join("class/thermal/thermal_zone0/type"),
            "x86_pkg_temp\n",
        );
        write(root.sys.join("class/thermal/thermal_zone0/temp"), "45000\n");

        let mut collector = ThermalCollector::new(&root);
        let mut out = Vec::new();
        collector.collect(&Tick::now(), &mut out).expect("collect");
        let ids: Vec<(&str, f64)> = out
            .iter()
            .map(|s| (s.series.id.as_str(), s.value))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("temp.coretemp_package_id_0.celsius", 45.0),
                ("temp.coretemp_temp2.celsius", 51.5),
                ("temp.max_celsius", 51.5)
            ]
        );
    }

    #[test]
    fn thermal_zones_when_no_hwmon() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = SysRoot::fixture(dir.path());
        write(
            root.sys.join("class/thermal/thermal_zone0/type"),
            "cpu-thermal\n",
        );
        write(root.sys.join("class/thermal/thermal_zone0/temp"), "61234\n");
        write(root.sys.join("class/thermal/cooling_device0/type"), "fan\n");
        let sensors = discover(&root.sys);
        assert_eq!(sensors.len(), 1);
        assert_eq!(sensors[0].name, "cpu_thermal");
    }

    #[test]
    fn no_sensors_is_healthy_and_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut collector = ThermalCollector::new(&SysRoot::fixture(dir.path()));
        let mut out = Vec::new();
        collector.collect(&Tick::now(), &mut out).expect("collect");
        assert!(out.is_empty());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,40}") {
            let _ = parse_millidegrees(&text);
            let _ = sanitize(&text);
        }
    }
}
