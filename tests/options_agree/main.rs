//! The four places an option is described agree with each other: `config.yaml` (`options` and
//! `schema`), `translations/en.yaml`, the options tables in `DOCS.md`, and the Rust reader
//! (`config::Options`). Every option is in all of them, defaults are equal, and the ranges the
//! schema and the docs give are the ones the reader enforces.

mod yaml;

use std::collections::BTreeSet;

use resource_manager::config::{
    AccessOptions, ActionOptions, HostOptions, LeaseOptions, MqttOptions, Options, PowerOptions,
    PublishOptions, RemoteWriteOptions, Retention, RuleSet, SelfScalingOptions,
};
use serde_json::{Map, Value, json};

/// Sections whose keys are options of their own (`retention.raw_hours`).
const SECTIONS: &[(&str, &[&str])] = &[
    ("retention", Retention::KEYS),
    ("home_assistant", PublishOptions::KEYS),
    ("leases", LeaseOptions::KEYS),
    ("remote_write", RemoteWriteOptions::KEYS),
    ("actions", ActionOptions::KEYS),
    ("power", PowerOptions::KEYS),
    ("self_scaling", SelfScalingOptions::KEYS),
    ("access", AccessOptions::KEYS),
    ("mqtt", MqttOptions::KEYS),
];

/// Options with no default in `config.yaml` (schema type ending in `?`): left out, the reader
/// picks the value (the host's cores, no token).
fn optional_paths() -> BTreeSet<String> {
    let leases = LeaseOptions::OPTIONAL.iter().map(|k| format!("leases.{k}"));
    let power = PowerOptions::OPTIONAL.iter().map(|k| format!("power.{k}"));
    let remote_write = RemoteWriteOptions::OPTIONAL
        .iter()
        .map(|k| format!("remote_write.{k}"));
    let access = AccessOptions::OPTIONAL
        .iter()
        .map(|k| format!("access.{k}"));
    let mqtt = MqttOptions::OPTIONAL.iter().map(|k| format!("mqtt.{k}"));
    leases
        .chain(power)
        .chain(remote_write)
        .chain(access)
        .chain(mqtt)
        .collect()
}
/// The option that is a list of rule entries, and its entries' fields.
const LIST: (&str, &[&str]) = ("alert_rules", RuleSet::FIELDS);
/// Every option that is a list of entries: its entries' fields and the DOCS.md heading of the
/// table describing them.
const LISTS: &[(&str, &[&str], &str)] = &[
    (LIST.0, LIST.1, "### Changing them: `alert_rules`"),
    ("hosts", HostOptions::FIELDS, "### Hosts: `hosts`"),
];

fn read(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|err| panic!("{full}: {err}"))
}

fn yaml(path: &str) -> Value {
    yaml::parse(&read(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Every option the Rust reader knows, by full path.
fn rust_paths() -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for key in Options::KEYS {
        match SECTIONS.iter().find(|(name, _)| name == key) {
            Some((name, keys)) => paths.extend(keys.iter().map(|k| format!("{name}.{k}"))),
            None => {
                paths.insert((*key).to_string());
            }
        }
    }
    paths
}

/// Leaf paths of a YAML map: nested maps are sections, anything else an option.
fn leaf_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    let Some(map) = value.as_object() else {
        out.insert(prefix.to_string());
        return;
    };
    for (key, inner) in map {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        leaf_paths(inner, &path, out);
    }
}

fn leaves(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    leaf_paths(value, "", &mut out);
    out
}

fn get<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(value, |v, key| &v[key])
}

