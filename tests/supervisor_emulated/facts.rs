//! The emulated Supervisor's facts about add-ons and the data disk, each answer shaped after
//! the real handler it cites (home-assistant/supervisor, `supervisor/api/…`).

use serde_json::{Value, json};

/// The role fields of an installed add-on: `(slug, host_network, services, discovery,
/// devices, hardware flags set)`, from the add-ons' real `config.yaml` (home-assistant/addons:
/// `mosquitto`, `configurator`, `samba`, `matter_server`, `openthread_border_router`).
type Facts = (
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const FACTS: &[Facts] = &[
    (
        "core_mosquitto",
        false,
        &["mqtt:provide"],
        &["mqtt"],
        &[],
        &[],
    ),
    ("core_configurator", false, &[], &[], &[], &[]),
    ("core_samba", true, &[], &[], &[], &[]),
    ("core_matter_server", true, &[], &["matter"], &[], &[]),
    (
        "core_openthread_border_router",
        true,
        &[],
        &["otbr"],
        &["/dev/net/tun", "/dev/ttyUSB0"],
        &["gpio"],
    ),
];

/// A quiet add-on's `/addons/<slug>/stats` from `stats`: 0.1 % CPU, and on the host's network
/// no traffic counters: `supervisor/docker/stats.py` `DockerStats._calc_network` leaves both at
/// 0 when Docker reports no `networks` for the container, as it does for `network_mode: host`.
pub fn quiet(mut stats: Value, slug: &str) -> Value {
    stats["cpu_percent"] = json!(0.1);
    if FACTS.iter().any(|f| f.0 == slug && f.1) {
        stats["network_rx"] = json!(0);
        stats["network_tx"] = json!(0);
    }
    stats
}

/// `GET /addons/<slug>/info`'s `data` for an installed add-on in `state`, following
/// `supervisor/api/apps.py` `APIApps.info_data` (keys from `supervisor/const.py` `ATTR_*`):
/// `host_network` (`app.host_network`), `services` as `name:access` (`_pretty_services`),
/// `discovery` (`app.discovery`, the config's list), `devices` (`app.static_devices` plus the
/// device paths picked in its options), and the flags `usb`, `uart`, `gpio`, `video`,
/// `audio`, `full_access`, `kernel_modules`, `devicetree`, `udev`; Ingress as `ingress`
/// (`app.with_ingress`), `ingress_port`, `ingress_entry`, `ingress_url`, `ingress_panel`
/// (each `None` without Ingress, `supervisor/apps/app.py`), `ip_address` (the container's
/// address on the hassio network), `watchdog` (a bool: the watchdog URL itself is not in the
/// answer) and `webui` (`None` unless the config has one). Unknown slugs: `None`.
pub fn addon_info(slug: &str, name: &str, state: &str) -> Option<Value> {
    let (_, host_network, services, discovery, devices, flags) =
        FACTS.iter().find(|f| f.0 == slug)?;
    let mut info = json!({
        "name": name, "slug": slug, "state": state, "version": "1.0.0", "repository": "core",
        "boot": "auto", "protected": true, "rating": 6, "stage": "stable",
        "host_network": host_network, "host_pid": false, "host_ipc": false, "host_uts": false,
        "host_dbus": slug == "core_matter_server", "privileged": [], "full_access": false,
        "apparmor": "default", "hassio_api": false, "hassio_role": "default",
        "usb": false, "uart": false, "gpio": false, "video": false, "audio": false,
        "kernel_modules": false, "devicetree": false, "udev": false, "docker_api": false,
        "startup": "services", "services": services, "discovery": discovery,
        "devices": devices, "ingress": false, "ingress_port": null, "ingress_entry": null,
        "ingress_url": null, "ingress_panel": null, "webui": null, "ip_address": "172.30.33.2",
        "watchdog": true, "system_managed": false
    });
    if slug == "core_configurator" {
        // home-assistant/addons `configurator/config.yaml`: `ingress: true`, port 8099 (the
        // schema's default, `supervisor/apps/validate.py`).
        let token = "/api/hassio_ingress/emulated-token";
        info["ingress"] = json!(true);
        info["ingress_port"] = json!(8099);
        info["ingress_entry"] = json!(token);
        info["ingress_url"] = json!(format!("{token}/"));
        info["ingress_panel"] = json!(true);
    }
    for flag in *flags {
        info[*flag] = json!(true);
    }
    Some(info)
}

/// One add-on data folder and its size, bytes (what `path_apps_data/<slug>` holds).
const ADDON_DATA: &[(&str, f64)] = &[
    ("core_mosquitto", 2e6),
    ("core_configurator", 1e5),
    ("core_samba", 3e4),
    ("a0d7b954_frigate", 8e9),
];

/// `GET /host/disks/default/usage?max_depth=<query>` on the v1 route, following
/// `supervisor/api/host.py`: `_requested_max_depth` (missing or not an integer: the default,
/// `DISK_USAGE_MAX_DEPTH_SYSTEM` = 1; no upper bound), `_system_disk_usage_data` (root,
/// then `system` and the known folders in this order), `supervisor/hardware/disk.py`
/// `get_dir_structure_sizes` (a folder's non-empty subfolders as `children` only when
/// `max_depth > 1`, each with `id` = `label` = its name), and `disk_usage_v1` (`apps_data` and
/// `apps_config` renamed `addons_data` and `addons_config`; the v2 route keeps `apps_*`).
pub fn disk_usage(max_depth: Option<&str>, v1: bool) -> Value {
    let depth = max_depth.and_then(|d| d.parse::<i64>().ok()).unwrap_or(1);
    // The v1 route renames the id only; the label keeps the folder's current name.
    let folder = |id: &str, below: &[(&str, f64)], alone: f64| {
        let used: f64 = alone + below.iter().map(|(_, b)| b).sum::<f64>();
        let label = id.replace("addons_", "apps_");
        let mut node = json!({"id": id, "label": label, "used_bytes": used});
        let children: Vec<Value> = below
            .iter()
            .filter(|(_, b)| *b > 0.0)
            .map(|(n, b)| json!({"id": n, "label": n, "used_bytes": b}))
            .collect();
        if depth > 1 && !children.is_empty() {
            node["children"] = json!(children);
        }
        node
    };
    let (data, config) = if v1 {
        ("addons_data", "addons_config")
    } else {
        ("apps_data", "apps_config")
    };
    let known = vec![
        folder(data, ADDON_DATA, 0.0),
        folder(config, &[("a0d7b954_frigate", 2e6)], 0.0),
        folder("media", &[], 0.0),
        folder("share", &[("music", 5e8)], 0.0),
        // Backups are files: no subfolders.
        folder("backup", &[], 12e9),
        folder("ssl", &[], 4096.0),
        folder("homeassistant", &[(".storage", 1e8)], 3.9e9),
    ];
    let total = 58e9;
    let used = 30e9;
    let walked: f64 = known.iter().filter_map(|n| n["used_bytes"].as_f64()).sum();
    let mut children =
        vec![json!({"id": "system", "label": "System", "used_bytes": used - walked})];
    children.extend(known);
    json!({"id": "root", "label": "Root", "total_bytes": total, "used_bytes": used,
           "children": children})
}
