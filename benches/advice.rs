//! Advice benchmark (`cargo bench --bench advice`; without `--bench` a smoke run). Prints,
//! never judges:
//!
//! 1. CPU time of one advisor pass over the whole state (target ≤ 10 ms): 40 add-ons' use,
//!    10 leaks, 10 disk forecasts, 500 latest readings, backups, and a recorder counter
//!    holding 2,000 entities over 7 days; the pass applies the user's states as the app does.
//! 2. `state_changed` counting throughput (target ≥ 2,000 events/s): each event read from
//!    its WebSocket text as the link receives it (JSON parse, typed data), its bytes
//!    estimated, and counted per entity and day.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use resource_manager::advice::recommend::{
    AddonUsage, AdviceInputs, Backups, DiskContent, DiskWalk, Latest,
};
use resource_manager::advice::recorder::ChurnCounter;
use resource_manager::advice::{Advisor, AdvisorParts};
use resource_manager::analysis::Obs;
use resource_manager::analysis::forecast::{self, Method};
use resource_manager::analysis::leak::Leak;
use resource_manager::analysis::report::{Findings, ForecastItem, LeakItem};
use resource_manager::collect::thread_cpu_time;
use resource_manager::config::ActionOptions;
use resource_manager::ha::advice::change_bytes;
use resource_manager::ha::ws::EventData;
use resource_manager::ha::ws::events::parse_event_bytes;
use resource_manager::model::{Snapshot, Unit};
use resource_manager::store::{Store, StoreOptions};
use resource_manager::supervisor::AddonRole;
use resource_manager::util::ManualClock;
use serde_json::json;

const NOW_MS: i64 = 1_780_000_000_000;
const DAY: f64 = 86_400.0;

fn findings() -> Findings {
    let to = NOW_MS as f64 / 1000.0;
    let obs: Vec<Obs> = (0..96)
        .map(|h| Obs::new(to - (96 - h) as f64 * 3600.0, 50e9 + h as f64 * 1e8))
        .collect();
    let model = forecast::fit(&obs, Method::Linear).expect("line");
    Findings {
        leaks: (0..10)
            .map(|i| LeakItem {
                series: format!("addon.addon_{i}.memory_bytes"),
                suspect: format!("addon_{i}"),
                limit: Some(1e9),
                summary: "grows".into(),
                leak: Leak {
                    rate_per_day: 10e6,
                    confidence: 0.999,
                    from: to - 3.0 * DAY,
                    to,
                    eta_to_limit: Some(DAY),
                },
            })
            .collect(),
        forecasts: (0..10)
            .map(|d| ForecastItem {
                series: format!("disk./d{d}.used_bytes"),
                resource: "disk",
                instance: format!("/d{d}"),
                unit: Unit::Bytes,
                current: 59e9,
                threshold: 64e9,
                eta_seconds: Some(5.0 * DAY),
                eta_low_seconds: None,
                eta_high_seconds: None,
                slope_per_day: 1e9,
                method: Method::Linear,
                confidence: 0.9,
                summary: String::new(),
                trends: vec![],
                model,
            })
            .collect(),
        ..Findings::default()
    }
}