/// An options object holding only `value` at `path`.
fn only(path: &str, value: Value) -> Value {
    path.rsplit('.')
        .fold(value, |inner, key| json!({ key: inner }))
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

struct DocRow {
    path: String,
    default: String,
    range: String,
}

/// Rows of the markdown table that follows `heading` in DOCS.md.
fn docs_table(heading: &str) -> Vec<Vec<String>> {
    let docs = read("DOCS.md");
    let start = docs
        .find(heading)
        .unwrap_or_else(|| panic!("DOCS.md lacks {heading}"));
    docs[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

fn docs_options() -> Vec<DocRow> {
    docs_table("## Options")
        .into_iter()
        .map(|cells| DocRow {
            path: cells[0].trim_matches('`').to_string(),
            default: cells[1].trim_matches('`').to_string(),
            range: cells[2].clone(),
        })
        .collect()
}

/// The words in backticks of a docs cell (`a`, `b` → [a, b]).
fn ticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn every_option_is_in_config_yaml_the_schema_the_translations_the_docs_and_the_reader() {
    let config = yaml("config.yaml");
    let translations = yaml("translations/en.yaml");
    let rust = rust_paths();

    let with_default: BTreeSet<String> = rust.difference(&optional_paths()).cloned().collect();
    assert_eq!(
        leaves(&config["options"]),
        with_default,
        "config.yaml options"
    );
    for path in optional_paths() {
        let rule = get(&config["schema"], &path).as_str().unwrap_or("");
        assert!(rule.ends_with('?'), "schema of optional {path} ends in '?'");
    }
    assert_eq!(leaves(&config["schema"]), rust, "config.yaml schema");
    let docs: BTreeSet<String> = docs_options().into_iter().map(|r| r.path).collect();
    assert_eq!(docs, rust, "DOCS.md options table");

    let labels = &translations["configuration"];
    assert_eq!(keys(labels), set(Options::KEYS), "translations/en.yaml");
    for (name, section_keys) in SECTIONS
        .iter()
        .copied()
        .chain(LISTS.iter().map(|(n, f, _)| (*n, *f)))
    {
        assert_eq!(
            keys(&labels[name]["fields"]),
            set(section_keys),
            "translations/en.yaml {name}.fields"
        );
    }
    for (key, label) in labels.as_object().into_iter().flatten() {
        for field in ["name", "description"] {
            assert!(
                label[field].is_string(),
                "translations/en.yaml {key} lacks {field}"
            );
        }
    }

    for (list, fields, heading) in LISTS {
        assert_eq!(
            keys(&config["schema"][list][0]),
            set(fields),
            "schema {list}[0]"
        );
        let documented: BTreeSet<String> = docs_table(heading)
            .iter()
            .flat_map(|row| ticked(&row[0]))
            .collect();
        assert_eq!(documented, set(fields), "DOCS.md {list} fields");
    }
}

#[test]
fn defaults_agree_between_config_yaml_the_docs_and_the_reader() {
    let config = yaml("config.yaml");
    let options = &config["options"];
    assert_eq!(Options::from_json(options), Ok(Options::default()));

    let rust = serde_json::to_value(Options::default()).expect("serialise defaults");
    let mut object_keys: BTreeSet<String> = BTreeSet::new();
    for (key, value) in rust.as_object().into_iter().flatten() {
        if value.is_object() {
            object_keys.insert(key.clone());
        }
    }
    let mut expected: BTreeSet<String> = SECTIONS.iter().map(|(n, _)| n.to_string()).collect();
    expected.insert(LIST.0.to_string());
    assert_eq!(object_keys, expected, "sections of the serialised defaults");
    assert_eq!(keys(&rust), set(Options::KEYS), "serialised defaults");

    for path in rust_paths().difference(&optional_paths()) {
        let path = path.clone();
        if path == LIST.0 {
            // Serialised, the default is the built-in rules; as an option, no changes to them.
            assert_eq!(options[LIST.0], json!([]), "config.yaml {path}");
            continue;
        }
        assert_eq!(
            get(options, &path),
            get(&rust, &path),
            "config.yaml default of {path}"
        );
    }

    let schema = &config["schema"];
    for row in docs_options() {
        if optional_paths().contains(&row.path) {
            continue;
        }
        let default = get(options, &row.path);
        let shown = match default {
            Value::String(s) => s.clone(),
            Value::Array(items) if row.default == "all" => {
                let allowed = allowed_values(get(schema, &row.path))
                    .unwrap_or_else(|| panic!("{}: 'all' of what?", row.path));
                assert_eq!(
                    items.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
                    allowed
                );
                "all".to_string()
            }
            other => other.to_string(),
        };
        assert_eq!(row.default, shown, "DOCS.md default of {}", row.path);
    }
}

/// The values of a schema `list(a|b|c)` (or of a list of them).
fn allowed_values(schema: &Value) -> Option<Vec<&str>> {
    let text = match schema {
        Value::Array(items) => items.first()?.as_str()?,
        other => other.as_str()?,
    };
    let inner = text.strip_prefix("list(")?.strip_suffix(')')?;
    Some(inner.split('|').collect())
}

/// `int(a,b)` as (a, b).
fn int_range(schema: &str) -> Option<(u64, u64)> {
    let (low, high) = schema
        .strip_prefix("int(")?
        .strip_suffix(')')?
        .split_once(',')?;
    Some((low.trim().parse().ok()?, high.trim().parse().ok()?))
}

#[test]
fn ranges_in_the_schema_and_the_docs_are_the_ones_the_reader_enforces() {
    let config = yaml("config.yaml");
    let schema = &config["schema"];
    let docs = docs_options();
    for path in rust_paths() {
        let rule = get(schema, &path);
        let row = docs.iter().find(|r| r.path == path).expect("documented");
        if let Some((low, high)) = rule.as_str().and_then(int_range) {
            assert_eq!(
                row.range,
                format!("{low}–{high}"),
                "DOCS.md range of {path}"
            );
            for ok in [low, high] {
                let options = only(&path, json!(ok));
                assert!(Options::from_json(&options).is_ok(), "{path} = {ok}");
            }
            let outside = low.checked_sub(1).into_iter().chain([high + 1]);
            for bad in outside {
                let err = Options::from_json(&only(&path, json!(bad))).expect_err("out of range");
                let want =
                    format!("option '{path}': got {bad}, allowed: an integer from {low} to {high}");
                assert_eq!(err.problems, vec![want]);
            }
        } else if let Some(allowed) = allowed_values(rule) {
            assert_eq!(ticked(&row.range), allowed, "DOCS.md values of {path}");
            let wrap = |v: Value| if rule.is_array() { json!([v]) } else { v };
            for value in &allowed {
                let options = only(&path, wrap(json!(value)));
                assert!(Options::from_json(&options).is_ok(), "{path} = {value}");
            }
            let err = Options::from_json(&only(&path, wrap(json!("nope")))).expect_err("bad");
            assert!(err.problems[0].starts_with(&format!("option '{path}': got \"nope\"")));
        } else if rule == "bool" {
            assert!(
                Options::from_json(&only(&path, json!(true))).is_ok(),
                "{path}"
            );
            assert!(
                Options::from_json(&only(&path, json!("yes"))).is_err(),
                "{path}"
            );
        }
    }
}

#[test]
fn the_yaml_reader_reads_the_whole_of_both_files() {
    let config = yaml("config.yaml");
    assert_eq!(config["slug"], "resource_manager");
    assert_eq!(config["arch"], json!(["aarch64", "amd64"]));
    let schema: &Map<String, Value> = config["schema"].as_object().expect("schema");
    assert!(schema.contains_key("alert_rules"));
    let translations = yaml("translations/en.yaml");
    assert!(
        translations["configuration"]["log_level"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("\"debug\""))
    );
}
