//! The `access` option: the API token for clients that are not the dashboard, and which
//! read-only endpoints are open without it (`crate::web::access` applies them).

use serde::{Serialize, Serializer};

use super::problems::Problems;
use super::reader::Object;
use super::secret::Secret;

/// A read-only area that may be opened to callers without a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenRead {
    /// `GET /metrics`: a Prometheus on this host scraping without a token.
    Metrics,
    /// Every `GET` of the JSON API (`/api/v1/…`) and the dashboard's pages.
    Api,
}

impl OpenRead {
    /// Every area, as the option spells it.
    pub const ALL: [OpenRead; 2] = [OpenRead::Metrics, OpenRead::Api];

    /// The option's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OpenRead::Metrics => "metrics",
            OpenRead::Api => "api",
        }
    }

    fn parse(name: &str) -> Option<OpenRead> {
        OpenRead::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

/// Who may use the HTTP server besides the Ingress gateway (and, standalone, loopback).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccessOptions {
    /// Bearer token every other caller must send; never serialised.
    #[serde(serialize_with = "redacted")]
    pub api_token: Option<Secret>,
    /// Read-only areas served without a token.
    pub open_reads: Vec<OpenRead>,
}

fn redacted<S: Serializer>(_: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_none()
}

impl AccessOptions {
    /// The keys of the `access` object, in the order messages list them.
    pub const KEYS: &[&str] = &["api_token", "open_reads"];
    /// Keys that have no default in `config.yaml` (left out means: no token).
    pub const OPTIONAL: &[&str] = &["api_token"];

    /// Reads `access` from the options object, reporting every bad field.
    pub(crate) fn read(options: &Object<'_>, p: &mut Problems) -> AccessOptions {
        let d = AccessOptions::default();
        let Some(section) = options.section("access", AccessOptions::KEYS, p) else {
            return d;
        };
        let names = OpenRead::ALL.map(OpenRead::as_str).join(", ");
        AccessOptions {
            api_token: section.token("api_token", p),
            open_reads: section
                .list("open_reads", &names, p, OpenRead::parse)
                .unwrap_or(d.open_reads),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: serde_json::Value) -> Result<AccessOptions, Vec<String>> {
        let mut p = Problems::default();
        let root = json!({ "access": value });
        let object = Object::root(&root, &mut p).expect("object");
        let options = AccessOptions::read(&object, &mut p);
        if p.is_empty() {
            Ok(options)
        } else {
            Err(p.into_vec())
        }
    }

    #[test]
    fn defaults_are_closed() {
        let d = AccessOptions::default();
        assert!(d.api_token.is_none() && d.open_reads.is_empty());
    }

    #[test]
    fn reads_a_token_and_open_areas() {
        let set =
            read(json!({"api_token": "0123456789abcdef", "open_reads": ["metrics", "metrics"]}))
                .expect("valid");
        assert_eq!(
            set.api_token.as_ref().map(Secret::expose),
            Some("0123456789abcdef")
        );
        assert_eq!(set.open_reads, vec![OpenRead::Metrics]);
    }

    #[test]
    fn bad_fields_are_named_and_the_token_is_not_repeated() {
        let problems = read(json!({"api_token": "short one", "open_reads": ["everything"]}))
            .expect_err("invalid");
        assert_eq!(
            problems,
            vec![
                "option 'access.api_token': got a text of 9 characters, allowed: at least 16 characters without spaces",
                "option 'access.open_reads': got \"everything\", allowed: metrics, api",
            ]
        );
        assert!(!problems.join(" ").contains("short one"));
    }

    #[test]
    fn the_token_is_never_serialised() {
        let set = AccessOptions {
            api_token: Some(Secret::new("0123456789abcdef")),
            open_reads: vec![],
        };
        let text = serde_json::to_string(&set).expect("json");
        assert!(!text.contains("0123456789abcdef"), "{text}");
    }
}
