use super::*;
use crate::util::ManualClock;
use proptest::prelude::*;

fn options(hold: u32, cooldown: u32, max: u32) -> SelfScalingOptions {
    SelfScalingOptions {
        enabled: true,
        high_percent: 80,
        low_percent: 30,
        hold_seconds: hold,
        cooldown_seconds: cooldown,
        max_interval_seconds: max,
    }
}

fn cpu(percent: f64) -> Load {
    Load {
        cpu_percent: percent,
        memory_pressure: false,
    }
}

#[test]
fn a_busy_host_stretches_the_pace_step_by_step_and_a_quiet_one_restores_it() {
    // 5 s sampling, at most 30 s: levels 10 s, 20 s, 30 s.
    let mut s = Scaler::new(options(20, 60, 30), Duration::from_secs(5));
    assert_eq!(s.max_level(), 3);
    let mut changes = Vec::new();
    for t in (0..=400).step_by(5) {
        if let Some(c) = s.observe(t * 1000, cpu(95.0)) {
            changes.push((c.at_ms / 1000, c.to, s.sample_interval().as_secs()));
        }
    }
    // First step once busy for the hold time; later ones a cooldown apart; capped at 30 s.
    assert_eq!(changes, vec![(20, 1, 10), (80, 2, 20), (140, 3, 30)]);
    assert!(s.pace().defer_jobs);
    let back = (405..=600)
        .step_by(5)
        .find_map(|t| s.observe(t * 1000, cpu(5.0)))
        .expect("returns to normal");
    assert_eq!(
        (back.at_ms, back.to, back.reason),
        (425_000, 0, "host quiet again")
    );
    assert_eq!(s.pace(), Pace::default());
    assert!(back.id().starts_with("scale-425000-3-0"));
}

#[test]
fn memory_pressure_counts_as_busy_and_between_the_thresholds_nothing_changes() {
    let mut s = Scaler::new(options(10, 10, 60), Duration::from_secs(5));
    let pressure = Load {
        cpu_percent: 10.0,
        memory_pressure: true,
    };
    assert!(s.observe(0, pressure).is_none());
    let c = s.observe(10_000, pressure).expect("step");
    assert_eq!(c.reason, "memory under pressure");
    for t in 2..100 {
        assert!(
            s.observe(t * 10_000, cpu(50.0)).is_none(),
            "50 % is neither"
        );
    }
    assert_eq!(s.level(), 1);
}

#[test]
fn disabled_never_changes_and_a_max_below_the_base_still_defers_jobs() {
    let mut off = Scaler::new(
        SelfScalingOptions {
            enabled: false,
            ..options(1, 1, 30)
        },
        Duration::from_secs(5),
    );
    assert!((0..100).all(|t| off.observe(t * 1000, cpu(100.0)).is_none()));
    let mut tight = Scaler::new(options(1, 1, 5), Duration::from_secs(5));
    assert_eq!(tight.max_level(), 1);
    tight.observe(0, cpu(100.0));
    tight.observe(1000, cpu(100.0)).expect("step");
    assert_eq!(tight.sample_interval(), Duration::from_secs(5));
    assert!(tight.pace().defer_jobs);
}

#[test]
fn pressure_files_are_read() {
    let psi = "some avg10=12.50 avg60=3.00 avg300=1.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    assert_eq!(psi_some_avg10(psi), Some(12.5));
    assert_eq!(psi_some_avg10("full avg10=1"), None);
}

#[test]
fn the_probe_reads_cpu_between_two_reads_and_memory_from_a_fixture_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proc = dir.path().join("proc");
    std::fs::create_dir_all(proc.join("pressure")).expect("dirs");
    std::fs::write(proc.join("stat"), "cpu  100 0 0 900 0 0 0 0\n").expect("stat");
    std::fs::write(
        proc.join("pressure/memory"),
        "some avg10=20.00 avg60=0 avg300=0 total=5\n",
    )
    .expect("psi");
    let mut probe = LoadProbe::new(&SysRoot::fixture(dir.path()));
    assert_eq!(probe.read(), None, "a rate needs two reads");
    std::fs::write(proc.join("stat"), "cpu  190 0 0 910 0 0 0 0\n").expect("stat");
    let load = probe.read().expect("load");
    assert!((load.cpu_percent - 90.0).abs() < 1e-9);
    assert!(load.memory_pressure);
}

