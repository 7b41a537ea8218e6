//! The advisor's loop: every pass it gathers what the rules need (the analysis' findings, the
//! latest readings, the add-ons' use over the idle window, backups and the recorder
//! database's size), runs them, asks for automatic recovery where allowed, measures the
//! effects that are due and stores the recorder churn. Slow inputs (history, backups) are
//! refreshed every few passes only.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::policy::{ActionRequest, Origin};
use super::recommend::{AddonUsage, Backups, DiskContent, IDLE_DAYS, Inputs, Latest};
use super::service::Advisor;
use crate::analysis::runner::Analysis;
use crate::config::{ActionKind, ActionOptions};
use crate::model::{Snapshot, registry};
use crate::store::{Resolution, Store};
use crate::supervisor::SupervisorClient;

/// Where Home Assistant's database may be seen (`map: homeassistant_config:ro` mounts the
/// configuration at `/homeassistant`; older installs mapped it at `/config`).
pub const RECORDER_DB_PATHS: &[&str] = &[
    "/homeassistant/home-assistant_v2.db",
    "/config/home-assistant_v2.db",
];
const HOUR_MS: i64 = 3_600_000;

/// When the loop runs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub every: Duration,
    /// Passes between two refreshes of history, backups and the database size.
    pub slow_every: u64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            every: Duration::from_secs(60),
            slow_every: 10,
        }
    }
}

/// What the loop reads.
pub struct RunnerParts {
    pub advisor: Advisor,
    pub analysis: Analysis,
    pub store: Store,
    pub latest: watch::Receiver<Arc<Snapshot>>,
    pub supervisor: Option<SupervisorClient>,
    pub recorder_db: Vec<PathBuf>,
    pub schedule: Schedule,
}

/// Runs until `stop`.
pub async fn run(parts: RunnerParts, stop: CancellationToken) {
    let mut tick = tokio::time::interval(parts.schedule.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut slow = SlowInputs::default();
    let mut states: HashMap<String, String> = HashMap::new();
    let mut passes = 0u64;
    let mut own_slug_known = false;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        if passes.is_multiple_of(parts.schedule.slow_every.max(1)) {
            slow = SlowInputs::load(&parts).await;
        }
        passes += 1;
        if !own_slug_known && let Some(client) = &parts.supervisor {
            own_slug_known = learn_own_slug(client, &parts.advisor, passes == 1).await;
        }
        let latest = latest_values(&parts.latest.borrow());
        let report = parts.analysis.report();
        let now_ms = parts.advisor.clock().now_ms();
        let list = parts.advisor.pass(Inputs {
            now_ms,
            findings: &report.findings,
            latest: &latest,
            addons: &slow.addons(&latest),
            disk: &slow.disk,
        });
        let options = parts.advisor.options();
        let stopped = match &parts.supervisor {
            Some(client) => stopped_unexpectedly(client, &mut states).await,
            None => Vec::new(),
        };
        if options.auto_recovery {
            recover(&parts.advisor, &options, &list, &report.findings, &stopped).await;
        }
        if let Err(err) = parts.advisor.measure_due().await {
            tracing::warn!(error = %err, "cannot measure the effect of actions");
        }
        if let Err(err) = parts.advisor.save_churn().await {
            tracing::warn!(error = %err, "cannot store the recorder churn");
        }
    }
    parts.advisor.save_churn().await.ok();
}

