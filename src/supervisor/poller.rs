//! Polls the Supervisor on its own cadence (Docker stats are slow to compute) and keeps the
//! latest per-add-on samples for the engine's Supervisor collector to pick up each tick.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::{ContainerStats, SupervisorClient, SupervisorError};
use crate::model::{Sample, SeriesMeta, registry};
use crate::util::{Clock, counter, lock};

/// What the Supervisor link looks like, for `/api/v1/status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SupervisorLinkStatus {
    /// `starting`, `ok`, `degraded` (some calls failed), `forbidden` (role too weak) or `unreachable`.
    pub state: &'static str,
    /// Calls refused for lack of permission.
    pub forbidden: Vec<String>,
    pub last_error: Option<String>,
    pub last_poll_ms: Option<i64>,
    pub addons_running: usize,
    /// Facts from `/info`, `/host/info` and `/os/info` (no host names).
    pub host: Option<Value>,
}

/// The slugs of the installed add-ons (stopped ones too), with `homeassistant` and
/// `supervisor`, as the last successful `/addons` listed them; `None` until one succeeded.
/// MQTT discovery removes an uninstalled add-on's entities by it (ADR 0019).
pub type InstalledAddons = tokio::sync::watch::Receiver<Option<Arc<BTreeSet<String>>>>;

/// Containers that have stats but are not in `/addons`: they are never uninstalled.
pub const ALWAYS_INSTALLED: [&str; 2] = ["homeassistant", "supervisor"];

/// The latest samples, shared with the collector.
#[derive(Debug, Default)]
pub struct SupervisorShared {
    pub samples: Vec<Sample>,
    pub polled_at: Option<Instant>,
    pub error: Option<String>,
    /// Sends what [`InstalledAddons`] receives, when the list changes.
    pub installed: tokio::sync::watch::Sender<Option<Arc<BTreeSet<String>>>>,
}

struct Tracked {
    previous: Option<(Instant, ContainerStats)>,
    meta: [Arc<SeriesMeta>; 7],
}

impl Tracked {
    fn new(slug: &str, name: &str) -> Self {
        Tracked {
            previous: None,
            meta: registry::ADDON_FAMILIES.map(|family| Arc::new(family.instance(slug, &[name]))),
        }
    }

    fn samples(&mut self, now: Instant, stats: ContainerStats, out: &mut Vec<Sample>) {
        let gauges = [
            stats.cpu_percent,
            stats.memory_usage as f64,
            stats.memory_percent,
        ];
        for (meta, value) in self.meta.iter().zip(gauges) {
            out.push(Sample {
                series: meta.clone(),
                value,
            });
        }
        if let Some((then, before)) = self.previous {
            let dt = now.duration_since(then).as_secs_f64();
            let rates = [
                counter::rate(before.network_rx, stats.network_rx, dt),
                counter::rate(before.network_tx, stats.network_tx, dt),
                counter::rate(before.blk_read, stats.blk_read, dt),
                counter::rate(before.blk_write, stats.blk_write, dt),
            ];
            for (meta, rate) in self.meta[3..].iter().zip(rates) {
                if let Some(value) = rate {
                    out.push(Sample {
                        series: meta.clone(),
                        value,
                    });
                }
            }
        }
        self.previous = Some((now, stats));
    }
}

/// Polls until cancelled; `clock` times the rates and stamps the polls.
pub async fn run(
    client: SupervisorClient,
    interval: Duration,
    shared: Arc<Mutex<SupervisorShared>>,
    status: Arc<Mutex<SupervisorLinkStatus>>,
    (clock, core): (Clock, super::core_starts::CoreStarts),
    mut pace: tokio::sync::watch::Receiver<crate::util::Pace>,
    cancel: CancellationToken,
) {
    lock(&status).state = "starting";
    let mut tracked: HashMap<String, Tracked> = HashMap::new();
    let mut restarts = super::restarts::RestartLog::with_core(core);
    let mut answers = super::answers::Answers::default();
    let mut period = pace.borrow_and_update().apply(interval);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut pace_alive = true;
    let mut host_read_at: Option<Instant> = None;
    let life_time_meta = Arc::new(registry::DISK_LIFE_TIME.global());
    let mut host_samples: Vec<Sample> = Vec::new();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticker.tick() => {}
            changed = pace.changed(), if pace_alive => {
                // Self-scaling stretches the polling with the rest of the engine.
                pace_alive = changed.is_ok();
                let stretched = pace.borrow_and_update().apply(interval);
                if stretched != period {
                    period = stretched;
                    ticker = crate::util::pace::restarted(tokio::time::Instant::now(), period);
                }
                continue;
            }
        }
        let now = clock.now();
        if host_read_at.is_none_or(|t| now.saturating_duration_since(t) > Duration::from_secs(600))
        {
            host_read_at = Some(now);
            let host = host_facts(&client).await;
            // Read every 10 min, repeated with each poll so it is stored like any series.
            host_samples = life_time(&host)
                .map(|value| Sample {
                    series: life_time_meta.clone(),
                    value,
                })
                .into_iter()
                .collect();
            lock(&status).host = Some(host);
        }
        poll_once(
            &client,
            (&mut tracked, &mut restarts, &mut answers),
            &shared,
            &status,
            &clock,
            &host_samples,
        )
        .await;
    }
}

