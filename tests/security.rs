//! Access control: standalone, loopback without a token; in add-on mode only the Ingress
//! proxy (loopback is every host-network process); a wrong token refused from every peer;
//! state-changing requests only from this origin.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use resource_manager::config::{Cli, Config};
use resource_manager::store::Store;
use resource_manager::web::{AppParts, AppState, router};
use tower::ServiceExt;

async fn app(
    dir: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
    token: Option<&str>,
) -> axum::Router {
    let cli = Cli {
        data_dir: Some(dir.to_path_buf()),
        api_token: token.map(String::from),
        ..Cli::default()
    };
    let config = Config::load(&cli, env).expect("config");
    let store = Store::open(&config.database_path()).await.expect("store");
    router(AppState::new(AppParts::without_engine(config, store)))
}

fn from(peer: &str, path: &str) -> Request<Body> {
    let mut req = Request::builder()
        .uri(path)
        .body(Body::empty())
        .expect("request");
    req.extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().expect("addr")));
    req
}

/// The router in add-on mode with `options` as `/data/options.json`.
async fn addon_app(dir: &std::path::Path, options: &str) -> axum::Router {
    let env = |k: &str| (k == "SUPERVISOR_TOKEN").then(|| "t".to_string());
    let path = dir.join("options.json");
    std::fs::write(&path, options).expect("options");
    let cli = Cli {
        data_dir: Some(dir.to_path_buf()),
        options: Some(path),
        ..Cli::default()
    };
    let config = Config::load(&cli, &env).expect("config");
    let store = Store::open(&config.database_path()).await.expect("store");
    router(AppState::new(AppParts::without_engine(config, store)))
}

async fn status_of(
    app: &axum::Router,
    method: &str,
    peer: &str,
    path: &str,
    auth: Option<&str>,
) -> StatusCode {
    let mut req = from(peer, path);
    *req.method_mut() = method.parse().expect("method");
    if let Some(auth) = auth {
        req.headers_mut()
            .insert("authorization", auth.parse().expect("header"));
    }
    if method != "GET" {
        req.headers_mut()
            .insert("content-type", "application/json".parse().expect("header"));
        *req.body_mut() = Body::from("{}");
    }
    app.clone().oneshot(req).await.expect("response").status()
}

#[tokio::test]
async fn addon_mode_serves_the_ingress_proxy_and_refuses_loopback_and_the_lan_without_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = addon_app(dir.path(), "{}").await;
    for (peer, path, expected) in [
        ("172.30.32.2:40000", "/api/v1/status", StatusCode::OK),
        (
            "[::ffff:172.30.32.2]:40000",
            "/api/v1/status",
            StatusCode::OK,
        ),
        ("127.0.0.1:40000", "/healthz", StatusCode::OK),
        (
            "127.0.0.1:40000",
            "/api/v1/status",
            StatusCode::UNAUTHORIZED,
        ),
        ("[::1]:40000", "/metrics", StatusCode::UNAUTHORIZED),
        ("127.0.0.1:40000", "/", StatusCode::UNAUTHORIZED),
        (
            "192.168.1.20:40000",
            "/api/v1/status",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "172.30.32.1:40000",
            "/api/v1/status",
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        assert_eq!(
            status_of(&app, "GET", peer, path, None).await,
            expected,
            "{peer} {path}"
        );
    }
    for (method, path) in [
        ("POST", "/api/v1/actions"),
        ("POST", "/api/v1/leases"),
        ("POST", "/api/v1/feedback"),
        ("POST", "/api/v1/alerts/1/ack"),
        ("POST", "/api/v1/recommendations/x/snooze"),
        ("DELETE", "/api/v1/leases/lease-1"),
    ] {
        assert_eq!(
            status_of(&app, method, "127.0.0.1:40000", path, None).await,
            StatusCode::UNAUTHORIZED,
            "{method} {path} from loopback"
        );
    }
}

