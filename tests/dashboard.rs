//! The dashboard's HTTP side on the real app: live stream, feedback votes, the status report,
//! diagnostics, compression and how fast the page renders.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{TestApp, config};
use resource_manager::config::{Cli, Config};

const HA_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWhhLXRva2Vu.Zm9v";
const API_TOKEN: &str = "api-token-0123456789abcdefghij";

/// A config with an HA link and an API token, so secrets exist that must not leak.
fn config_with_secrets(dir: &Path) -> Config {
    let cli = Cli {
        data_dir: Some(dir.to_path_buf()),
        listen: Some("127.0.0.1:0".into()),
        sample_interval_seconds: Some("1".into()),
        log_level: Some("warning".into()),
        api_token: Some(API_TOKEN.into()),
        ..Cli::default()
    };
    let env = |key: &str| match key {
        "HA_URL" => Some("http://kitchen-pi.local:8123".to_string()),
        "HA_TOKEN" => Some(HA_TOKEN.to_string()),
        _ => None,
    };
    Config::load(&cli, &env).expect("valid config")
}

async fn wait_first_tick(app: &TestApp) {
    app.wait_status(Duration::from_secs(3), |s| {
        s["values"]["cpu.usage"].is_number()
    })
    .await;
}

#[tokio::test]
async fn live_stream_sends_the_current_snapshot_at_once_then_every_tick_uncompressed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 1, 60)).await;
    wait_first_tick(&app).await;
    let started = Instant::now();
    let mut res = app
        .client
        .get(format!("{}/api/v1/live", app.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("stream");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    assert!(
        res.headers().get("content-encoding").is_none(),
        "event streams must not be buffered by compression"
    );
    let mut text = String::new();
    let mut first_at = None;
    while text.matches("event: snapshot").count() < 3 {
        let chunk = tokio::time::timeout(Duration::from_secs(3), res.chunk())
            .await
            .expect("an event within 3 s")
            .expect("read")
            .expect("stream still open");
        text.push_str(&String::from_utf8_lossy(&chunk));
        if first_at.is_none() && text.contains("event: snapshot") {
            first_at = Some(started.elapsed());
        }
    }
    assert!(
        first_at.is_some_and(|t| t < Duration::from_millis(500)),
        "first event after {first_at:?}"
    );
    let first = text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("data line");
    let event: serde_json::Value = serde_json::from_str(first).expect("json event");
    assert!(event["overview"]["line"].is_string(), "{event}");
    assert!(
        event["values"]["memory.total_bytes"]
            .as_f64()
            .unwrap_or(0.0)
            > 0.0
    );
    assert_eq!(
        event["series"]["memory.total_bytes"]["unit"], "bytes",
        "series metadata comes with the first event"
    );
    assert!(text.contains("retry: 2000"));
    app.stop().await;
}

fn cookie_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
}

async fn vote(app: &TestApp, cookie: Option<&str>, body: &str) -> reqwest::Response {
    let mut req = app
        .client
        .post(format!("{}/api/v1/feedback", app.base))
        .header("content-type", "application/json")
        .header("x-ingress-path", "/api/hassio_ingress/AbC123")
        .body(body.to_string());
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("vote")
}

