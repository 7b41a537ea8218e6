//! An EMULATED Supervisor (the real one cannot run here), built from the documented response
//! shapes: `{"result":"ok","data":…}` envelopes, 403 for a weak role, 5xx, and the
//! `POST /addons/<slug>/start|stop|restart` actions, which it records and can be told to refuse.
//! Add-on roles (`/addons/<slug>/info`), the data disk's usage and a host-network add-on's
//! zero network counters follow the real handlers (`facts.rs` cites each).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::addon_web::AddonWeb;

/// How the emulated Supervisor behaves.
#[derive(Clone, Copy, PartialEq)]
pub enum Role {
    /// `hassio_role: manager`: everything answers.
    Manager,
    /// `hassio_role: default`: `/addons`, stats and actions are forbidden.
    Default,
}

/// A failure of the whole Supervisor API (all but `/addons/self/info`), for fault tests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Answers normally.
    None,
    /// Answers normally after this long.
    Slow(Duration),
    /// 503 with the Supervisor's error envelope.
    ServerError,
    /// 200 with a body that is not JSON.
    Malformed,
    /// Accepts the request and never answers.
    Silent,
}

/// One action request as the emulator received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionCall {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: String,
}

/// `(slug, action)` to the `(status, message)` it is refused with.
type Failures = HashMap<(String, String), (u16, String)>;

#[derive(Clone)]
struct Emulator {
    role: Role,
    calls: Arc<AtomicU64>,
    /// Slugs whose stats call fails with 500.
    broken: Arc<Vec<&'static str>>,
    /// Add-on states, changed by the actions.
    states: Arc<Mutex<HashMap<String, String>>>,
    actions: Arc<Mutex<Vec<ActionCall>>>,
    /// `(slug, action)` answered with this status and message instead of being done.
    failures: Arc<Mutex<Failures>>,
    /// How long an action takes before the answer.
    action_delay: Duration,
    /// `data` of `GET /addons/self/info` (the bypass list: any role may read it).
    self_info: Arc<Mutex<Value>>,
    /// `/host/info`'s `disk_life_time` (`None`: the key is left out, as on non-eMMC hosts).
    life_time: Arc<Mutex<Option<Value>>>,
    /// The fault every call but `/addons/self/info` suffers.
    fault: Arc<Mutex<Fault>>,
    /// Installed add-ons: `(name, slug, version)`.
    installed: Arc<Mutex<Vec<(String, String, String)>>>,
    /// The query strings `/host/disks/default/usage` was asked with.
    usage_queries: Arc<Mutex<Vec<String>>>,
    /// The board `/info` and `/os/info` describe (a folder of `tests/fixtures/boards/`).
    board: Arc<Mutex<&'static str>>,
    /// What a broker add-on registered for `GET /services/mqtt` (`None`: no provider).
    mqtt: Arc<Mutex<Option<Value>>>,
    /// The web servers of the add-ons with Ingress (slug to server).
    web: Arc<Mutex<HashMap<String, AddonWeb>>>,
}

/// A running emulator: its URL, the actions it received, and failures to inject.
pub struct Supervisor {
    pub url: String,
    emulator: Emulator,
}

const ADDONS: [(&str, &str, &str, &str); 3] = [
    ("Mosquitto broker", "core_mosquitto", "started", "6.4.0"),
    ("File editor", "core_configurator", "started", "5.8.0"),
    ("Samba share", "core_samba", "stopped", "12.3.0"),
];

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn ok(data: Value) -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({"result": "ok", "data": data})))
}

fn error(status: StatusCode, message: &str) -> (StatusCode, Json<Value>) {
    (status, Json(json!({"result": "error", "message": message})))
}

fn forbidden() -> (StatusCode, Json<Value>) {
    error(StatusCode::FORBIDDEN, "Access not allowed")
}

/// `GET /services/mqtt`, as `supervisor/api/services.py` `APIServices.get_service` answers
/// it: the provider's data (shaped by `SCHEMA_SERVICE_MQTT` in
/// `supervisor/services/modules/mqtt.py`: host, port, username, password, ssl, protocol), or
/// `APIError("Service not enabled")` (400) when no add-on provides the service.
async fn mqtt_service(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    match lock(&e.mqtt).clone() {
        Some(data) => ok(data),
        None => error(StatusCode::BAD_REQUEST, "Service not enabled"),
    }
}

async fn addons(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    if e.role == Role::Default {
        return forbidden();
    }
    let states = lock(&e.states);
    let list: Vec<Value> = lock(&e.installed)
        .iter()
        .map(|(name, slug, version)| json!({"name": name, "slug": slug, "state": states.get(slug), "version": version, "repository": "core"}))
        .collect();
    ok(json!({ "addons": list }))
}

