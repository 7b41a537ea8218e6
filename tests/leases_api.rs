//! The lease API over real HTTP on loopback: the answers the issue specifies (201 granted,
//! 202 queued, JSON errors with codes), bad requests that change nothing, a restart of the
//! whole app that keeps the leases, and 200 clients at once that never see an over-allocation.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::TestApp;
use resource_manager::config::{Cli, Config};
use serde_json::{Value, json};

/// A standalone app whose options file holds `leases`.
fn config_with(dir: &std::path::Path, leases: Value) -> Config {
    let options = dir.join("options.json");
    std::fs::write(&options, json!({ "leases": leases }).to_string()).expect("options");
    let cli = Cli {
        data_dir: Some(dir.to_path_buf()),
        listen: Some("127.0.0.1:0".into()),
        log_level: Some("warning".into()),
        options: Some(options),
        ..Cli::default()
    };
    Config::load(&cli, &|_| None).expect("valid config")
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.post_json(path, &body).await
}

async fn delete(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app
        .client
        .delete(format!("{}/{path}", app.base))
        .send()
        .await
        .expect("DELETE");
    (
        res.status().as_u16(),
        res.json().await.expect("json answer"),
    )
}

fn heavy(holder: &str, wait: u64) -> Value {
    json!({"holder": holder, "resources": {"cpu_cores": 0.5, "memory_mb": 10, "slots": {"heavy": 1}},
           "priority": "normal", "ttl_seconds": 600, "wait_seconds": wait})
}

