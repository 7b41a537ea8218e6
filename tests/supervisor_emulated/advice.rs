//! Advice and actions against the EMULATED Supervisor: the actions API end to end, a property
//! test over random requests and times (calls only when enabled, never on protected targets,
//! never beyond the cap, never inside the cooldown, an audit row for every decision), the
//! measured effect on a manual clock, and automatic recovery of a stopped add-on.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use resource_manager::advice::policy::is_protected;
use resource_manager::advice::recommend::{AdviceInputs, DiskContent, Latest};
use resource_manager::advice::{ActionRequest, AdviceState, Advisor, AdvisorParts, Origin};
use resource_manager::analysis::leak::Leak;
use resource_manager::analysis::report::{Findings, LeakItem};
use resource_manager::config::{ActionKind, ActionOptions, Config};
use resource_manager::model::{Sample, Snapshot, registry};
use resource_manager::store::Store;
use resource_manager::supervisor::AddonControl;
use resource_manager::util::ManualClock;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::common::TestApp;
use crate::emulator::{Role, Supervisor};

const T0: i64 = 1_780_000_000_000;
const DAY_MS: i64 = 86_400_000;

fn config_with(dir: &std::path::Path, url: &str, actions: Value) -> Config {
    crate::addon_mode_config_with(
        dir,
        url,
        json!({"sample_interval_seconds": 1, "addon_stats_interval_seconds": 10,
            "log_level": "warning", "actions": actions}),
    )
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.post_json(path, &body).await
}

/// The body of `POST /api/v1/actions`; `dry_run` left out when `None`.
fn action(kind: &str, addon: &str, dry_run: Option<bool>) -> Value {
    let mut body = json!({"kind": kind, "addon": addon});
    if let Some(d) = dry_run {
        body["dry_run"] = json!(d);
    }
    body
}

/// Asks for an action through the API: status and JSON answer.
async fn request_action(
    app: &TestApp,
    kind: &str,
    addon: &str,
    dry_run: Option<bool>,
) -> (u16, Value) {
    app.post_json("api/v1/actions", &action(kind, addon, dry_run))
        .await
}

#[tokio::test]
async fn emulated_supervisor_actions_api_acts_only_when_enabled_and_audits_every_decision() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    // Installed from a repository: a slug none of the built-in names covers.
    supervisor.set_self_info(
        json!({"name": "Resource Manager", "slug": "a1b2c3d4_rm_fork",
        "state": "started", "ingress": true, "ingress_port": 63412, "ip_address": "172.30.32.1"}),
    );
    let dir = tempfile::tempdir().expect("dir");
    let actions = json!({"allowed": ["restart"], "daily_cap": 2, "cooldown": "1h"});
    let app = TestApp::start(config_with(dir.path(), &supervisor.url, actions)).await;
    // The advisor learns its own slug from /addons/self/info at start.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = request_action(&app, "restart", "resource_manager", Some(true)).await;
        if status == 403 {
            assert_eq!(body["error"]["code"], "protected");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "advisor not up: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = request_action(&app, "restart", "core_mosquitto", None).await;
    assert_eq!(
        (status, body["result"].as_str()),
        (200, Some("dry_run")),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("would restart core_mosquitto"))
    );
    // A real action of a kind not in actions.allowed: refused, not answered as a dry run.
    let (status, body) = request_action(&app, "stop", "core_samba", Some(false)).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (403, &json!("not_allowed")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|d| d.contains("actions.allowed")),
        "{body}"
    );
    for protected in ["homeassistant", "supervisor", "core"] {
        let (status, body) = request_action(&app, "restart", protected, Some(false)).await;
        assert_eq!(status, 403, "{protected}: {body}");
        assert_eq!(body["error"]["code"], "protected");
    }
    assert!(supervisor.actions().is_empty(), "nothing carried out yet");
    let (status, body) = request_action(&app, "restart", "core_mosquitto", Some(false)).await;
    assert_eq!(
        (status, body["result"].as_str()),
        (200, Some("done")),
        "{body}"
    );
    assert!(body["measure_at_ms"].is_i64());
    let (status, body) = request_action(&app, "restart", "core_mosquitto", Some(false)).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (429, &json!("cooldown")),
        "{body}"
    );
    let (status, _) = request_action(&app, "restart", "core_configurator", Some(false)).await;
    assert_eq!(status, 200);
    let (status, body) = request_action(&app, "restart", "core_samba", Some(false)).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (429, &json!("daily_cap")),
        "{body}"
    );
    let (status, body) = post(
        &app,
        "api/v1/actions",
        json!({"kind": "reboot", "addon": "x"}),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("bad_request"))
    );
    let cross_site = app
        .client
        .post(format!("{}/api/v1/actions", app.base))
        .header("Origin", "http://evil.example")
        .json(&action("restart", "core_samba", Some(false)))
        .send()
        .await
        .expect("POST");
    assert_eq!(cross_site.status().as_u16(), 403);

    let paths: Vec<String> = supervisor.actions().into_iter().map(|c| c.path).collect();
    assert_eq!(
        paths,
        [
            "/addons/core_mosquitto/restart",
            "/addons/core_configurator/restart"
        ]
    );
    let audit = app.get_json("api/v1/actions").await;
    let results: Vec<&str> = audit["actions"]
        .as_array()
        .expect("list")
        .iter()
        .rev()
        .map(|a| a["result"].as_str().unwrap_or_default())
        .collect();
    // Every decision is a row (the first protected probe may have been asked several times).
    assert_eq!(
        results[results.len() - 9..],
        [
            "dry_run", "refused", "refused", "refused", "refused", "done", "refused", "done",
            "refused"
        ]
    );
    assert!(audit["actions"][0]["origin"] == "user");
    let recs = app.get_json("api/v1/recommendations").await;
    assert!(
        recs["recommendations"].is_array() && recs["open"].is_u64(),
        "{recs}"
    );
    assert_eq!(recs["effectiveness"]["measured"], 0);
    let (status, body) = post(&app, "api/v1/recommendations/nope/dismiss", json!({})).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (404, &json!("unknown_recommendation"))
    );
    app.stop().await;
}

