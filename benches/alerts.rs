//! Alert engine benchmark (`cargo bench --bench alerts`; `cargo test --bench alerts` runs the
//! same code unoptimised). Prints two numbers:
//!
//! 1. CPU time of one evaluation of 200 rules over 500 series (target ≤ 0.5 ms per tick).
//! 2. Notifications from a 24-hour replay of a noisy, synthetic Raspberry Pi day through the
//!    built-in rules (target: a handful), next to what a naive threshold alert would send.
//!
//! The day (5-second ticks, seeded, so every run gives the same day) models a Pi 4 with 4 GB
//! running Home Assistant and eight add-ons:
//! - CPU: 8 % ± diurnal 4 % ± noise, short spikes (5-90 s to 60-100 %) every ~20 min, a nightly
//!   backup at 03:00 (100 % for 8 min), and an add-on update compiling 14:00-14:20 (95 %).
//! - Temperature: 52 °C + a quarter of the CPU load ± 2 °C noise (so the compile heats it).
//! - Memory: 40 % + one leaking add-on growing from 5 % to 55 % of RAM until it is restarted
//!   at 22:00; swap-out bursts (0.5-4 MB/s for 5-40 s) about twice an hour, and a steady
//!   400 kB/s once memory is over 88 %.
//! - Disks: /data creeping from 84 % to 85.6 % ± 0.5 % (temporary files) across the 85 %
//!   warning level, / steady at 30 %.
//! - Add-on CPU: 0-10 %, one camera add-on bursting to 60 % for 1-3 min every ~10 min.
//!
//! A second, healthy day has the same noise and spikes, without the compile, the leak and the
//! filling disk: it should send nothing.

use std::hint::black_box;

use resource_manager::alert::{AlertEngine, Reading, RuleSet, TransitionKind};
use resource_manager::collect::thread_cpu_time;
use serde_json::{Value, json};

const TICK_MS: i64 = 5000;

/// xorshift64*: a seeded generator, so the day is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-1, 1).
    fn sym(&mut self) -> f64 {
        self.next() * 2.0 - 1.0
    }

    /// Roughly normal (sum of uniforms), mean 0, sd ≈ 1.
    fn noise(&mut self) -> f64 {
        (0..6).map(|_| self.next()).sum::<f64>() - 3.0
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.next() < p
    }
}

