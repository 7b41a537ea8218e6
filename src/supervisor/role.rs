//! What an add-on is to the home, from the Supervisor's own facts about it
//! (`GET /addons/<slug>/info`): whether it shares the host's network (Docker then counts none
//! of its traffic), the services it provides to other add-ons, the integrations it announces
//! itself to, and the hardware it maps. The advice never proposes stopping an add-on the home
//! depends on, and the action policy refuses to stop one.

use serde_json::Value;

/// The hardware flags of `/addons/<slug>/info` that map a device class into the container
/// (`supervisor/api/apps.py` `APIApps.info_data`: `ATTR_USB`, `ATTR_UART`, `ATTR_GPIO`,
/// `ATTR_VIDEO`, `ATTR_AUDIO`, `ATTR_FULL_ACCESS`; names in `supervisor/const.py`).
const HARDWARE_FLAGS: &[&str] = &["usb", "uart", "gpio", "video", "audio", "full_access"];

/// An add-on's role in the home, as the Supervisor describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddonRole {
    /// `host_network`: on the host's network, where Docker reports no network counters (the
    /// Supervisor's `DockerStats._calc_network` finds no `networks` and leaves both at 0), so
    /// its traffic is unknown, not zero.
    pub host_network: bool,
    /// Services it provides to other add-ons (`mqtt`, `mysql`): the `services` entries that
    /// end in `:provide` (`_pretty_services` renders them `name:access`).
    pub provides: Vec<String>,
    /// `discovery`: the integrations it announces itself to (`mqtt`, `matter`, `otbr`). The
    /// messages it actually sent are readable by Home Assistant only (`GET /discovery` is
    /// `require_home_assistant` in `supervisor/api/discovery.py`), so the declared list stands
    /// for them.
    pub discovery: Vec<String>,
    /// The hardware it maps: the device paths of `devices` (static ones and those picked in
    /// its options), then the flags set among `usb`, `uart`, `gpio`, `video`, `audio`,
    /// `full_access`.
    pub hardware: Vec<String>,
}

impl AddonRole {
    /// Reads the `data` of an `/addons/<slug>/info` answer; a missing key counts as false or
    /// empty (older Supervisors leave some out).
    pub fn from_info(info: &Value) -> AddonRole {
        let strings = |key: &str| -> Vec<String> {
            info[key]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let provides = strings("services")
            .iter()
            .filter_map(|s| s.strip_suffix(":provide").map(str::to_string))
            .collect();
        let mut hardware = strings("devices");
        hardware.extend(
            HARDWARE_FLAGS
                .iter()
                .filter(|flag| info[**flag].as_bool() == Some(true))
                .map(|flag| flag.to_string()),
        );
        AddonRole {
            host_network: info["host_network"].as_bool() == Some(true),
            provides,
            discovery: strings("discovery"),
            hardware,
        }
    }

    /// Why the home depends on it, in words ("provides the mqtt service; …"); `None` when it
    /// provides no service, feeds no integration and maps no hardware.
    pub fn keeps_home(&self) -> Option<String> {
        let mut why = Vec::new();
        if !self.provides.is_empty() {
            why.push(format!(
                "provides the {} service to other add-ons",
                self.provides.join(" and ")
            ));
        }
        if !self.discovery.is_empty() {
            why.push(format!(
                "feeds the {} integration{} (discovery)",
                self.discovery.join(", "),
                if self.discovery.len() == 1 { "" } else { "s" }
            ));
        }
        if !self.hardware.is_empty() {
            why.push(format!("maps hardware ({})", self.hardware.join(", ")));
        }
        (!why.is_empty()).then(|| why.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Shaped like `APIApps.info_data` answers for the add-ons' real `config.yaml`
    /// (home-assistant/addons: `mosquitto`, `samba`, `openthread_border_router`).
    #[test]
    fn the_role_is_read_from_real_shaped_info_answers() {
        let mosquitto = json!({"slug": "core_mosquitto", "host_network": false,
            "services": ["mqtt:provide"], "discovery": ["mqtt"], "devices": [],
            "usb": false, "uart": false, "gpio": false, "video": false, "audio": false});
        let role = AddonRole::from_info(&mosquitto);
        assert_eq!(
            (role.provides.as_slice(), role.discovery.as_slice()),
            (&["mqtt".to_string()][..], &["mqtt".to_string()][..])
        );
        assert!(
            role.keeps_home()
                .is_some_and(|w| w.contains("mqtt service"))
        );
        let samba = json!({"slug": "core_samba", "host_network": true, "services": [],
            "discovery": [], "devices": [], "usb": false, "uart": false, "gpio": false});
        let role = AddonRole::from_info(&samba);
        assert!(role.host_network);
        assert_eq!(role.keeps_home(), None);
        let otbr = json!({"slug": "core_openthread_border_router", "host_network": true,
            "services": [], "discovery": ["otbr"], "devices": ["/dev/net/tun", "/dev/ttyUSB0"],
            "gpio": true, "uart": false});
        let why = AddonRole::from_info(&otbr).keeps_home().expect("kept");
        assert!(why.contains("otbr integration"), "{why}");
        assert!(why.contains("/dev/ttyUSB0, gpio"), "{why}");
        let wants = json!({"services": ["mqtt:want", "mysql:need"]});
        assert_eq!(AddonRole::from_info(&wants).keeps_home(), None);
        assert_eq!(AddonRole::from_info(&json!({})), AddonRole::default());
    }
}