fn snapshot(ts_ms: i64, addons: &[(&str, f64, f64)]) -> Arc<Snapshot> {
    let mut samples = Vec::new();
    for (slug, memory, cpu) in addons {
        samples.push(Sample {
            series: Arc::new(registry::ADDON_MEMORY.instance(slug, &[slug])),
            value: *memory,
        });
        samples.push(Sample {
            series: Arc::new(registry::ADDON_CPU.instance(slug, &[slug])),
            value: *cpu,
        });
    }
    Arc::new(Snapshot {
        ts_ms,
        samples,
        ..Snapshot::default()
    })
}

struct Rig {
    advisor: Advisor,
    clock: ManualClock,
    latest: watch::Sender<Arc<Snapshot>>,
    _dir: tempfile::TempDir,
}

async fn rig(supervisor: &Supervisor, options: ActionOptions) -> Rig {
    let dir = tempfile::tempdir().expect("dir");
    let clock = ManualClock::new(T0);
    let store = crate::emulator::store_on(dir.path(), &clock).await;
    let (latest, rx) = watch::channel(Arc::new(Snapshot::default()));
    let control: Arc<dyn AddonControl> = Arc::new(supervisor.client());
    let advisor = Advisor::open(AdvisorParts {
        store,
        clock: clock.clock(),
        options,
        control: Some(control),
        emit: resource_manager::util::Emit::none(),
        latest: rx,
    })
    .await
    .expect("advisor");
    advisor.set_own_slug("local_resource_manager".into());
    Rig {
        advisor,
        clock,
        latest,
        _dir: dir,
    }
}

