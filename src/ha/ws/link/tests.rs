//! The link against a scripted fake of Home Assistant's WebSocket API: subscriptions after
//! every (re)connect, unsubscribe on drop, slow receivers and unreadable events.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::run_link;
use crate::config::{HaEndpoint, Secret};
use crate::ha::HaLinkStatus;
use crate::ha::ws::{EventData, HaEvents, Readiness, WsRequest};
use crate::supervisor::core_starts::CoreStarts;
use crate::util::lock;

enum Push {
    Text(String),
    Close,
}

/// A WebSocket server that authenticates anyone, answers `subscribe_events`,
/// `unsubscribe_events`, `get_config` and `ping`, and records every command with the number of
/// the connection it came on.
struct FakeHa {
    url: String,
    commands: Arc<Mutex<Vec<(usize, Value)>>>,
    current: Arc<Mutex<Option<mpsc::UnboundedSender<Push>>>>,
}

impl FakeHa {
    async fn start() -> FakeHa {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "ws://{}/api/websocket",
            listener.local_addr().expect("addr")
        );
        let commands = Arc::new(Mutex::new(Vec::new()));
        let current = Arc::new(Mutex::new(None));
        let (log, slot) = (commands.clone(), current.clone());
        tokio::spawn(async move {
            let mut connection = 0;
            while let Ok((tcp, _)) = listener.accept().await {
                connection += 1;
                let (tx, rx) = mpsc::unbounded_channel();
                *lock(&slot) = Some(tx);
                tokio::spawn(serve(tcp, connection, log.clone(), rx));
            }
        });
        FakeHa {
            url,
            commands,
            current,
        }
    }

    fn push(&self, push: Push) {
        if let Some(tx) = lock(&self.current).as_ref() {
            let _ = tx.send(push);
        }
    }

    /// The `subscribe_events` id for `event_type` on connection `connection`, once sent.
    async fn subscription(&self, connection: usize, event_type: &str) -> u64 {
        let found = || {
            lock(&self.commands).iter().find_map(|(c, cmd)| {
                (*c == connection
                    && cmd["type"] == "subscribe_events"
                    && cmd["event_type"] == event_type)
                    .then(|| cmd["id"].as_u64())
                    .flatten()
            })
        };
        wait_until(|| found().is_some()).await;
        found().unwrap_or_default()
    }

    fn sent(&self, connection: usize, kind: &str) -> Vec<Value> {
        lock(&self.commands)
            .iter()
            .filter(|(c, cmd)| *c == connection && cmd["type"] == kind)
            .map(|(_, cmd)| cmd.clone())
            .collect()
    }
}

async fn serve(
    tcp: tokio::net::TcpStream,
    connection: usize,
    log: Arc<Mutex<Vec<(usize, Value)>>>,
    mut pushes: mpsc::UnboundedReceiver<Push>,
) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    let text = |v: Value| Message::Text(v.to_string().into());
    let _ = ws
        .send(text(json!({"type": "auth_required", "ha_version": "fake"})))
        .await;
    let _ = ws.next().await;
    let _ = ws
        .send(text(json!({"type": "auth_ok", "ha_version": "fake"})))
        .await;
    loop {
        tokio::select! {
            frame = ws.next() => {
                let Some(Ok(Message::Text(frame))) = frame else { return };
                let command: Value = serde_json::from_str(&frame).unwrap_or_default();
                lock(&log).push((connection, command.clone()));
                let id = command["id"].clone();
                let answer = match command["type"].as_str() {
                    Some("ping") => json!({"id": id, "type": "pong"}),
                    Some("get_config") => json!({"id": id, "type": "result", "success": true, "result": {"state": "RUNNING"}}),
                    _ => json!({"id": id, "type": "result", "success": true, "result": null}),
                };
                let _ = ws.send(text(answer)).await;
            }
            push = pushes.recv() => match push {
                Some(Push::Text(t)) => { let _ = ws.send(Message::Text(t.into())).await; }
                Some(Push::Close) | None => { let _ = ws.close(None).await; return; }
            }
        }
    }
}

