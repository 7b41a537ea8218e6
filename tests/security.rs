//! Access control: only loopback and the Ingress proxy without a token; state-changing
//! requests only from this origin.

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

#[tokio::test]
async fn addon_mode_serves_the_ingress_proxy_and_loopback_and_refuses_the_lan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = |k: &str| (k == "SUPERVISOR_TOKEN").then(|| "t".to_string());
    let options = dir.path().join("options.json");
    std::fs::write(&options, "{}").expect("options");
    let cli = Cli {
        data_dir: Some(dir.path().to_path_buf()),
        options: Some(options),
        ..Cli::default()
    };
    let config = Config::load(&cli, &env).expect("config");
    let store = Store::open(&config.database_path()).await.expect("store");
    let app = router(AppState::new(AppParts::without_engine(config, store)));
    for (peer, expected) in [
        ("172.30.32.2:40000", StatusCode::OK),
        ("127.0.0.1:40000", StatusCode::OK),
        ("192.168.1.20:40000", StatusCode::UNAUTHORIZED),
        ("172.30.32.1:40000", StatusCode::UNAUTHORIZED),
    ] {
        let res = app
            .clone()
            .oneshot(from(peer, "/healthz"))
            .await
            .expect("response");
        assert_eq!(res.status(), expected, "{peer}");
    }
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