fn stats(e: &Emulator, memory: u64) -> Value {
    // Cumulative counters grow by a fixed amount per call, so rates are predictable.
    let n = e.calls.fetch_add(1, Ordering::SeqCst);
    json!({"cpu_percent": 1.5, "memory_usage": memory, "memory_limit": 4_000_000_000u64, "memory_percent": memory as f64 / 4e7,
           "network_rx": 1_000_000 + n * 10_000, "network_tx": 500_000 + n * 10_000, "blk_read": 0, "blk_write": 4096 * n})
}

async fn addon_stats(
    State(e): State<Emulator>,
    Path(slug): Path<String>,
) -> (StatusCode, Json<Value>) {
    if e.role == Role::Default {
        return forbidden();
    }
    if e.broken.contains(&slug.as_str()) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "Docker API error");
    }
    let started = lock(&e.states).get(&slug).is_some_and(|s| s == "started");
    match slug.as_str() {
        "core_mosquitto" => ok(stats(&e, 30_000_000)),
        "core_configurator" => ok(stats(&e, 90_000_000)),
        _ if started => ok(crate::facts::quiet(stats(&e, 50_000_000), &slug)),
        _ => error(StatusCode::BAD_REQUEST, "App is not running"),
    }
}

/// `GET /addons/<slug>/info`: any role may read it (`supervisor/api/middleware/security.py`:
/// `/.+/info` is in every role's pattern); an unknown slug is `APINotFound` ("App <slug> does
/// not exist", `APIApps.get_app_for_request`).
async fn addon_info(
    State(e): State<Emulator>,
    Path(slug): Path<String>,
) -> (StatusCode, Json<Value>) {
    let state = lock(&e.states).get(&slug).cloned().unwrap_or_default();
    let name = lock(&e.installed)
        .iter()
        .find(|(_, s, _)| *s == slug)
        .map(|(n, _, _)| n.clone());
    match name.and_then(|name| crate::facts::addon_info(&slug, &name, &state)) {
        // The container's address on the hassio network is, here, the loopback server's.
        Some(mut info) => {
            if let Some(web) = lock(&e.web).get(&slug) {
                info["ip_address"] = json!("127.0.0.1");
                info["ingress_port"] = json!(web.port);
            }
            ok(info)
        }
        None => error(StatusCode::NOT_FOUND, &format!("App {slug} does not exist")),
    }
}

/// `GET /host/disks/default/usage` (manager role) on the v1 route; see `facts::disk_usage`.
async fn disk_usage(
    State(e): State<Emulator>,
    Query(query): Query<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    if e.role == Role::Default {
        return forbidden();
    }
    let depth = query.get("max_depth").map(String::as_str);
    lock(&e.usage_queries).push(depth.map_or(String::new(), |d| format!("max_depth={d}")));
    ok(crate::facts::disk_usage(depth, true))
}

/// `POST /addons/<slug>/<action>`: recorded; answered like `supervisor/api/apps.py` does.
async fn action(
    State(e): State<Emulator>,
    Path((slug, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, Json<Value>) {
    lock(&e.actions).push(ActionCall {
        method: "POST".into(),
        path: format!("/addons/{slug}/{action}"),
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body,
    });
    tokio::time::sleep(e.action_delay).await;
    if e.role == Role::Default {
        return forbidden();
    }
    if let Some((status, message)) = lock(&e.failures).get(&(slug.clone(), action.clone())) {
        let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST);
        return error(status, message);
    }
    let mut states = lock(&e.states);
    let Some(state) = states.get_mut(&slug) else {
        return error(StatusCode::NOT_FOUND, &format!("App {slug} does not exist"));
    };
    *state = match action.as_str() {
        "stop" => "stopped",
        "start" | "restart" => "started",
        _ => return error(StatusCode::NOT_FOUND, "Not found"),
    }
    .to_string();
    ok(json!({}))
}

async fn core_stats(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    ok(stats(&e, 400_000_000))
}

async fn supervisor_stats(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    if e.role == Role::Default {
        return forbidden();
    }
    ok(stats(&e, 120_000_000))
}

/// The `data` of a board's fixture answer (`tests/fixtures/boards/<board>/<file>`; where each
/// value comes from is in that folder's README).
fn board_answer(board: &str, file: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/boards")
        .join(board)
        .join(file);
    let text = std::fs::read_to_string(&path).expect("board fixture");
    let mut body: Value = serde_json::from_str(&text).expect("board fixture json");
    body["data"].take()
}

/// `GET /info`: the shape of `supervisor/api/root.py` `APIRoot.info`, with the board's
/// `machine` (`BR2_PACKAGE_HASSIO_MACHINE` of its Home Assistant OS defconfig).
async fn info(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    let board = *lock(&e.board);
    let mut data = board_answer(board, "info.json");
    // The hostname the privacy test looks for.
    data["hostname"] = json!("my-secret-host");
    ok(data)
}

async fn host_info(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    let mut data = json!({"hostname": "my-secret-host", "kernel": "6.12.20", "operating_system": "Home Assistant OS 16.3", "disk_total": 58.0, "disk_used": 21.5, "disk_free": 36.5, "chassis": "embedded"});
    if let Some(life_time) = lock(&e.life_time).clone() {
        data["disk_life_time"] = life_time;
    }
    ok(data)
}

async fn self_info(State(e): State<Emulator>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer emulated-token") {
        return error(StatusCode::UNAUTHORIZED, "Invalid token");
    }
    ok(lock(&e.self_info).clone())
}

