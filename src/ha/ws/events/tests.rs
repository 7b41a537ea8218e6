use proptest::prelude::*;
use serde_json::json;

use super::*;

/// A `state_changed` message shaped like the WebSocket API documentation's example.
fn state_changed_message() -> Value {
    json!({
        "id": 18,
        "type": "event",
        "event": {
            "data": {
                "entity_id": "light.bed_light",
                "new_state": {
                    "entity_id": "light.bed_light",
                    "last_changed": "2016-11-26T01:37:24.265390+00:00",
                    "state": "on",
                    "attributes": {"rgb_color": [254, 208, 0], "color_temp": 380, "supported_features": 147, "xy_color": [0.5, 0.5], "brightness": 180, "white_value": 200, "friendly_name": "Bed Light"},
                    "last_updated": "2016-11-26T01:37:24.265390+00:00",
                    "context": {"id": "326ef27d19415c60c492fe330945f954", "parent_id": null, "user_id": "31ddb597e03147118cf8d2f8fbea5553"}
                },
                "old_state": {
                    "entity_id": "light.bed_light",
                    "last_changed": "2016-11-26T01:37:10.466994+00:00",
                    "state": "off",
                    "attributes": {"supported_features": 147, "friendly_name": "Bed Light"},
                    "last_updated": "2016-11-26T01:37:10.466994+00:00",
                    "context": {"id": "e4af5b117137425e97658041a0538441", "parent_id": null, "user_id": "31ddb597e03147118cf8d2f8fbea5553"}
                }
            },
            "event_type": "state_changed",
            "time_fired": "2016-11-26T01:37:24.265429+00:00",
            "origin": "LOCAL",
            "context": {"id": "326ef27d19415c60c492fe330945f954", "parent_id": null, "user_id": "31ddb597e03147118cf8d2f8fbea5553"}
        }
    })
}

#[test]
fn a_documented_state_changed_message_parses_into_typed_states() {
    let (id, event) = parse_event_message(&state_changed_message()).expect("parses");
    assert_eq!(id, 18);
    assert_eq!(event.event_type, "state_changed");
    assert_eq!(event.origin, EventOrigin::Local);
    assert_eq!(event.context.id, "326ef27d19415c60c492fe330945f954");
    assert_eq!(
        event.context.user_id.as_deref(),
        Some("31ddb597e03147118cf8d2f8fbea5553")
    );
    assert_eq!(event.time_fired_ms(), Some(1_480_124_244_265));
    let EventData::StateChanged(change) = &event.data else {
        panic!("typed data expected: {:?}", event.data)
    };
    assert_eq!(change.entity_id, "light.bed_light");
    let old = change.old_state.as_ref().expect("old state");
    let new = change.new_state.as_ref().expect("new state");
    assert_eq!((old.state.as_str(), new.state.as_str()), ("off", "on"));
    assert_eq!(new.attributes["brightness"], 180);
    assert_eq!(new.last_changed_ms(), Some(1_480_124_244_265));
    assert_eq!(old.last_changed_ms(), Some(1_480_124_230_466));
}

#[test]
fn an_entity_that_appears_or_disappears_has_no_old_or_no_new_state() {
    let mut message = state_changed_message();
    message["event"]["data"]["old_state"] = Value::Null;
    let (_, event) = parse_event_message(&message).expect("parses");
    let EventData::StateChanged(change) = event.data else {
        panic!("typed")
    };
    assert!(change.old_state.is_none() && change.new_state.is_some());

    let mut message = state_changed_message();
    message["event"]["data"]
        .as_object_mut()
        .expect("data")
        .remove("new_state");
    let (_, event) = parse_event_message(&message).expect("parses");
    let EventData::StateChanged(change) = event.data else {
        panic!("typed")
    };
    assert!(change.new_state.is_none());
}