fn pass_bench(runs: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let clock = ManualClock::new(NOW_MS);
    let advisor = runtime.block_on(async {
        let store = Store::open_with(
            &dir.path().join("h.db"),
            StoreOptions {
                clock: clock.clock(),
                ..StoreOptions::default()
            },
        )
        .await
        .expect("store");
        let (_tx, latest) = tokio::sync::watch::channel(Arc::new(Snapshot::default()));
        Advisor::open(AdvisorParts {
            store,
            clock: clock.clock(),
            options: ActionOptions::default(),
            control: None,
            emit: resource_manager::util::Emit::none(),
            latest,
        })
        .await
        .expect("advisor")
    });
    for day in 0..7 {
        for e in 0..2000 {
            let writes = if e < 20 { 150 } else { 1 };
            for w in 0..writes {
                advisor.observe_state_change(
                    &format!("sensor.entity_{e}_power"),
                    NOW_MS - (6 - day) * 86_400_000 + w * 1000,
                    3200,
                );
            }
        }
    }
    let tracked = advisor.churn_report().total_writes;
    let findings = findings();
    let mut latest = Latest::new();
    for i in 0..500 {
        latest.insert(format!("gauge.{i}.value"), i as f64);
    }
    latest.insert("memory.total_bytes".into(), 8e9);
    let addons: Vec<AddonUsage> = (0..40)
        .map(|i| AddonUsage {
            slug: format!("addon_{i}"),
            covered_seconds: 10.0 * DAY,
            max_cpu_percent: if i % 4 == 0 { 0.1 } else { 5.0 },
            max_net_bytes: Some(if i % 4 == 0 { 0.0 } else { 1e4 }),
            memory_bytes: Some(50e6),
            role: Some(AddonRole::default()),
        })
        .collect();
    let disk = DiskContent {
        backups: Some(Backups {
            sizes: vec![1e9; 12],
        }),
        recorder_db_bytes: Some(2e9),
        walk: Some(DiskWalk {
            parts: vec![("backup".into(), 12e9), ("apps_data".into(), 9e9)],
            addon_data: (0..40).map(|i| (format!("addon_{i}"), 1e8)).collect(),
            addons_listed: true,
            ..DiskWalk::default()
        }),
    };
    let mut cpu = Vec::with_capacity(runs);
    let mut open = 0;
    for _ in 0..runs {
        let start = thread_cpu_time();
        let list = advisor.pass(black_box(AdviceInputs {
            now_ms: NOW_MS,
            findings: &findings,
            latest: &latest,
            addons: &addons,
            disk: &disk,
        }));
        cpu.push(thread_cpu_time().saturating_sub(start));
        open = list.len();
    }
    cpu.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "advisor pass (40 add-ons, 10 leaks, 10 disks, 500 readings, 2,000 recorder entities x 7 days; {open} recommendations, {tracked} writes counted): CPU median {:.2} ms, max {:.2} ms over {runs} runs (target <= 10 ms)",
        ms(cpu[cpu.len() / 2]),
        ms(cpu[cpu.len() - 1]),
    );
}

fn counting_bench(events: usize) {
    // Shaped like Home Assistant's messages, with 500 entities.
    let messages: Vec<String> = (0..events)
        .map(|i| {
            let entity = format!("sensor.entity_{}_power", i % 500);
            let state = |v: usize| json!({"entity_id": entity, "state": v.to_string(), "attributes": {"unit_of_measurement": "W", "device_class": "power", "state_class": "measurement", "friendly_name": "Entity power"}, "last_changed": "2026-11-29T22:00:00.123456+00:00", "last_updated": "2026-11-29T22:00:00.123456+00:00", "context": {"id": "01JDX0000000000000000000000", "parent_id": null, "user_id": null}});
            json!({"id": 3, "type": "event", "event": {"event_type": "state_changed", "data": {"entity_id": entity, "old_state": state(i), "new_state": state(i + 1)}, "origin": "LOCAL", "time_fired": "2026-11-29T22:00:00.123456+00:00", "context": {"id": "01JDX0000000000000000000000", "parent_id": null, "user_id": null}}}).to_string()
        })
        .collect();
    let mut counter = ChurnCounter::default();
    let wall = Instant::now();
    let cpu = thread_cpu_time();
    for m in &messages {
        let Ok((_, event)) = parse_event_bytes(m.as_bytes()) else {
            continue;
        };
        if let EventData::StateChanged(change) = &event.data
            && let Some(bytes) = change_bytes(change)
        {
            let at = event.time_fired_ms().unwrap_or(NOW_MS);
            counter.observe(&change.entity_id, at, bytes);
        }
    }
    let cpu = thread_cpu_time().saturating_sub(cpu).as_secs_f64();
    let wall = wall.elapsed().as_secs_f64();
    assert_eq!(counter.total_writes(), events as u64);
    println!(
        "state_changed counting (parse + estimate + count, 500 entities): {events} events in {:.1} ms CPU = {:.0} events/s (wall {:.0} events/s; target >= 2,000 events/s)",
        cpu * 1000.0,
        events as f64 / cpu.max(1e-9),
        events as f64 / wall.max(1e-9),
    );
}

fn main() {
    // `cargo test` runs benches without `--bench`: keep that a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let (runs, events) = if full { (200, 200_000) } else { (3, 2_000) };
    pass_bench(runs);
    counting_bench(events);
}
