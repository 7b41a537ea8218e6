//! Advice that never breaks a home, against the EMULATED Supervisor's facts: after a quiet
//! week only the add-on on its own network with no role is proposed for a stop (a quiet
//! host-network add-on is not: Docker's zero counters are no evidence); a stop of an add-on
//! that provides a service is refused with why; the data disk is walked at depth 2, once an
//! hour.

use std::sync::Arc;
use std::time::Duration;

use resource_manager::advice::runner::{AdviceSchedule, RunnerParts, run};
use resource_manager::advice::{ActionRequest, AdviceKind, Advisor, AdvisorParts, Origin};
use resource_manager::analysis::runner::Analysis;
use resource_manager::config::{ActionKind, ActionOptions};
use resource_manager::model::{Sample, Snapshot, registry};
use resource_manager::supervisor::AddonControl;
use resource_manager::util::ManualClock;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::emulator::{Role, Supervisor};

const T0: i64 = 1_780_000_000_000;
const HOUR_MS: i64 = 3_600_000;
/// The add-ons with a quiet history: 0.1 % CPU and 0 B/s every hour for 9 days.
const QUIET: [&str; 4] = [
    "core_configurator",
    "core_samba",
    "core_matter_server",
    "core_mosquitto",
];

/// One tick at `ts_ms` of every quiet add-on: CPU, memory and both network rates.
fn tick(ts_ms: i64) -> Arc<Snapshot> {
    let mut samples = Vec::new();
    for slug in QUIET {
        for (family, value) in [
            (&registry::ADDON_CPU, 0.1),
            (&registry::ADDON_MEMORY, 50e6),
            (&registry::ADDON_NET_RX, 0.0),
            (&registry::ADDON_NET_TX, 0.0),
        ] {
            samples.push(Sample {
                series: Arc::new(family.instance(slug, &[slug])),
                value,
            });
        }
    }
    Arc::new(Snapshot {
        ts_ms,
        samples,
        ..Snapshot::default()
    })
}

#[tokio::test]
async fn emulated_supervisor_quiet_host_network_addon_gets_no_stop_recommendation() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.install("Matter Server", "core_matter_server", "started");
    supervisor.set_state("core_samba", "started");
    let dir = tempfile::tempdir().expect("dir");
    let clock = ManualClock::new(T0);
    let store = crate::emulator::store_on(dir.path(), &clock).await;
    let ticks: Vec<Arc<Snapshot>> = (0..9 * 24)
        .map(|h| tick(T0 - (9 * 24 - h) * HOUR_MS))
        .collect();
    store.write_batch(&ticks).await.expect("history");
    store.roll_up(T0).await.expect("hourly rollups");
    let (_latest_tx, latest) = watch::channel(tick(T0));
    let advisor = Advisor::open(AdvisorParts {
        store: store.clone(),
        clock: clock.clock(),
        options: ActionOptions {
            allowed: vec![ActionKind::Stop],
            ..ActionOptions::default()
        },
        control: Some(Arc::new(supervisor.client()) as Arc<dyn AddonControl>),
        emit: resource_manager::util::Emit::none(),
        latest: latest.clone(),
    })
    .await
    .expect("advisor");
    let stop = CancellationToken::new();
    // The walk of the data disk runs in its own task (collect::storage), by the same clock.
    let tracker = tokio_util::task::TaskTracker::new();
    let (walks, _collector, walker) = resource_manager::collect::storage::start(
        &tracker,
        supervisor.client(),
        clock.clock(),
        Duration::from_millis(20),
        stop.clone(),
    );
    let task = tokio::spawn(run(
        RunnerParts {
            advisor: advisor.clone(),
            analysis: Analysis::default(),
            store,
            latest,
            supervisor: Some(supervisor.client()),
            storage: Some(walks.clone()),
            recorder_db: vec![],
            schedule: AdviceSchedule {
                every: Duration::from_millis(50),
                slow_every: 4,
            },
            verdicts: Default::default(),
        },
        stop.clone(),
    ));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let idle = loop {
        let idle: Vec<String> = advisor
            .recommendations()
            .iter()
            .filter(|r| r.kind == AdviceKind::Idle)
            .map(|r| r.target.clone())
            .collect();
        if !idle.is_empty() && !supervisor.usage_queries().is_empty() {
            break idle;
        }
        assert!(tokio::time::Instant::now() < deadline, "no advice");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Samba and Matter Server share the host's network (zero counters say nothing), Matter
    // Server feeds an integration, Mosquitto provides MQTT: only the File editor is proposed.
    assert_eq!(idle, ["core_configurator"]);
    let list = advisor.recommendations();
    let why = list
        .iter()
        .flat_map(|r| r.evidence.iter())
        .find(|e| e.label == "judged idle because")
        .expect("why it was judged idle");
    assert!(why.value.contains("own network"), "{}", why.value);
    // Several passes later the disk was walked once, at the depth that lists the add-ons.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(supervisor.usage_queries(), ["max_depth=2"]);
    clock.advance(Duration::from_secs(3600));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while supervisor.usage_queries().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no second walk");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A stop the home depends on is refused with why, and never reaches the Supervisor.
    let ask = |addon: &str| ActionRequest {
        kind: ActionKind::Stop,
        addon: addon.into(),
        dry_run: false,
        origin: Origin::User,
    };
    let refused = advisor
        .act(ask("core_mosquitto"), None, None)
        .await
        .expect("decided");
    assert_eq!(
        (refused.result, refused.code),
        ("refused", Some("keeps_home"))
    );
    let detail = refused.detail.unwrap_or_default();
    assert!(detail.contains("mqtt service"), "{detail}");
    let done = advisor
        .act(
            ask("core_configurator"),
            Some("idle-core_configurator"),
            None,
        )
        .await
        .expect("decided");
    assert_eq!(done.result, "done");
    let paths: Vec<String> = supervisor.actions().into_iter().map(|c| c.path).collect();
    assert_eq!(paths, ["/addons/core_configurator/stop"]);
    stop.cancel();
    task.await.expect("runner");
    walker.await.expect("walker");
    // The walk reached the advisor's inputs and the Storage section's source alike.
    let walk = walks.latest().expect("a walk");
    assert!(walk.addons_listed, "{walk:?}");
    assert_eq!(walks.status().walks, 2);
}