#[tokio::test]
async fn votes_are_limited_per_browser_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 1, 5)).await;
    wait_first_tick(&app).await;

    let first = vote(&app, None, r#"{"vote":"up","comment":"quick"}"#).await;
    assert_eq!(first.status(), 201);
    let set_cookie = first.headers()["set-cookie"].to_str().expect("ascii");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"));
    assert!(
        set_cookie.contains("Path=/api/hassio_ingress/AbC123/"),
        "{set_cookie}"
    );
    let browser_a = cookie_of(&first).expect("cookie");

    let again = vote(&app, Some(&browser_a), r#"{"vote":"down"}"#).await;
    assert_eq!(again.status(), 429);
    assert!(again.headers().contains_key("retry-after"));
    let body: serde_json::Value = again.json().await.expect("json");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.starts_with("Thanks, your vote from just now is counted."),
        "{message}"
    );

    // A script posting without a cookie is named by its address: the same client as the
    // first vote (loopback), so refused; a second browser got its own cookie with the page.
    let anonymous = vote(&app, None, r#"{"vote":"down"}"#).await;
    assert_eq!(
        anonymous.status(),
        429,
        "repeated anonymous votes count once"
    );
    let page = app
        .client
        .get(format!("{}/api/v1/feedback", app.base))
        .send()
        .await
        .expect("feedback");
    let browser_b = cookie_of(&page).expect("a cookie for a browser without one");
    assert_ne!(browser_b, browser_a);
    let browser_b = vote(&app, Some(&browser_b), r#"{"vote":"down"}"#).await;
    assert_eq!(browser_b.status(), 201);

    for (body, parameter) in [
        (r#"{"vote":"maybe"}"#, "vote"),
        (r#"{"vote":"up","extra":1}"#, "body"),
        ("not json", "body"),
    ] {
        let res = vote(&app, None, body).await;
        assert_eq!(res.status(), 400, "{body}");
        let json: serde_json::Value = res.json().await.expect("json");
        assert_eq!(json["error"]["parameter"], parameter, "{body}");
    }

    let diagnostics = app.get_json("api/v1/diagnostics").await;
    let recent = diagnostics["recent_feedback"].as_array().expect("votes");
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[1]["comment"], "quick");
    assert!(
        recent[1]["metrics"]["memory_used_percent"].is_number(),
        "readings stored with the vote: {diagnostics}"
    );
    assert!(
        !diagnostics.to_string().contains(&browser_a[9..]),
        "browser ids stay private"
    );
    let status = app.get_json("api/v1/status").await;
    assert_eq!(
        status["feedback"],
        serde_json::json!({"satisfaction_7d": 50.0, "satisfaction_30d": 50.0, "votes_7d": 2, "votes_30d": 2})
    );
    app.stop().await;

    let app = TestApp::start(config(dir.path(), 1, 5)).await;
    let status = app.get_json("api/v1/status").await;
    assert_eq!(status["feedback"]["votes_30d"], 2, "votes kept: {status}");
    let after_restart = vote(&app, Some(&browser_a), r#"{"vote":"up"}"#).await;
    assert_eq!(
        after_restart.status(),
        429,
        "the limit holds across restarts"
    );
    let mine = app
        .client
        .get(format!("{}/api/v1/feedback", app.base))
        .header("cookie", &browser_a)
        .send()
        .await
        .expect("feedback")
        .json::<serde_json::Value>()
        .await
        .expect("json");
    assert!(mine["you"]["next_vote_at"].as_i64().is_some(), "{mine}");
    app.stop().await;
}

#[tokio::test]
async fn the_status_report_is_markdown_without_tokens_or_host_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config_with_secrets(dir.path())).await;
    wait_first_tick(&app).await;
    let res = app
        .client
        .get(format!("{}/api/v1/status.md", app.base))
        .send()
        .await
        .expect("report");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/markdown; charset=utf-8"
    );
    let text = res.text().await.expect("body");
    assert!(text.starts_with("### Resource Manager status\n"), "{text}");
    assert!(text.contains("| Resource Manager | "));
    assert!(text.contains("| Home Assistant | configured |"));
    assert!(text.contains("| Memory | "));
    for secret in [HA_TOKEN, API_TOKEN, "kitchen-pi", "127.0.0.1"] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
    app.stop().await;
}

#[tokio::test]
async fn diagnostics_show_the_effective_options_with_secrets_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config_with_secrets(dir.path())).await;
    wait_first_tick(&app).await;
    let (code, text) = app.get("api/v1/diagnostics").await;
    assert_eq!(code, 200, "{text}");
    assert!(
        !text.contains(HA_TOKEN) && !text.contains(API_TOKEN),
        "{text}"
    );
    let d: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(d["config"]["home_assistant"]["token"], "<redacted>");
    assert_eq!(d["config"]["api_token"], "set (redacted)");
    assert_eq!(d["config"]["options"]["sample_interval_seconds"], 1);
    assert!(d["store"]["database_bytes"].as_u64().unwrap_or(0) > 0);
    assert!(d["sources"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(d["recent_log"].is_array());
    app.stop().await;
}

#[tokio::test]
async fn responses_are_gzipped_for_clients_that_accept_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 5, 60)).await;
    for path in ["", "static/app.js", "static/vendor/uPlot.iife.min.js"] {
        let res = app
            .client
            .get(format!("{}/{path}", app.base))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        let size = res.bytes().await.expect("body").len();
        assert!(size < 25_000, "{path}: {size} bytes compressed");
    }
    let plain = app
        .client
        .get(format!("{}/static/app.css", app.base))
        .send()
        .await
        .expect("get");
    assert!(plain.headers().get("content-encoding").is_none());
    app.stop().await;
}

