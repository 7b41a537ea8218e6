//! Which views are in effect, end to end: the real binary run normally and in its own PID
//! namespace (`unshare`), the real app on a container-like `/proc` tree, and what the page,
//! the live stream and the report say about it in each mode.

mod common;

use std::os::unix::fs::{MetadataExt, symlink};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use common::{ChildApp, TestApp, spawn_binary, spawn_wrapped, wait_exit};
use futures_util::StreamExt;
use resource_manager::config::{Cli, Config};
use resource_manager::model::{Snapshot, View, Views};
use resource_manager::store::Store;
use resource_manager::web::view_notes::{ADDON_PROCESSES, CONTAINER_NETWORK, CONTAINER_PROCESSES};
use resource_manager::web::{AppParts, AppState, router};
use serde_json::Value;
use tower::ServiceExt;

fn binary_args(dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().to_string();
    ["--data-dir", &dir, "--listen", "127.0.0.1:0"]
        .into_iter()
        .chain(["--sample-interval-seconds", "1", "--log-level", "info"])
        .map(String::from)
        .collect()
}

/// The views the binary reports once it has ticked; then stops it with `signal`.
fn views_of(mut app: ChildApp, signal: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    let views = loop {
        let status = app.get_json("api/v1/status");
        if status["ts"].as_i64().unwrap_or(0) > 0 || Instant::now() > deadline {
            break status["views"].clone();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    app.signal(signal);
    wait_exit(&mut app.child, Duration::from_secs(10));
    views
}

/// Whether this test runs in the host's PID namespace: `kthreadd`, a kernel thread, is PID 2
/// there and visible nowhere else. Where the test itself runs in a container, "host" is wrong.
fn test_sees_host_pids() -> bool {
    std::fs::read_to_string("/proc/2/stat").is_ok_and(|s| s.starts_with("2 (kthreadd) "))
}

#[test]
fn run_normally_the_binary_reports_the_host_process_view() {
    if !test_sees_host_pids() {
        eprintln!("skipped: the tests themselves run in a container's PID namespace");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let args = binary_args(dir.path());
    let views = views_of(
        spawn_binary(&args.iter().map(String::as_str).collect::<Vec<_>>()),
        "TERM",
    );
    assert_eq!(views["processes"], "host", "{views}");
    assert!(
        ["host", "container", "unknown"].contains(&views["network"].as_str().unwrap_or("")),
        "{views}"
    );
}

#[test]
#[ignore = "needs root and unshare; scripts/test.sh runs it"]
fn under_unshare_pid_fork_mount_proc_the_binary_reports_the_container_process_view() {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let unshare = std::process::Command::new("unshare")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(root && unshare, "run as root with util-linux unshare");
    let dir = tempfile::tempdir().expect("tempdir");
    let args = binary_args(dir.path());
    // unshare blocks SIGTERM while it waits for its child; --kill-child=TERM hands the binary
    // (PID 1 of the new namespace) a SIGTERM when unshare is killed.
    let wrapper = [
        "unshare",
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child=TERM",
    ];
    let views = views_of(
        spawn_wrapped(
            &wrapper,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        ),
        "KILL",
    );
    assert_eq!(views["processes"], "container", "{views}");
    // No network namespace was made: the network view is still the host's where it can tell.
    if test_sees_host_pids() {
        assert_ne!(views["network"], "container", "{views}");
    }
}

/// Whether `html` holds `text`, with apostrophes as the template escapes them.
fn has(html: &str, text: &str) -> bool {
    ["'", "&#x27;", "&#39;"]
        .iter()
        .any(|quote| html.contains(&text.replace('\'', quote)))
}

/// A container's `/proc` and `/sys`: PID 1 in its own PID namespace, `lo` and a veth peer.
fn container_tree(dir: &Path) {
    let proc = dir.join("proc");
    std::fs::create_dir_all(proc.join("1/ns")).expect("mkdir");
    std::fs::create_dir_all(proc.join("net")).expect("mkdir");
    std::fs::create_dir_all(dir.join("sys/class/net")).expect("mkdir");
    symlink("pid:[4026532178]", proc.join("1/ns/pid")).expect("symlink");
    let line = |name: &str| format!("  {name}: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n");
    let dev = format!("Inter-|\n face |\n{}{}", line("lo"), line("eth0"));
    std::fs::write(proc.join("net/dev"), dev).expect("net/dev");
    for name in ["lo", "eth0"] {
        let target = format!("../../devices/virtual/net/{name}");
        symlink(target, dir.join("sys/class/net").join(name)).expect("symlink");
    }
}

#[tokio::test]
async fn on_a_container_tree_the_api_page_stream_and_report_say_it_is_the_containers_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = tempfile::tempdir().expect("tempdir");
    container_tree(tree.path());
    let cli = Cli {
        data_dir: Some(dir.path().to_path_buf()),
        listen: Some("127.0.0.1:0".into()),
        sample_interval_seconds: Some("1".into()),
        log_level: Some("warning".into()),
        ..Cli::default()
    };
    let proc = tree.path().join("proc").to_string_lossy().to_string();
    let sys = tree.path().join("sys").to_string_lossy().to_string();
    let env = move |key: &str| match key {
        "RM_HOST_PROC" => Some(proc.clone()),
        "RM_HOST_SYS" => Some(sys.clone()),
        _ => None,
    };
    let app = TestApp::start(Config::load(&cli, &env).expect("config")).await;
    // The network card needs rates, so two ticks.
    let status = app
        .wait_status(Duration::from_secs(5), |s| {
            s["values"]["net.eth0.rx_bytes_per_second"].is_number()
        })
        .await;
    assert_eq!(
        status["views"],
        serde_json::json!({"processes": "container", "network": "container"})
    );

    let (code, html) = app.get("").await;
    assert_eq!(code, 200);
    assert!(
        has(
            &html,
            &format!(r#"<p id="procs-note" class="muted small">{CONTAINER_PROCESSES}</p>"#)
        ),
        "standalone wording, shown"
    );
    assert!(has(
        &html,
        &format!(r#"<p id="ifaces-note" class="muted small">{CONTAINER_NETWORK}</p>"#)
    ));
    assert!(
        !html.contains(ADDON_PROCESSES),
        "no add-on advice standalone"
    );
    assert!(
        has(&html, "eth0 · this container's own traffic"),
        "network card"
    );

    let (_, report) = app.get("api/v1/status.md").await;
    assert!(
        report.contains(
            "| Views | processes: this container's own · network: this container's own |"
        ),
        "{report}"
    );
    app.stop().await;
}

/// The add-on's router over a snapshot with the given views, without an engine.
async fn addon_app(dir: &Path, views: Views) -> axum::Router {
    let config = common::addon_config(dir);
    let store = Store::open(&config.database_path()).await.expect("store");
    let mut parts = AppParts::without_engine(config, store);
    let snapshot = Snapshot {
        ts_ms: 1,
        views,
        ..Snapshot::default()
    };
    let (tx, latest) = tokio::sync::watch::channel(Arc::new(snapshot));
    // The stream ends when the sender is gone; keep it for the test's life.
    std::mem::forget(tx);
    parts.latest = latest;
    router(AppState::new(parts))
}

async fn get(app: &axum::Router, path: &str) -> (axum::http::StatusCode, Body) {
    let mut req = Request::builder()
        .uri(path)
        .body(Body::empty())
        .expect("request");
    // Through the Ingress gateway, as the dashboard: in add-on mode loopback needs a token.
    req.extensions_mut().insert(ConnectInfo(
        "172.30.32.2:40000"
            .parse::<std::net::SocketAddr>()
            .expect("addr"),
    ));
    let res = app.clone().oneshot(req).await.expect("response");
    (res.status(), res.into_body())
}

/// The first event of the live stream, as JSON.
async fn first_event(app: &axum::Router) -> Value {
    let (_, body) = get(app, "/api/v1/live").await;
    let mut stream = body.into_data_stream();
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(3), stream.next())
            .await
            .expect("an event")
            .expect("open")
            .expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let data = text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("data");
    serde_json::from_str(data).expect("json")
}

#[tokio::test]
async fn as_an_addon_without_host_pids_the_page_points_at_protection_mode_and_leads_with_addons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let views = Views {
        processes: View::Container,
        network: View::Host,
    };
    let app = addon_app(dir.path(), views).await;
    let (code, body) = get(&app, "/").await;
    assert_eq!(code, 200);
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    let html = String::from_utf8_lossy(&bytes);
    assert!(
        has(
            &html,
            &format!(r#"<p id="procs-note" class="muted small">{ADDON_PROCESSES}</p>"#)
        ),
        "add-on wording"
    );
    assert!(html.contains(r#"<p id="ifaces-note" class="muted small" hidden></p>"#));

    let event = first_event(&app).await;
    assert_eq!(event["notes"]["processes"], ADDON_PROCESSES);
    assert_eq!(event["notes"]["network"], Value::Null);
    assert_eq!(event["notes"]["addons_first"], true);

    let (_, body) = get(&app, "/api/v1/status").await;
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    let status: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(status["views"]["processes"], "container");
    assert_eq!(status["views"]["network"], "host");
}

#[tokio::test]
async fn as_an_addon_with_host_pids_no_note_is_shown_and_details_keep_their_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let views = Views {
        processes: View::Host,
        network: View::Host,
    };
    let app = addon_app(dir.path(), views).await;
    let event = first_event(&app).await;
    assert_eq!(
        event["notes"],
        serde_json::json!({"processes": null, "network": null, "addons_first": false})
    );
}
