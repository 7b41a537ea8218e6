//! One walk of the data disk: the Supervisor's `GET /host/disks/default/usage`, and its answer
//! read into a [`DiskWalk`] whatever the spelling.
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

use crate::supervisor::{SupervisorClient, SupervisorError};
use crate::util::time::HOUR_MS;

/// The depth asked for: the root's parts and each add-on's folder below them.
pub const DISK_USAGE_DEPTH: u32 = 2;
/// The least time between two walks.
pub const DISK_USAGE_EVERY_MS: i64 = HOUR_MS;
/// How long one walk may take before it is given up (the Supervisor's own bound on a mount
/// probe is 60 s, `MOUNT_USAGE_TIMEOUT`; the data disk has none).
pub(super) const WALK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// What takes the data disk as the Supervisor walked it, each list largest first. Ids are in
/// the current spelling: `apps_data` and `apps_config` (the v1 route still answers the legacy
/// `addons_data` and `addons_config`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskWalk {
    /// The disk's size and what is used on it, bytes.
    pub total_bytes: Option<f64>,
    pub used_bytes: Option<f64>,
    /// The root's parts: `system`, `apps_data`, `apps_config`, `media`, `share`, `backup`,
    /// `ssl`, `homeassistant`.
    pub parts: Vec<(String, f64)>,
    /// Each add-on's data folder (the children of `apps_data`, named by slug); empty when the
    /// walk did not go that deep.
    pub addon_data: Vec<(String, f64)>,
    /// Each add-on's public configuration folder (the children of `apps_config`).
    pub addon_config: Vec<(String, f64)>,
    /// Whether the walk listed the add-ons (`apps_data` came with its children).
    pub addons_listed: bool,
    /// When it was read, Unix ms.
    pub at_ms: i64,
    /// Installed add-ons' names by slug (`GET /addons`), for the Storage section and the
    /// sensors; a folder of an add-on no longer installed keeps its slug.
    pub addon_names: Vec<(String, String)>,
}

impl DiskWalk {
    /// The add-on's name, or its slug when the Supervisor did not name it.
    pub fn addon_name<'a>(&'a self, slug: &'a str) -> &'a str {
        self.addon_names
            .iter()
            .find(|(s, _)| s == slug)
            .map_or(slug, |(_, name)| name.as_str())
    }
}

/// What a part of the data disk is, in the words of the Supervisor's own labels.
pub fn part_name(id: &str) -> &str {
    match id {
        "system" => "System",
        "apps_data" => "Add-on data",
        "apps_config" => "Add-on configuration",
        "media" => "Media",
        "share" => "Share",
        "backup" => "Backups",
        "ssl" => "SSL",
        "homeassistant" => "Home Assistant configuration",
        other => other,
    }
}

/// One walk of the data disk, with the add-ons' names.
pub(super) async fn walk(
    client: &SupervisorClient,
    now_ms: i64,
) -> Result<DiskWalk, SupervisorError> {
    let path = format!("/host/disks/default/usage?max_depth={DISK_USAGE_DEPTH}");
    let tree = client.get_within::<Value>(&path, WALK_TIMEOUT).await?;
    let mut walk = parse_disk_usage(&tree, now_ms);
    match client.addons().await {
        Ok(addons) => walk.addon_names = addons.into_iter().map(|a| (a.slug, a.name)).collect(),
        Err(err) => tracing::debug!(error = %err, "cannot name the add-ons of the disk walk"),
    }
    Ok(walk)
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
    let size = |n: &Value| {
        n["used_bytes"]
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
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
