use super::*;
use serde_json::json;

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn empty_options_take_the_defaults() {
    assert_eq!(Options::from_json(&json!({})), Ok(Options::default()));
}

#[test]
fn every_bad_option_is_reported_on_its_own_line() {
    let err = Options::from_json(&json!({
        "log_level": "loud",
        "sample_interval_seconds": 0,
        "retention": {"raw_hours": -1, "weeks": 2}
    }))
    .expect_err("invalid");
    assert_eq!(err.problems.len(), 4, "{err}");
    assert!(
        err.problems
            .iter()
            .any(|p| p.starts_with("option 'log_level': got \"loud\""))
    );
    assert!(
        err.problems
            .iter()
            .any(|p| p
                == "option 'sample_interval_seconds': got 0, allowed: an integer from 1 to 300")
    );
    assert!(
        err.problems
            .iter()
            .any(|p| p.starts_with("option 'retention.raw_hours': got -1"))
    );
    assert!(
        err.problems
            .iter()
            .any(|p| p.starts_with("option 'retention.weeks': unknown option"))
    );
}

#[test]
fn flags_override_the_options_file_and_are_validated_alike() {
    let cli = Cli {
        sample_interval_seconds: Some("abc".into()),
        write_batch_seconds: Some("10".into()),
        ..Cli::default()
    };
    let err = Config::load(&cli, &no_env).expect_err("invalid flag");
    assert_eq!(
        err.problems,
        vec!["option 'sample_interval_seconds': got \"abc\", allowed: an integer from 1 to 300"]
    );
    let cli = Cli {
        write_batch_seconds: Some("10".into()),
        ..Cli::default()
    };
    let config = Config::load(&cli, &no_env).expect("valid");
    assert_eq!(config.options.write_batch_seconds, 10);
    assert_eq!(config.mode, Mode::Standalone);
    assert_eq!(
        config.listen,
        Listen::At("127.0.0.1:8099".parse().expect("addr"))
    );
    assert_eq!(config.data_dir, PathBuf::from("./data"));
}

#[test]
fn supervisor_token_selects_addon_mode_and_proxy_urls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("options.json");
    std::fs::write(&path, r#"{"log_level":"debug"}"#).expect("write");
    let cli = Cli {
        options: Some(path),
        ..Cli::default()
    };
    let env = |k: &str| (k == "SUPERVISOR_TOKEN").then(|| "abc".to_string());
    let config = Config::load(&cli, &env).expect("valid");
    assert_eq!(config.mode, Mode::Addon);
    // Never all interfaces: with host_network that would be the LAN.
    assert_eq!(config.listen, Listen::Assigned);
    assert_eq!(config.supervisor_wait, SUPERVISOR_WAIT);
    let ha = config.home_assistant.expect("ha");
    assert_eq!(ha.websocket_url, "ws://supervisor/core/websocket");
    assert!(!format!("{:?}", ha.token).contains("abc"));
}

#[test]
fn ha_url_without_token_is_rejected() {
    let env = |k: &str| (k == "HA_URL").then(|| "http://ha:8123".to_string());
    let err = Config::load(&Cli::default(), &env).expect_err("missing token");
    assert!(err.problems[0].starts_with("option 'HA_TOKEN'"));
    let env = |k: &str| match k {
        "HA_URL" => Some("https://ha.example:8123/".to_string()),
        "HA_TOKEN" => Some("t".to_string()),
        _ => None,
    };
    let ha = Config::load(&Cli::default(), &env)
        .expect("valid")
        .home_assistant
        .expect("ha");
    assert_eq!(ha.rest_url, "https://ha.example:8123/api");
    assert_eq!(ha.websocket_url, "wss://ha.example:8123/api/websocket");
}

