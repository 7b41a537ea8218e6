//! Typed Home Assistant events as `subscribe_events` delivers them:
//! `{"id":N,"type":"event","event":{"event_type","data","origin","time_fired","context"}}`.
//! The events we know get typed data (`state_changed`); every other type keeps its JSON.

use serde::Deserialize;
use serde_json::{Map, Value};

/// One event fired in Home Assistant.
#[derive(Debug, Clone, PartialEq)]
pub struct HaEvent {
    pub event_type: String,
    /// As Home Assistant sent it, e.g. `2016-11-26T01:37:24.265429+00:00`.
    pub time_fired: String,
    pub origin: EventOrigin,
    pub context: EventContext,
    pub data: EventData,
}

impl HaEvent {
    /// `time_fired` as Unix milliseconds, if it is a valid ISO 8601 timestamp.
    pub fn time_fired_ms(&self) -> Option<i64> {
        parse_iso8601_ms(&self.time_fired)
    }
}

/// Where the event was fired: in this instance, or received from another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventOrigin {
    Local,
    Remote,
    /// An origin this version does not know.
    #[serde(other)]
    Unknown,
}

/// What caused an event (`context.id` links an event to the service call or user behind it).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct EventContext {
    pub id: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
}

/// An event's `data`, typed for the event types we know.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    /// `state_changed`: an entity got a new state, appeared (`old_state` None) or was removed
    /// (`new_state` None).
    StateChanged(Box<StateChanged>),
    /// Any other event type, as sent.
    Other(Value),
}

/// The data of `state_changed`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StateChanged {
    pub entity_id: String,
    #[serde(default)]
    pub old_state: Option<HaState>,
    #[serde(default)]
    pub new_state: Option<HaState>,
}

/// An entity's state as Home Assistant reports it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HaState {
    pub entity_id: String,
    pub state: String,
    #[serde(default)]
    pub attributes: Map<String, Value>,
    /// When `state` last changed (attribute-only updates keep it).
    pub last_changed: String,
    #[serde(default)]
    pub last_updated: Option<String>,
    #[serde(default)]
    pub context: Option<EventContext>,
}

impl HaState {
    /// `last_changed` as Unix milliseconds, if it is a valid ISO 8601 timestamp.
    pub fn last_changed_ms(&self) -> Option<i64> {
        parse_iso8601_ms(&self.last_changed)
    }
}

/// Why a message could not be read as an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("not an event message (type {0})")]
    NotAnEvent(String),
    #[error("event message without a numeric subscription id")]
    NoId,
    #[error("malformed event: {0}")]
    Shape(String),
    #[error("malformed {event_type} data: {message}")]
    Data { event_type: String, message: String },
}

#[derive(Deserialize)]
struct RawEvent {
    event_type: String,
    #[serde(default)]
    data: Value,
    origin: EventOrigin,
    time_fired: String,
    context: EventContext,
}

/// Reads a whole event message from the wire: the subscription id and the event.
pub fn parse_event_bytes(bytes: &[u8]) -> Result<(u64, HaEvent), EventError> {
    let message: Value =
        serde_json::from_slice(bytes).map_err(|e| EventError::Json(e.to_string()))?;
    parse_event_message(&message)
}

/// Reads a decoded event message: the subscription id and the event.
pub fn parse_event_message(message: &Value) -> Result<(u64, HaEvent), EventError> {
    match message.get("type").and_then(Value::as_str) {
        Some("event") => {}
        other => return Err(EventError::NotAnEvent(other.unwrap_or("none").to_string())),
    }
    let id = message
        .get("id")
        .and_then(Value::as_u64)
        .ok_or(EventError::NoId)?;
    let event = message
        .get("event")
        .ok_or_else(|| EventError::Shape("no `event` object".into()))?;
    Ok((id, parse_event(event)?))
}

/// Reads the `event` object of an event message.
pub fn parse_event(event: &Value) -> Result<HaEvent, EventError> {
    let raw = RawEvent::deserialize(event).map_err(|e| EventError::Shape(e.to_string()))?;
    let data = match raw.event_type.as_str() {
        "state_changed" => StateChanged::deserialize(&raw.data)
            .map(|change| EventData::StateChanged(Box::new(change)))
            .map_err(|e| EventError::Data {
                event_type: raw.event_type.clone(),
                message: e.to_string(),
            })?,
        _ => EventData::Other(raw.data),
    };
    Ok(HaEvent {
        event_type: raw.event_type,
        time_fired: raw.time_fired,
        origin: raw.origin,
        context: raw.context,
        data,
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` to Unix milliseconds (Home Assistant's format).
pub fn parse_iso8601_ms(text: &str) -> Option<i64> {
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let sep =
        |at: usize, allowed: &[u8]| text.as_bytes().get(at).is_some_and(|b| allowed.contains(b));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let rest = text.get(19..)?;
    let (millis, zone) = match rest.strip_prefix('.') {
        Some(frac) => {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let padded = format!("{:0<3}", frac.get(..digits.min(3))?);
            (padded.parse::<i64>().ok()?, frac.get(digits..)?)
        }
        None => (0, rest),
    };
    let offset_minutes = match zone.as_bytes() {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digit = |b: &u8| b.is_ascii_digit().then(|| i64::from(b - b'0'));
            let minutes = (digit(h1)? * 10 + digit(h2)?) * 60 + digit(m1)? * 10 + digit(m2)?;
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), the
/// inverse of `model::civil_from_days`.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;