fn rules(entries: Vec<Value>) -> RuleSet {
    let mut problems = Vec::new();
    let set = RuleSet::from_option(Some(&Value::Array(entries)), &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    set
}

// ---------------------------------------------------------------- 1. evaluation cost

/// 500 series ids of a big box: CPU cores, disks, interfaces, sensors and 69 add-ons.
fn many_series() -> Vec<String> {
    let mut ids: Vec<String> = ["cpu.usage", "cpu.iowait", "cpu.steal"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    ids.extend((0..16).map(|c| format!("cpu.core{c}.usage")));
    for m in [
        "total_bytes",
        "used_bytes",
        "available_bytes",
        "used_percent",
    ] {
        ids.push(format!("memory.{m}"));
    }
    for m in [
        "total_bytes",
        "used_bytes",
        "used_percent",
        "in_bytes_per_second",
        "out_bytes_per_second",
    ] {
        ids.push(format!("swap.{m}"));
    }
    ids.extend(
        [
            "load.1m",
            "load.5m",
            "load.15m",
            "system.uptime_seconds",
            "temp.max_celsius",
        ]
        .map(String::from),
    );
    for d in 0..20 {
        for m in [
            "total_bytes",
            "used_bytes",
            "free_bytes",
            "used_percent",
            "read_bytes_per_second",
            "write_bytes_per_second",
        ] {
            ids.push(format!("disk./mnt/disk{d}.{m}"));
        }
    }
    for n in 0..30 {
        for m in [
            "rx_bytes_per_second",
            "tx_bytes_per_second",
            "rx_errors_total",
            "tx_errors_total",
        ] {
            ids.push(format!("net.eth{n}.{m}"));
        }
    }
    ids.extend((0..19).map(|t| format!("temp.sensor{t}.celsius")));
    let mut addon = 0;
    while ids.len() < 500 {
        let m = ["cpu_percent", "memory_bytes", "memory_percent"][addon % 3];
        ids.push(format!("addon.addon{}.{m}", addon / 3));
        addon += 1;
    }
    ids
}

/// 193 rules from the options (exact ids and patterns) plus the 7 built-in ones: 200.
fn many_rules() -> RuleSet {
    let mut entries = Vec::new();
    for a in 0..50 {
        entries.push(json!({"name": format!("addon{a}_mem"), "metric": format!("addon.addon{a}.memory_bytes"), "warn": 5e8, "for": "5m"}));
    }
    for d in 0..20 {
        entries.push(json!({"name": format!("disk{d}_free"), "metric": format!("disk./mnt/disk{d}.free_bytes"), "direction": "below", "warn": 5e9, "critical": 1e9, "for": "10m"}));
        entries.push(json!({"name": format!("disk{d}_writes"), "metric": format!("disk./mnt/disk{d}.write_bytes_per_second"), "warn": 5e7, "for": "15m"}));
    }
    for n in 0..30 {
        entries.push(json!({"name": format!("eth{n}_rx"), "metric": format!("net.eth{n}.rx_bytes_per_second"), "warn": 1e8, "for": "5m"}));
        entries.push(json!({"name": format!("eth{n}_errors"), "metric": format!("net.eth{n}.rx_errors_total"), "warn": 1000, "for": "0s"}));
    }
    for c in 0..16 {
        entries.push(json!({"name": format!("core{c}"), "metric": format!("cpu.core{c}.usage"), "warn": 95, "for": "10m"}));
    }
    for t in 0..19 {
        entries.push(json!({"name": format!("sensor{t}"), "metric": format!("temp.sensor{t}.celsius"), "warn": 85, "for": "2m"}));
    }
    for (i, pattern) in [
        "disk.*.used_percent",
        "net.*.tx_bytes_per_second",
        "temp.*.celsius",
        "addon.*.memory_bytes",
    ]
    .iter()
    .enumerate()
    {
        entries.push(
            json!({"name": format!("pattern{i}"), "metric": pattern, "warn": 90, "for": "5m"}),
        );
    }
    while entries.len() < 193 {
        let i = entries.len();
        entries.push(json!({"name": format!("narrow{i}"), "metric": format!("addon.addon{}*.cpu_percent", i % 7), "warn": 80, "for": "15m"}));
    }
    let set = rules(entries);
    assert_eq!(set.enabled().count(), 200);
    set
}

fn evaluation_cost() {
    let ids = many_series();
    let set = many_rules();
    let mut engine = AlertEngine::new(&set);
    let mut rng = Rng(7);
    let mut now = 1_700_000_000_000;
    let mut values: Vec<f64> = ids.iter().map(|_| rng.next() * 100.0).collect();
    let mut tick = |engine: &mut AlertEngine, rng: &mut Rng, now: i64| {
        for v in &mut values {
            *v = (*v + rng.sym() * 5.0).clamp(0.0, 100.0);
        }
        let readings = ids
            .iter()
            .zip(&values)
            .map(|(id, value)| Reading { id, value: *value });
        black_box(engine.evaluate(now, readings).len())
    };
    for _ in 0..200 {
        now += TICK_MS;
        tick(&mut engine, &mut rng, now);
    }
    let mut micros = Vec::new();
    let mut transitions = 0;
    for _ in 0..2000 {
        now += TICK_MS;
        let before = thread_cpu_time();
        transitions += tick(&mut engine, &mut rng, now);
        micros.push((thread_cpu_time() - before).as_secs_f64() * 1e6);
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize];
    println!(
        "evaluation: {} rules x {} series ({} rule/target states), CPU per tick: median {:.0} µs, p99 {:.0} µs, max {:.0} µs (target ≤ 500 µs); {transitions} transitions in 2000 ticks",
        set.enabled().count(),
        ids.len(),
        engine.states().len(),
        at(0.5),
        at(0.99),
        at(1.0),
    );
}

// ---------------------------------------------------------------- 2. a noisy day

/// State of the synthetic day's processes.
struct Day {
    rng: Rng,
    /// Without the compile, the leak and the filling disk.
    healthy: bool,
    spike_left: i64,
    spike_value: f64,
    swap_left: i64,
    swap_value: f64,
    camera_left: i64,
}

impl Day {
    /// The readings at `t` seconds into the day.
    fn tick(&mut self, t: i64) -> Vec<(String, f64)> {
        let hour = t as f64 / 3600.0;
        let r = &mut self.rng;
        // CPU
        let mut cpu = 8.0 + 4.0 * (hour / 24.0 * std::f64::consts::TAU).sin() + 2.5 * r.noise();
        if self.spike_left <= 0 && r.chance(TICK_MS as f64 / 1000.0 / (20.0 * 60.0)) {
            self.spike_left = 5 + (r.next() * 85.0) as i64;
            self.spike_value = 60.0 + r.next() * 40.0;
        }
        if self.spike_left > 0 {
            self.spike_left -= TICK_MS / 1000;
            cpu = self.spike_value + 3.0 * r.noise();
        }
        if (3.0..3.0 + 8.0 / 60.0).contains(&hour) {
            cpu = 100.0 - r.next() * 2.0;
        }
        if !self.healthy && (14.0..14.0 + 20.0 / 60.0).contains(&hour) {
            cpu = 95.0 + 3.0 * r.sym();
        }
        let cpu = cpu.clamp(0.0, 100.0);
        // Memory: a leaking add-on until its restart at 22:00.
        let leaky = if hour < 22.0 && !self.healthy {
            5.0 + 50.0 * hour / 22.0
        } else {
            5.0
        };
        let memory = (40.0 + leaky + 1.5 * r.noise()).clamp(0.0, 100.0);
        // Swap-out: bursts, and steady pressure once memory is nearly full.
        if self.swap_left <= 0 && r.chance(TICK_MS as f64 / 1000.0 / (30.0 * 60.0)) {
            self.swap_left = 5 + (r.next() * 35.0) as i64;
            self.swap_value = 0.5e6 + r.next() * 3.5e6;
        }
        let mut swap_out = 0.0;
        if self.swap_left > 0 {
            self.swap_left -= TICK_MS / 1000;
            swap_out = self.swap_value;
        }
        if memory > 88.0 {
            swap_out += 400_000.0 * (1.0 + 0.3 * r.sym());
        }
        // Disks
        let data = if self.healthy {
            70.0
        } else {
            84.0 + 1.6 * hour / 24.0
        } + 0.5 * r.sym();
        let root = 30.0 + 0.05 * r.sym();
        // Temperature follows the CPU.
        let temp = 52.0 + cpu * 0.25 + 2.0 * r.noise() / 2.0;
        // Add-ons
        if self.camera_left <= 0 && r.chance(TICK_MS as f64 / 1000.0 / 600.0) {
            self.camera_left = 60 + (r.next() * 120.0) as i64;
        }
        let camera = if self.camera_left > 0 {
            self.camera_left -= TICK_MS / 1000;
            60.0 + 5.0 * r.sym()
        } else {
            3.0 + 2.0 * r.next()
        };
        let mut out = vec![
            ("cpu.usage".to_string(), cpu),
            ("memory.used_percent".to_string(), memory),
            ("swap.out_bytes_per_second".to_string(), swap_out.max(0.0)),
            ("disk./data.used_percent".to_string(), data),
            ("disk./.used_percent".to_string(), root),
            ("temp.max_celsius".to_string(), temp),
            (
                "addon.leaky.memory_percent".to_string(),
                leaky + 0.5 * r.sym(),
            ),
            ("addon.leaky.cpu_percent".to_string(), 2.0 + r.next()),
            ("addon.camera.cpu_percent".to_string(), camera),
            ("addon.camera.memory_percent".to_string(), 12.0 + r.sym()),
        ];
        for a in 0..6 {
            out.push((format!("addon.quiet{a}.cpu_percent"), 5.0 * r.next()));
            out.push((
                format!("addon.quiet{a}.memory_percent"),
                2.0 + a as f64 + 0.3 * r.sym(),
            ));
        }
        out
    }
}

/// What a naive alert (notify whenever a value goes past `warn`) sends for the same day.
fn naive_count(day: &[Vec<(String, f64)>], set: &RuleSet) -> usize {
    let mut above = std::collections::HashMap::new();
    let mut count = 0;
    for tick in day {
        for (id, value) in tick {
            for rule in set.enabled() {
                if rule.pattern.instance(id).is_none() {
                    continue;
                }
                let now = rule.direction.beyond(*value, rule.first_threshold());
                let was = above
                    .insert((rule.name.clone(), id.clone()), now)
                    .unwrap_or(false);
                count += usize::from(now && !was);
            }
        }
    }
    count
}

fn noisy_day(seed: u64, healthy: bool, verbose: bool) -> (usize, usize) {
    let mut day = Day {
        rng: Rng(seed),
        healthy,
        spike_left: 0,
        spike_value: 0.0,
        swap_left: 0,
        swap_value: 0.0,
        camera_left: 0,
    };
    let ticks: Vec<Vec<(String, f64)>> = (0..86_400 / (TICK_MS / 1000))
        .map(|i| day.tick(i * TICK_MS / 1000))
        .collect();
    let set = RuleSet::default();
    let mut engine = AlertEngine::new(&set);
    let start = 1_767_225_600_000; // midnight
    let mut notifications = 0;
    for (i, tick) in ticks.iter().enumerate() {
        let now = start + i as i64 * TICK_MS;
        let readings = tick.iter().map(|(id, value)| Reading { id, value: *value });
        for t in engine.evaluate(now, readings) {
            let pushed =
                t.notify && matches!(t.kind, TransitionKind::Fired | TransitionKind::Escalated);
            notifications += usize::from(pushed);
            if verbose && t.kind != TransitionKind::Pending && t.kind != TransitionKind::Cancelled {
                let at = (now - start) / 1000;
                println!(
                    "  {:02}:{:02} {:<11} {:<28} notify={:<5} {}",
                    at / 3600,
                    at % 3600 / 60,
                    t.kind.as_str(),
                    t.alert.object_id,
                    t.notify,
                    t.alert.message
                );
            }
        }
    }
    (notifications, naive_count(&ticks, &set))
}

fn main() {
    evaluation_cost();
    println!("24-hour replay of a noisy Raspberry Pi day through the built-in rules (seed 1):");
    let (pushed, naive) = noisy_day(1, false, true);
    println!("  notifications: {pushed} (a naive 'value past warn' alert would send {naive})");
    for healthy in [false, true] {
        let mut counts: Vec<usize> = (2..22)
            .map(|seed| noisy_day(seed, healthy, false).0)
            .collect();
        counts.sort_unstable();
        println!(
            "  {} day, 20 more seeds: notifications min {} median {} max {}",
            if healthy { "healthy" } else { "eventful" },
            counts[0],
            counts[counts.len() / 2],
            counts[counts.len() - 1]
        );
    }
    let (healthy, naive) = noisy_day(1, true, false);
    println!("  healthy day (seed 1): notifications {healthy} (naive: {naive})");
}