#[tokio::test]
async fn the_page_renders_in_a_few_milliseconds_with_the_overview_in_the_html() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 1, 60)).await;
    wait_first_tick(&app).await;
    let mut micros = Vec::new();
    let mut page = String::new();
    for _ in 0..200 {
        let res = app
            .client
            .get(format!("{}/", app.base))
            .send()
            .await
            .expect("page");
        let timing = res.headers()["server-timing"]
            .to_str()
            .expect("ascii")
            .to_string();
        let ms: f64 = timing
            .strip_prefix("render;dur=")
            .and_then(|v| v.parse().ok())
            .expect("render;dur=<ms>");
        micros.push((ms * 1000.0) as u64);
        page = res.text().await.expect("body");
    }
    micros.sort_unstable();
    let (p50, p95) = (micros[100], micros[190]);
    println!("render of / : median {p50} µs, p95 {p95} µs (debug build)");
    assert!(p50 <= 5_000, "median render {p50} µs");
    assert!(page.contains(r#"id="status-line""#));
    assert!(page.contains(r#"data-card="memory""#));
    assert!(page.contains("B of "), "memory card filled on the server");
    app.stop().await;
}

#[tokio::test]
async fn history_comes_as_columns_for_the_charts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config(dir.path(), 1, 60)).await;
    app.wait_status(Duration::from_secs(5), |s| {
        s["engine"]["ticks"].as_u64().unwrap_or(0) >= 3
    })
    .await;
    let points = app
        .get_json("api/v1/metrics/memory.used_bytes/history?resolution=raw")
        .await;
    let columns = app
        .get_json("api/v1/metrics/memory.used_bytes/history?resolution=raw&format=columns")
        .await;
    let t = columns["t"].as_array().expect("t");
    let v = columns["v"].as_array().expect("v");
    assert_eq!(t.len(), v.len());
    assert!(t.len() >= 3, "{columns}");
    // Same data either way (a tick may land between the two requests).
    let listed = points["points"].as_array().expect("points").len();
    assert!(
        t.len().abs_diff(listed) <= 1,
        "{listed} points vs {} columns",
        t.len()
    );
    assert_eq!(columns["series"]["unit"], "bytes");
    let (code, body) = app
        .get("api/v1/metrics/memory.used_bytes/history?format=csv")
        .await;
    assert_eq!(code, 400);
    assert!(body.contains(r#""parameter":"format""#), "{body}");
    app.stop().await;
}

/// Standalone config (1 s ticks) whose options add one rule that fires on the first tick:
/// installed memory is always above one byte.
fn config_with_an_alert(dir: &Path) -> Config {
    let options = dir.join("options.json");
    std::fs::write(
        &options,
        serde_json::json!({"alert_rules": [{"name": "always", "metric": "memory.total_bytes",
            "warn": 1, "for": "0s", "cooldown": "1h", "severity": "critical"}]})
        .to_string(),
    )
    .expect("options");
    let cli = Cli {
        data_dir: Some(dir.join("data")),
        options: Some(options),
        listen: Some("127.0.0.1:0".into()),
        sample_interval_seconds: Some("1".into()),
        log_level: Some("warning".into()),
        ..Cli::default()
    };
    Config::load(&cli, &|_| None).expect("valid config")
}

/// The overview of the next live event that satisfies `check`.
async fn live_overview(
    app: &TestApp,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut res = app
        .client
        .get(format!("{}/api/v1/live", app.base))
        .send()
        .await
        .expect("stream");
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "no matching live event: {text}");
        let chunk = tokio::time::timeout(Duration::from_secs(3), res.chunk())
            .await
            .expect("an event within 3 s")
            .expect("read")
            .expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
        // Complete events end with a blank line; keep the unfinished tail.
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                let parsed: serde_json::Value = serde_json::from_str(data).expect("json");
                if check(&parsed["overview"]) {
                    return parsed["overview"].clone();
                }
            }
        }
    }
}