async fn wait_until(mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn state_changed(subscription: u64, entity_id: &str, state: &str) -> String {
    json!({"id": subscription, "type": "event", "event": {
        "event_type": "state_changed", "origin": "LOCAL",
        "time_fired": "2026-11-27T10:00:00.123456+00:00",
        "context": {"id": "01JCONTEXT", "parent_id": null, "user_id": null},
        "data": {"entity_id": entity_id, "old_state": null, "new_state": {
            "entity_id": entity_id, "state": state, "attributes": {"unit_of_measurement": "W"},
            "last_changed": "2026-11-27T10:00:00.123456+00:00", "last_updated": "2026-11-27T10:00:00.123456+00:00",
            "context": {"id": "01JCONTEXT", "parent_id": null, "user_id": null}}}}})
    .to_string()
}

struct Link {
    events: HaEvents,
    status: Arc<Mutex<HaLinkStatus>>,
    readiness: watch::Receiver<Readiness>,
    cancel: CancellationToken,
    // Held so the link does not see its command channel close.
    _commands: mpsc::Sender<WsRequest>,
    core: CoreStarts,
}

fn start_link(fake: &FakeHa, events: &HaEvents) -> Link {
    let endpoint = HaEndpoint {
        rest_url: String::new(),
        websocket_url: fake.url.clone(),
        token: Secret::new("fake-token"),
    };
    let status = Arc::new(Mutex::new(HaLinkStatus::default()));
    let (readiness_tx, readiness) = watch::channel(Readiness::default());
    let (commands, commands_rx) = mpsc::channel(4);
    let cancel = CancellationToken::new();
    let core = CoreStarts::default();
    tokio::spawn(run_link(
        endpoint,
        status.clone(),
        readiness_tx,
        commands_rx,
        (events.clone(), core.clone()),
        cancel.clone(),
    ));
    Link {
        events: events.clone(),
        status,
        readiness,
        cancel,
        _commands: commands,
        core,
    }
}

fn entity_of(data: &EventData) -> Option<(&str, &str)> {
    match data {
        EventData::StateChanged(change) => change
            .new_state
            .as_ref()
            .map(|s| (change.entity_id.as_str(), s.state.as_str())),
        EventData::Other(_) => None,
    }
}

#[tokio::test]
async fn subscriptions_are_sent_after_auth_and_again_after_every_reconnect() {
    let fake = FakeHa::start().await;
    let events = HaEvents::new();
    let mut receiver = events.subscribe("state_changed");
    let link = start_link(&fake, &events);

    let sub = fake.subscription(1, "state_changed").await;
    // The readiness subscription is still the first command of a session.
    assert_eq!(
        fake.sent(1, "subscribe_events")[0]["event_type"],
        "homeassistant_started"
    );
    fake.push(Push::Text(state_changed(sub, "sensor.power", "12")));
    let event = receiver.recv().await.expect("event");
    assert_eq!(event.event_type, "state_changed");
    assert_eq!(event.context.id, "01JCONTEXT");
    assert_eq!(entity_of(&event.data), Some(("sensor.power", "12")));

    fake.push(Push::Close);
    let sub = fake.subscription(2, "state_changed").await;
    fake.push(Push::Text(state_changed(sub, "sensor.power", "13")));
    let event = receiver.recv().await.expect("event after reconnect");
    assert_eq!(entity_of(&event.data), Some(("sensor.power", "13")));
    assert_eq!(lock(&link.status).reconnects, 1);
    assert_eq!(link.readiness.borrow().generation, 2);

    link.cancel.cancel();
    assert_eq!(receiver.recv().await, None, "receivers end with the link");
}

#[tokio::test]
async fn a_late_subscription_is_sent_at_once_and_the_last_dropped_receiver_unsubscribes() {
    let fake = FakeHa::start().await;
    let events = HaEvents::new();
    let link = start_link(&fake, &events);
    wait_until(|| link.readiness.borrow().ready).await;

    let mut first = events.subscribe("call_service");
    let second = events.subscribe("call_service");
    let sub = fake.subscription(1, "call_service").await;
    assert_eq!(
        fake.sent(1, "subscribe_events").len(),
        2,
        "one subscription per type"
    );
    let call = json!({"id": sub, "type": "event", "event": {"event_type": "call_service", "origin": "LOCAL",
        "time_fired": "2026-11-27T10:00:00+00:00", "context": {"id": "c1"},
        "data": {"domain": "light", "service": "turn_on"}}});
    fake.push(Push::Text(call.to_string()));
    let event = first.recv().await.expect("event");
    assert_eq!(
        event.data,
        EventData::Other(json!({"domain": "light", "service": "turn_on"}))
    );

    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        fake.sent(1, "unsubscribe_events").is_empty(),
        "a receiver is left"
    );
    drop(second);
    wait_until(|| !fake.sent(1, "unsubscribe_events").is_empty()).await;
    assert_eq!(fake.sent(1, "unsubscribe_events")[0]["subscription"], sub);
    link.cancel.cancel();
}

