//! What takes the data disk: the Supervisor's `GET /host/disks/default/usage`, asked at most
//! hourly in a task of its own (the Supervisor walks the whole disk to answer, which may take
//! long on a full one), and its answer read into a [`DiskWalk`] whatever the spelling.
//!
//! The real handler (`supervisor/api/host.py` `APIHost._system_disk_usage_data`) answers
//! `{id: "root", label, total_bytes, used_bytes, children: [system, apps_data, apps_config,
//! media, share, backup, ssl, homeassistant]}`. `max_depth` defaults to 1
//! (`DISK_USAGE_MAX_DEPTH_SYSTEM`; a value that is not an integer falls back to it, no upper
//! bound), and `supervisor/hardware/disk.py` `get_dir_structure_sizes` adds a folder's
//! `children` (its non-empty subfolders) only when `max_depth > 1`: depth 2 is the least
//! that lists each add-on's data folder. The walk recurses to the bottom at any depth, so
//! depth 2 costs no more than 1. The v1 route (`disk_usage_v1`) renames `apps_data` and
//! `apps_config` to the legacy `addons_data` and `addons_config`; the v2 route does not.

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::advice::recommend::DiskWalk;
use crate::supervisor::SupervisorClient;
use crate::util::time::HOUR_MS;

/// The depth asked for: the root's parts and each add-on's folder below them.
pub const DISK_USAGE_DEPTH: u32 = 2;
/// The least time between two walks.
pub const DISK_USAGE_EVERY_MS: i64 = HOUR_MS;
/// How long one walk may take before it is given up (the Supervisor's own bound on a mount
/// probe is 60 s, `MOUNT_USAGE_TIMEOUT`; the data disk has none).
const WALK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The hourly walk: asked in a task of its own so a pass never waits for it; the last answer
/// is kept until the next one arrives.
#[derive(Default)]
pub(super) struct DiskUsageProbe {
    asked_ms: Option<i64>,
    running: Option<(oneshot::Receiver<Option<DiskWalk>>, JoinHandle<()>)>,
    last: Option<DiskWalk>,
}

impl DiskUsageProbe {
    /// Takes a finished walk's answer, starts the next one when an hour has passed since the
    /// last was asked, and returns the latest answer.
    pub(super) fn poll(&mut self, client: &SupervisorClient, now_ms: i64) -> Option<&DiskWalk> {
        if let Some((rx, _)) = &mut self.running {
            match rx.try_recv() {
                Ok(walk) => {
                    self.last = walk.or(self.last.take());
                    self.running = None;
                }
                Err(oneshot::error::TryRecvError::Closed) => self.running = None,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
        let due = self
            .asked_ms
            .is_none_or(|at| now_ms - at >= DISK_USAGE_EVERY_MS);
        if self.running.is_none() && due {
            self.asked_ms = Some(now_ms);
            let (tx, rx) = oneshot::channel();
            let client = client.clone();
            let task = tokio::spawn(async move {
                tx.send(walk(&client, now_ms).await).ok();
            });
            self.running = Some((rx, task));
        }
        self.last.as_ref()
    }
}

impl Drop for DiskUsageProbe {
    fn drop(&mut self) {
        if let Some((_, task)) = &self.running {
            task.abort();
        }
    }
}

/// One walk of the data disk, `None` when the Supervisor cannot answer.
async fn walk(client: &SupervisorClient, now_ms: i64) -> Option<DiskWalk> {
    let path = format!("/host/disks/default/usage?max_depth={DISK_USAGE_DEPTH}");
    match client.get_within::<Value>(&path, WALK_TIMEOUT).await {
        Ok(tree) => Some(parse_disk_usage(&tree, now_ms)),
        Err(err) => {
            tracing::debug!(error = %err, "cannot read the data disk's usage");
            None
        }
    }
}

/// The id in the current spelling (`addons_data` → `apps_data`, `addons_config` →
/// `apps_config`).
fn current_id(id: &str) -> &str {
    match id {
        "addons_data" => "apps_data",
        "addons_config" => "apps_config",
        other => other,
    }
}

/// Reads a disk usage answer (either spelling, any depth), each list largest first.
pub fn parse_disk_usage(tree: &Value, at_ms: i64) -> DiskWalk {
    let size = |n: &Value| n["used_bytes"].as_f64();
    let named = |n: &Value| Some((n["id"].as_str()?.to_string(), size(n)?));
    let mut walk = DiskWalk {
        total_bytes: tree["total_bytes"].as_f64(),
        used_bytes: size(tree),
        at_ms,
        ..DiskWalk::default()
    };
    for child in tree["children"].as_array().into_iter().flatten() {
        let Some((id, bytes)) = named(child) else {
            continue;
        };
        let id = current_id(&id).to_string();
        let below: Vec<(String, f64)> = child["children"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(named)
            .collect();
        match id.as_str() {
            "apps_data" => {
                walk.addons_listed = child["children"].is_array();
                walk.addon_data = below;
            }
            "apps_config" => walk.addon_config = below,
            _ => {}
        }
        walk.parts.push((id, bytes));
    }
    for list in [
        &mut walk.parts,
        &mut walk.addon_data,
        &mut walk.addon_config,
    ] {
        list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    walk
}
