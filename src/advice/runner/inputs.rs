//! What a pass reads: the latest snapshot's values, and the slow inputs (the add-ons' use over
//! the idle window and their roles, backups, the recorder database's size) that are refreshed
//! every few passes only.

use super::parts::RunnerParts;
use super::supervisor::{addon_role, backups};
use crate::advice::recommend::{AddonUsage, DiskContent, IDLE_DAYS, Latest};
use crate::model::{Snapshot, registry};
use crate::store::Resolution;
use crate::supervisor::AddonRole;

use crate::util::time::HOUR_MS;

/// One add-on's slow inputs.
struct Usage {
    slug: String,
    covered: f64,
    cpu: f64,
    /// `None` without network history.
    net: Option<f64>,
    role: Option<AddonRole>,
}

/// Inputs refreshed every few passes.
#[derive(Default)]
pub(super) struct SlowInputs {
    usage: Vec<Usage>,
    pub(super) disk: DiskContent,
}

impl SlowInputs {
    pub(super) async fn load(parts: &RunnerParts) -> SlowInputs {
        let now = parts.advisor.clock().now_ms();
        let from = now - ((IDLE_DAYS + 1.0) * 24.0) as i64 * HOUR_MS;
        let slugs: Vec<String> = parts
            .store
            .series()
            .iter()
            .filter(|s| s.family == registry::ADDON_CPU.family)
            .filter_map(|s| {
                s.id.strip_prefix("addon.")?
                    .strip_suffix(".cpu_percent")
                    .map(str::to_string)
            })
            .collect();
        let mut usage = Vec::new();
        for slug in slugs {
            let hourly = |id: String| {
                let store = parts.store.clone();
                async move {
                    store
                        .history(&id, from, now, Resolution::Hour)
                        .await
                        .map(|h| h.points)
                        .unwrap_or_default()
                }
            };
            let cpu = hourly(registry::ADDON_CPU.instance(&slug, &[]).id).await;
            let rx = hourly(registry::ADDON_NET_RX.instance(&slug, &[]).id).await;
            let tx = hourly(registry::ADDON_NET_TX.instance(&slug, &[]).id).await;
            let Some(first) = cpu.first() else { continue };
            let covered = (now as f64 / 1000.0 - first.t).max(0.0);
            let max = |p: &[crate::store::Point]| p.iter().map(|p| p.v).fold(0.0, f64::max);
            let net = (!rx.is_empty() || !tx.is_empty()).then(|| max(&rx) + max(&tx));
            let role = match &parts.supervisor {
                Some(client) => addon_role(client, &slug).await,
                None => None,
            };
            usage.push(Usage {
                covered,
                cpu: max(&cpu),
                net,
                role,
                slug,
            });
        }
        let backups = match &parts.supervisor {
            Some(client) => backups(client).await,
            None => None,
        };
        let recorder_db_bytes = super::recorder_db_bytes(&parts.recorder_db);
        SlowInputs {
            usage,
            disk: DiskContent {
                backups,
                recorder_db_bytes,
                walk: None,
            },
        }
    }

    pub(super) fn addons(&self, latest: &Latest) -> Vec<AddonUsage> {
        self.usage
            .iter()
            .map(|u| AddonUsage {
                slug: u.slug.clone(),
                covered_seconds: u.covered,
                max_cpu_percent: u.cpu,
                // On the host's network Docker counts nothing; the idle rule judges that by the
                // role, the one place it is decided.
                max_net_bytes: u.net,
                memory_bytes: latest
                    .get(&registry::ADDON_MEMORY.instance(&u.slug, &[]).id)
                    .copied(),
                role: u.role.clone(),
            })
            .collect()
    }
}

/// The latest snapshot's values by series id.
pub fn latest_values(snapshot: &Snapshot) -> Latest {
    snapshot
        .samples
        .iter()
        .map(|s| (s.series.id.clone(), s.value))
        .collect()
}