#[test]
fn an_event_type_we_do_not_know_keeps_its_data_as_json() {
    let message = json!({"id": 4, "type": "event", "event": {
        "event_type": "homeassistant_started", "data": {}, "origin": "LOCAL",
        "time_fired": "2025-04-30T08:00:00.5Z", "context": {"id": "01JT", "parent_id": null, "user_id": null}}});
    let (id, event) = parse_event_message(&message).expect("parses");
    assert_eq!(id, 4);
    assert_eq!(event.data, EventData::Other(json!({})));
    assert_eq!(event.time_fired_ms(), Some(1_746_000_000_500));

    let remote = json!({"id": 5, "type": "event", "event": {
        "event_type": "call_service", "data": {"domain": "light"}, "origin": "SOMEWHERE",
        "time_fired": "2025-04-30T08:00:00+02:00", "context": {"id": "x"}}});
    let (_, event) = parse_event_message(&remote).expect("parses");
    assert_eq!(event.origin, EventOrigin::Unknown);
    assert_eq!(event.time_fired_ms(), Some(1_745_992_800_000));
}

#[test]
fn malformed_events_are_errors_that_say_what_is_wrong() {
    let mut bad_state = state_changed_message();
    bad_state["event"]["data"]["new_state"] = json!("on");
    assert!(matches!(
        parse_event_message(&bad_state),
        Err(EventError::Data { ref event_type, .. }) if event_type == "state_changed"
    ));
    let mut no_type = state_changed_message();
    no_type["event"]
        .as_object_mut()
        .expect("event")
        .remove("event_type");
    assert!(matches!(
        parse_event_message(&no_type),
        Err(EventError::Shape(_))
    ));
    assert_eq!(
        parse_event_message(&json!({"id": 3, "type": "result", "success": true})),
        Err(EventError::NotAnEvent("result".into()))
    );
    assert_eq!(
        parse_event_message(&json!({"type": "event", "event": {}})),
        Err(EventError::NoId)
    );
    assert!(matches!(
        parse_event_bytes(b"{\"id\": 1, \"type\": \"ev"),
        Err(EventError::Json(_))
    ));
}

#[test]
fn timestamps_outside_home_assistants_format_are_refused() {
    for text in [
        "",
        "2016-11-26",
        "2016-11-26T01:37:24",
        "2016-13-26T01:37:24Z",
        "2016-11-26T25:37:24Z",
        "2016-11-26T01:37:24.Z",
        "2016-11-26T01:37:24+0000",
        "+016-11-26T01:37:24Z",
        "2016-11-26T01:37:24.123é",
    ] {
        assert_eq!(parse_iso8601_ms(text), None, "{text}");
    }
    assert_eq!(parse_iso8601_ms("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_iso8601_ms("1969-12-31T23:59:59.999Z"), Some(-1));
    assert_eq!(
        parse_iso8601_ms("2024-02-29T12:00:00-01:30"),
        Some(1_709_213_400_000)
    );
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("event"),
            Just("state_changed"),
            Just("LOCAL"),
            Just("2016-11-26T01:37:24.265429+00:00")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("type".to_string()),
                    Just("event".to_string()),
                    Just("event_type".to_string()),
                    Just("data".to_string()),
                    Just("entity_id".to_string()),
                    Just("new_state".to_string()),
                    Just("old_state".to_string()),
                    Just("state".to_string()),
                    Just("context".to_string()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn the_parser_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_event_bytes(&bytes);
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_json(value in arbitrary_json()) {
        let _ = parse_event_message(&value);
        let _ = parse_event(&value);
    }

    #[test]
    fn arbitrary_data_in_a_real_shaped_state_changed_never_panics(data in arbitrary_json(), slot in 0usize..4) {
        let mut message = state_changed_message();
        match slot {
            0 => message["event"]["data"] = data,
            1 => message["event"]["data"]["new_state"] = data,
            2 => message["event"]["data"]["new_state"]["attributes"] = data,
            _ => message["event"]["context"] = data,
        }
        let _ = parse_event_message(&message);
    }

    #[test]
    fn timestamps_never_panic(text in "\\PC{0,40}") {
        let _ = parse_iso8601_ms(&text);
    }

    #[test]
    fn timestamps_round_trip_through_the_formatter(ms in -2_000_000_000_000i64..8_000_000_000_000) {
        let whole = ms.div_euclid(1000) * 1000;
        prop_assert_eq!(parse_iso8601_ms(&crate::ha::alerts::iso8601(whole)), Some(whole));
    }
}
