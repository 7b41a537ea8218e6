//! An add-on whose Ingress stops answering while the EMULATED Supervisor still calls it
//! "started": its `/addons/<slug>/info` (`supervisor/api/apps.py` `APIApps.info_data`: `ingress`,
//! `ingress_port`, `ip_address`) points at a real loopback listener (`addon_web.rs`) that first
//! answers, then reads requests and never replies. Probed a minute apart on a manual clock, it
//! counts as not answering after 3 failed probes spanning 3 minutes, the hung rule names it 5
//! minutes later with its evidence, and the verdict becomes the `addon.<slug>.hung` series the
//! `addon_hung` alert rule watches.

use std::time::Duration;

use resource_manager::advice::AdviceKind;
use resource_manager::advice::recommend::{
    AddonUsage, AdviceInputs, DiskContent, Latest, Sustain, hung_series, recommend,
};
use resource_manager::analysis::report::Findings;
use resource_manager::model::Sample;
use resource_manager::supervisor::answers::Answers;
use resource_manager::util::ManualClock;

use crate::emulator::{Role, Supervisor};

const T0: i64 = 1_800_000_000_000;

fn answering(samples: &[Sample], slug: &str) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.series.id == format!("addon.{slug}.ingress_answering"))
        .map(|s| s.value)
}

#[tokio::test]
async fn emulated_supervisor_addon_whose_ingress_stops_answering_is_hung_and_answering_again_clears_it()
 {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let web = supervisor.addon_web("core_configurator").expect("its UI");
    let client = supervisor.client();
    let clock = ManualClock::new(T0);
    // A hung UI is noticed by its timeout: short here, 5 s in the add-on.
    let mut answers = Answers::with_timeout(Duration::from_millis(300));
    let started = [
        ("core_configurator".to_string(), "File editor".to_string()),
        ("core_mosquitto".to_string(), "Mosquitto broker".to_string()),
    ];
    let mut probe = async |minute: u64| {
        let to = T0 + minute as i64 * 60_000;
        clock.advance(Duration::from_millis((to - clock.clock().now_ms()) as u64));
        answers.probe(&client, &started, clock.clock().now()).await;
        let mut out = Vec::new();
        answers.samples(clock.clock().now(), &mut out);
        out
    };
    let first = probe(0).await;
    assert_eq!(answering(&first, "core_configurator"), Some(1.0));
    assert_eq!(
        answering(&first, "core_mosquitto"),
        None,
        "no Ingress: not probed, no series"
    );

    web.hang(true);
    // Probes at minutes 1, 2, 3 fail, but three failures span only 2 minutes until minute 4.
    let mut seen = Vec::new();
    for minute in 1..=4 {
        let between = probe(minute).await;
        seen.push(answering(&between, "core_configurator"));
    }
    assert_eq!(seen, [Some(1.0), Some(1.0), Some(1.0), Some(0.0)]);

    // The hung rule, a pass a minute, with the stuck add-on's quiet readings.
    let mut sustain = Sustain::default();
    let findings = Findings::default();
    let disk = DiskContent::default();
    let mut last = Vec::new();
    let mut latest = Latest::new();
    // What the runner knows of each add-on (its week of use and role are not what counts here).
    let addons: Vec<AddonUsage> = started
        .iter()
        .map(|(slug, _)| AddonUsage {
            slug: slug.clone(),
            covered_seconds: 7.0 * 86_400.0,
            max_cpu_percent: 5.0,
            max_net_bytes: Some(100.0),
            memory_bytes: Some(1e8),
            role: None,
        })
        .collect();
    for minute in 4..=10 {
        let out = probe(minute).await;
        latest.clear();
        for (what, v) in [
            ("cpu_percent", 0.2),
            ("memory_percent", 30.0),
            ("block_read_bytes_per_second", 0.0),
            ("block_write_bytes_per_second", 0.0),
            ("net_rx_bytes_per_second", 0.0),
            ("net_tx_bytes_per_second", 0.0),
        ] {
            latest.insert(format!("addon.core_configurator.{what}"), v);
        }
        latest.insert("addon.core_mosquitto.cpu_percent".into(), 1.0);
        for s in &out {
            latest.insert(s.series.id.clone(), s.value);
        }
        let input = AdviceInputs {
            now_ms: T0 + minute as i64 * 60_000,
            findings: &findings,
            latest: &latest,
            addons: &addons,
            disk: &disk,
        };
        last = recommend(&input, &Default::default(), &mut sustain);
        let hung = last.iter().any(|r| r.kind == AdviceKind::Hung);
        assert_eq!(hung, minute >= 9, "minute {minute}: {last:?}");
    }
    let verdict = last
        .iter()
        .find(|r| r.kind == AdviceKind::Hung)
        .expect("hung");
    assert_eq!(verdict.target, "core_configurator");
    assert!(
        verdict
            .title
            .contains("has not answered on its Ingress port"),
        "{}",
        verdict.title
    );
    assert!(verdict.evidence.iter().any(|e| e.label == "Ingress"
        && e.series.as_deref() == Some("addon.core_configurator.ingress_answering")));
    let series = hung_series(&last, &latest);
    let value = |slug: &str| {
        series
            .iter()
            .find(|s| s.series.id == format!("addon.{slug}.hung"))
            .map(|s| s.value)
    };
    assert_eq!(value("core_configurator"), Some(1.0));
    assert_eq!(value("core_mosquitto"), Some(0.0));

    // It answers again: the next probe says so at once.
    web.hang(false);
    let out = probe(11).await;
    assert_eq!(answering(&out, "core_configurator"), Some(1.0));
}