const SLUGS: [&str; 6] = [
    "core_mosquitto",
    "core_configurator",
    "core_samba",
    "homeassistant",
    "supervisor",
    "local_resource_manager",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]
    /// Random requests at random times: the emulated Supervisor only ever receives calls
    /// that were enabled, not dry runs, not on protected targets, within the cap per UTC day
    /// and outside the cooldown; every request leaves exactly one audit row.
    #[test]
    fn emulated_supervisor_receives_calls_only_within_every_limit(
        steps in proptest::collection::vec((0usize..3, 0usize..6, any::<bool>(), 0i64..(DAY_MS / 3)), 1..20),
        allowed_mask in 0u8..8,
        cap in 0u32..4,
        cooldown in 0u64..20_000,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let supervisor = Supervisor::start(Role::Manager, vec![]).await;
            let allowed: Vec<ActionKind> = ActionKind::ALL.into_iter().enumerate()
                .filter(|(i, _)| allowed_mask & (1 << i) != 0).map(|(_, k)| k).collect();
            let options = ActionOptions { allowed: allowed.clone(), daily_cap: cap, cooldown, ..ActionOptions::default() };
            let rig = rig(&supervisor, options).await;
            let mut carried: Vec<(i64, String)> = Vec::new();
            for (k, s, dry, dt) in &steps {
                rig.clock.advance(Duration::from_millis(*dt as u64));
                let before = supervisor.actions().len();
                let request = ActionRequest { kind: ActionKind::ALL[*k], addon: SLUGS[*s].into(), dry_run: *dry, origin: Origin::User };
                let decision = rig.advisor.act(request, None, None).await.expect("decided");
                let calls = supervisor.actions();
                if calls.len() > before {
                    let now = rig.clock.clock().now_ms();
                    assert_eq!(calls.len(), before + 1);
                    assert_eq!(calls[before].path, format!("/addons/{}/{}", SLUGS[*s], ActionKind::ALL[*k].as_str()));
                    assert!(!is_protected(SLUGS[*s], Some("local_resource_manager")));
                    assert!(allowed.contains(&ActionKind::ALL[*k]) && !dry);
                    assert_eq!(decision.result, "done");
                    carried.push((now, SLUGS[*s].to_string()));
                } else {
                    assert_ne!(decision.result, "done");
                }
            }
            for (i, (t, s)) in carried.iter().enumerate() {
                let same_day = carried.iter().filter(|(u, _)| u.div_euclid(DAY_MS) == t.div_euclid(DAY_MS)).count();
                assert!(same_day <= cap as usize, "cap {cap} passed: {carried:?}");
                if let Some((u, _)) = carried[..i].iter().rev().find(|(_, a)| a == s) {
                    assert!(t - u >= cooldown as i64 * 1000, "cooldown {cooldown}s broken: {carried:?}");
                }
            }
            let audit = rig.advisor.audit(1000).await.expect("audit");
            assert_eq!(audit.len(), steps.len(), "one audit row per decision");
        });
    }
}

fn leak_findings(slugs: &[&str]) -> Findings {
    let to = T0 as f64 / 1000.0;
    Findings {
        leaks: slugs
            .iter()
            .map(|slug| LeakItem {
                series: registry::ADDON_MEMORY.instance(slug, &[slug]).id,
                suspect: slug.to_string(),
                limit: Some(1e9),
                summary: "grows".into(),
                leak: Leak {
                    rate_per_day: 20e6,
                    confidence: 0.999,
                    from: to - 3.0 * 86_400.0,
                    to,
                    eta_to_limit: Some(3600.0),
                },
            })
            .collect(),
        ..Findings::default()
    }
}

#[tokio::test]
async fn emulated_supervisor_restart_effect_is_measured_ten_minutes_later_on_the_clock() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let options = ActionOptions {
        allowed: vec![ActionKind::Restart],
        ..ActionOptions::default()
    };
    let rig = rig(&supervisor, options).await;
    rig.latest
        .send(snapshot(
            T0,
            &[
                ("core_mosquitto", 300e6, 3.0),
                ("core_configurator", 200e6, 1.0),
            ],
        ))
        .expect("send");
    let findings = leak_findings(&["core_mosquitto", "core_configurator"]);
    let list = rig.advisor.pass(AdviceInputs {
        now_ms: T0,
        findings: &findings,
        latest: &Latest::new(),
        addons: &[],
        disk: &DiskContent::default(),
    });
    assert_eq!(list.len(), 2);
    for slug in ["core_mosquitto", "core_configurator"] {
        let request = ActionRequest {
            kind: ActionKind::Restart,
            addon: slug.into(),
            dry_run: false,
            origin: Origin::User,
        };
        let d = rig.advisor.act(request, None, None).await.expect("act");
        assert_eq!(d.result, "done");
    }
    // Acted on: both recommendations are done.
    assert!(
        rig.advisor
            .recommendations()
            .iter()
            .all(|r| r.state == AdviceState::Done)
    );
    // The estimate is 60 MB each (three days at 20 MB/day): one frees 100 MB, one 10 MB.
    rig.latest
        .send(snapshot(
            T0,
            &[
                ("core_mosquitto", 200e6, 1.0),
                ("core_configurator", 190e6, 1.0),
            ],
        ))
        .expect("send");
    rig.clock.advance(Duration::from_secs(9 * 60));
    assert_eq!(
        rig.advisor.measure_due().await.expect("measure"),
        0,
        "not yet"
    );
    rig.clock.advance(Duration::from_secs(60));
    assert_eq!(rig.advisor.measure_due().await.expect("measure"), 2);
    let e = rig.advisor.effectiveness().await.expect("eff");
    assert_eq!((e.measured, e.effective, e.share), (2, 1, Some(0.5)));
    let audit = rig.advisor.audit(10).await.expect("audit");
    let mosquitto = audit
        .iter()
        .find(|r| r.addon == "core_mosquitto")
        .expect("row");
    assert_eq!(mosquitto.freed_memory, Some(100e6));
    assert_eq!(mosquitto.effective, Some(true));
    assert_eq!(
        mosquitto.recommendation_id.as_deref(),
        Some("leak-core_mosquitto")
    );
    assert_eq!(
        rig.advisor.measure_due().await.expect("measure"),
        0,
        "measured once"
    );
}

