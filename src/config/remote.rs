//! The `hosts` option (other machines' node_exporter or Resource Manager `/metrics`, read as
//! extra hosts) and the `remote_write` option (Prometheus remote write of every series).

use serde::{Serialize, Serializer};

use super::problems::{OptionPath, Problems};
use super::reader::{Object, describe};
use super::secret::Secret;
use crate::model::host;

/// How a request proves who sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Auth {
    #[default]
    None,
    Bearer(Secret),
    Basic {
        username: String,
        password: Secret,
    },
}

fn redacted<S: Serializer>(auth: &Auth, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match auth {
        Auth::None => "none",
        Auth::Bearer(_) => "bearer",
        Auth::Basic { .. } => "basic",
    })
}

/// One remote host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostOptions {
    /// The host's name in ids (`nas:cpu.usage`), labels and the dashboard.
    pub name: String,
    /// A node_exporter's or another Resource Manager's `/metrics`.
    pub url: String,
    /// Seconds between two scrapes.
    pub interval: u32,
    /// Publish this host's series as Home Assistant sensors too.
    pub home_assistant: bool,
    #[serde(serialize_with = "redacted")]
    pub auth: Auth,
}

impl HostOptions {
    /// The fields of one `hosts` entry, in the order messages list them.
    pub const FIELDS: &[&str] = &[
        "name",
        "url",
        "interval",
        "home_assistant",
        "bearer_token",
        "username",
        "password",
    ];
    /// The scrape interval's range, in seconds.
    pub const INTERVAL: std::ops::RangeInclusive<u32> = 1..=3600;

    /// The scrape interval.
    pub fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.interval))
    }

    /// Reads `hosts`: a list of entries with unique, valid names.
    pub(crate) fn read_list(options: &Object<'_>, p: &mut Problems) -> Vec<HostOptions> {
        let Some(value) = options.get("hosts") else {
            return Vec::new();
        };
        let at = options.at("hosts");
        let Some(items) = value.as_array() else {
            p.bad(&at, describe(value), "a list of {name, url, interval}");
            return Vec::new();
        };
        let mut hosts: Vec<HostOptions> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(entry) = Object::new(item, at.index(i), "an object with name, url", p) else {
                continue;
            };
            entry.known_keys(HostOptions::FIELDS, p);
            let name = entry.string(
                "name",
                host::valid_name,
                "a name of 1-32 of a-z, 0-9, _ and -, starting with a letter, not local",
                p,
            );
            require(&entry, &at.index(i), "name", "a host name such as nas", p);
            let url = read_url(&entry, p);
            require(&entry, &at.index(i), "url", "http://nas:9100/metrics", p);
            let interval = entry.int("interval", HostOptions::INTERVAL, 30, p);
            let home_assistant = entry.bool("home_assistant", p).unwrap_or(false);
            let auth = read_auth(&entry, p);
            if let Some(name) = name {
                if hosts.iter().any(|h| h.name == name) {
                    p.bad(
                        &at.index(i).key("name"),
                        format!("\"{name}\""),
                        "a name not used by another host",
                    );
                }
                if let Some(url) = url {
                    hosts.push(HostOptions {
                        name: name.to_string(),
                        url: url.to_string(),
                        interval,
                        home_assistant,
                        auth,
                    });
                }
            }
        }
        hosts
    }
}

/// Prometheus remote write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteWriteOptions {
    /// The receiver's write endpoint; `None`: remote write is off.
    pub url: Option<String>,
    /// Seconds between two batches.
    pub interval: u32,
    /// Most megabytes of batches kept on disk while the receiver is away (oldest dropped).
    pub max_buffer_mb: u32,
    #[serde(serialize_with = "redacted", rename = "bearer_token")]
    pub auth: Auth,
}

impl Default for RemoteWriteOptions {
    fn default() -> Self {
        RemoteWriteOptions {
            url: None,
            interval: 60,
            max_buffer_mb: 64,
            auth: Auth::None,
        }
    }
}

impl RemoteWriteOptions {
    /// The keys of the `remote_write` object, in the order messages list them.
    pub const KEYS: &[&str] = &[
        "url",
        "interval",
        "max_buffer_mb",
        "bearer_token",
        "username",
        "password",
    ];
    /// Keys with no default in `config.yaml` (left out: remote write off, no auth).
    pub const OPTIONAL: &[&str] = &["url", "bearer_token", "username", "password"];

    /// The batch interval.
    pub fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.interval))
    }

    /// Reads `remote_write`.
    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> RemoteWriteOptions {
        let d = RemoteWriteOptions::default();
        let Some(section) = options.section("remote_write", RemoteWriteOptions::KEYS, p) else {
            return d;
        };
        RemoteWriteOptions {
            url: read_url(&section, p).map(str::to_string),
            interval: section.int("interval", 1..=3600, d.interval, p),
            max_buffer_mb: section.int("max_buffer_mb", 1..=4096, d.max_buffer_mb, p),
            auth: read_auth(&section, p),
        }
    }
}