#[tokio::test]
async fn a_firing_alert_leads_the_overview_live_and_in_the_html_and_is_acknowledged_from_the_page()
{
    let dir = tempfile::tempdir().expect("tempdir");
    let app = TestApp::start(config_with_an_alert(dir.path())).await;
    let firing = |o: &serde_json::Value| {
        o["alerts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["key"] == "alert_always"))
    };
    let overview = live_overview(&app, firing).await;
    let line = overview["line"].as_str().expect("line");
    assert!(
        line.starts_with("Installed memory is at ") && line.contains("(critical for "),
        "a critical alert leads the status line: {line}"
    );
    assert_eq!(overview["level"], "problem");
    let row = overview["alerts"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["key"] == "alert_always"))
        .expect("row")
        .clone();
    assert_eq!(row["badge"], "Critical");
    assert_eq!(row["can_acknowledge"], true);
    assert!(
        row["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Installed memory is ")),
        "{row}"
    );
    assert!(
        overview["attention"]
            .as_array()
            .is_some_and(|a| a[0]["alert"] == true),
        "{overview}"
    );
    let id = row["incident_id"].as_i64().expect("incident id");

    // Server-rendered: the first paint already shows it, with its button.
    let (code, page) = app.get("").await;
    assert_eq!(code, 200);
    assert!(
        page.contains(r#"data-key="alert_always""#),
        "row in the HTML"
    );
    assert!(
        page.contains(&format!(r#"data-ack="{id}""#)),
        "button in the HTML"
    );
    assert!(!page.contains("Alert rules arrive in a later version"));

    // What the page sends: JSON, relative URL under the Ingress prefix, same origin.
    let res = app
        .client
        .post(format!("{}/api/v1/alerts/{id}/ack", app.base))
        .header("content-type", "application/json")
        .header("x-ingress-path", "/api/hassio_ingress/AbC123")
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .body("{}")
        .send()
        .await
        .expect("ack");
    assert_eq!(res.status(), 200);
    let incident: serde_json::Value = res.json().await.expect("json");
    assert!(incident["acknowledged_ms"].is_i64(), "{incident}");

    // The next live event says so, without waiting for a transition.
    let acked = live_overview(&app, |o| {
        o["alerts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["acknowledged"] == true))
    })
    .await;
    let row = acked["alerts"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["key"] == "alert_always"))
        .expect("row");
    assert_eq!(row["can_acknowledge"], false);
    assert!(
        acked["line"]
            .as_str()
            .is_some_and(|l| l.contains(", acknowledged)")),
        "{acked}"
    );
    let (_, page) = app.get("").await;
    assert!(page.contains(r#"<span class="acked">Acknowledged</span>"#));

    // Alerts on the page keep its render time small.
    let mut micros = Vec::new();
    for _ in 0..100 {
        let res = app
            .client
            .get(format!("{}/", app.base))
            .send()
            .await
            .expect("page");
        let ms: f64 = res.headers()["server-timing"]
            .to_str()
            .ok()
            .and_then(|t| t.strip_prefix("render;dur="))
            .and_then(|v| v.parse().ok())
            .expect("render;dur=<ms>");
        micros.push((ms * 1000.0) as u64);
    }
    micros.sort_unstable();
    println!(
        "render of / with an active alert: median {} µs, p95 {} µs (debug build)",
        micros[50], micros[95]
    );
    assert!(micros[50] <= 5_000, "median render {} µs", micros[50]);

    let (_, report) = app.get("api/v1/status.md").await;
    let listed = report
        .lines()
        .find(|l| l.starts_with("- **Active alerts:** "))
        .expect("alerts line");
    assert!(
        listed.contains("Installed memory (critical, ") && listed.contains(" UTC, acknowledged)"),
        "{report}"
    );
    app.stop().await;
}
