use super::family::fill;
use super::*;
use crate::model::{Kind, SeriesMeta, Unit};

#[test]
fn descriptions_take_their_arguments_in_order() {
    assert_eq!(
        fill("Received on {} ({})", &["eth0", "physical"]),
        "Received on eth0 (physical)"
    );
    assert_eq!(
        fill("{} memory", &["Mosquitto broker"]),
        "Mosquitto broker memory"
    );
    assert_eq!(fill("Hottest sensor", &["x"]), "Hottest sensor");
    assert_eq!(fill("Reads from {}", &[]), "Reads from ");
}

#[test]
fn families_build_the_ids_labels_and_kinds_collectors_emit() {
    let disk = DISK_USED.instance("/data", &["/data"]);
    assert_eq!(disk.id, "disk./data.used_bytes");
    assert_eq!(disk.family, "disk.used_bytes");
    assert_eq!(disk.labels, vec![("mount", "/data".to_string())]);
    assert_eq!(disk.description, "Space used at /data");
    let errors = NET_RX_ERRORS.instance("eth0", &["eth0"]);
    assert_eq!(errors.kind, Kind::Counter);
    let cpu = CPU_USAGE.global();
    assert_eq!(
        cpu,
        SeriesMeta::global("cpu", "usage", Unit::Percent, "CPU busy time, all cores")
    );
    assert_eq!(by_id("cpu.core3.usage"), Some(&CPU_CORE_USAGE));
    assert_eq!(by_id("cpu.usage"), Some(&CPU_USAGE));
    assert_eq!(by_id("disk..used_percent"), None);
    // Remote hosts' series belong to the same families.
    assert_eq!(by_id("nas:cpu.usage"), Some(&CPU_USAGE));
    assert_eq!(by_id("nas:disk./srv.used_bytes"), Some(&DISK_USED));
    let remote = meta_for_id("nas:disk./srv.used_bytes").expect("known");
    assert_eq!(
        (remote.id.as_str(), remote.host_name()),
        ("nas:disk./srv.used_bytes", "nas")
    );
    assert_eq!(remote.labels, vec![("mount", "/srv".to_string())]);
    assert_eq!(by_prometheus("resource_manager_load_1m"), Some(&LOAD_1M));
    assert_eq!(by_family("cpu.core_usage"), Some(&CPU_CORE_USAGE));
}

#[test]
fn the_table_is_consistent() {
    let all: Vec<&Family> = families().collect();
    for (n, a) in all.iter().enumerate() {
        assert_eq!(
            a.label.is_some(),
            a.pattern.contains('*'),
            "{}: a label exactly for per-instance families",
            a.pattern
        );
        assert!(a.pattern.matches('*').count() <= 1, "{}", a.pattern);
        assert!(
            a.prometheus.starts_with("resource_manager_"),
            "{}",
            a.pattern
        );
        for b in &all[n + 1..] {
            assert_ne!(a.pattern, b.pattern);
            assert_ne!(a.family, b.family);
            assert_ne!(a.prometheus, b.prometheus);
        }
    }
    for addon in ADDON_FAMILIES {
        assert!(all.contains(&addon) && addon.group() == "addon");
    }
    assert!(
        all.iter()
            .filter(|f| !ADDON_FAMILIES.contains(f)
                && !DERIVED_ADDON_FAMILIES.contains(f)
                && !STORAGE_FAMILIES.contains(f)
                && !ADDON_RESTART_FAMILIES.contains(f)
                && !ADDON_STUCK_FAMILIES.contains(f))
            .all(|f| f.group() != "addon"),
        "every add-on family is in ADDON_FAMILIES (which the poller reads), the derived ones or \
         the disk walk's or the restarts'"
    );
}

#[test]
fn rarely_changing_families_are_stored_on_change_and_the_rest_every_tick() {
    let on_change: Vec<&str> = families()
        .filter(|f| f.storing == Storing::OnChange)
        .map(|f| f.family)
        .collect();
    assert_eq!(
        on_change,
        [
            "memory.total_bytes",
            "swap.total_bytes",
            "disk.total_bytes",
            "disk.life_time_used_percent",
            "engine.scale_level",
            "addon.cpu_percent",
            "addon.memory_bytes",
            "addon.memory_percent",
            "addon.net_rx_bytes_per_second",
            "addon.net_tx_bytes_per_second",
            "addon.block_read_bytes_per_second",
            "addon.block_write_bytes_per_second",
            "addon.restarts_total",
            "addon.restarts_last_hour",
            "addon.crashes_total",
            "addon.ingress_answering",
            "addon.hung",
            "storage.used_bytes",
            "addon.data_bytes",
        ]
    );
    assert!(stored_on_change("addon.hung"));
    assert!(!stored_on_change("cpu.usage"));
    assert!(!stored_on_change("not.a.family"));
}
