//! The `mqtt` option (a broker for standalone mode, or one that overrides the Supervisor's) and
//! the transport choice of `home_assistant.transport` (ADR 0019).

use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use super::problems::Problems;
use super::reader::Object;
use super::secret::Secret;

/// How entities reach Home Assistant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// MQTT discovery when a broker is known (options or the Supervisor), REST otherwise.
    Auto,
    /// MQTT discovery only; without a broker the entities are not published (status says so).
    Mqtt,
    /// `POST /api/states`, as before MQTT existed.
    Rest,
}

impl Transport {
    /// Every transport, as the option spells it.
    pub const NAMES: &[&str] = &["auto", "mqtt", "rest"];

    /// The option's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Auto => "auto",
            Transport::Mqtt => "mqtt",
            Transport::Rest => "rest",
        }
    }

    pub(super) fn parse(name: &str) -> Option<Transport> {
        Some(match name {
            "auto" => Transport::Auto,
            "mqtt" => Transport::Mqtt,
            "rest" => Transport::Rest,
            _ => return None,
        })
    }
}

/// A broker to connect to, from the options or from the Supervisor's `/services/mqtt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broker {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    #[serde(serialize_with = "redacted")]
    pub password: Option<Secret>,
    /// TLS to the broker; `None`: plain MQTT.
    pub tls: Option<BrokerTls>,
}

/// How to check the broker's certificate, and ours if it asks for one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BrokerTls {
    /// PEM file of the CA(s) that signed the broker's certificate; `None`: the system's.
    pub ca_file: Option<PathBuf>,
    /// PEM files of a client certificate and its key, for brokers that require one.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

fn redacted<S: Serializer>(_: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_none()
}

/// The `mqtt` option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MqttOptions {
    /// A broker of the user's own; `None`: the Supervisor's (add-on), or none (standalone).
    pub host: Option<String>,
    pub port: u16,
    pub username: Option<String>,
    #[serde(serialize_with = "redacted")]
    pub password: Option<Secret>,
    /// Home Assistant's discovery prefix (`homeassistant` unless changed in its MQTT setup).
    pub discovery_prefix: String,
    /// TLS to `host`.
    pub tls: bool,
    /// The CA file, and a client certificate and key (each given only with `tls`).
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

impl Default for MqttOptions {
    fn default() -> Self {
        MqttOptions {
            host: None,
            port: 1883,
            username: None,
            password: None,
            discovery_prefix: "homeassistant".into(),
            tls: false,
            ca_file: None,
            client_cert: None,
            client_key: None,
        }
    }
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:_".contains(&b))
}

fn valid_topic_part(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 64
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_/".contains(&b))
        && !prefix.starts_with('/')
        && !prefix.ends_with('/')
}

impl MqttOptions {
    /// The keys of the `mqtt` object, in the order messages list them.
    pub const KEYS: &[&str] = &[
        "host",
        "port",
        "username",
        "password",
        "discovery_prefix",
        "tls",
        "ca_file",
        "client_cert",
        "client_key",
    ];
    /// Keys that have no default in `config.yaml` (left out: the Supervisor's broker).
    pub const OPTIONAL: &[&str] = &[
        "host",
        "port",
        "username",
        "password",
        "ca_file",
        "client_cert",
        "client_key",
    ];
    /// The port when TLS is on and no port is given (MQTT over TLS, IANA).
    pub const TLS_PORT: u16 = 8883;

    /// Reads `mqtt` from the options object, reporting every bad field.
    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> MqttOptions {
        let d = MqttOptions::default();
        let Some(section) = options.section("mqtt", MqttOptions::KEYS, p) else {
            return d;
        };
        let host = section.string("host", valid_host, "a host name or address", p);
        let tls = read_tls(&section, p);
        let default_port = if tls.on && !section.contains("port") {
            MqttOptions::TLS_PORT
        } else {
            d.port
        };
        let port = section.int("port", 1..=65535, u32::from(default_port), p);
        let username = section
            .string("username", |u| !u.is_empty(), "a user name", p)
            .map(str::to_string);
        let password = section
            .string("password", |_| true, "a text", p)
            .map(Secret::new);
        if host.is_none() && (username.is_some() || password.is_some()) {
            p.bad(
                &section.at("host"),
                "nothing",
                "a broker host when mqtt.username or mqtt.password is set",
            );
        }
        let discovery_prefix = section
            .string(
                "discovery_prefix",
                valid_topic_part,
                "letters, digits, -, _ and inner /",
                p,
            )
            .map_or(d.discovery_prefix, str::to_string);
        MqttOptions {
            host: host.map(str::to_string),
            port: u16::try_from(port).unwrap_or(d.port),
            username,
            password,
            discovery_prefix,
            tls: tls.on,
            ca_file: tls.ca_file,
            client_cert: tls.client_cert.clone().map(|(cert, _)| cert),
            client_key: tls.client_cert.map(|(_, key)| key),
        }
    }

