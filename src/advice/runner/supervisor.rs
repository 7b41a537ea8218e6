//! What the runner asks the Supervisor: this add-on's own slug, the backups and what takes the
//! data disk. Each answer's parsing is a pure function, so tests feed it recorded answers.

use serde_json::Value;

use crate::advice::recommend::Backups;
use crate::advice::service::Advisor;
use crate::supervisor::SupervisorClient;

/// Asks `/addons/self/info` for this add-on's slug (protected from then on); until it
/// answers, the built-in names (`self`, `*_resource_manager`) stay protected and it is asked
/// again at the next pass.
pub(super) async fn learn_own_slug(
    client: &SupervisorClient,
    advisor: &Advisor,
    first: bool,
) -> bool {
    match client.get::<Value>("/addons/self/info").await {
        Ok(info) => match info["slug"].as_str() {
            Some(slug) => {
                advisor.set_own_slug(slug.to_string());
                true
            }
            None => false,
        },
        Err(err) => {
            if first {
                tracing::warn!(error = %err, "cannot learn this add-on's slug yet; the built-in names stay protected");
            }
            false
        }
    }
}

/// Backups' sizes, newest first, from `GET /backups` (`size_bytes` where the Supervisor
/// gives it, else `size` in MiB).
pub(super) async fn backups(client: &SupervisorClient) -> Option<Backups> {
    let data = match client.get::<Value>("/backups").await {
        Ok(data) => data,
        Err(err) => {
            tracing::debug!(error = %err, "cannot list backups");
            return None;
        }
    };
    Some(parse_backups(&data))
}

/// The backups of a `/backups` answer's data, newest first.
pub fn parse_backups(data: &Value) -> Backups {
    let mut list: Vec<(String, f64)> = data["backups"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|b| {
                    let size = b["size_bytes"]
                        .as_f64()
                        .or_else(|| b["size"].as_f64().map(|mib| mib * 1_048_576.0))?;
                    Some((b["date"].as_str().unwrap_or_default().to_string(), size))
                })
                .collect()
        })
        .unwrap_or_default();
    // ISO 8601 dates sort as text.
    list.sort_by(|a, b| b.0.cmp(&a.0));
    Backups {
        sizes: list.into_iter().map(|(_, s)| s).collect(),
    }
}

/// What takes the data disk, from `GET /host/disks/default/usage` (manager role).
pub(super) async fn disk_usage(client: &SupervisorClient) -> Vec<(String, f64)> {
    match client.get::<Value>("/host/disks/default/usage").await {
        Ok(tree) => parse_disk_usage(&tree),
        Err(err) => {
            tracing::debug!(error = %err, "cannot read the data disk's usage");
            Vec::new()
        }
    }
}

/// The parts of a disk usage tree (`{"id", "used_bytes", "children": [...]}`), largest first:
/// the root's children, and the children of `addons_data` (one per add-on) by name.
pub fn parse_disk_usage(tree: &Value) -> Vec<(String, f64)> {
    let size = |n: &Value| {
        n["used_bytes"]
            .as_f64()
            .or_else(|| n["size_bytes"].as_f64())
    };
    let mut out = Vec::new();
    for child in tree["children"].as_array().into_iter().flatten() {
        let Some(id) = child["id"].as_str() else {
            continue;
        };
        if let Some(bytes) = size(child) {
            out.push((id.to_string(), bytes));
        }
        if id == "addons_data" {
            for addon in child["children"].as_array().into_iter().flatten() {
                if let (Some(slug), Some(bytes)) = (addon["id"].as_str(), size(addon)) {
                    out.push((format!("add-on {slug}"), bytes));
                }
            }
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}
