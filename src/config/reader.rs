//! The one strict reader of options: objects with known keys, typed values in range, and one
//! message per bad option naming it by its full path (`retention.raw_hours`,
//! `alert_rules[2].warn`). Every section reads through it, so a message has one form.

use std::fmt;
use std::ops::RangeInclusive;

use serde_json::{Map, Value};

use super::problems::{OptionPath, Problems};
use super::secret::Secret;

/// A JSON object of options, read key by key.
#[derive(Debug, Clone)]
pub struct Object<'a> {
    map: &'a Map<String, Value>,
    path: OptionPath,
}

impl<'a> Object<'a> {
    /// `value` as an object at `path`, or one problem saying what is `allowed` instead.
    pub fn new(
        value: &'a Value,
        path: OptionPath,
        allowed: impl fmt::Display,
        problems: &mut Problems,
    ) -> Option<Object<'a>> {
        match value.as_object() {
            Some(map) => Some(Object { map, path }),
            None => {
                problems.bad(&path, describe(value), allowed);
                None
            }
        }
    }

    /// The whole options object (the content of options.json).
    pub fn root(value: &'a Value, problems: &mut Problems) -> Option<Object<'a>> {
        let map = Object::new(
            value,
            OptionPath::named("options"),
            "a JSON object",
            problems,
        )?
        .map;
        Some(Object {
            map,
            path: OptionPath::root(),
        })
    }

    /// Reports every key that is not one of `keys`.
    pub fn known_keys(&self, keys: &[&str], problems: &mut Problems) {
        for key in self.map.keys().filter(|k| !keys.contains(&k.as_str())) {
            problems.unknown(&self.at(key), keys);
        }
    }

    /// The nested section `key` with its `keys` checked: `None` when absent or not an object
    /// (then the caller keeps its defaults).
    pub fn section(&self, key: &str, keys: &[&str], problems: &mut Problems) -> Option<Object<'a>> {
        let value = self.get(key)?;
        let allowed = format!("an object with {}", keys.join(", "));
        let section = Object::new(value, self.at(key), allowed, problems)?;
        section.known_keys(keys, problems);
        Some(section)
    }

    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// Whether `key` is given.
    pub fn contains(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// The path of `key` in this object, for messages.
    pub fn at(&self, key: &str) -> OptionPath {
        self.path.key(key)
    }

    /// Adds a note to every message about this object's keys from now on.
    pub fn note(&mut self, note: String) {
        self.path = self.path.with_note(note);
    }

    /// An integer in `range`; `default` when absent or bad.
    pub fn int(
        &self,
        key: &str,
        range: RangeInclusive<u32>,
        default: u32,
        problems: &mut Problems,
    ) -> u32 {
        let Some(value) = self.get(key) else {
            return default;
        };
        match value.as_u64().and_then(|v| u32::try_from(v).ok()) {
            Some(v) if range.contains(&v) => v,
            _ => {
                let allowed = format!("an integer from {} to {}", range.start(), range.end());
                problems.bad(&self.at(key), describe(value), allowed);
                default
            }
        }
    }

    /// `true` or `false`; `None` when absent or bad.
    pub fn bool(&self, key: &str, problems: &mut Problems) -> Option<bool> {
        let value = self.get(key)?;
        match value {
            Value::Bool(b) => Some(*b),
            other => {
                problems.bad(&self.at(key), describe(other), "true or false");
                None
            }
        }
    }

    /// One of the strings `allowed`; `None` when absent or bad.
    pub fn choice(
        &self,
        key: &str,
        allowed: &[&'static str],
        problems: &mut Problems,
    ) -> Option<&'static str> {
        let value = self.get(key)?;
        let found = value
            .as_str()
            .and_then(|s| allowed.iter().copied().find(|a| *a == s));
        if found.is_none() {
            let allowed = format!("one of {}", allowed.join(", "));
            problems.bad(&self.at(key), describe(value), allowed);
        }
        found
    }

    /// A finite number; `None` when absent or bad.
    pub fn number(
        &self,
        key: &str,
        allowed: impl fmt::Display,
        problems: &mut Problems,
    ) -> Option<f64> {
        let value = self.get(key)?;
        let found = value.as_f64().filter(|v| v.is_finite());
        if found.is_none() {
            problems.bad(&self.at(key), describe(value), allowed);
        }
        found
    }

    /// A duration such as `30m` or `6h` within `range` seconds, else `default` (bad values are
    /// reported with `examples` and the range in words).
    pub fn duration_seconds(
        &self,
        key: &str,
        examples: &str,
        range: RangeInclusive<u64>,
        default: u64,
        problems: &mut Problems,
    ) -> u64 {
        use super::duration;
        let allowed = format!(
            "a duration such as {examples}, from {} to {}",
            duration::format_seconds(*range.start()),
            duration::format_seconds(*range.end())
        );
        self.string(
            key,
            |s| duration::parse_seconds(s).is_some_and(|v| range.contains(&v)),
            allowed,
            problems,
        )
        .and_then(duration::parse_seconds)
        .unwrap_or(default)
    }

    /// A string that passes `valid`; `None` when absent or bad.
    pub fn string(
        &self,
        key: &str,
        valid: impl Fn(&str) -> bool,
        allowed: impl fmt::Display,
        problems: &mut Problems,
    ) -> Option<&'a str> {
        let value = self.get(key)?;
        let found = value.as_str().filter(|s| valid(s));
        if found.is_none() {
            problems.bad(&self.at(key), describe(value), allowed);
        }
        found
    }
}

