use super::*;
use crate::collect::remote::text::parse;
use crate::model::registry;

const FIXTURE: &str = include_str!("../../../../tests/fixtures/node_exporter/default.txt");

fn map(state: &mut MapState, text: &str, now_ms: i64) -> Vec<Sample> {
    let mut out = Vec::new();
    map_page(&parse(text), now_ms, state, &mut out);
    out
}

fn value(samples: &[Sample], id: &str) -> Option<f64> {
    samples.iter().find(|s| s.series.id == id).map(|s| s.value)
}

#[test]
fn a_real_node_exporter_page_gives_the_local_families_on_the_remote_host() {
    let mut state = MapState::new("nas");
    let samples = map(&mut state, FIXTURE, 1_795_991_769_034);
    // From the fixture: MemTotal 25276510208, MemAvailable 23651930112, load1 1.07, / on ext4.
    assert_eq!(
        value(&samples, "nas:memory.total_bytes"),
        Some(25_276_510_208.0)
    );
    assert_eq!(
        value(&samples, "nas:memory.used_bytes"),
        Some(1_624_580_096.0)
    );
    assert_eq!(value(&samples, "nas:load.1m"), Some(1.07));
    assert_eq!(
        value(&samples, "nas:disk./.total_bytes"),
        Some(270_553_174_016.0)
    );
    assert_eq!(
        value(&samples, "nas:disk./.free_bytes"),
        Some(37_080_850_432.0)
    );
    let uptime = value(&samples, "nas:system.uptime_seconds").expect("uptime");
    assert!(
        (uptime - (1_795_991_769.034 - 1_795_972_685.0)).abs() < 1.0,
        "{uptime}"
    );
    // Counters need two scrapes: no CPU or rates yet, error counters at once.
    assert_eq!(value(&samples, "nas:cpu.usage"), None);
    assert_eq!(value(&samples, "nas:net.eth0.rx_bytes_per_second"), None);
    assert!(value(&samples, "nas:net.eth0.rx_errors_total").is_some());
    for sample in &samples {
        let meta = &sample.series;
        assert_eq!(meta.host_name(), "nas");
        let family = registry::by_id(&meta.id).unwrap_or_else(|| panic!("{}", meta.id));
        assert_eq!(registry::of(meta), Some(family), "{}", meta.id);
        assert_eq!(
            (family.unit, family.kind),
            (meta.unit, meta.kind),
            "{}",
            meta.id
        );
    }
    let eth0 = samples
        .iter()
        .find(|s| s.series.id == "nas:net.eth0.rx_errors_total")
        .expect("eth0");
    assert_eq!(eth0.label("kind"), "physical");
}

#[test]
fn cpu_shares_and_network_rates_come_from_two_scrapes() {
    let page = |idle: f64, user: f64, iowait: f64, rx: f64| {
        format!(
            "node_cpu_seconds_total{{cpu=\"0\",mode=\"idle\"}} {idle}\n\
             node_cpu_seconds_total{{cpu=\"0\",mode=\"user\"}} {user}\n\
             node_cpu_seconds_total{{cpu=\"0\",mode=\"iowait\"}} {iowait}\n\
             node_cpu_seconds_total{{cpu=\"1\",mode=\"idle\"}} {idle}\n\
             node_cpu_seconds_total{{cpu=\"1\",mode=\"user\"}} {user}\n\
             node_network_receive_bytes_total{{device=\"eth0\"}} {rx}\n\
             node_hwmon_temp_celsius{{chip=\"platform_coretemp_0\",sensor=\"temp1\"}} 51\n\
             node_thermal_zone_temp{{type=\"x86_pkg_temp\",zone=\"0\"}} 55.5\n"
        )
    };
    let mut state = MapState::new("pve");
    map(&mut state, &page(100.0, 50.0, 10.0, 1000.0), 10_000);
    let samples = map(&mut state, &page(106.0, 52.0, 12.0, 6000.0), 20_000);
    // cpu0: total +10 (idle 6, user 2, iowait 2) -> busy 2/10; cpu1: total +8, busy 2/8.
    assert_eq!(value(&samples, "pve:cpu.core0.usage"), Some(20.0));
    assert_eq!(value(&samples, "pve:cpu.core1.usage"), Some(25.0));
    let usage = value(&samples, "pve:cpu.usage").expect("usage");
    assert!((usage - 4.0 / 18.0 * 100.0).abs() < 1e-9, "{usage}");
    let iowait = value(&samples, "pve:cpu.iowait").expect("iowait");
    assert!((iowait - 2.0 / 18.0 * 100.0).abs() < 1e-9, "{iowait}");
    assert_eq!(
        value(&samples, "pve:net.eth0.rx_bytes_per_second"),
        Some(500.0)
    );
    assert_eq!(value(&samples, "pve:temp.max_celsius"), Some(55.5));
    assert_eq!(
        value(&samples, "pve:temp.platform_coretemp_0_temp1.celsius"),
        Some(51.0)
    );
    assert_eq!(value(&samples, "pve:temp.x86_pkg_temp.celsius"), Some(55.5));
    let core = samples
        .iter()
        .find(|s| s.series.id == "pve:cpu.core1.usage")
        .expect("core");
    assert_eq!(core.label("core"), "1");
}

