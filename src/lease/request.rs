//! Reading a lease request (the REST body or a Home Assistant event's data) into a validated
//! [`Request`]: one reader for both, so both refuse the same things with the same words.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::types::{Amounts, Capacity, LeasePolicy, Priority, Request};

/// Longest holder name and request id.
const MAX_NAME: usize = 100;
/// Most MB one request may name (1 PB): keeps sums far from overflow.
const MAX_MEMORY_MB: u64 = 1 << 30;
/// Most cores one request may name.
const MAX_CORES: f64 = 1_000_000.0;

/// Why a request was not even considered; it changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnknownResource(String),
}

impl RequestError {
    /// The API's code.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::BadRequest(_) => "bad_request",
            RequestError::UnknownResource(_) => "unknown_resource",
        }
    }
}

fn bad(message: impl Into<String>) -> RequestError {
    RequestError::BadRequest(message.into())
}

/// The keys of a request.
pub const KEYS: &[&str] = &[
    "holder",
    "request_id",
    "resources",
    "priority",
    "ttl_seconds",
    "wait_seconds",
];
/// The keys of `resources`.
pub const RESOURCE_KEYS: &[&str] = &["cpu_cores", "memory_mb", "slots"];

/// Reads and checks a request against the capacity's pools and the policy's limits.
pub fn parse(
    value: &Value,
    capacity: &Capacity,
    policy: &LeasePolicy,
) -> Result<Request, RequestError> {
    let object = value
        .as_object()
        .ok_or_else(|| bad("the request must be a JSON object"))?;
    known(object, KEYS, "")?;
    let holder = name(object, "holder")?.ok_or_else(|| bad("'holder' is required"))?;
    let request_id = name(object, "request_id")?;
    let resources = object
        .get("resources")
        .ok_or_else(|| bad("'resources' is required"))?
        .as_object()
        .ok_or_else(|| bad("'resources' must be an object"))?;
    let amounts = amounts(resources, capacity)?;
    let priority = match object.get("priority") {
        None => Priority::Normal,
        Some(v) => v.as_str().and_then(Priority::parse).ok_or_else(|| {
            bad(format!(
                "'priority' must be one of {}",
                Priority::NAMES.join(", ")
            ))
        })?,
    };
    let ttl_ms = seconds(object, "ttl_seconds", 1, policy.max_ttl_ms / 1000)?
        .map_or(policy.default_ttl_ms, |s| s * 1000);
    let wait_ms = seconds(object, "wait_seconds", 0, policy.max_wait_ms / 1000)?
        .map_or(policy.max_wait_ms, |s| s * 1000);
    Ok(Request {
        holder,
        request_id,
        amounts,
        priority,
        ttl_ms,
        wait_ms,
    })
}

/// Reads `{"ttl_seconds": N}` of a renewal.
pub fn parse_renew(value: &Value, policy: &LeasePolicy) -> Result<i64, RequestError> {
    let object = value
        .as_object()
        .ok_or_else(|| bad("the renewal must be a JSON object"))?;
    known(object, &["ttl_seconds"], "")?;
    Ok(seconds(object, "ttl_seconds", 1, policy.max_ttl_ms / 1000)?
        .map_or(policy.default_ttl_ms, |s| s * 1000))
}

fn known(object: &Map<String, Value>, keys: &[&str], prefix: &str) -> Result<(), RequestError> {
    match object.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(key) => Err(bad(format!(
            "unknown field '{prefix}{key}'; allowed: {}",
            keys.join(", ")
        ))),
        None => Ok(()),
    }
}

/// A short printable name (holder, request id), if given.
fn name(object: &Map<String, Value>, key: &str) -> Result<Option<String>, RequestError> {
    let Some(value) = object.get(key) else {
        return Ok(None);
    };
    match value.as_str() {
        Some(s)
            if !s.trim().is_empty()
                && s.chars().count() <= MAX_NAME
                && !s.chars().any(char::is_control) =>
        {
            Ok(Some(s.to_string()))
        }
        _ => Err(bad(format!(
            "'{key}' must be a non-empty string of at most {MAX_NAME} printable characters"
        ))),
    }
}