#[test]
fn unreadable_options_file_names_the_path() {
    let cli = Cli {
        options: Some(PathBuf::from("/nonexistent/options.json")),
        ..Cli::default()
    };
    let err = Config::load(&cli, &no_env).expect_err("missing file");
    assert!(err.problems[0].contains("/nonexistent/options.json"));
}

// Sections read through the whole options object: here rather than beside each section, which
// `Options` imports, so no section file imports `Options` back.

#[test]
fn reads_every_field_and_reports_each_bad_one() {
    let ok = Options::from_json(&json!({"home_assistant": {"entity_prefix": "rm", "groups": ["cpu", "disk"], "addon_entities": true}})).expect("valid");
    assert_eq!(ok.home_assistant.entity_prefix, "rm");
    assert_eq!(ok.home_assistant.groups.len(), 2);
    assert!(ok.home_assistant.addon_entities);
    let err = Options::from_json(&json!({"home_assistant": {"entity_prefix": "Bad-Prefix", "groups": ["gpu"], "change_percent": 101, "addon_entities": "yes"}}))
        .expect_err("invalid");
    assert_eq!(err.problems.len(), 4, "{err}");
    assert!(
        err.problems[0].starts_with("option 'home_assistant.entity_prefix': got \"Bad-Prefix\"")
    );
}

#[test]
fn reads_the_power_section_and_names_each_bad_field() {
    let options = Options::from_json(&json!({"power": {"source": "model",
        "preset": "raspberry_pi_4", "idle_watts": 2.5, "max_watts": 7,
        "energy_price": 0.32, "currency": "CHF"}}))
    .expect("valid");
    let power = options.power;
    assert_eq!(power.source, PowerSource::Model);
    assert_eq!(power.preset, PowerPreset::RaspberryPi4);
    assert_eq!(power.idle_watts, Some(2.5));
    assert_eq!(power.energy_price, Some(0.32));
    assert_eq!(power.currency, "CHF");
    let err = Options::from_json(
        &json!({"power": {"idle_watts": 9, "max_watts": 5, "currency": "euro"}}),
    )
    .expect_err("bad");
    assert_eq!(
        err.problems,
        vec![
            "option 'power.idle_watts': got 9, allowed: at most max_watts (5)".to_string(),
            "option 'power.currency': got \"euro\", allowed: a three-letter currency code such as EUR".to_string(),
        ]
    );
}

#[test]
fn the_quiet_threshold_must_be_below_the_busy_one() {
    let err = Options::from_json(&json!({"self_scaling": {"high_percent": 50, "low_percent": 60}}))
        .expect_err("bad");
    assert_eq!(
        err.problems,
        vec!["option 'self_scaling.low_percent': got 60, allowed: below high_percent (50)"]
    );
}

#[test]
fn mqtt_transport_needs_a_broker_standalone_but_not_in_the_add_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("options.json");
    std::fs::write(&path, r#"{"home_assistant":{"transport":"mqtt"}}"#).expect("write");
    let cli = Cli {
        options: Some(path.clone()),
        ..Cli::default()
    };
    let err = Config::load(&cli, &no_env).expect_err("standalone has no Supervisor broker");
    assert_eq!(
        err.problems,
        vec![
            "option 'home_assistant.transport': got \"mqtt\" without mqtt.host, allowed: auto or rest, or set mqtt.host (standalone mode has no Supervisor to ask)"
        ]
    );
    let addon = |k: &str| (k == "SUPERVISOR_TOKEN").then(|| "abc".to_string());
    let config = Config::load(&cli, &addon).expect("the Supervisor names the broker");
    assert_eq!(config.options.home_assistant.transport, Transport::Mqtt);
    std::fs::write(
        &path,
        r#"{"home_assistant":{"transport":"mqtt"},"mqtt":{"host":"127.0.0.1"}}"#,
    )
    .expect("write");
    let config = Config::load(&cli, &no_env).expect("a broker of the user's own");
    assert_eq!(config.options.mqtt.broker().map(|b| b.port), Some(1883));
}