/// Asks `/addons/self/info` for this add-on's slug (protected from then on); until it
/// answers, the built-in names (`self`, `*_resource_manager`) stay protected and it is asked
/// again at the next pass.
async fn learn_own_slug(client: &SupervisorClient, advisor: &Advisor, first: bool) -> bool {
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

/// Inputs refreshed every few passes.
#[derive(Default)]
struct SlowInputs {
    /// Per add-on: covered seconds, highest hourly CPU and network.
    usage: Vec<(String, f64, f64, f64)>,
    disk: DiskContent,
}

impl SlowInputs {
    async fn load(parts: &RunnerParts) -> SlowInputs {
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
            usage.push((slug, covered, max(&cpu), max(&rx) + max(&tx)));
        }
        let (backups, disk_parts) = match &parts.supervisor {
            Some(client) => (backups(client).await, disk_usage(client).await),
            None => (None, Vec::new()),
        };
        let recorder_db_bytes = parts.recorder_db.iter().find_map(|p| {
            let main = std::fs::metadata(p).ok()?.len();
            let wal = std::fs::metadata(p.with_extension("db-wal")).map_or(0, |m| m.len());
            Some((main + wal) as f64)
        });
        SlowInputs {
            usage,
            disk: DiskContent {
                backups,
                recorder_db_bytes,
                parts: disk_parts,
            },
        }
    }

    fn addons(&self, latest: &Latest) -> Vec<AddonUsage> {
        self.usage
            .iter()
            .map(|(slug, covered, cpu, net)| AddonUsage {
                slug: slug.clone(),
                covered_seconds: *covered,
                max_cpu_percent: *cpu,
                max_net_bytes: *net,
                memory_bytes: latest
                    .get(&registry::ADDON_MEMORY.instance(slug, &[]).id)
                    .copied(),
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

/// Backups' sizes, newest first, from `GET /backups` (`size_bytes` where the Supervisor
/// gives it, else `size` in MiB).
async fn backups(client: &SupervisorClient) -> Option<Backups> {
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
async fn disk_usage(client: &SupervisorClient) -> Vec<(String, f64)> {
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

/// Add-ons that were started at the last look and are in `error` now: the Supervisor sets
/// that when the container exits on its own (a user's stop is `stopped`, left alone).
async fn stopped_unexpectedly(
    client: &SupervisorClient,
    states: &mut HashMap<String, String>,
) -> Vec<String> {
    let Ok(addons) = client.addons().await else {
        return Vec::new();
    };
    let mut stopped = Vec::new();
    for a in addons {
        let now = a.state.unwrap_or_default();
        if let Some(before) = states.insert(a.slug.clone(), now.clone())
            && before == "started"
            && now == "error"
        {
            stopped.push(a.slug);
        }
    }
    stopped
}

/// What automatic recovery asks for: restarts of add-ons whose leak reaches their limit
/// within `recovery_within`, starts of add-ons that stopped unexpectedly.
pub fn recovery_requests(
    options: &ActionOptions,
    findings: &crate::analysis::report::Findings,
    stopped: &[String],
) -> Vec<(ActionRequest, String)> {
    let mut out = Vec::new();
    for leak in &findings.leaks {
        let Some(slug) = leak
            .series
            .strip_prefix("addon.")
            .and_then(|s| s.strip_suffix(".memory_bytes"))
        else {
            continue;
        };
        let soon = leak
            .leak
            .eta_to_limit
            .is_some_and(|eta| eta <= options.recovery_within as f64);
        if soon && leak.leak.confidence >= super::recommend::LEAK_CONFIDENCE {
            out.push((
                ActionRequest {
                    kind: ActionKind::Restart,
                    addon: slug.to_string(),
                    dry_run: false,
                    origin: Origin::Rule,
                },
                format!("automatic recovery: {}", leak.summary),
            ));
        }
    }
    for slug in stopped {
        out.push((
            ActionRequest {
                kind: ActionKind::Start,
                addon: slug.clone(),
                dry_run: false,
                origin: Origin::Rule,
            },
            format!("automatic recovery: add-on {slug} stopped unexpectedly"),
        ));
    }
    out
}

async fn recover(
    advisor: &Advisor,
    options: &ActionOptions,
    list: &[super::types::Recommendation],
    findings: &crate::analysis::report::Findings,
    stopped: &[String],
) {
    for (request, reason) in recovery_requests(options, findings, stopped) {
        // A stop we made ourselves is not unexpected; neither is asking again and again.
        match advisor.recently_acted(&request.addon).await {
            Ok(false) => {}
            Ok(true) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the audit; no automatic recovery now");
                return;
            }
        }
        let recommendation = list
            .iter()
            .find(|r| {
                r.action
                    .as_ref()
                    .is_some_and(|a| a.kind == request.kind && a.addon == request.addon)
            })
            .map(|r| r.id.clone());
        if let Err(err) = advisor
            .act(request, recommendation.as_deref(), Some(reason))
            .await
        {
            tracing::warn!(error = %err, "automatic recovery could not be decided");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::leak::Leak;
    use crate::analysis::report::{Findings, LeakItem};
    use serde_json::json;

    fn leak(series: &str, eta: Option<f64>, confidence: f64) -> LeakItem {
        LeakItem {
            series: series.into(),
            suspect: "x".into(),
            limit: Some(1e9),
            summary: "grows 20 MB a day".into(),
            leak: Leak {
                rate_per_day: 20e6,
                confidence,
                from: 0.0,
                to: 86_400.0,
                eta_to_limit: eta,
            },
        }
    }

    #[test]
    fn recovery_asks_for_leaks_near_their_limit_and_stopped_addons_only() {
        let options = ActionOptions {
            recovery_within: 6 * 3600,
            ..ActionOptions::default()
        };
        let findings = Findings {
            leaks: vec![
                leak("addon.core_a.memory_bytes", Some(3600.0), 0.999),
                leak("addon.core_far.memory_bytes", Some(86_400.0), 0.999),
                leak("addon.core_unsure.memory_bytes", Some(60.0), 0.5),
                leak("addon.core_nolimit.memory_bytes", None, 0.999),
                leak("memory.used_bytes", Some(60.0), 0.999),
            ],
            ..Findings::default()
        };
        let asked = recovery_requests(&options, &findings, &["core_b".to_string()]);
        let got: Vec<(ActionKind, &str, Origin)> = asked
            .iter()
            .map(|(r, _)| (r.kind, r.addon.as_str(), r.origin))
            .collect();
        assert_eq!(
            got,
            [
                (ActionKind::Restart, "core_a", Origin::Rule),
                (ActionKind::Start, "core_b", Origin::Rule)
            ]
        );
        assert!(
            asked
                .iter()
                .all(|(r, why)| !r.dry_run && why.starts_with("automatic recovery"))
        );
    }

    #[test]
    fn the_disk_usage_tree_names_its_parts_and_the_addons_data() {
        let tree = json!({"id": "root", "total_bytes": 64e9, "used_bytes": 30e9, "children": [
            {"id": "addons_data", "used_bytes": 9e9, "children": [
                {"id": "core_mosquitto", "used_bytes": 1e6}, {"id": "a0d7b954_frigate", "used_bytes": 8e9}]},
            {"id": "backup", "used_bytes": 12e9},
            {"id": "media"}
        ]});
        assert_eq!(
            parse_disk_usage(&tree),
            vec![
                ("backup".to_string(), 12e9),
                ("addons_data".to_string(), 9e9),
                ("add-on a0d7b954_frigate".to_string(), 8e9),
                ("add-on core_mosquitto".to_string(), 1e6),
            ]
        );
        assert!(parse_disk_usage(&json!({})).is_empty());
    }

    #[test]
    fn backups_are_read_newest_first_in_bytes() {
        let data = json!({"backups": [
            {"slug": "a", "date": "2026-11-01T03:00:00+00:00", "size": 10.0},
            {"slug": "b", "date": "2026-11-20T03:00:00+00:00", "size": 1.5, "size_bytes": 1_600_000},
            {"slug": "c", "date": "2026-11-10T03:00:00+00:00"}
        ]});
        assert_eq!(
            parse_backups(&data).sizes,
            vec![1_600_000.0, 10.0 * 1_048_576.0]
        );
        assert!(parse_backups(&json!({})).sizes.is_empty());
    }
}
