//! What the runner asks the Supervisor: this add-on's own slug, the backups and each add-on's
//! role in the home. Each answer's parsing is a pure function, so tests feed it recorded answers.

use serde_json::Value;

use crate::advice::recommend::Backups;
use crate::advice::service::Advisor;
use crate::supervisor::{AddonRole, AddonSlug, SupervisorClient};

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

/// What the Supervisor says `slug` is to the home (`/addons/<slug>/info`); `None` when it
/// cannot say (then no stop is proposed for it).
pub(super) async fn addon_role(client: &SupervisorClient, slug: &str) -> Option<AddonRole> {
    let slug = AddonSlug::parse(slug).ok()?;
    match client.addon_role(&slug).await {
        Ok(role) => Some(role),
        Err(err) => {
            tracing::debug!(error = %err, %slug, "cannot read the add-on's role");
            None
        }
    }
}
