//! Requests as they really arrive through Home Assistant's Ingress: Core's ingress view (no
//! `Accept-Encoding`, `X-Ingress-Path`, `X-Hass-Source`, `X-Forwarded-For/Host/Proto`, `Host`
//! unchanged) and then the Supervisor's proxy from 172.30.32.2 (`X-Remote-User-*`). Votes are
//! counted per Home Assistant user; the user header from any other peer is ignored.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use resource_manager::store::Store;
use resource_manager::web::{AppParts, AppState, router};
use serde_json::Value;
use tower::ServiceExt;

const PROXY: &str = "172.30.32.2:51000";
const LOOPBACK: &str = "127.0.0.1:51000";
const ALICE: &str = "5a7e1c0d9b8f4e2a8c6b4d2f0e1a3c5b";
const BOB: &str = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e";

/// An add-on-mode router and its store.
async fn addon_app(dir: &std::path::Path) -> (axum::Router, Store) {
    let config = common::addon_config(dir);
    let store = Store::open(&config.database_path()).await.expect("store");
    let app = router(AppState::new(AppParts::without_engine(
        config,
        store.clone(),
    )));
    (app, store)
}

/// A request with the header set Core and the Supervisor send for a page at
/// `https://ha.example.com` (`user`: the Supervisor's `X-Remote-User-*`). From any other peer
/// the Host is `localhost`: a foreign name is refused there before anything else.
fn ingress(method: &str, path: &str, peer: &str, user: Option<&str>, body: &str) -> Request<Body> {
    let host = if peer.starts_with("172.30.32.2:") {
        "ha.example.com"
    } else {
        "localhost:8099"
    };
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, host)
        .header("x-forwarded-host", "ha.example.com")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "192.168.1.30, 172.30.32.1")
        .header("x-ingress-path", "/api/hassio_ingress/AbC123tok")
        .header("x-hass-source", "core.ingress")
        .header(header::ORIGIN, "https://ha.example.com")
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(id) = user {
        b = b
            .header("x-remote-user-id", id)
            .header("x-remote-user-name", "alice")
            .header("x-remote-user-display-name", "Alice Liddell");
    }
    if !peer.starts_with("172.30.32.2:") {
        // In add-on mode loopback is every host-network process: it needs the API token.
        b = b.header(
            header::AUTHORIZATION,
            format!("Bearer {}", common::ADDON_API_TOKEN),
        );
    }
    let mut req = b.body(Body::from(body.to_string())).expect("request");
    req.extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().expect("addr")));
    req
}

