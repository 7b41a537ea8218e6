//! Whether each started add-on with Ingress still answers: an HTTP GET to its Ingress port
//! (where the Supervisor's Ingress proxy sends the user, `supervisor/api/ingress.py`
//! `APIIngress._create_url`: `http://{app.ip_address}:{app.ingress_port}/{path}`), at most once
//! a minute per add-on. Any HTTP answer counts, whatever its status: many add-ons let only the
//! Supervisor's address through (nginx `allow 172.30.32.2; deny all;` answers 403), and a 403
//! is a living server. No answer (refused, reset, or nothing within the timeout) to
//! [`FAILED_PROBES`] probes in a row spanning at least [`FAILING_FOR`] is "not answering".
//!
//! The target comes from `GET /addons/<slug>/info` (`supervisor/api/apps.py`
//! `APIApps.info_data`: `ingress` = `app.with_ingress`, `ingress_port` = `app.ingress_port`,
//! `None` without Ingress; `ip_address` = `str(app.ip_address)`, `0.0.0.0` (`NO_ADDDRESS` in
//! `supervisor/docker/app.py`) while the container has no address). It is read again after a
//! failed probe, as a restarted container may have a new address, and every 10 minutes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::SupervisorClient;
use crate::model::{Sample, SeriesMeta, registry};

/// Time between two probes of one add-on.
pub const PROBE_EVERY: Duration = Duration::from_secs(60);
/// Failed probes in a row before the add-on counts as not answering ...
pub const FAILED_PROBES: u32 = 3;
/// ... and how long they must span.
pub const FAILING_FOR: Duration = Duration::from_secs(180);
/// How long a probe waits for an answer: the Supervisor's own watchdog waits 10 s
/// (`supervisor/apps/app.py` `WATCHDOG_TIMEOUT`); a UI slower than 5 s once a minute is
/// still reported only after three such probes.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Time between two reads of an answering add-on's Ingress facts.
const INFO_EVERY: Duration = Duration::from_secs(600);

/// Where an add-on's Ingress listens, from its `/addons/<slug>/info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressTarget {
    pub ip: String,
    pub port: u16,
}

impl IngressTarget {
    /// The target in an info answer's `data`; `None` without Ingress or without an address.
    pub fn from_info(info: &Value) -> Option<IngressTarget> {
        if info["ingress"].as_bool() != Some(true) {
            return None;
        }
        let port = u16::try_from(info["ingress_port"].as_u64()?).ok()?;
        let ip = info["ip_address"].as_str()?;
        let unusable = ip.is_empty() || ip == "0.0.0.0";
        (port != 0 && !unusable).then(|| IngressTarget {
            ip: ip.to_string(),
            port,
        })
    }

    fn url(&self) -> String {
        if self.ip.contains(':') {
            format!("http://[{}]:{}/", self.ip, self.port)
        } else {
            format!("http://{}:{}/", self.ip, self.port)
        }
    }
}

/// One add-on's probing.
struct Probe {
    target: Option<IngressTarget>,
    info_read_at: Option<Instant>,
    probed_at: Option<Instant>,
    /// Failed probes in a row, and when the first of them failed.
    failures: u32,
    failing_since: Option<Instant>,
    meta: Arc<SeriesMeta>,
}

impl Probe {
    fn not_answering(&self, now: Instant) -> bool {
        self.failures >= FAILED_PROBES
            && self
                .failing_since
                .is_some_and(|t| now.saturating_duration_since(t) >= FAILING_FOR)
    }
}

/// Every started add-on's probing, kept across polls.
pub struct Answers {
    http: reqwest::Client,
    timeout: Duration,
    probes: HashMap<String, Probe>,
}

impl Default for Answers {
    fn default() -> Self {
        Self::with_timeout(PROBE_TIMEOUT)
    }
}

impl Answers {
    /// Probes that wait `timeout` for an answer (tests wait less).
    pub fn with_timeout(timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Answers {
            http,
            timeout,
            probes: HashMap::new(),
        }
    }

