//! What is wrong with the options, in one form: where an option sits (`retention.raw_hours`,
//! `alert_rules[2].warn`) and one message per bad option, collected so a user sees them all.

use std::fmt;

/// One or more invalid settings; each line names the option, the value and what is allowed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{}", .problems.join("\n"))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

/// Where an option sits, rendered the way messages name it: `option 'alert_rules[2].warn'`,
/// with an optional note such as ` (rule 'cpu_usage')`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionPath {
    path: String,
    note: Option<String>,
}

impl OptionPath {
    /// The whole options object; its keys render without a prefix.
    pub fn root() -> OptionPath {
        OptionPath::default()
    }

    /// A setting by its own name (a top-level option, a flag or an environment variable).
    pub fn named(name: &str) -> OptionPath {
        OptionPath::root().key(name)
    }

    /// The option `key` inside this one (`retention` → `retention.raw_hours`).
    pub fn key(&self, key: &str) -> OptionPath {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        OptionPath {
            path,
            note: self.note.clone(),
        }
    }

    /// Entry `index` of this list option (`alert_rules` → `alert_rules[2]`).
    pub fn index(&self, index: usize) -> OptionPath {
        OptionPath {
            path: format!("{}[{index}]", self.path),
            note: self.note.clone(),
        }
    }

    /// The same path with a note after it, kept by every path below it.
    pub fn with_note(&self, note: String) -> OptionPath {
        OptionPath {
            path: self.path.clone(),
            note: Some(note),
        }
    }
}

impl fmt::Display for OptionPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "option '{}'", self.path)?;
        if let Some(note) = &self.note {
            write!(f, " ({note})")?;
        }
        Ok(())
    }
}

/// Collects one message per bad option, so a user sees every mistake at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    /// `at` holds `got`, which is not `allowed`.
    pub fn bad(&mut self, at: &OptionPath, got: impl fmt::Display, allowed: impl fmt::Display) {
        self.0.push(format!("{at}: got {got}, allowed: {allowed}"));
    }

    /// `at` is a key no section knows.
    pub fn unknown(&mut self, at: &OptionPath, keys: &[&str]) {
        self.0.push(format!(
            "{at}: unknown option, allowed: {}",
            keys.join(", ")
        ));
    }

    /// Any other message about `at` (`not set, allowed: …`, `cannot read …`).
    pub fn say(&mut self, at: &OptionPath, text: impl fmt::Display) {
        self.0.push(format!("{at}: {text}"));
    }

    /// Takes over problems found elsewhere.
    pub fn extend(&mut self, problems: impl IntoIterator<Item = String>) {
        self.0.extend(problems);
    }

    /// How many problems so far (a section compares counts to tell whether a field failed).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages, in the order found.
    pub fn into_vec(self) -> Vec<String> {
        self.0
    }

    /// `value` if nothing was wrong, else every message.
    pub fn finish<T>(self, value: T) -> Result<T, ConfigError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ConfigError { problems: self.0 })
        }
    }
}

impl From<Problems> for ConfigError {
    fn from(problems: Problems) -> ConfigError {
        ConfigError {
            problems: problems.0,
        }
    }
}