/// A vote carrying `cookie` (the `name=value` part of a Set-Cookie).
fn vote_with_cookie(peer: &str, user: Option<&str>, cookie: &str) -> Request<Body> {
    let mut req = vote(peer, user);
    let pair = cookie.split(';').next().unwrap_or_default().to_string();
    req.headers_mut()
        .insert(header::COOKIE, pair.parse().expect("cookie header"));
    req
}

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, Option<String>, Value) {
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body = axum::body::to_bytes(res.into_body(), 100_000)
        .await
        .expect("body");
    (
        status,
        cookie,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

fn vote(peer: &str, user: Option<&str>) -> Request<Body> {
    ingress("POST", "/api/v1/feedback", peer, user, r#"{"vote": "up"}"#)
}

#[tokio::test]
async fn votes_behind_ingress_are_counted_once_per_home_assistant_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, store) = addon_app(dir.path()).await;

    let (status, cookie, body) = send(&app, vote(PROXY, Some(ALICE))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(cookie, None, "a named user needs no cookie");
    assert!(body["feedback"]["you"]["last_vote_at"].is_number());
    let stored = store
        .last_vote_of(&format!("ha:{ALICE}"))
        .await
        .expect("read");
    assert!(stored.is_some(), "stored under the user's id");

    // The same user from another browser (no cookie): still one vote an hour.
    let (status, _, body) = send(&app, vote(PROXY, Some(ALICE))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");

    // Another user votes on their own account.
    let (status, cookie, _) = send(&app, vote(PROXY, Some(BOB))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(cookie, None);

    // GET shows each user their own state.
    let (_, _, alice) = send(
        &app,
        ingress("GET", "/api/v1/feedback", PROXY, Some(ALICE), ""),
    )
    .await;
    assert_eq!(
        alice["you"]["last_vote_at"],
        Value::from(stored.expect("vote"))
    );
    assert!(alice["you"]["next_vote_at"].is_number());
    let (_, _, carol) = send(
        &app,
        ingress("GET", "/api/v1/feedback", PROXY, Some("c4a01"), ""),
    )
    .await;
    assert!(carol["you"]["last_vote_at"].is_null(), "{carol}");
    assert_eq!(carol["votes_7d"], 2);

    // Without a user (the Supervisor sends none for a session without one): the cookie.
    let (status, cookie, _) = send(&app, vote(PROXY, None)).await;
    assert_eq!(status, StatusCode::CREATED);
    let cookie = cookie.expect("browser cookie");
    assert!(
        cookie.contains("Path=/api/hassio_ingress/AbC123tok/"),
        "{cookie}"
    );

    // No user name reaches the database.
    let db = std::fs::read(dir.path().join("history.db")).unwrap_or_default();
    let wal = std::fs::read(dir.path().join("history.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("Alice Liddell") && !text.contains("alice"));
    }
}

#[tokio::test]
async fn the_user_header_from_any_other_peer_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, store) = addon_app(dir.path()).await;

    // A loopback client claiming to be Alice votes as a new browser, not as Alice…
    let (status, cookie, body) = send(&app, vote(LOOPBACK, Some(ALICE))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(cookie.is_some(), "treated as a browser: it gets a cookie");
    assert_eq!(
        store
            .last_vote_of(&format!("ha:{ALICE}"))
            .await
            .expect("read"),
        None
    );
    let (_, _, seen) = send(
        &app,
        ingress("GET", "/api/v1/feedback", LOOPBACK, Some(ALICE), ""),
    )
    .await;
    assert!(seen["you"]["last_vote_at"].is_null(), "{seen}");

    // …so Alice herself, through the proxy, still has her vote.
    let (status, _, body) = send(&app, vote(PROXY, Some(ALICE))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // And a loopback client cannot use up or read Alice's vote state either: posting again
    // without a cookie it is the same anonymous client, counted once.
    let (status, _, _) = send(&app, vote(LOOPBACK, Some(ALICE))).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same anonymous client"
    );
}

#[tokio::test]
async fn malformed_user_ids_from_the_proxy_fall_back_to_the_cookie() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, _) = addon_app(dir.path()).await;
    let long = "a".repeat(65);
    for bad in ["x y", "ha:42", long.as_str()] {
        // The page gives each browser its cookie as it loads the feedback.
        let (_, cookie, _) = send(
            &app,
            ingress("GET", "/api/v1/feedback", PROXY, Some(bad), ""),
        )
        .await;
        let cookie = cookie.unwrap_or_else(|| panic!("{bad}: counted as a browser"));
        let (status, _, body) = send(&app, vote_with_cookie(PROXY, Some(bad), &cookie)).await;
        assert_eq!(status, StatusCode::CREATED, "{bad}: {body}");
    }
}

#[tokio::test]
async fn pages_load_uncompressed_and_cross_site_posts_stay_refused_behind_ingress() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (app, _) = addon_app(dir.path()).await;
    // Core strips Accept-Encoding: the answer is plain.
    let res = app
        .clone()
        .oneshot(ingress("GET", "/", PROXY, Some(ALICE), ""))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    let res = app
        .clone()
        .oneshot(ingress("GET", "/api/v1/status", PROXY, Some(ALICE), ""))
        .await
        .expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());

    // A page elsewhere posting through the proxy (no Sec-Fetch-Site: an older browser).
    let mut req = vote(PROXY, Some(ALICE));
    req.headers_mut().remove("sec-fetch-site");
    req.headers_mut().insert(
        header::ORIGIN,
        "https://evil.example".parse().expect("origin"),
    );
    let (status, _, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut req = vote(PROXY, Some(ALICE));
    req.headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().expect("site"));
    let (status, _, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
