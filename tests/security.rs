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
