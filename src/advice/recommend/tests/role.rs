//! The idle rule judges an add-on by the Supervisor's facts about it: quiet add-ons on their
//! own network with no role in the home are proposed for a stop, with why; add-ons on the
//! host's network, providing a service, feeding an integration or mapping hardware never are.
//! The `info` fixtures follow `supervisor/api/apps.py` `APIApps.info_data` for the add-ons'
//! real `config.yaml` (home-assistant/addons; hassio-addons/addon-adguard-home).

use serde_json::{Value, json};

use super::super::*;
use crate::advice::recorder::ChurnCounter;
use crate::advice::types::AdviceKind;
use crate::analysis::report::Findings;
use crate::supervisor::AddonRole;
use crate::util::time::DAY_SECS_F64;

const NOW_MS: i64 = 1_780_000_000_000;

/// `/addons/<slug>/info`'s role fields, everything else left at the Supervisor's defaults.
fn info(slug: &str, facts: Value) -> Value {
    let mut info = json!({"slug": slug, "state": "started", "host_network": false,
        "services": [], "discovery": [], "devices": [], "usb": false, "uart": false,
        "gpio": false, "video": false, "audio": false, "full_access": false});
    for (key, value) in facts.as_object().into_iter().flatten() {
        info[key] = value.clone();
    }
    info
}

/// Quiet for 8 days: 0.1 % CPU at most, no counted traffic (0 B/s, as Docker reports for the
/// host's network too).
fn quiet(slug: &str, facts: Value) -> AddonUsage {
    AddonUsage {
        slug: slug.into(),
        covered_seconds: 8.0 * DAY_SECS_F64,
        max_cpu_percent: 0.1,
        max_net_bytes: Some(0.0),
        memory_bytes: Some(50e6),
        role: Some(AddonRole::from_info(&info(slug, facts))),
    }
}

/// One pass over `addons` alone (no findings, readings or disk content).
fn recommend_for(addons: &[AddonUsage]) -> Vec<Recommendation> {
    let findings = Findings::default();
    let latest = Latest::new();
    let disk = DiskContent::default();
    let churn = ChurnCounter::default().report(NOW_MS);
    let input = AdviceInputs {
        now_ms: NOW_MS,
        findings: &findings,
        latest: &latest,
        addons,
        disk: &disk,
    };
    recommend(&input, &churn, &mut Sustain::default())
}

fn idle_targets(addons: &[AddonUsage]) -> Vec<String> {
    recommend_for(addons)
        .into_iter()
        .filter(|r| r.kind == AdviceKind::Idle)
        .map(|r| r.target)
        .collect()
}

#[test]
fn a_quiet_addon_on_its_own_network_with_no_role_is_proposed_with_why() {
    let addons = [quiet("core_configurator", json!({"ingress": true}))];
    let list = recommend_for(&addons);
    let idle = list
        .iter()
        .find(|r| r.kind == AdviceKind::Idle)
        .expect("proposed");
    let why = idle
        .evidence
        .iter()
        .find(|e| e.label == "judged idle because")
        .expect("says why");
    assert!(why.value.contains("0.10 % of the CPU"), "{}", why.value);
    assert!(why.value.contains("own network"), "{}", why.value);
    assert!(why.value.contains("no service"), "{}", why.value);
}

#[test]
fn a_quiet_addon_on_the_host_network_is_never_judged_idle_from_zero_counters() {
    // Samba share: host_network only; Docker reports 0 for its traffic.
    assert!(idle_targets(&[quiet("core_samba", json!({"host_network": true}))]).is_empty());
    // AdGuard Home: the home's DNS, on the host's network, feeding the adguard integration.
    let adguard = json!({"host_network": true, "discovery": ["adguard"]});
    assert!(idle_targets(&[quiet("a0d7b954_adguard", adguard)]).is_empty());
    // Matter Server: host network, host D-Bus, feeds the matter integration.
    let matter = json!({"host_network": true, "host_dbus": true, "discovery": ["matter"]});
    assert!(idle_targets(&[quiet("core_matter_server", matter)]).is_empty());
}

#[test]
fn addons_that_provide_a_service_feed_an_integration_or_map_hardware_are_never_proposed() {
    let kept = [
        // Mosquitto broker: provides mqtt to other add-ons and announces itself to it.
        quiet(
            "core_mosquitto",
            json!({"services": ["mqtt:provide"], "discovery": ["mqtt"]}),
        ),
        // MariaDB: provides mysql.
        quiet("core_mariadb", json!({"services": ["mysql:provide"]})),
        // Feeds an integration only.
        quiet("local_feeder", json!({"discovery": ["zwave_js"]})),
        // The serial stick picked in its options, and a UART.
        quiet(
            "core_zwave_js",
            json!({"devices": ["/dev/serial/by-id/usb-0658_0200-if00"], "uart": true}),
        ),
        quiet("local_gpio", json!({"gpio": true})),
        quiet("local_usb", json!({"usb": true})),
        quiet("local_camera", json!({"video": true})),
        quiet("local_speaker", json!({"audio": true})),
        // OpenThread Border Router: host network, otbr discovery, GPIO, /dev/net/tun.
        quiet(
            "core_openthread_border_router",
            json!({"host_network": true, "discovery": ["otbr"], "gpio": true,
                   "devices": ["/dev/net/tun"]}),
        ),
    ];
    assert_eq!(idle_targets(&kept), Vec::<String>::new());
    // A service it only uses is no role in the home.
    let wants = [quiet("local_client", json!({"services": ["mqtt:want"]}))];
    assert_eq!(idle_targets(&wants), ["local_client"]);
}

#[test]
fn unknown_role_or_unknown_traffic_is_never_idle() {
    let mut no_role = quiet("core_configurator", json!({}));
    no_role.role = None;
    let mut no_network_history = quiet("core_configurator", json!({}));
    no_network_history.max_net_bytes = None;
    let mut busy = quiet("core_configurator", json!({}));
    busy.max_net_bytes = Some(5_000.0);
    for addon in [no_role, no_network_history, busy] {
        assert!(
            idle_targets(std::slice::from_ref(&addon)).is_empty(),
            "{addon:?}"
        );
    }
}
