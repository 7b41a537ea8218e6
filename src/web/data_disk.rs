//! "The data disk": the filesystem holding the data directory (`/data` in an add-on, whose
//! `/config`, `/share`, `/backup` and `/media` sit on the same device and are shown once), with
//! the Supervisor's `GET /host/info` figures and the disk's wear beside it.

use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

use crate::model::{Snapshot, registry};
use crate::util::lock;

/// The data disk as `GET /api/v1/status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataDisk {
    /// The mount the disk card lists it under (one per device, so maybe `/config`, not `/data`).
    pub mount: String,
    /// The data directory it holds.
    pub data_dir: String,
    pub total_bytes: Option<f64>,
    pub used_bytes: Option<f64>,
    pub free_bytes: Option<f64>,
    pub used_percent: Option<f64>,
    /// Share of an eMMC's rated life used, where the host reports it (add-on mode).
    pub life_time_used_percent: Option<f64>,
    /// What the Supervisor says about the data disk (add-on mode; `null` standalone).
    pub host: Option<HostDisk>,
}

/// `GET /host/info`'s disk figures, as the Supervisor gives them (GB, percent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostDisk {
    pub total_gb: Option<f64>,
    pub used_gb: Option<f64>,
    pub free_gb: Option<f64>,
    pub life_time_used_percent: Option<f64>,
}

impl HostDisk {
    /// From the poller's host facts (`host_disk_total`, …); `None` if it has none of them.
    pub fn from_facts(facts: &Value) -> Option<HostDisk> {
        let number = |key: &str| facts[key].as_f64().filter(|v| v.is_finite());
        let disk = HostDisk {
            total_gb: number("host_disk_total"),
            used_gb: number("host_disk_used"),
            free_gb: number("host_disk_free"),
            life_time_used_percent: crate::supervisor::poller::life_time(facts),
        };
        let any = disk.total_gb.is_some()
            || disk.used_gb.is_some()
            || disk.free_gb.is_some()
            || disk.life_time_used_percent.is_some();
        any.then_some(disk)
    }
}

/// The mount points of this snapshot's disk list.
fn listed_mounts(snapshot: &Snapshot) -> impl Iterator<Item = &str> {
    snapshot
        .samples
        .iter()
        .filter(|s| s.series.family == registry::DISK_TOTAL.family)
        .map(|s| s.label("mount"))
}

/// The mount of this snapshot's disk list that holds `data_dir`, if any (a `stat` per mount).
pub fn mount_of(data_dir: &Path, snapshot: &Snapshot) -> Option<String> {
    let candidates: Vec<(&str, Option<u64>)> = listed_mounts(snapshot)
        .map(|m| (m, device(Path::new(m))))
        .collect();
    let canonical = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    pick(&canonical, device(&canonical), &candidates).map(String::from)
}

/// [`mount_of`] for the server's data directory, worked out again only when the listed mount
/// points change: the overview asks on every live event of every open page.
#[derive(Debug, Default)]
pub struct DataDiskMount {
    last: Mutex<Option<(Vec<String>, Option<String>)>>,
}

impl DataDiskMount {
    /// The mount holding `data_dir` in `snapshot`'s disk list.
    pub fn of(&self, data_dir: &Path, snapshot: &Snapshot) -> Option<String> {
        let mut last = lock(&self.last);
        if let Some((known, found)) = &*last
            && known.iter().map(String::as_str).eq(listed_mounts(snapshot))
        {
            return found.clone();
        }
        let found = mount_of(data_dir, snapshot);
        *last = Some((
            listed_mounts(snapshot).map(String::from).collect(),
            found.clone(),
        ));
        found
    }
}

/// The data disk at `mount` (from [`mount_of`]) in this snapshot.
pub fn data_disk(
    mount: &str,
    data_dir: &Path,
    snapshot: &Snapshot,
    host_facts: Option<&Value>,
) -> DataDisk {
    let value = |family: &registry::Family| snapshot.value(&family.pattern.replacen('*', mount, 1));
    DataDisk {
        mount: mount.to_string(),
        data_dir: data_dir.display().to_string(),
        total_bytes: value(&registry::DISK_TOTAL),
        used_bytes: value(&registry::DISK_USED),
        free_bytes: value(&registry::DISK_FREE),
        used_percent: value(&registry::DISK_USED_PERCENT),
        life_time_used_percent: snapshot.value(registry::DISK_LIFE_TIME.pattern),
        host: host_facts.and_then(HostDisk::from_facts),
    }
}