/// OS, versions and disk figures; host names are left out on purpose (they end up in reports).
async fn host_facts(client: &SupervisorClient) -> Value {
    let mut facts = serde_json::Map::new();
    if let Ok(info) = client.get::<Value>("/info").await {
        for key in [
            "supervisor",
            "homeassistant",
            "hassos",
            "operating_system",
            "machine",
            "arch",
            "docker",
        ] {
            facts.insert(key.into(), info[key].clone());
        }
    }
    if let Ok(host) = client.get::<Value>("/host/info").await {
        for key in [
            "kernel",
            "disk_total",
            "disk_used",
            "disk_free",
            "disk_life_time",
            "chassis",
        ] {
            facts.insert(format!("host_{key}"), host[key].clone());
        }
    }
    if let Ok(os) = client.get::<Value>("/os/info").await {
        for key in ["version", "board", "update_available"] {
            facts.insert(format!("os_{key}"), os[key].clone());
        }
    }
    Value::Object(facts)
}

/// The data disk's wear in percent from the host facts; `None` where the host reports none
/// (not an eMMC, or an older OS): no sample then, rather than a made-up 0.
pub fn life_time(host_facts: &Value) -> Option<f64> {
    host_facts["host_disk_life_time"]
        .as_f64()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// One poll: the add-on list, then each running add-on's stats, Core's and the Supervisor's.
async fn poll_once(
    client: &SupervisorClient,
    (tracked, restarts, answers): (
        &mut HashMap<String, Tracked>,
        &mut super::restarts::RestartLog,
        &mut super::answers::Answers,
    ),
    shared: &Mutex<SupervisorShared>,
    status: &Mutex<SupervisorLinkStatus>,
    clock: &Clock,
    host_samples: &[Sample],
) {
    let mut samples = Vec::new();
    let mut forbidden = Vec::new();
    let mut errors: Vec<SupervisorError> = Vec::new();
    let mut targets: Vec<(String, String, String)> = Vec::new();
    let now = clock.now();
    match client.addons().await {
        Ok(addons) => {
            for addon in &addons {
                let state = addon.state.as_deref().unwrap_or("unknown");
                restarts.state(&addon.slug, &addon.name, state, now);
            }
            let installed: BTreeSet<String> = addons
                .iter()
                .map(|a| a.slug.clone())
                .chain(ALWAYS_INSTALLED.map(String::from))
                .collect();
            // An uninstalled add-on's restart counters go with it.
            restarts.keep_only(&installed);
            lock(shared).installed.send_if_modified(|known| {
                let changed = known.as_deref() != Some(&installed);
                if changed {
                    *known = Some(Arc::new(installed));
                }
                changed
            });
            for addon in addons
                .into_iter()
                .filter(|a| a.state.as_deref() == Some("started"))
            {
                targets.push((
                    addon.slug.clone(),
                    addon.name.clone(),
                    format!("/addons/{}/stats", addon.slug),
                ));
            }
        }
        Err(SupervisorError::Forbidden { path }) => forbidden.push(path),
        Err(err) => errors.push(err),
    }
    let running = targets.len();
    targets.push((
        "homeassistant".into(),
        "Home Assistant Core".into(),
        "/core/stats".into(),
    ));
    targets.push((
        "supervisor".into(),
        "Supervisor".into(),
        "/supervisor/stats".into(),
    ));
    for (slug, name, path) in &targets {
        match client.get::<ContainerStats>(path).await {
            Ok(stats) => {
                restarts.stats_at(slug, name, &stats, (now, clock.now_ms()));
                tracked
                    .entry(slug.clone())
                    .or_insert_with(|| Tracked::new(slug, name))
                    .samples(now, stats, &mut samples)
            }
            Err(SupervisorError::Forbidden { path }) => forbidden.push(path),
            Err(err) => errors.push(err),
        }
    }
    // Forget add-ons that stopped so a restart does not produce a bogus rate.
    tracked.retain(|slug, _| targets.iter().any(|(s, _, _)| s == slug));
    restarts.samples(now, &mut samples);
    let started: Vec<(String, String)> = targets.into_iter().map(|(s, n, _)| (s, n)).collect();
    answers.probe(client, &started, now).await;
    answers.samples(now, &mut samples);

    let mut st = lock(status);
    st.last_poll_ms = Some(clock.now_ms());
    st.addons_running = running;
    st.state = if !forbidden.is_empty() {
        "forbidden"
    } else if errors.iter().all(|e| {
        matches!(
            e,
            SupervisorError::Unreachable { .. } | SupervisorError::Timeout { .. }
        )
    }) && !errors.is_empty()
        && samples.is_empty()
    {
        "unreachable"
    } else if !errors.is_empty() {
        "degraded"
    } else {
        "ok"
    };
    let mut problem = None;
    if !forbidden.is_empty() {
        problem = Some(format!(
            "forbidden with this role: {} (hassio_role: manager is needed)",
            forbidden.join(", ")
        ));
    }
    if let Some(err) = errors.first() {
        let text = err.to_string();
        problem = Some(match problem {
            Some(p) => format!("{p}; {text}"),
            None => text,
        });
        tracing::warn!(errors = errors.len(), first = %err, "Supervisor poll incomplete");
    }
    st.forbidden = forbidden;
    st.last_error = problem.clone();
    drop(st);
    samples.extend_from_slice(host_samples);
    let mut sh = lock(shared);
    sh.samples = samples;
    sh.polled_at = Some(now);
    sh.error = problem;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn life_time_is_taken_only_where_the_host_reports_it() {
        let facts =
            |v: Value| serde_json::json!({"host_disk_total": 32.0, "host_disk_life_time": v});
        assert_eq!(life_time(&facts(serde_json::json!(10.0))), Some(10.0));
        assert_eq!(life_time(&facts(serde_json::json!(0))), Some(0.0));
        assert_eq!(
            life_time(&facts(Value::Null)),
            None,
            "null: no sample, not 0"
        );
        assert_eq!(life_time(&serde_json::json!({})), None, "absent");
        assert_eq!(life_time(&facts(serde_json::json!("10"))), None);
        assert_eq!(life_time(&facts(serde_json::json!(-1.0))), None);
        let family = registry::by_id(&registry::DISK_LIFE_TIME.global().id).expect("in registry");
        assert_eq!(family.unit, crate::model::Unit::Percent);
        assert_eq!(family.kind, crate::model::Kind::Gauge);
    }

    #[test]
    fn every_addon_series_is_in_the_registry_with_its_unit_and_kind() {
        let mut tracked = Tracked::new("core_mosquitto", "Mosquitto broker");
        let stats = ContainerStats {
            cpu_percent: 1.0,
            memory_usage: 1,
            memory_limit: 2,
            memory_percent: 50.0,
            network_rx: 1,
            network_tx: 1,
            blk_read: 1,
            blk_write: 1,
        };
        let now = Instant::now();
        let mut samples = Vec::new();
        tracked.samples(now, stats, &mut samples);
        tracked.samples(now + Duration::from_secs(10), stats, &mut samples);
        assert_eq!(samples.len(), 3 + 7, "gauges first, then gauges and rates");
        for sample in &samples {
            let family = registry::by_id(&sample.series.id)
                .unwrap_or_else(|| panic!("'{}' is not in model::registry", sample.series.id));
            assert_eq!(registry::of(&sample.series), Some(family));
            assert_eq!(family.unit, sample.series.unit, "{}", sample.series.id);
            assert_eq!(family.kind, sample.series.kind, "{}", sample.series.id);
        }
        assert_eq!(
            samples[1].series.description, "Mosquitto broker memory",
            "the add-on's name fills the description"
        );
    }
}