#[tokio::test]
async fn emulated_supervisor_crashed_addon_is_started_again_by_automatic_recovery_once_and_a_stopped_one_is_left_alone()
 {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let options = ActionOptions {
        allowed: vec![ActionKind::Start, ActionKind::Restart],
        auto_recovery: true,
        ..ActionOptions::default()
    };
    let rig = rig(&supervisor, options).await;
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("h.db")).await.expect("store");
    let (_tx, latest) = watch::channel(Arc::new(Snapshot::default()));
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(resource_manager::advice::runner::run(
        resource_manager::advice::runner::RunnerParts {
            advisor: rig.advisor.clone(),
            analysis: resource_manager::analysis::runner::Analysis::default(),
            store,
            latest,
            supervisor: Some(supervisor.client()),
            storage: None,
            recorder_db: vec![],
            schedule: resource_manager::advice::runner::AdviceSchedule {
                every: Duration::from_millis(50),
                slow_every: 100,
            },
            verdicts: Default::default(),
        },
        stop.clone(),
    ));
    // Let a pass see them started; one is stopped by the user, one crashes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    supervisor.set_state("core_configurator", "stopped");
    supervisor.set_state("core_mosquitto", "error");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !supervisor
        .actions()
        .iter()
        .any(|c| c.path == "/addons/core_mosquitto/start")
    {
        assert!(tokio::time::Instant::now() < deadline, "no recovery");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    supervisor.set_state("core_mosquitto", "error");
    // Several more passes: the same add-on is not started again within the cooldown.
    tokio::time::sleep(Duration::from_millis(400)).await;
    stop.cancel();
    task.await.expect("runner");
    let starts = supervisor
        .actions()
        .iter()
        .filter(|c| c.path.ends_with("/start"))
        .count();
    assert_eq!(starts, 1);
    let audit = rig.advisor.audit(10).await.expect("audit");
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(
        (audit[0].origin.as_str(), audit[0].result.as_str()),
        ("rule", "done")
    );
    assert!(audit[0].reason.contains("stopped unexpectedly"));
}