/// `GET /os/info`: the shape of `supervisor/api/os.py` `APIOS.info`, with the board's
/// `board` (its Home Assistant OS `BOARD_ID`, read back from the CPE by
/// `supervisor/os/manager.py` `OSManager.load`). Any role may read it.
async fn os_info(State(e): State<Emulator>) -> (StatusCode, Json<Value>) {
    let board = *lock(&e.board);
    ok(board_answer(board, "os_info.json"))
}

/// Applies the current [`Fault`] before the route answers.
async fn with_fault(
    State(e): State<Emulator>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request.uri().path() == "/addons/self/info" {
        return next.run(request).await;
    }
    let fault = *lock(&e.fault);
    match fault {
        Fault::None => next.run(request).await,
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Fault::ServerError => {
            error(StatusCode::SERVICE_UNAVAILABLE, "Supervisor is busy").into_response()
        }
        Fault::Malformed => (
            StatusCode::OK,
            [("content-type", "application/json")],
            "{\"result\": \"ok\", \"data\": {\"addons\": [",
        )
            .into_response(),
        Fault::Silent => std::future::pending().await,
    }
}

impl Supervisor {
    /// A client of this emulator, as the add-on's own (the token is never checked here).
    pub fn client(&self) -> resource_manager::supervisor::SupervisorClient {
        resource_manager::supervisor::SupervisorClient::new(
            &resource_manager::config::SupervisorEndpoint {
                url: self.url.clone(),
                token: resource_manager::config::Secret::new("emulated-token"),
            },
        )
        .expect("client")
    }

    /// Starts an emulator with `role`; stats of the `broken` slugs fail with 500.
    pub async fn start(role: Role, broken: Vec<&'static str>) -> Supervisor {
        Self::start_with_delay(role, broken, Duration::ZERO).await
    }