    /// Probes the `started` add-ons (`(slug, name)`) that are due at `now`, all at once; the
    /// others are forgotten (a stopped add-on is not "not answering").
    pub async fn probe(
        &mut self,
        client: &SupervisorClient,
        started: &[(String, String)],
        now: Instant,
    ) {
        self.probes
            .retain(|slug, _| started.iter().any(|(s, _)| s == slug));
        let mut due = Vec::new();
        for (slug, name) in started {
            if slug == "homeassistant" || slug == "supervisor" {
                continue;
            }
            let p = self.probes.entry(slug.clone()).or_insert_with(|| Probe {
                target: None,
                info_read_at: None,
                probed_at: None,
                failures: 0,
                failing_since: None,
                meta: Arc::new(registry::ADDON_ANSWERING.instance(slug, &[name])),
            });
            let stale = p
                .info_read_at
                .is_none_or(|t| p.failures > 0 || now.saturating_duration_since(t) >= INFO_EVERY);
            let probe_due = p
                .probed_at
                .is_none_or(|t| now.saturating_duration_since(t) >= PROBE_EVERY);
            if probe_due && stale {
                // Facts unreadable now: keep the ones known.
                if let Ok(info) = client.get::<Value>(&format!("/addons/{slug}/info")).await {
                    p.target = IngressTarget::from_info(&info);
                }
                p.info_read_at = Some(now);
            }
            if probe_due && let Some(target) = &p.target {
                due.push((slug.clone(), target.url()));
            }
        }
        let http = &self.http;
        let timeout = self.timeout;
        let answers =
            futures_util::future::join_all(due.into_iter().map(|(slug, url)| async move {
                let answered = http.get(&url).timeout(timeout).send().await.is_ok();
                (slug, answered)
            }))
            .await;
        for (slug, answered) in answers {
            let Some(p) = self.probes.get_mut(&slug) else {
                continue;
            };
            p.probed_at = Some(now);
            if answered {
                p.failures = 0;
                p.failing_since = None;
            } else {
                p.failures += 1;
                p.failing_since.get_or_insert(now);
                if p.failures == FAILED_PROBES {
                    tracing::info!(addon = %slug, "add-on's Ingress gives no answer");
                }
            }
        }
    }

    /// `addon.<slug>.ingress_answering` (1 or 0) of every probed add-on with Ingress.
    pub fn samples(&self, now: Instant, out: &mut Vec<Sample>) {
        for p in self.probes.values() {
            if p.target.is_some() && p.probed_at.is_some() {
                out.push(Sample {
                    series: p.meta.clone(),
                    value: if p.not_answering(now) { 0.0 } else { 1.0 },
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_read_only_where_the_addon_has_ingress_and_an_address() {
        let info = |ingress: Value, port: Value, ip: &str| serde_json::json!({"ingress": ingress, "ingress_port": port, "ip_address": ip});
        let target = IngressTarget::from_info(&info(true.into(), 8099.into(), "172.30.33.2"));
        assert_eq!(
            target.as_ref().map(IngressTarget::url).as_deref(),
            Some("http://172.30.33.2:8099/")
        );
        for none in [
            info(false.into(), Value::Null, "172.30.33.2"),
            info(true.into(), 8099.into(), "0.0.0.0"),
            info(true.into(), 0.into(), "172.30.33.2"),
            info(true.into(), 70000.into(), "172.30.33.2"),
            serde_json::json!({}),
        ] {
            assert_eq!(IngressTarget::from_info(&none), None, "{none}");
        }
    }

    #[test]
    fn three_failures_must_also_span_three_minutes() {
        let t0 = Instant::now();
        let mut p = Probe {
            target: None,
            info_read_at: None,
            probed_at: None,
            failures: 3,
            failing_since: Some(t0),
            meta: Arc::new(registry::ADDON_ANSWERING.instance("a", &["A"])),
        };
        assert!(!p.not_answering(t0 + Duration::from_secs(120)));
        assert!(p.not_answering(t0 + FAILING_FOR));
        p.failures = 2;
        assert!(!p.not_answering(t0 + FAILING_FOR * 10));
    }
}
