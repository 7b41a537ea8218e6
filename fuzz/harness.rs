//! What each fuzz target feeds the product, shared by the cargo-fuzz targets (`fuzz/`) and the
//! corpus replay in `tests/fuzz_corpus.rs`, so CI replays every corpus input on stable Rust.
//! Each function panics only when the product breaks a promise: a panic inside the product,
//! a server error, or an error that is not the API's JSON error.
#![allow(dead_code)]

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use resource_manager::config::{Cli, Config, Options};
use resource_manager::lease::{LeaseService, capacity};
use resource_manager::store::Store;
use resource_manager::web::{AppParts, AppState, router};
use tower::ServiceExt;

/// The options reader: any bytes that are JSON are judged, never a panic.
pub fn options(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data)
        && let Err(err) = Options::from_json(&value)
    {
        assert!(!err.problems.is_empty(), "a refusal names its problems");
    }
}

/// The history importer's CSV reader.
pub fn import_csv(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match resource_manager::store::import::parse(&text, 1_764_000_000_000) {
        Ok(_) => {}
        Err(bad) => assert!(!bad.is_empty(), "a refused file names a bad line"),
    }
}

/// Home Assistant WebSocket event messages.
pub fn ha_event(data: &[u8]) {
    let _ = resource_manager::ha::ws::events::parse_event_bytes(data);
}

/// A remote host's `/metrics` page: parsed, then mapped to our series twice (rates need two
/// reads), never a panic, and every sample the parser kept has a finite or NaN value and a name.
pub fn prometheus_text(data: &[u8]) {
    use resource_manager::collect::remote::{map, text};
    let page_text = String::from_utf8_lossy(data);
    let page = text::parse(&page_text);
    for sample in &page.samples {
        assert!(!sample.name.is_empty(), "a sample without a name");
    }
    let mut state = map::MapState::new("fuzz");
    let mut out = Vec::new();
    map::map_page(&page, 1_764_000_000_000, &mut state, &mut out);
    map::map_page(&page, 1_764_000_005_000, &mut state, &mut out);
}

/// The app's router with an open history and lease service, on a runtime of its own.
struct Served {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
}

fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let dir = std::env::temp_dir().join(format!("rm-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let app = runtime.block_on(async {
            let cli = Cli {
                data_dir: Some(dir.clone()),
                ..Cli::default()
            };
            let config = Config::load(&cli, &|_| None).expect("config");
            let store = Store::open(&config.database_path()).await.expect("store");
            let options = config.options.leases.clone();
            let (leases, writer) = LeaseService::open(
                store.clone(),
                store.clock().clone(),
                capacity::capacity(&options, 2, 4000),
                capacity::policy(&options),
                2.0,
                resource_manager::util::Emit::none(),
            )
            .await
            .expect("leases");
            tokio::spawn(writer.run(tokio_util::sync::CancellationToken::new()));
            let mut parts = AppParts::without_engine(config, store);
            parts.leases = Some(leases);
            router(AppState::new(parts))
        });
        Served { runtime, app }
    })
}

/// Routes the HTTP target aims at, so inputs reach handlers rather than only the 404.
const PATHS: &[&str] = &[
    "/api/v1/leases",
    "/api/v1/leases/",
    "/api/v1/feedback",
    "/api/v1/alerts",
    "/api/v1/alerts/",
    "/api/v1/metrics/",
    "/api/v1/forecasts/",
    "/api/v1/forecasts",
    "/api/v1/status",
    "/api/v1/report",
    "/api/v1/diagnostics",
    "/healthz",
    "/metrics",
    "/",
    "/api/v1/recommendations",
    "/api/v1/recommendations/",
    "/api/v1/actions",
    "/api/v1/recorder",
    "/api/v1/hosts",
];
const METHODS: &[&str] = &["GET", "POST", "DELETE", "PUT", "HEAD"];

/// One request built from the bytes: method, path (a route plus fuzzed text), query and JSON
/// body. The answer must not be a server error (503 is a refusal, not a failure), and any
/// error must be the API's JSON error.
pub fn http_request(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let method = METHODS[usize::from(data[0]) % METHODS.len()];
    let base = PATHS[usize::from(data[1]) % PATHS.len()];
    let rest = String::from_utf8_lossy(&data[2..]);
    let (target, body) = rest.split_once('\n').unwrap_or((&rest, ""));
    let (suffix, query) = target.split_once('?').unwrap_or((target, ""));
    let mut uri = String::from(base);
    for byte in suffix
        .bytes()
        .filter(|b| !b.is_ascii_control() && *b != b' ')
    {
        uri.push_str(&encode(byte));
    }
    if !query.is_empty() {
        uri.push('?');
        for byte in query
            .bytes()
            .filter(|b| !b.is_ascii_control() && *b != b' ')
        {
            match byte {
                b'=' | b'&' => uri.push(char::from(byte)),
                other => uri.push_str(&encode(other)),
            }
        }
    }
    let Ok(request) = Request::builder()
        .method(method)
        .uri(&uri)
        .header("host", "127.0.0.1:8099")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
    else {
        return;
    };
    let mut request = request;
    request
        .extensions_mut()
        .insert(ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))));
    let served = served();
    let response = served
        .runtime
        .block_on(served.app.clone().oneshot(request))
        .expect("the router never fails");
    let status = response.status();
    assert!(
        !status.is_server_error() || status.as_u16() == 503,
        "{method} {uri} answered {status}"
    );
    if status.as_u16() >= 400 && method != "HEAD" {
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(
            content_type.starts_with("application/json"),
            "{method} {uri} answered {status} as {content_type:?}"
        );
        let bytes = served
            .runtime
            .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
            .expect("body");
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON error body");
        assert!(json["error"]["code"].is_string(), "{method} {uri}: {json}");
    }
}

/// A path or query byte as the text a client would send: unreserved bytes as they are,
/// everything else percent-encoded.
fn encode(byte: u8) -> String {
    if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
        char::from(byte).to_string()
    } else {
        format!("%{byte:02X}")
    }
}