impl<'a> Object<'a> {
    /// A list of texts each read by `item`; duplicates are dropped, bad items reported with
    /// `allowed`; `None` when absent or not a list.
    pub fn list<T: PartialEq>(
        &self,
        key: &str,
        allowed: &str,
        problems: &mut Problems,
        item: impl Fn(&str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let value = self.get(key)?;
        let Value::Array(items) = value else {
            problems.bad(
                &self.at(key),
                describe(value),
                format!("a list of {allowed}"),
            );
            return None;
        };
        let mut out = Vec::new();
        for raw in items {
            match raw.as_str().and_then(&item) {
                Some(v) if !out.contains(&v) => out.push(v),
                Some(_) => {}
                None => problems.bad(&self.at(key), describe(raw), allowed),
            }
        }
        Some(out)
    }

    /// A bearer token of at least 16 characters without spaces; its value is never repeated
    /// in a message, only its length. `None` when absent or bad.
    pub fn token(&self, key: &str, problems: &mut Problems) -> Option<Secret> {
        let value = self.get(key)?;
        match value.as_str() {
            Some(s) if s.len() >= 16 && !s.chars().any(char::is_whitespace) => Some(Secret::new(s)),
            Some(s) => {
                let got = format!("a text of {} characters", s.chars().count());
                problems.bad(&self.at(key), got, "at least 16 characters without spaces");
                None
            }
            None => {
                problems.bad(
                    &self.at(key),
                    describe(value),
                    "a text of at least 16 characters",
                );
                None
            }
        }
    }
}

/// A short rendering of a JSON value for error messages.
pub fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        let short: String = text.chars().take(40).collect();
        format!("{short}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_name_the_full_path_and_the_note() {
        let rule = OptionPath::named("alert_rules")
            .index(2)
            .with_note("rule 'y'".into());
        assert_eq!(
            rule.key("warn").to_string(),
            "option 'alert_rules[2].warn' (rule 'y')"
        );
        let value = json!({"retention": {"raw_hours": 0, "weeks": 1}});
        let mut p = Problems::default();
        let root = Object::root(&value, &mut p).expect("object");
        let section = root
            .section("retention", &["raw_hours"], &mut p)
            .expect("section");
        assert_eq!(section.int("raw_hours", 1..=720, 48, &mut p), 48);
        assert_eq!(
            p.into_vec(),
            [
                "option 'retention.weeks': unknown option, allowed: raw_hours",
                "option 'retention.raw_hours': got 0, allowed: an integer from 1 to 720",
            ]
        );
    }
}