#[tokio::test]
async fn the_task_sets_the_pace_and_shows_the_change_in_the_stats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proc = dir.path().join("proc");
    std::fs::create_dir_all(&proc).expect("proc");
    std::fs::write(proc.join("stat"), "cpu  0 0 0 0 0 0 0 0\n").expect("stat");
    std::fs::write(
        proc.join("meminfo"),
        "MemTotal: 1000 kB\nMemAvailable: 900 kB\n",
    )
    .expect("mem");
    let clock = ManualClock::new(1_000_000);
    let pace = PaceWatch::default();
    let mut rx = pace.subscribe();
    let stats = Arc::new(Mutex::new(TickStats::default()));
    let stop = CancellationToken::new();
    let scaler = Scaler::new(options(1, 1, 30), Duration::from_secs(5));
    let task = tokio::spawn(run(
        scaler,
        LoadProbe::new(&SysRoot::fixture(dir.path())),
        pace.clone(),
        stats.clone(),
        clock.clock(),
        stop.clone(),
    ));
    // Every core busy from now on: each check the counters move 100 jiffies, all busy, and
    // the manual clock a second.
    let feeder = {
        let clock = clock.clone();
        tokio::spawn(async move {
            for k in 1..200u64 {
                let busy = k * 100;
                let _ = std::fs::write(proc.join("stat"), format!("cpu  {busy} 0 0 0 0 0 0 0\n"));
                clock.advance(Duration::from_secs(1));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::timeout(Duration::from_secs(30), rx.changed())
        .await
        .expect("a change within the deadline")
        .expect("sender alive");
    assert_eq!(pace.get().level, 1);
    stop.cancel();
    task.await.expect("task");
    feeder.abort();
    let status = lock(&stats).scaling.clone();
    assert_eq!(status.mode, "reduced");
    assert_eq!(status.changes, 1);
    let last = status.last_change.expect("last change");
    assert!(last.resource_management_id.starts_with("scale-"));
    assert_eq!(last.reason, "CPU busy");
}

proptest! {
    /// Whatever the load, the level stays within its bounds, sampling is never further apart
    /// than the maximum (nor closer than normal), and no two changes fall within the cooldown.
    #[test]
    fn never_outside_the_bounds_and_no_flapping_within_the_cooldown(
        base in 1u64..=30,
        max in 1u32..=300,
        hold in 1u32..=60,
        cooldown in 1u32..=600,
        steps in proptest::collection::vec((0.0f64..=100.0, any::<bool>(), 1u64..=20_000), 1..400),
    ) {
        let mut s = Scaler::new(options(hold, cooldown, max), Duration::from_secs(base));
        let base_d = Duration::from_secs(base);
        let max_d = Duration::from_secs(u64::from(max)).max(base_d);
        let clock = ManualClock::new(0);
        let mut last_change: Option<i64> = None;
        for (percent, pressure, dt) in steps {
            clock.advance(Duration::from_millis(dt));
            let now = clock.clock().now_ms();
            let load = Load { cpu_percent: percent, memory_pressure: pressure && percent > 50.0 };
            if let Some(change) = s.observe(now, load) {
                if let Some(previous) = last_change {
                    prop_assert!(now - previous >= i64::from(cooldown) * 1000,
                        "changes at {previous} and {now} within the cooldown");
                }
                prop_assert_ne!(change.from, change.to);
                last_change = Some(now);
            }
            prop_assert!(s.level() <= s.max_level());
            let interval = s.sample_interval();
            prop_assert!(interval >= base_d, "{interval:?} below {base_d:?}");
            prop_assert!(interval <= max_d + Duration::from_millis(1), "{interval:?} above {max_d:?}");
            prop_assert_eq!(s.pace().defer_jobs, s.level() > 0);
        }
    }

    /// A host that stays busy reaches the top level, and one that stays quiet returns to normal.
    #[test]
    fn a_lasting_condition_is_followed(hold in 1u32..=60, cooldown in 1u32..=600, max in 10u32..=300) {
        let mut s = Scaler::new(options(hold, cooldown, max), Duration::from_secs(5));
        let mut t = 0i64;
        let span = (i64::from(hold) + i64::from(cooldown)) * 1000 * i64::from(s.max_level() + 1);
        while t <= span {
            s.observe(t, cpu(99.0));
            t += 1000;
        }
        prop_assert_eq!(s.level(), s.max_level());
        let until = t + span;
        while t <= until {
            s.observe(t, cpu(1.0));
            t += 1000;
        }
        prop_assert_eq!(s.level(), 0);
    }
}
