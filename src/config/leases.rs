//! The `leases` option: capacity and limits of admission control (`crate::lease`).

use serde::{Serialize, Serializer};

use super::duration;
use super::problems::Problems;
use super::reader::{Object, describe};
use super::secret::Secret;

/// One named slot pool (`{"name": "heavy", "size": 1}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotPool {
    pub name: String,
    pub size: u32,
}

/// Capacity and limits of leases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaseOptions {
    /// Cores that may be leased; `None`: the host's cores.
    pub cpu_cores: Option<f64>,
    /// Share of memory never leased, in percent.
    pub memory_reserve_percent: u32,
    pub slots: Vec<SlotPool>,
    pub max_concurrent: u32,
    pub queue_limit: u32,
    #[serde(serialize_with = "duration::serialize_seconds")]
    pub default_ttl: u64,
    #[serde(serialize_with = "duration::serialize_seconds")]
    pub max_ttl: u64,
    #[serde(serialize_with = "duration::serialize_seconds")]
    pub max_wait: u64,
    pub preemption: bool,
    #[serde(serialize_with = "duration::serialize_seconds")]
    pub grace: u64,
    /// Bearer token callers other than the dashboard must send; never serialised.
    #[serde(serialize_with = "redacted")]
    pub token: Option<Secret>,
}

fn redacted<S: Serializer>(_: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_none()
}

impl Default for LeaseOptions {
    fn default() -> Self {
        LeaseOptions {
            cpu_cores: None,
            memory_reserve_percent: 10,
            slots: vec![SlotPool {
                name: "heavy".into(),
                size: 1,
            }],
            max_concurrent: 4,
            queue_limit: 100,
            default_ttl: 300,
            max_ttl: 6 * 3600,
            max_wait: 600,
            preemption: true,
            grace: 30,
            token: None,
        }
    }
}

/// Slot pool names: short, lowercase, usable in entity ids.
const SLOT_PATTERN: &str = "^[a-z0-9_]{1,32}$";
/// Longest TTL and wait anyone may configure.
const MAX_TTL_SECONDS: u64 = 7 * 86_400;
const MAX_WAIT_SECONDS: u64 = 86_400;
const MAX_GRACE_SECONDS: u64 = 3600;

impl LeaseOptions {
    /// The keys of the `leases` object, in the order messages list them.
    pub const KEYS: &[&str] = &[
        "cpu_cores",
        "memory_reserve_percent",
        "slots",
        "max_concurrent",
        "queue_limit",
        "default_ttl",
        "max_ttl",
        "max_wait",
        "preemption",
        "grace",
        "token",
    ];
    /// Keys that have no default in `config.yaml` (left out means: the host's cores, no token).
    pub const OPTIONAL: &[&str] = &["cpu_cores", "token"];

    /// Reads `leases` from the options object, reporting every bad field.
    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> LeaseOptions {
        let d = LeaseOptions::default();
        let Some(section) = options.section("leases", LeaseOptions::KEYS, p) else {
            return d;
        };
        let cpu_cores = section
            .number("cpu_cores", "a number of cores from 0.1 to 1024", p)
            .and_then(|c| {
                if (0.1..=1024.0).contains(&c) {
                    Some(c)
                } else {
                    let value = section.get("cpu_cores").map(describe).unwrap_or_default();
                    p.bad(
                        &section.at("cpu_cores"),
                        value,
                        "a number of cores from 0.1 to 1024",
                    );
                    None
                }
            });
        let dur = |key: &str, min: u64, max: u64, default: u64, p: &mut Problems| {
            section.duration_seconds(key, "30s, 5m or 6h", min..=max, default, p)
        };
        let default_ttl = dur("default_ttl", 1, MAX_TTL_SECONDS, d.default_ttl, p);
        let max_ttl = dur("max_ttl", 1, MAX_TTL_SECONDS, d.max_ttl, p);
        if default_ttl > max_ttl {
            p.bad(
                &section.at("default_ttl"),
                duration::format_seconds(default_ttl),
                format!("at most max_ttl ({})", duration::format_seconds(max_ttl)),
            );
        }
        let token = section.token("token", p);
        LeaseOptions {
            cpu_cores,
            memory_reserve_percent: section.int(
                "memory_reserve_percent",
                0..=90,
                d.memory_reserve_percent,
                p,
            ),
            slots: read_slots(&section, p).unwrap_or(d.slots),
            max_concurrent: section.int("max_concurrent", 1..=1000, d.max_concurrent, p),
            queue_limit: section.int("queue_limit", 0..=10000, d.queue_limit, p),
            default_ttl,
            max_ttl,
            max_wait: dur("max_wait", 0, MAX_WAIT_SECONDS, d.max_wait, p),
            preemption: section.bool("preemption", p).unwrap_or(d.preemption),
            grace: dur("grace", 0, MAX_GRACE_SECONDS, d.grace, p),
            token,
        }
    }
}

