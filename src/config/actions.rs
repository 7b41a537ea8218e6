//! The `actions` option: which add-on actions the advisor may take through the Supervisor, on
//! which add-ons, how often, and whether it recovers add-ons on its own (`crate::advice`).
//! The guardrails no option lifts (Core, the Supervisor, this add-on) are the advisor's.

use serde::Serialize;

use super::duration;
use super::problems::Problems;
use super::reader::Object;

/// A kind of add-on action the user may allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Start,
    Stop,
    Restart,
}

impl ActionKind {
    /// Every kind, in the order messages list them.
    pub const ALL: [ActionKind; 3] = [ActionKind::Start, ActionKind::Stop, ActionKind::Restart];

    /// The option's (and the API's) name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Start => "start",
            ActionKind::Stop => "stop",
            ActionKind::Restart => "restart",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<ActionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// What the advisor may do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionOptions {
    /// Kinds that are really carried out; every other request is a dry run. Empty by default.
    pub allowed: Vec<ActionKind>,
    /// Add-ons that may be acted on; empty: every add-on not denied.
    pub addons_allow: Vec<String>,
    /// Add-ons never acted on.
    pub addons_deny: Vec<String>,
    /// Most actions carried out per UTC day (dry runs do not count).
    pub daily_cap: u32,
    /// Least time between two actions on the same add-on.
    #[serde(serialize_with = "duration::serialize_seconds")]
    pub cooldown: u64,
    /// Restart add-ons that leak towards their limit or stopped unexpectedly, on their own.
    pub auto_recovery: bool,
    /// A leak counts for recovery when it reaches the add-on's limit within this time.
    #[serde(serialize_with = "duration::serialize_seconds")]
    pub recovery_within: u64,
}

impl Default for ActionOptions {
    fn default() -> Self {
        ActionOptions {
            allowed: Vec::new(),
            addons_allow: Vec::new(),
            addons_deny: Vec::new(),
            daily_cap: 3,
            cooldown: 3600,
            auto_recovery: false,
            recovery_within: 6 * 3600,
        }
    }
}

const MAX_COOLDOWN: u64 = 7 * 86_400;
const MAX_RECOVERY_WITHIN: u64 = 7 * 86_400;

impl ActionOptions {
    /// The keys of the `actions` object, in the order messages list them.
    pub const KEYS: &[&str] = &[
        "allowed",
        "addons_allow",
        "addons_deny",
        "daily_cap",
        "cooldown",
        "auto_recovery",
        "recovery_within",
    ];

    /// Reads `actions` from the options object, reporting every bad field.
    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> ActionOptions {
        let d = ActionOptions::default();
        let Some(section) = options.section("actions", ActionOptions::KEYS, p) else {
            return d;
        };
        let allowed_names = ActionKind::ALL.map(ActionKind::as_str).join(", ");
        let allowed = section
            .list("allowed", &allowed_names, p, ActionKind::parse)
            .unwrap_or(d.allowed);
        let slug = |s: &str| valid_slug(s).then(|| s.to_string());
        let slugs = "add-on slugs (a-z, 0-9, '_', '-')";
        let dur = |key: &str, min: u64, max: u64, default: u64, p: &mut Problems| {
            section.duration_seconds(key, "30m, 6h or 1d", min..=max, default, p)
        };
        ActionOptions {
            allowed,
            addons_allow: section
                .list("addons_allow", slugs, p, slug)
                .unwrap_or(d.addons_allow),
            addons_deny: section
                .list("addons_deny", slugs, p, slug)
                .unwrap_or(d.addons_deny),
            daily_cap: section.int("daily_cap", 0..=100, d.daily_cap, p),
            cooldown: dur("cooldown", 0, MAX_COOLDOWN, d.cooldown, p),
            auto_recovery: section.bool("auto_recovery", p).unwrap_or(d.auto_recovery),
            recovery_within: dur(
                "recovery_within",
                60,
                MAX_RECOVERY_WITHIN,
                d.recovery_within,
                p,
            ),
        }
    }
}

/// The longest add-on slug accepted.
pub const MAX_SLUG_LEN: usize = 128;

/// The Supervisor's slug alphabet; `supervisor::AddonSlug` checks a slug with it before a
/// call (it lives here because options are read below the Supervisor layer).
pub fn valid_slug(slug: &str) -> bool {
    (1..=MAX_SLUG_LEN).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: serde_json::Value) -> Result<ActionOptions, Vec<String>> {
        let mut p = Problems::default();
        let root = Object::root(&value, &mut p).expect("object");
        let options = ActionOptions::read(&root, &mut p);
        p.finish(options).map_err(|e| e.problems)
    }

    #[test]
    fn defaults_allow_nothing_and_every_field_can_be_set() {
        let d = read(json!({})).expect("valid");
        assert_eq!(d, ActionOptions::default());
        assert!(d.allowed.is_empty() && !d.auto_recovery);
        let set = read(json!({"actions": {
            "allowed": ["restart", "stop", "restart"], "addons_allow": ["core_mosquitto"],
            "addons_deny": ["a0d7b954_vscode"], "daily_cap": 5, "cooldown": "30m",
            "auto_recovery": true, "recovery_within": "1d"
        }}))
        .expect("valid");
        assert_eq!(set.allowed, vec![ActionKind::Restart, ActionKind::Stop]);
        assert_eq!(set.addons_allow, vec!["core_mosquitto".to_string()]);
        assert_eq!((set.daily_cap, set.cooldown), (5, 1800));
        assert_eq!(set.recovery_within, 86_400);
        assert!(set.auto_recovery);
    }

    #[test]
    fn bad_fields_are_named_with_what_is_allowed() {
        let problems = read(json!({"actions": {
            "allowed": ["reboot"], "addons_deny": "core_ssh", "addons_allow": ["../x"],
            "daily_cap": 1000, "cooldown": "soon", "shout": true
        }}))
        .expect_err("invalid");
        let text = problems.join("\n");
        for needle in [
            "option 'actions.shout': unknown option",
            "option 'actions.allowed': got \"reboot\", allowed: start, stop, restart",
            "option 'actions.addons_deny': got \"core_ssh\", allowed: a list of add-on slugs",
            "option 'actions.addons_allow': got \"../x\"",
            "option 'actions.daily_cap': got 1000, allowed: an integer from 0 to 100",
            "option 'actions.cooldown': got \"soon\"",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
    }
}