fn device(path: &Path) -> Option<u64> {
    rustix::fs::stat(path).ok().map(|st| st.st_dev)
}

/// The mount holding `data_dir`: one on the same device (the disk card lists each device once,
/// under any of its mount points), the longest that contains the path if several; else, when
/// devices cannot be compared, the longest mount point containing the path.
fn pick<'a>(
    data_dir: &Path,
    data_dev: Option<u64>,
    mounts: &[(&'a str, Option<u64>)],
) -> Option<&'a str> {
    let longest_containing = |list: &mut dyn Iterator<Item = &'a str>| {
        list.filter(|m| data_dir.starts_with(m))
            .max_by_key(|m| m.len())
    };
    if let Some(dev) = data_dev {
        let same: Vec<&str> = mounts
            .iter()
            .filter(|(_, d)| *d == Some(dev))
            .map(|(m, _)| *m)
            .collect();
        if let Some(found) = longest_containing(&mut same.iter().copied()).or(same.first().copied())
        {
            return Some(found);
        }
    }
    longest_containing(&mut mounts.iter().map(|(m, _)| *m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::model::Sample;

    #[test]
    fn the_device_decides_even_when_the_disk_is_listed_under_another_mount() {
        // Add-on container: /config came first in mountinfo, so the device is listed as
        // /config; /data is on it too.
        let mounts = [("/", Some(1)), ("/config", Some(7)), ("/ssl", Some(9))];
        assert_eq!(pick(Path::new("/data"), Some(7), &mounts), Some("/config"));
        assert_eq!(
            pick(Path::new("/data/sub"), Some(7), &mounts),
            Some("/config")
        );
    }

    #[test]
    fn without_devices_the_longest_containing_mount_wins() {
        let mounts = [("/", None), ("/mnt/a", None), ("/mnt", None)];
        assert_eq!(
            pick(Path::new("/mnt/a/data"), None, &mounts),
            Some("/mnt/a")
        );
        assert_eq!(pick(Path::new("/srv/rm"), Some(3), &mounts), Some("/"));
        assert_eq!(pick(Path::new("/srv/rm"), None, &[]), None);
        assert_eq!(
            pick(Path::new("/x"), None, &[("/mnt", None)]),
            None,
            "nothing holds it"
        );
    }

    #[test]
    fn host_figures_come_from_the_supervisor_facts_and_may_be_missing() {
        let facts = serde_json::json!({"host_disk_total": 58.0, "host_disk_used": 21.5,
            "host_disk_free": 36.5, "host_disk_life_time": null, "host_kernel": "6.12"});
        let disk = HostDisk::from_facts(&facts).expect("figures");
        assert_eq!(disk.total_gb, Some(58.0));
        assert_eq!(disk.free_gb, Some(36.5));
        assert_eq!(disk.life_time_used_percent, None);
        assert_eq!(
            HostDisk::from_facts(&serde_json::json!({"host_kernel": "6.12"})),
            None
        );
    }

    #[test]
    fn this_machines_data_dir_is_on_a_listed_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sample = |family: &registry::Family, value: f64| Sample {
            series: Arc::new(family.instance("/", &["/"])),
            value,
        };
        let snapshot = Snapshot {
            ts_ms: 1,
            samples: vec![
                sample(&registry::DISK_TOTAL, 100.0),
                sample(&registry::DISK_FREE, 40.0),
            ],
            ..Snapshot::default()
        };
        let mount = mount_of(dir.path(), &snapshot).expect("data disk");
        let disk = data_disk(&mount, dir.path(), &snapshot, None);
        assert_eq!(disk.mount, "/");
        assert_eq!(disk.total_bytes, Some(100.0));
        assert_eq!(disk.free_bytes, Some(40.0));
        assert_eq!(disk.life_time_used_percent, None);
        assert_eq!(disk.host, None);
    }
}