    /// [`Self::start`], with every action taking `action_delay` before it answers.
    pub async fn start_with_delay(
        role: Role,
        broken: Vec<&'static str>,
        action_delay: Duration,
    ) -> Supervisor {
        let emulator = Emulator {
            role,
            calls: Arc::new(AtomicU64::new(0)),
            broken: Arc::new(broken),
            states: Arc::new(Mutex::new(
                ADDONS
                    .iter()
                    .map(|(_, slug, state, _)| (slug.to_string(), state.to_string()))
                    .collect(),
            )),
            actions: Arc::default(),
            failures: Arc::default(),
            action_delay,
            self_info: Arc::new(Mutex::new(json!({
                "name": "Resource Manager", "slug": "resource_manager", "state": "started",
                "ingress": true, "ingress_port": 63412, "ip_address": "172.30.32.1",
                "host_network": true, "host_pid": true, "protected": true,
                "hassio_role": "manager", "rating": 3
            }))),
            life_time: Arc::new(Mutex::new(Some(json!(10.0)))),
            fault: Arc::new(Mutex::new(Fault::None)),
            installed: Arc::new(Mutex::new(
                ADDONS
                    .iter()
                    .map(|(name, slug, _, version)| {
                        (name.to_string(), slug.to_string(), version.to_string())
                    })
                    .collect(),
            )),
            usage_queries: Arc::default(),
            board: Arc::new(Mutex::new("rpi5-64")),
            mqtt: Arc::default(),
            web: Arc::default(),
        };
        // The File editor has Ingress (`facts.rs`): its UI is a real listener.
        let web = AddonWeb::start().await;
        lock(&emulator.web).insert("core_configurator".into(), web);
        let app = Router::new()
            .route("/addons", get(addons))
            .route("/addons/self/info", get(self_info))
            .route("/addons/{slug}/stats", get(addon_stats))
            .route("/addons/{slug}/info", get(addon_info))
            .route("/host/disks/default/usage", get(disk_usage))
            .route("/addons/{slug}/{action}", post(action))
            .route("/core/stats", get(core_stats))
            .route("/supervisor/stats", get(supervisor_stats))
            .route("/info", get(info))
            .route("/host/info", get(host_info))
            .route("/os/info", get(os_info))
            .route("/services/mqtt", get(mqtt_service))
            .layer(axum::middleware::from_fn_with_state(
                emulator.clone(),
                with_fault,
            ))
            .with_state(emulator.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Supervisor { url, emulator }
    }

    /// From now on `GET /addons/self/info` answers `data`.
    pub fn set_self_info(&self, data: Value) {
        *lock(&self.emulator.self_info) = data;
    }

    /// Actions received so far.
    pub fn actions(&self) -> Vec<ActionCall> {
        lock(&self.emulator.actions).clone()
    }

    /// The state the emulator holds for `slug`.
    pub fn state(&self, slug: &str) -> Option<String> {
        lock(&self.emulator.states).get(slug).cloned()
    }

    /// Sets the state the emulator reports for `slug` (an add-on stopping on its own).
    pub fn set_state(&self, slug: &str, state: &str) {
        lock(&self.emulator.states).insert(slug.to_string(), state.to_string());
    }

    /// From now on `/host/info` reports `disk_life_time` as `value` (`None`: leaves it out).
    pub fn set_life_time(&self, value: Option<Value>) {
        *lock(&self.emulator.life_time) = value;
    }

    /// Installs the add-on `slug` (its role from `facts.rs`) in `state`.
    pub fn install(&self, name: &str, slug: &str, state: &str) {
        lock(&self.emulator.installed).push((name.into(), slug.into(), "1.0.0".into()));
        self.set_state(slug, state);
    }

    /// Uninstalls the add-on `slug`: `/addons` no longer lists it, its stats are gone.
    pub fn uninstall(&self, slug: &str) {
        lock(&self.emulator.installed).retain(|(_, s, _)| s != slug);
        lock(&self.emulator.states).remove(slug);
    }

    /// The queries `/host/disks/default/usage` was asked with so far.
    pub fn usage_queries(&self) -> Vec<String> {
        lock(&self.emulator.usage_queries).clone()
    }

    /// From now on `/info` and `/os/info` describe `board` (a folder of
    /// `tests/fixtures/boards/`: `rpi4-64`, `green`, `ova`, …).
    pub fn set_board(&self, board: &'static str) {
        *lock(&self.emulator.board) = board;
    }

    /// From now on `GET /services/mqtt` names a broker on 127.0.0.1:`port` (as the Mosquitto
    /// add-on registers itself), with these credentials.
    pub fn provide_mqtt(&self, port: u16, username: &str, password: &str) {
        *lock(&self.emulator.mqtt) = Some(json!({"host": "127.0.0.1", "port": port,
            "username": username, "password": password, "ssl": false, "protocol": "3.1.1"}));
    }

    /// [`Self::provide_mqtt`] for a broker that speaks only TLS (`ssl: true`).
    pub fn provide_mqtt_tls(&self, port: u16) {
        *lock(&self.emulator.mqtt) = Some(json!({"host": "127.0.0.1", "port": port,
            "username": "addons", "password": "unused", "ssl": true, "protocol": "3.1.1"}));
    }

    /// The web server behind `slug`'s Ingress (the File editor has one from the start).
    pub fn addon_web(&self, slug: &str) -> Option<AddonWeb> {
        lock(&self.emulator.web).get(slug).cloned()
    }

    /// From now on every call but `/addons/self/info` suffers `fault`.
    pub fn set_fault(&self, fault: Fault) {
        *lock(&self.emulator.fault) = fault;
    }

    /// From now on `action` on `slug` is refused with `status` and `message`.
    pub fn refuse(&self, slug: &str, action: &str, status: u16, message: &str) {
        lock(&self.emulator.failures).insert(
            (slug.to_string(), action.to_string()),
            (status, message.to_string()),
        );
    }
}

/// A history in `dir` on `clock`, for the advisor tests that move time by hand.
pub async fn store_on(
    dir: &std::path::Path,
    clock: &resource_manager::util::ManualClock,
) -> resource_manager::store::Store {
    resource_manager::store::Store::open_with(
        &dir.join("history.db"),
        resource_manager::store::StoreOptions {
            clock: clock.clock(),
            ..resource_manager::store::StoreOptions::default()
        },
    )
    .await
    .expect("store")
}