fn require(entry: &Object<'_>, at: &OptionPath, key: &str, example: &str, p: &mut Problems) {
    if !entry.contains(key) {
        p.say(&at.key(key), format!("not set, allowed: {example}"));
    }
}

fn read_url<'a>(entry: &Object<'a>, p: &mut Problems) -> Option<&'a str> {
    entry.string(
        "url",
        |u| {
            (u.starts_with("http://") || u.starts_with("https://"))
                && u.len() > "https://".len()
                && !u.chars().any(char::is_whitespace)
        },
        "an http:// or https:// URL",
        p,
    )
}

/// `bearer_token`, or `username` with `password`; never both, secrets never repeated.
fn read_auth(entry: &Object<'_>, p: &mut Problems) -> Auth {
    let secret = |key: &str, p: &mut Problems| -> Option<Secret> {
        let value = entry.get(key)?;
        match value.as_str() {
            Some(s) if !s.is_empty() => Some(Secret::new(s)),
            _ => {
                p.bad(
                    &entry.at(key),
                    "a value that is not a text",
                    "a non-empty text",
                );
                None
            }
        }
    };
    let token = secret("bearer_token", p);
    let username = entry.string("username", |u| !u.is_empty(), "a non-empty text", p);
    let password = secret("password", p);
    match (token, username, password) {
        (Some(token), None, None) => Auth::Bearer(token),
        (None, Some(username), Some(password)) => Auth::Basic {
            username: username.to_string(),
            password,
        },
        (None, None, None) => Auth::None,
        (Some(_), _, _) => {
            p.say(
                &entry.at("bearer_token"),
                "set together with username/password, allowed: one of them",
            );
            Auth::None
        }
        (None, _, _) => {
            p.say(
                &entry.at("password"),
                "username and password go together, allowed: both or neither",
            );
            Auth::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: serde_json::Value) -> Result<(Vec<HostOptions>, RemoteWriteOptions), String> {
        let mut p = Problems::default();
        let root = Object::root(&value, &mut p).expect("object");
        let hosts = HostOptions::read_list(&root, &mut p);
        let write = RemoteWriteOptions::read(&root, &mut p);
        p.finish((hosts, write)).map_err(|e| e.problems.join("\n"))
    }

    #[test]
    fn hosts_and_remote_write_are_read_with_their_defaults() {
        let (hosts, write) = read(json!({
            "hosts": [
                {"name": "nas", "url": "http://nas:9100/metrics"},
                {"name": "pve", "url": "https://pve/metrics", "interval": 15,
                 "username": "u", "password": "p", "home_assistant": true}
            ],
            "remote_write": {"url": "http://vm:8428/api/v1/write", "bearer_token": "t"}
        }))
        .expect("valid");
        assert_eq!(hosts[0].interval, 30);
        assert_eq!(hosts[0].auth, Auth::None);
        assert!(hosts[1].home_assistant && matches!(hosts[1].auth, Auth::Basic { .. }));
        assert_eq!(write.url.as_deref(), Some("http://vm:8428/api/v1/write"));
        assert_eq!((write.interval, write.max_buffer_mb), (60, 64));
        assert_eq!(
            read(json!({})).expect("empty").1,
            RemoteWriteOptions::default()
        );
    }

    #[test]
    fn bad_entries_are_named_and_secrets_never_repeated() {
        let text = read(json!({
            "hosts": [
                {"name": "local", "url": "http://a/metrics"},
                {"name": "nas", "url": "ftp://nas"},
                {"name": "nas", "url": "http://b/metrics", "interval": 0},
                {"url": "http://c/metrics", "bearer_token": "sekrit", "username": "x", "password": "y"}
            ],
            "remote_write": {"url": "http://x/write", "max_buffer_mb": 0, "password": "hunter2"}
        }))
        .expect_err("invalid");
        for needle in [
            "option 'hosts[0].name': got \"local\"",
            "option 'hosts[1].url': got \"ftp://nas\", allowed: an http:// or https:// URL",
            "option 'hosts[2].interval': got 0, allowed: an integer from 1 to 3600",
            "option 'hosts[3].name': not set",
            "option 'hosts[3].bearer_token': set together with username/password",
            "option 'remote_write.max_buffer_mb': got 0",
            "option 'remote_write.password': username and password go together",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        assert!(
            !text.contains("sekrit") && !text.contains("hunter2"),
            "{text}"
        );
    }

    #[test]
    fn secrets_are_never_serialised() {
        let (hosts, write) = read(json!({
            "hosts": [{"name": "nas", "url": "http://nas/metrics", "bearer_token": "sekrit"}],
            "remote_write": {"url": "http://x/write", "username": "u", "password": "hunter2"}
        }))
        .expect("valid");
        let text = serde_json::to_string(&(hosts, write)).expect("json");
        assert!(
            !text.contains("sekrit") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