/// One request to `app` from loopback; JSON in and out.
async fn call(app: &axum::Router, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().method(method).uri(path);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let mut req = req
        .body(axum::body::Body::from(
            body.map(|b| b.to_string()).unwrap_or_default(),
        ))
        .expect("request");
    // Through the Ingress gateway, as the dashboard: in add-on mode loopback needs a token.
    req.extensions_mut().insert(axum::extract::ConnectInfo(
        "172.30.32.2:40000"
            .parse::<std::net::SocketAddr>()
            .expect("addr"),
    ));
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), 1_000_000)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn recommendations_api_lists_snoozes_and_dismisses_with_reasons_for_bad_requests() {
    use resource_manager::web::{AppParts, AppState, router};
    let dir = tempfile::tempdir().expect("dir");
    let config = crate::common::addon_config(dir.path());
    let store = Store::open(&config.database_path()).await.expect("store");
    let clock = store.clock().clone();
    let mut parts = AppParts::without_engine(config, store.clone());
    let (_tx, latest) = watch::channel(Arc::new(Snapshot::default()));
    let advisor = Advisor::open(AdvisorParts {
        store,
        clock: clock.clone(),
        options: ActionOptions::default(),
        control: None,
        emit: resource_manager::util::Emit::none(),
        latest,
    })
    .await
    .expect("advisor");
    let mut findings = leak_findings(&["core_mosquitto"]);
    findings.leaks[0].leak.to = clock.now_ms() as f64 / 1000.0;
    advisor.pass(AdviceInputs {
        now_ms: clock.now_ms(),
        findings: &findings,
        latest: &Latest::new(),
        addons: &[],
        disk: &DiskContent::default(),
    });
    parts.advisor = Some(advisor);
    let app = router(AppState::new(parts));

    let (status, list) = call(&app, "GET", "/api/v1/recommendations", None).await;
    assert_eq!((status, &list["open"]), (200, &json!(1)), "{list}");
    let r = &list["recommendations"][0];
    assert_eq!(r["id"], "leak-core_mosquitto");
    assert_eq!(
        r["action"],
        json!({"kind": "restart", "addon": "core_mosquitto"})
    );
    assert!(
        r["evidence"][0]["series"] == "addon.core_mosquitto.memory_bytes",
        "{r}"
    );
    assert!(
        r["saving"]["memory_bytes"]
            .as_f64()
            .is_some_and(|b| b > 0.0)
    );
    assert_eq!(list["actions"]["allowed"], json!([]));

    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/actions",
        Some(json!({"kind": "stop", "addon": "core_samba", "recommendation_id": "leak-core_mosquitto"})),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("bad_request")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("proposes restart core_mosquitto"))
    );
    let (status, body) = call(
        &app,
        "POST",
        "/api/v1/actions",
        Some(json!({"kind": "restart", "addon": "core_mosquitto", "recommendation_id": "leak-core_mosquitto"})),
    )
    .await;
    assert_eq!(
        (status, &body["result"]),
        (200, &json!("dry_run")),
        "{body}"
    );
    let path = "/api/v1/recommendations/leak-core_mosquitto";
    for bad in [
        json!({"duration": "soon"}),
        json!({}),
        json!({"seconds": 5}),
    ] {
        let (status, body) = call(&app, "POST", &format!("{path}/snooze"), Some(bad.clone())).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (400, &json!("bad_request")),
            "{bad}: {body}"
        );
    }
    let before = clock.now_ms();
    let (status, body) = call(
        &app,
        "POST",
        &format!("{path}/snooze"),
        Some(json!({"duration": "1d"})),
    )
    .await;
    assert_eq!((status, &body["state"]), (200, &json!("snoozed")), "{body}");
    let until = body["snoozed_until_ms"].as_i64().expect("until");
    assert!((before + 86_400_000..=clock.now_ms() + 86_400_000).contains(&until));
    let (status, _) = call(&app, "POST", &format!("{path}/dismiss"), None).await;
    assert!(
        (400..500).contains(&status),
        "a POST without JSON is refused: {status}"
    );
    let (status, body) = call(&app, "POST", &format!("{path}/dismiss"), Some(json!({}))).await;
    assert_eq!(
        (status, &body["state"]),
        (200, &json!("dismissed")),
        "{body}"
    );
    let (_, list) = call(&app, "GET", "/api/v1/recommendations", None).await;
    assert_eq!(list["open"], 0);
    let (status, diagnostics) = call(&app, "GET", "/api/v1/diagnostics", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        diagnostics["advice"]["open"], 0,
        "{}",
        diagnostics["advice"]
    );
    assert_eq!(diagnostics["advice"]["effectiveness"]["measured"], 0);
    assert!(diagnostics["advice"]["pass"]["runs"] == 1);
    let (status, audit) = call(&app, "GET", "/api/v1/actions?limit=5", None).await;
    assert_eq!(status, 200);
    let rows = audit["actions"].as_array().expect("rows");
    assert_eq!(
        rows.len(),
        1,
        "the refused mismatch is a bad request, not a decision"
    );
    assert_eq!(rows[0]["recommendation_id"], "leak-core_mosquitto");
    assert_eq!(
        rows[0]["evidence"][0]["series"],
        "addon.core_mosquitto.memory_bytes"
    );
}

#[tokio::test]
async fn emulated_supervisor_slow_action_is_on_record_as_pending_while_it_runs() {
    let supervisor =
        Supervisor::start_with_delay(Role::Manager, vec![], Duration::from_secs(1)).await;
    let options = ActionOptions {
        allowed: vec![ActionKind::Restart],
        daily_cap: 1,
        ..ActionOptions::default()
    };
    let rig = rig(&supervisor, options).await;
    let advisor = rig.advisor.clone();
    let running = tokio::spawn(async move {
        let request = ActionRequest {
            kind: ActionKind::Restart,
            addon: "core_mosquitto".into(),
            dry_run: false,
            origin: Origin::User,
        };
        advisor.act(request, None, None).await.expect("decided")
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let rows = rig.advisor.audit(5).await.expect("audit");
        if rows.first().is_some_and(|r| r.result == "pending") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no pending row: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The cap counts the attempt already.
    let second = ActionRequest {
        kind: ActionKind::Restart,
        addon: "core_configurator".into(),
        dry_run: false,
        origin: Origin::User,
    };
    let refused = rig.advisor.act(second, None, None).await.expect("decided");
    assert_eq!(
        (refused.result, refused.code),
        ("refused", Some("daily_cap"))
    );
    let done = running.await.expect("task");
    assert_eq!(done.result, "done");
    let rows = rig.advisor.audit(5).await.expect("audit");
    let first = rows
        .iter()
        .find(|r| r.addon == "core_mosquitto")
        .expect("row");
    assert_eq!(first.result, "done");
    assert_eq!(first.measure_at_ms, Some(T0 + 600_000));
}