/// `slots`: a list of `{name, size}` with unique names; `None` when absent or bad.
fn read_slots(section: &Object<'_>, p: &mut Problems) -> Option<Vec<SlotPool>> {
    let value = section.get("slots")?;
    let at = section.at("slots");
    let Some(items) = value.as_array() else {
        p.bad(&at, describe(value), "a list of {name, size}");
        return None;
    };
    let before = p.len();
    let mut pools: Vec<SlotPool> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(entry) = Object::new(item, at.index(i), "an object with name, size", p) else {
            continue;
        };
        entry.known_keys(&["name", "size"], p);
        let name = entry.string(
            "name",
            valid_slot_name,
            format!("a name matching {SLOT_PATTERN}"),
            p,
        );
        if !entry.contains("name") {
            p.say(
                &at.index(i).key("name"),
                "not set, allowed: a pool name such as heavy",
            );
        }
        let size = entry.int("size", 1..=64, 1, p);
        if let Some(name) = name {
            if pools.iter().any(|s| s.name == name) {
                p.bad(
                    &at.index(i).key("name"),
                    format!("\"{name}\""),
                    "a name not used by another pool",
                );
            }
            pools.push(SlotPool {
                name: name.to_string(),
                size,
            });
        }
    }
    (p.len() == before).then_some(pools)
}

fn valid_slot_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: serde_json::Value) -> Result<LeaseOptions, Vec<String>> {
        let mut p = Problems::default();
        let root = Object::root(&value, &mut p).expect("object");
        let options = LeaseOptions::read(&root, &mut p);
        p.finish(options).map_err(|e| e.problems)
    }

    #[test]
    fn defaults_then_every_field_set() {
        assert_eq!(read(json!({})), Ok(LeaseOptions::default()));
        let set = read(json!({"leases": {
            "cpu_cores": 2.5, "memory_reserve_percent": 20,
            "slots": [{"name": "heavy", "size": 2}, {"name": "gpu", "size": 1}],
            "max_concurrent": 8, "queue_limit": 0, "default_ttl": "1m", "max_ttl": "1h",
            "max_wait": "0s", "preemption": false, "grace": "1m", "token": "0123456789abcdef"
        }}))
        .expect("valid");
        assert_eq!(set.cpu_cores, Some(2.5));
        assert_eq!(set.slots.len(), 2);
        assert_eq!(
            (set.default_ttl, set.max_ttl, set.max_wait, set.grace),
            (60, 3600, 0, 60)
        );
        assert!(set.token.is_some());
    }

    #[test]
    fn bad_fields_are_named_with_what_is_allowed() {
        let problems = read(json!({"leases": {
            "cpu_cores": 0, "slots": [{"name": "Heavy!", "size": 1}, {"size": 0}],
            "default_ttl": "7h", "max_ttl": "6h", "max_wait": "10 minutes", "token": "short",
            "colour": 1
        }}))
        .expect_err("invalid");
        let text = problems.join("\n");
        for needle in [
            "option 'leases.colour': unknown option",
            "option 'leases.cpu_cores': got 0, allowed: a number of cores from 0.1 to 1024",
            "option 'leases.slots[0].name': got \"Heavy!\"",
            "option 'leases.slots[1].name': not set",
            "option 'leases.slots[1].size': got 0, allowed: an integer from 1 to 64",
            "option 'leases.default_ttl': got 7h, allowed: at most max_ttl (6h)",
            "option 'leases.max_wait': got \"10 minutes\"",
            "option 'leases.token': got a text of 5 characters, allowed: at least 16 characters",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }

    #[test]
    fn the_token_is_never_serialised() {
        let options = LeaseOptions {
            token: Some(Secret::new("0123456789abcdef")),
            ..LeaseOptions::default()
        };
        let text = serde_json::to_string(&options).expect("json");
        assert!(!text.contains("0123456789abcdef"));
        assert!(text.contains("\"default_ttl\":\"5m\""));
    }
}