fn amounts(resources: &Map<String, Value>, capacity: &Capacity) -> Result<Amounts, RequestError> {
    if let Some(key) = resources
        .keys()
        .find(|k| !RESOURCE_KEYS.contains(&k.as_str()))
    {
        return Err(RequestError::UnknownResource(format!(
            "unknown resource '{key}'; known: {}",
            RESOURCE_KEYS.join(", ")
        )));
    }
    let mut amounts = Amounts::default();
    if let Some(v) = resources.get("cpu_cores") {
        let cores = v
            .as_f64()
            .filter(|c| c.is_finite() && *c > 0.0 && *c <= MAX_CORES)
            .ok_or_else(|| bad("'resources.cpu_cores' must be a number above 0"))?;
        // Round up to a thousandth of a core: never grant less than asked.
        amounts.cpu_milli = ((cores * 1000.0).ceil() as u64).max(1);
    }
    if let Some(v) = resources.get("memory_mb") {
        amounts.memory_mb = v
            .as_u64()
            .filter(|m| (1..=MAX_MEMORY_MB).contains(m))
            .ok_or_else(|| bad("'resources.memory_mb' must be a whole number above 0"))?;
    }
    if let Some(v) = resources.get("slots") {
        let slots = v
            .as_object()
            .ok_or_else(|| bad("'resources.slots' must be an object of pool name to count"))?;
        let mut taken = BTreeMap::new();
        for (pool, count) in slots {
            if !capacity.slots.contains_key(pool) {
                let known: Vec<&str> = capacity.slots.keys().map(String::as_str).collect();
                return Err(RequestError::UnknownResource(format!(
                    "unknown slot pool '{pool}'; configured: {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
            let n = count
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    bad(format!(
                        "'resources.slots.{pool}' must be a whole number above 0"
                    ))
                })?;
            taken.insert(pool.clone(), n);
        }
        amounts.slots = taken;
    }
    if amounts == Amounts::default() {
        return Err(bad(
            "'resources' must ask for something: cpu_cores, memory_mb or slots",
        ));
    }
    Ok(amounts)
}

/// Whole seconds in `min..=max`, if given.
fn seconds(
    object: &Map<String, Value>,
    key: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, RequestError> {
    let Some(value) = object.get(key) else {
        return Ok(None);
    };
    match value.as_i64() {
        Some(s) if (min..=max).contains(&s) => Ok(Some(s)),
        _ => Err(bad(format!(
            "'{key}' must be a whole number of seconds from {min} to {max}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn capacity() -> Capacity {
        Capacity::for_tests(100)
    }

    fn policy() -> LeasePolicy {
        LeasePolicy {
            default_ttl_ms: 300_000,
            max_ttl_ms: 6 * 3_600_000,
            max_wait_ms: 600_000,
            preemption_grace_ms: Some(30_000),
            ageing_step_ms: 60_000,
        }
    }

    #[test]
    fn a_full_request_is_read_with_defaults_for_what_is_left_out() {
        let r = parse(
            &json!({"holder": "backup", "resources": {"cpu_cores": 1.5, "memory_mb": 1500, "slots": {"heavy": 1}}, "priority": "high"}),
            &capacity(),
            &policy(),
        )
        .expect("valid");
        assert_eq!(r.amounts.cpu_milli, 1500);
        assert_eq!(r.amounts.slot("heavy"), 1);
        assert_eq!(
            (r.priority, r.ttl_ms, r.wait_ms),
            (Priority::High, 300_000, 600_000)
        );
    }

    #[test]
    fn bad_requests_say_why_and_unknown_resources_have_their_own_code() {
        let cases = [
            (
                json!({"holder": "x", "resources": {"cpu_cores": 0}}),
                "bad_request",
            ),
            (
                json!({"holder": "x", "resources": {"cpu_cores": -1}}),
                "bad_request",
            ),
            (
                json!({"holder": "x", "resources": {"memory_mb": 0}}),
                "bad_request",
            ),
            (
                json!({"holder": "x", "resources": {"memory_mb": 1.5}}),
                "bad_request",
            ),
            (
                json!({"holder": "x", "resources": {"slots": {"heavy": 0}}}),
                "bad_request",
            ),
            (json!({"holder": "x", "resources": {}}), "bad_request"),
            (
                json!({"holder": "", "resources": {"memory_mb": 1}}),
                "bad_request",
            ),
            (json!({"resources": {"memory_mb": 1}}), "bad_request"),
            (
                json!({"holder": "x", "resources": {"memory_mb": 1}, "ttl_seconds": 0}),
                "bad_request",
            ),
            (
                json!({"holder": "x", "resources": {"memory_mb": 1}, "ttl_seconds": 21601}),
                "bad_request",
            ),
            (
                json!({"holder": "x", "resources": {"memory_mb": 1}, "wait_seconds": -1}),
                "bad_request",
            ),
            (
                json!({"holder": "x", "resources": {"memory_mb": 1}, "priority": "urgent"}),
                "bad_request",
            ),
            (
                json!({"holder": "x", "resources": {"memory_mb": 1}, "colour": "red"}),
                "bad_request",
            ),
            (
                json!({"holder": "x", "resources": {"gpu": 1}}),
                "unknown_resource",
            ),
            (
                json!({"holder": "x", "resources": {"slots": {"gpu": 1}}}),
                "unknown_resource",
            ),
            (json!([1, 2]), "bad_request"),
        ];
        for (body, code) in cases {
            let err = parse(&body, &capacity(), &policy()).expect_err("refused");
            assert_eq!(err.code(), code, "{body}: {err}");
            assert!(!err.to_string().is_empty());
        }
    }
}