#[test]
fn another_resource_manager_is_read_back_in_our_units_without_its_remotes() {
    let page = "# TYPE resource_manager_cpu_usage_ratio gauge\n\
        resource_manager_cpu_usage_ratio{host=\"local\"} 0.25\n\
        resource_manager_cpu_usage_ratio{host=\"far\"} 0.99\n\
        resource_manager_disk_used_bytes{mount=\"/data\",host=\"local\"} 1000\n\
        resource_manager_cpu_core_usage_ratio{core=\"3\",host=\"local\"} 0.5\n\
        resource_manager_net_rx_bytes_per_second{interface=\"eth0\",kind=\"physical\",host=\"local\"} 12\n\
        resource_manager_disk_days_until_full_seconds{mount=\"/data\"} 172800\n\
        resource_manager_host_up{host=\"far\"} 1\n\
        resource_manager_source_up{source=\"cpu\"} 1\n";
    let mut state = MapState::new("pi");
    let samples = map(&mut state, page, 1_000);
    assert_eq!(value(&samples, "pi:cpu.usage"), Some(25.0));
    assert_eq!(value(&samples, "pi:disk./data.used_bytes"), Some(1000.0));
    assert_eq!(value(&samples, "pi:cpu.core3.usage"), Some(50.0));
    assert_eq!(
        value(&samples, "pi:net.eth0.rx_bytes_per_second"),
        Some(12.0)
    );
    assert_eq!(value(&samples, "pi:disk./data.days_until_full"), Some(2.0));
    assert_eq!(samples.len(), 5, "{samples:?}");
}

#[test]
fn pseudo_filesystems_and_repeated_devices_are_left_out() {
    let page = "node_filesystem_size_bytes{device=\"tmpfs\",fstype=\"tmpfs\",mountpoint=\"/run\"} 10\n\
        node_filesystem_free_bytes{device=\"tmpfs\",fstype=\"tmpfs\",mountpoint=\"/run\"} 5\n\
        node_filesystem_avail_bytes{device=\"tmpfs\",fstype=\"tmpfs\",mountpoint=\"/run\"} 5\n\
        node_filesystem_size_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/srv/bind\"} 100\n\
        node_filesystem_free_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/srv/bind\"} 40\n\
        node_filesystem_avail_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/srv/bind\"} 30\n\
        node_filesystem_size_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/\"} 100\n\
        node_filesystem_free_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/\"} 40\n\
        node_filesystem_avail_bytes{device=\"/dev/sda1\",fstype=\"ext4\",mountpoint=\"/\"} 30\n";
    let mut state = MapState::new("nas");
    let samples = map(&mut state, page, 1);
    let ids: Vec<&str> = samples.iter().map(|s| s.series.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "nas:disk./.total_bytes",
            "nas:disk./.used_bytes",
            "nas:disk./.free_bytes",
            "nas:disk./.used_percent"
        ]
    );
    // Like df: used / (used + available).
    assert_eq!(
        value(&samples, "nas:disk./.used_percent"),
        Some(60.0 / 90.0 * 100.0)
    );
}

#[test]
fn node_exporters_pressure_totals_map_to_ours_and_their_rates_to_shares() {
    let mut state = MapState::new("nas");
    let first = map(&mut state, FIXTURE, 1_000_000);
    // From the fixture: cpu waiting 4844.270312 s, io stalled 82.757307 s.
    assert_eq!(
        value(&first, "nas:pressure.cpu.some_seconds_total"),
        Some(4844.270312)
    );
    assert_eq!(
        value(&first, "nas:pressure.io.full_seconds_total"),
        Some(82.757307)
    );
    assert_eq!(
        value(&first, "nas:pressure.cpu.some_percent"),
        None,
        "a share needs two scrapes"
    );
    // 15 s later the CPU waited 1.5 s more: 10 % of the time.
    let later = FIXTURE.replace(
        "node_pressure_cpu_waiting_seconds_total 4844.270312",
        "node_pressure_cpu_waiting_seconds_total 4845.770312",
    );
    let second = map(&mut state, &later, 1_015_000);
    let share = value(&second, "nas:pressure.cpu.some_percent").expect("share");
    assert!((share - 10.0).abs() < 1e-6, "{share}");
    assert_eq!(value(&second, "nas:pressure.io.full_percent"), Some(0.0));
    let meta = second
        .iter()
        .find(|s| s.series.id == "nas:pressure.cpu.some_percent")
        .expect("meta");
    assert_eq!(registry::of(&meta.series), Some(&registry::PRESSURE_SOME));
}