    /// The user's broker, if the option names one.
    pub fn broker(&self) -> Option<Broker> {
        Some(Broker {
            host: self.host.clone()?,
            port: self.port,
            username: self.username.clone(),
            password: self.password.clone(),
            tls: self.tls.then(|| BrokerTls {
                ca_file: self.ca_file.clone(),
                client_cert: self.client_cert.clone().zip(self.client_key.clone()),
            }),
        })
    }
}

/// `tls` and its files, as read.
struct TlsRead {
    on: bool,
    ca_file: Option<PathBuf>,
    client_cert: Option<(PathBuf, PathBuf)>,
}

/// `tls`, `ca_file`, `client_cert` and `client_key`: the files must exist (their content is
/// read at connect, where a bad one is reported in the status).
fn read_tls(section: &Object<'_>, p: &mut Problems) -> TlsRead {
    let file = |key: &str, p: &mut Problems| {
        section
            .string(
                key,
                |f| Path::new(f).is_file(),
                "the path of an existing PEM file",
                p,
            )
            .map(PathBuf::from)
    };
    let on = section.bool("tls", p).unwrap_or(false);
    let ca_file = file("ca_file", p);
    let cert = file("client_cert", p);
    let key = file("client_key", p);
    let off = TlsRead {
        on: false,
        ca_file: None,
        client_cert: None,
    };
    for name in ["ca_file", "client_cert", "client_key"] {
        if !on && section.contains(name) {
            p.bad(
                &section.at("tls"),
                "false",
                format!("true when mqtt.{name} is set"),
            );
            return off;
        }
    }
    let client_cert = match (cert, key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        (Some(_), None) if !section.contains("client_key") => {
            p.bad(
                &section.at("client_key"),
                "nothing",
                "a key file when mqtt.client_cert is set",
            );
            None
        }
        (None, Some(_)) if !section.contains("client_cert") => {
            p.bad(
                &section.at("client_cert"),
                "nothing",
                "a certificate file when mqtt.client_key is set",
            );
            None
        }
        _ => None,
    };
    if !on {
        return off;
    }
    TlsRead {
        on,
        ca_file,
        client_cert,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: serde_json::Value) -> Result<MqttOptions, Vec<String>> {
        let mut p = Problems::default();
        let root = json!({ "mqtt": value });
        let object = Object::root(&root, &mut p).expect("object");
        let options = MqttOptions::read(&object, &mut p);
        if p.is_empty() {
            Ok(options)
        } else {
            Err(p.into_vec())
        }
    }

    #[test]
    fn a_broker_with_credentials_is_read_and_its_password_never_serialised() {
        let set = read(
            json!({"host": "core-mosquitto", "port": 1884, "username": "rm",
            "password": "s3cret-pass"}),
        )
        .expect("valid");
        let broker = set.broker().expect("broker");
        assert_eq!(
            (broker.host.as_str(), broker.port),
            ("core-mosquitto", 1884)
        );
        assert_eq!(
            broker.password.as_ref().map(Secret::expose),
            Some("s3cret-pass")
        );
        assert_eq!(set.discovery_prefix, "homeassistant");
        let text = serde_json::to_string(&set).expect("json");
        assert!(!text.contains("s3cret-pass"), "{text}");
    }

    #[test]
    fn bad_fields_are_named() {
        let problems = read(json!({"port": 0, "username": "rm", "discovery_prefix": "/ha"}))
            .expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                "option 'mqtt.port': got 0, allowed: an integer from 1 to 65535",
                "option 'mqtt.host': got nothing, allowed: a broker host when mqtt.username or mqtt.password is set",
                "option 'mqtt.discovery_prefix': got \"/ha\", allowed: letters, digits, -, _ and inner /",
            ]
        );
    }

    #[test]
    fn no_section_means_no_broker_of_our_own() {
        assert_eq!(read(json!({})).expect("valid"), MqttOptions::default());
    }

    #[test]
    fn tls_takes_existing_files_defaults_to_port_8883_and_names_what_is_wrong() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = dir.path().join("ca.crt");
        std::fs::write(&ca, "pem").expect("file");
        let ca_text = ca.to_string_lossy();
        let set =
            read(json!({"host": "mqtt.lan", "tls": true, "ca_file": ca_text})).expect("valid");
        assert_eq!(set.port, 8883);
        assert_eq!(
            set.broker().and_then(|b| b.tls),
            Some(BrokerTls {
                ca_file: Some(ca.clone()),
                client_cert: None
            })
        );
        assert_eq!(
            read(json!({"host": "mqtt.lan", "tls": true, "port": 1884})).map(|s| s.port),
            Ok(1884)
        );
        let problems = read(json!({"host": "mqtt.lan", "tls": true,
            "ca_file": "/nonexistent/ca.crt", "client_cert": ca_text}))
        .expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                "option 'mqtt.ca_file': got \"/nonexistent/ca.crt\", allowed: the path of an existing PEM file",
                "option 'mqtt.client_key': got nothing, allowed: a key file when mqtt.client_cert is set",
            ]
        );
        let problems = read(json!({"host": "mqtt.lan", "ca_file": ca_text})).expect_err("invalid");
        assert_eq!(
            problems,
            vec!["option 'mqtt.tls': got false, allowed: true when mqtt.ca_file is set"]
        );
    }
}