#[tokio::test]
async fn addon_mode_serves_the_api_token_and_the_opened_metrics_and_counts_refusals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = addon_app(
        dir.path(),
        r#"{"access": {"api_token": "api-token-0123456789", "open_reads": ["metrics"]}}"#,
    )
    .await;
    let lo = "127.0.0.1:40000";
    let right = Some("Bearer api-token-0123456789");
    assert_eq!(
        status_of(&app, "GET", lo, "/api/v1/status", right).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&app, "GET", lo, "/metrics", None).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&app, "GET", lo, "/api/v1/status", None).await,
        StatusCode::UNAUTHORIZED
    );
    // A wrong token is refused even from the Ingress gateway, and on an opened path.
    for (peer, path) in [
        ("172.30.32.2:1", "/api/v1/status"),
        (lo, "/metrics"),
        (lo, "/healthz"),
    ] {
        assert_eq!(
            status_of(&app, "GET", peer, path, Some("Bearer api-token-012345678")).await,
            StatusCode::UNAUTHORIZED,
            "{peer} {path}"
        );
    }
    let mut req = from(lo, "/metrics");
    *req.method_mut() = "GET".parse().expect("method");
    let res = app.clone().oneshot(req).await.expect("response");
    let body = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("resource_manager_http_refused_total{reason=\"wrong_token\"} 3"),
        "refusals counted: {}",
        text.lines()
            .filter(|l| l.contains("refused"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(text.contains("resource_manager_http_refused_total{reason=\"no_token\"} 1"));
}

#[tokio::test]
async fn standalone_loopback_is_trusted_but_a_wrong_token_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path(), &|_| None, Some("s3cret-0123456789")).await;
    let lo = "127.0.0.1:40000";
    assert_eq!(
        status_of(&app, "GET", lo, "/api/v1/status", None).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&app, "POST", lo, "/api/v1/leases", Some("Bearer wrong")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn other_peers_need_the_api_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path(), &|_| None, Some("s3cret")).await;
    let res = app
        .clone()
        .oneshot(from("10.1.2.3:5000", "/api/v1/status"))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body = axum::body::to_bytes(res.into_body(), 10_000)
        .await
        .expect("body");
    let json: serde_json::Value = serde_json::from_slice(&body).expect("json error");
    assert_eq!(json["error"]["code"], "unauthorized");
    let mut req = from("10.1.2.3:5000", "/healthz");
    req.headers_mut()
        .insert("authorization", "Bearer s3cret".parse().expect("header"));
    assert_eq!(
        app.oneshot(req).await.expect("response").status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused_before_any_handler() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path(), &|_| None, None).await;
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/status")
        .header("host", "127.0.0.1:8099")
        .header("origin", "http://evil.example")
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .expect("request");
    req.extensions_mut().insert(ConnectInfo(
        "127.0.0.1:1".parse::<SocketAddr>().expect("addr"),
    ));
    assert_eq!(
        app.clone().oneshot(req).await.expect("response").status(),
        StatusCode::FORBIDDEN
    );
    let mut form = Request::builder()
        .method("POST")
        .uri("/api/v1/status")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("a=b"))
        .expect("request");
    form.extensions_mut().insert(ConnectInfo(
        "127.0.0.1:1".parse::<SocketAddr>().expect("addr"),
    ));
    assert_eq!(
        app.oneshot(form).await.expect("response").status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_lease_token_lets_other_addons_use_the_lease_api_and_nothing_else() {
    use resource_manager::lease::{LeaseService, capacity};
    let dir = tempfile::tempdir().expect("tempdir");
    let env = |k: &str| (k == "SUPERVISOR_TOKEN").then(|| "t".to_string());
    let options = dir.path().join("options.json");
    std::fs::write(
        &options,
        r#"{"leases": {"token": "lease-token-0123456789"}}"#,
    )
    .expect("options");
    let cli = Cli {
        data_dir: Some(dir.path().to_path_buf()),
        options: Some(options),
        ..Cli::default()
    };
    let config = Config::load(&cli, &env).expect("config");
    let store = Store::open(&config.database_path()).await.expect("store");
    let leases_options = config.options.leases.clone();
    let (leases, writer) = LeaseService::open(
        store.clone(),
        store.clock().clone(),
        capacity::capacity(&leases_options, 2, 4000),
        capacity::policy(&leases_options),
        2.0,
        resource_manager::util::Emit::none(),
    )
    .await
    .expect("leases");
    let stop = tokio_util::sync::CancellationToken::new();
    let writer = tokio::spawn(writer.run(stop.clone()));
    let mut parts = AppParts::without_engine(config, store);
    parts.leases = Some(leases);
    let app = router(AppState::new(parts));

    // Another add-on on the hassio network: not the dashboard, not loopback.
    let call = |method: &str, path: &str, token: Option<&str>, body: &str| {
        let mut req = from("172.30.33.5:40000", path);
        *req.method_mut() = method.parse().expect("method");
        if let Some(token) = token {
            req.headers_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("header"),
            );
        }
        req.headers_mut()
            .insert("content-type", "application/json".parse().expect("header"));
        *req.body_mut() = Body::from(body.to_string());
        app.clone().oneshot(req)
    };
    let token = Some("lease-token-0123456789");
    let ask = r#"{"holder": "addon_x", "resources": {"slots": {"heavy": 1}}}"#;
    assert_eq!(
        call("POST", "/api/v1/leases", None, ask)
            .await
            .expect("res")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(
            "POST",
            "/api/v1/leases",
            Some("wrong-token-0123456789"),
            ask
        )
        .await
        .expect("res")
        .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call("POST", "/api/v1/leases", token, ask)
            .await
            .expect("res")
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        call("GET", "/api/v1/leases", token, "")
            .await
            .expect("res")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        call("GET", "/api/v1/status", token, "")
            .await
            .expect("res")
            .status(),
        StatusCode::UNAUTHORIZED,
        "the lease token opens the lease API only"
    );
    stop.cancel();
    writer.await.expect("writer");
}