#[tokio::test]
async fn grant_queue_renew_release_and_the_shapes_the_issue_gives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config_with(dir.path(), json!({"cpu_cores": 2}))).await;

    let (status, granted) = post(&app, "api/v1/leases", heavy("backup", 60)).await;
    assert_eq!(status, 201, "{granted}");
    assert_eq!(granted["state"], "granted");
    assert!(
        granted["expires_at"]
            .as_i64()
            .is_some_and(|t| t > 1_600_000_000)
    );
    assert_eq!(granted["resources"]["slots"]["heavy"], 1);
    assert_eq!(granted["priority"], "normal");
    let id = granted["id"].as_str().expect("id").to_string();

    let (status, queued) = post(&app, "api/v1/leases", heavy("clip_export", 60)).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(queued["state"], "queued");
    assert_eq!(queued["position"], 1);
    assert!(
        queued["estimated_wait_seconds"]
            .as_i64()
            .is_some_and(|s| s > 0 && s <= 600)
    );
    let queued_id = queued["id"].as_str().expect("id").to_string();

    let list = app.get_json("api/v1/leases").await;
    assert_eq!(list["capacity"]["cpu_cores"], 2.0);
    assert_eq!(list["capacity"]["slots"]["heavy"], 1);
    assert_eq!(list["available"]["slots"]["heavy"], 0);
    assert_eq!(list["leases"][0]["id"], id.as_str());
    assert_eq!(list["queue"][0]["id"], queued_id.as_str());

    let (status, renewed) = post(
        &app,
        &format!("api/v1/leases/{id}/renew"),
        json!({"ttl_seconds": 1200}),
    )
    .await;
    assert_eq!(status, 200, "{renewed}");
    assert!(renewed["expires_at"].as_i64() > granted["expires_at"].as_i64());

    let (status, released) = delete(&app, &format!("api/v1/leases/{id}")).await;
    assert_eq!(
        (status, released["state"].as_str()),
        (200, Some("released"))
    );
    let next = app.get_json(&format!("api/v1/leases/{queued_id}")).await;
    assert_eq!(next["state"], "granted", "the queued request follows");
    let (status, again) = delete(&app, &format!("api/v1/leases/{id}")).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("lease_ended"))
    );
    let (status, none) = delete(&app, "api/v1/leases/lease-999").await;
    assert_eq!(
        (status, none["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    let (status, too_big) = post(
        &app,
        "api/v1/leases",
        json!({"holder": "x", "resources": {"cpu_cores": 3}}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(too_big["error"]["code"], "exceeds_capacity");
    assert_eq!(too_big["error"]["state"], "refused");
    let refused_id = too_big["error"]["id"].as_str().expect("refused id");
    let refused = app.get_json(&format!("api/v1/leases/{refused_id}")).await;
    assert_eq!(refused["state"], "refused");
    app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_4xx_with_a_reason_and_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config_with(dir.path(), json!({}))).await;
    post(&app, "api/v1/leases", heavy("holder", 0)).await;
    let before = app.get_json("api/v1/leases").await;

    let bodies = [
        (
            json!({"holder": "x", "resources": {"cpu_cores": 0}}),
            "bad_request",
        ),
        (
            json!({"holder": "x", "resources": {"memory_mb": -5}}),
            "bad_request",
        ),
        (
            json!({"holder": "x", "resources": {"slots": {"heavy": 0}}}),
            "bad_request",
        ),
        (
            json!({"holder": "x", "resources": {"gpu_count": 1}}),
            "unknown_resource",
        ),
        (
            json!({"holder": "x", "resources": {"slots": {"gpu": 1}}}),
            "unknown_resource",
        ),
        (
            json!({"holder": "x", "resources": {"memory_mb": 5}, "ttl_seconds": 0}),
            "bad_request",
        ),
        (
            json!({"holder": "x", "resources": {"memory_mb": 5}, "ttl_seconds": 999999}),
            "bad_request",
        ),
        (
            json!({"holder": "x", "resources": {"memory_mb": 5}, "priority": "asap"}),
            "bad_request",
        ),
    ];
    for (body, code) in bodies {
        let (status, answer) = post(&app, "api/v1/leases", body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }

    let raw = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(format!("{}/api/v1/leases", app.base))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let malformed = raw(b"{\"holder\": ".to_vec(), "application/json")
        .await
        .expect("send");
    assert_eq!(malformed.status().as_u16(), 400);
    let answer: Value = malformed.json().await.expect("json");
    assert_eq!(answer["error"]["code"], "bad_request");

    let wrong_type = raw(heavy("x", 0).to_string().into_bytes(), "text/plain")
        .await
        .expect("send");
    assert_eq!(wrong_type.status().as_u16(), 403);
    let answer: Value = wrong_type.json().await.expect("json");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Content-Type"))
    );

    // 10 MB: refused by its length before it is read.
    let mut huge = b"{\"holder\": \"".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    huge.extend(b"\"}");
    match raw(huge, "application/json").await {
        Ok(answer) => {
            assert_eq!(answer.status().as_u16(), 413);
            let answer: Value = answer.json().await.expect("json");
            assert_eq!(answer["error"]["code"], "payload_too_large");
        }
        // The server may close the connection while the client is still sending.
        Err(err) => assert!(err.is_request() || err.is_body(), "{err}"),
    }

    let (status, answer) = post(
        &app,
        "api/v1/leases/lease-1/renew",
        json!({"ttl_seconds": -1}),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );

    // The leases and the queue are what a bad request must not touch; `available` follows the
    // host's free memory, which other processes move meanwhile.
    let after = app.get_json("api/v1/leases").await;
    for part in ["leases", "queue", "capacity"] {
        assert_eq!(after[part], before[part], "nothing changed in {part}");
    }
    assert_eq!(
        after["available"]["concurrent"],
        before["available"]["concurrent"]
    );
    assert_eq!(after["available"]["slots"], before["available"]["slots"]);
    app.stop().await;
}

#[tokio::test]
async fn a_restarted_app_keeps_granted_leases_and_the_queue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config_with(dir.path(), json!({}))).await;
    let (_, granted) = post(&app, "api/v1/leases", heavy("a", 60)).await;
    let (_, queued) = post(&app, "api/v1/leases", heavy("b", 600)).await;
    let before = app.get_json("api/v1/leases").await;
    app.stop().await;

    let app = TestApp::start(config_with(dir.path(), json!({}))).await;
    let after = app.get_json("api/v1/leases").await;
    assert_eq!(after["leases"], before["leases"]);
    assert_eq!(after["queue"][0]["id"], queued["id"]);
    let (status, _) = delete(
        &app,
        &format!("api/v1/leases/{}", granted["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(status, 200);
    let b = app
        .get_json(&format!(
            "api/v1/leases/{}",
            queued["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(b["state"], "granted");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_at_once_never_see_an_over_allocation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config_with(
        dir.path(),
        json!({"cpu_cores": 4, "max_concurrent": 4, "slots": [{"name": "heavy", "size": 1}]}),
    ))
    .await;
    let base = app.base.clone();
    // What the clients themselves hold: counted up after a grant arrives and down before the
    // release is sent, so it can only be below what the server holds.
    let heavy_held = Arc::new(AtomicUsize::new(0));
    let any_held = Arc::new(AtomicUsize::new(0));
    let cpu_held = Arc::new(AtomicUsize::new(0));
    let grants = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let mut tasks = Vec::new();
    for n in 0..200 {
        let (client, base) = (client.clone(), base.clone());
        let (heavy_held, any_held, cpu_held, grants) = (
            heavy_held.clone(),
            any_held.clone(),
            cpu_held.clone(),
            grants.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let wants_heavy = n % 2 == 0;
            let resources = if wants_heavy {
                json!({"slots": {"heavy": 1}})
            } else {
                json!({"cpu_cores": 1.5})
            };
            for round in 0..5 {
                let priority = ["low", "normal", "high", "critical"][round % 4];
                let body = json!({"holder": format!("client-{n}"), "resources": resources,
                                  "wait_seconds": 0, "priority": priority});
                let res = client
                    .post(format!("{base}/api/v1/leases"))
                    .json(&body)
                    .send()
                    .await
                    .expect("POST");
                let status = res.status().as_u16();
                let answer: Value = res.json().await.expect("json");
                if status != 201 {
                    assert_eq!(status, 409, "{answer}");
                    assert_eq!(answer["error"]["code"], "busy");
                    continue;
                }
                grants.fetch_add(1, Ordering::SeqCst);
                let all = any_held.fetch_add(1, Ordering::SeqCst) + 1;
                assert!(all <= 4, "{all} leases held at once");
                if wants_heavy {
                    let h = heavy_held.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(h <= 1, "{h} heavy slots held at once");
                } else {
                    let c = cpu_held.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(c <= 2, "{c} x 1.5 cores held of 4");
                }
                tokio::task::yield_now().await;
                if wants_heavy {
                    heavy_held.fetch_sub(1, Ordering::SeqCst);
                } else {
                    cpu_held.fetch_sub(1, Ordering::SeqCst);
                }
                any_held.fetch_sub(1, Ordering::SeqCst);
                let id = answer["id"].as_str().expect("id");
                let res = client
                    .delete(format!("{base}/api/v1/leases/{id}"))
                    .send()
                    .await
                    .expect("DELETE");
                assert_eq!(res.status().as_u16(), 200);
            }
        }));
    }
    for task in tasks {
        task.await.expect("client");
    }
    assert!(grants.load(Ordering::SeqCst) > 0);
    let end = app.get_json("api/v1/leases").await;
    assert_eq!(end["leases"], json!([]), "everything released");
    assert_eq!(end["available"]["concurrent"], 4);
    app.stop().await;
}