#[tokio::test]
async fn unreadable_events_and_a_receiver_that_never_reads_leave_the_link_up() {
    let fake = FakeHa::start().await;
    let events = HaEvents::new();
    let mut quick = events.subscribe("state_changed");
    let stuck = events.subscribe_with_capacity("state_changed", 1);
    let link = start_link(&fake, &events);
    let sub = fake.subscription(1, "state_changed").await;

    fake.push(Push::Text("{not json".into()));
    let mut malformed: Value =
        serde_json::from_str(&state_changed(sub, "sensor.a", "1")).expect("json");
    malformed["event"]["data"]["new_state"] = json!(42);
    fake.push(Push::Text(malformed.to_string()));
    for n in 0..20 {
        fake.push(Push::Text(state_changed(sub, "sensor.a", &n.to_string())));
    }
    for n in 0..20 {
        let event = quick.recv().await.expect("event");
        assert_eq!(
            entity_of(&event.data),
            Some(("sensor.a", n.to_string().as_str()))
        );
    }
    let stats = link.events.stats();
    assert_eq!(stats.parse_errors, 2);
    assert_eq!(stats.dropped, 19);
    assert_eq!(stuck.missed(), 19);
    assert_eq!(lock(&link.status).reconnects, 0, "the link never dropped");
    assert_eq!(link.readiness.borrow().generation, 1);
    link.cancel.cancel();
}

#[test]
fn reconnect_waits_stay_short_however_long_core_is_away() {
    // An hour of failed attempts: the wait never grows past the cap, so Core answering again
    // is noticed within 3 s (plus one connect) whatever happened before.
    let mut backoff = super::reconnect_backoff();
    let mut waited = Duration::ZERO;
    while waited < Duration::from_secs(3600) {
        let wait = backoff.next_delay();
        assert!(wait <= Duration::from_secs(3), "{wait:?} after {waited:?}");
        waited += wait;
    }
    assert!(
        backoff.failures() > 1000,
        "kept trying: {}",
        backoff.failures()
    );
}

#[test]
fn a_refused_token_still_backs_off_far() {
    let mut backoff = super::auth_backoff();
    let first = backoff.next_delay();
    assert!(first >= Duration::from_secs(15), "{first:?}");
    let later = (0..10)
        .map(|_| backoff.next_delay())
        .last()
        .unwrap_or_default();
    assert!(
        later >= Duration::from_secs(300),
        "grows towards 10 min: {later:?}"
    );
}

#[tokio::test]
async fn a_started_event_is_a_core_restart_and_a_socket_blip_is_not() {
    let fake = FakeHa::start().await;
    let events = HaEvents::new();
    let link = start_link(&fake, &events);
    let now = crate::util::unix_ms;
    wait_until(|| link.readiness.borrow().ready).await;
    assert_eq!(
        link.core.counts(now()),
        Some((0, 0)),
        "found running: no restart"
    );
    // The socket drops and the first reconnect finds Core running: not a restart.
    fake.push(Push::Close);
    wait_until(|| lock(&link.status).reconnects == 1 && link.readiness.borrow().ready).await;
    assert_eq!(link.core.counts(now()), Some((0, 0)));
    // Core says it (re)started on the live session: one restart.
    let started = fake.subscription(2, "homeassistant_started").await;
    fake.push(Push::Text(
        json!({"id": started, "type": "event", "event": {"event_type": "homeassistant_started",
            "data": {}, "origin": "LOCAL", "time_fired": "2026-12-07T23:00:00+00:00",
            "context": {"id": "01J"}}})
        .to_string(),
    ));
    wait_until(|| link.core.counts(now()) == Some((1, 1))).await;
    link.cancel.cancel();
}
