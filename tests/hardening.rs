//! The server under hostile or careless clients: half-sent requests, bodies that never come,
//! idle connections, floods of connections, odd methods, long or broken paths and foreign
//! `Host` names all get a bounded, JSON answer and never lock out `/healthz`.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use resource_manager::store::Store;
use resource_manager::web::server::connections::ConnectionTable;
use resource_manager::web::server::{self, ServerLimits};
use resource_manager::web::{AppParts, AppState, router};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Short limits so the tests see them act without waiting long.
const LIMITS: ServerLimits = ServerLimits {
    header_timeout: Duration::from_millis(300),
    body_timeout: Duration::from_millis(300),
};

/// The router of an app without an engine, served by the real server loop on loopback.
struct Served {
    addr: SocketAddr,
    table: Arc<ConnectionTable>,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

async fn serve(max_connections: usize) -> Served {
    serve_with(max_connections, LIMITS).await
}

async fn serve_with(max_connections: usize, limits: ServerLimits) -> Served {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = common::config(dir.path(), 1, 5);
    let store = Store::open(&config.database_path()).await.expect("store");
    let app = router(AppState::new(AppParts::without_engine(config, store)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let table = Arc::new(ConnectionTable::new(max_connections));
    let stop = CancellationToken::new();
    tokio::spawn(server::serve(
        listener,
        app,
        table.clone(),
        limits,
        stop.clone(),
    ));
    Served {
        addr,
        table,
        stop,
        _dir: dir,
    }
}

/// Reads until the server closes the connection (or `deadline`); what it sent, and whether
/// it closed.
fn read_to_close(stream: &mut TcpStream, deadline: Duration) -> (String, bool) {
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let until = Instant::now() + deadline;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < until {
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), false)
}

fn connect(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).expect("connect")
}

/// Opens `n` connections stuck half-way through their headers, then asks `/healthz`: how long
/// the answer took, the answer, and the flood (still open until the caller drops it).
fn healthz_behind_half_open(addr: SocketAddr, n: usize) -> (Duration, String, Vec<TcpStream>) {
    let flood: Vec<TcpStream> = (0..n)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .expect("write");
            s
        })
        .collect();
    let started = Instant::now();
    let mut probe = connect(addr);
    probe
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("write");
    let (answer, _) = read_to_close(&mut probe, Duration::from_secs(10));
    (started.elapsed(), answer, flood)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_and_idle_connections_are_closed_by_the_server() {
    let served = serve(64).await;
    let addr = served.addr;
    tokio::task::spawn_blocking(move || {
        let mut half = connect(addr);
        half.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .expect("write");
        let (_, closed) = read_to_close(&mut half, Duration::from_secs(10));
        assert!(
            closed,
            "a half-sent request is closed after the header timeout"
        );

        let mut silent = connect(addr);
        let (_, closed) = read_to_close(&mut silent, Duration::from_secs(10));
        assert!(closed, "a connection that never sends is closed");

        let mut kept = connect(addr);
        kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .expect("write");
        let (answer, closed) = read_to_close(&mut kept, Duration::from_secs(10));
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            closed,
            "an idle kept-alive connection is closed after its answer"
        );
    })
    .await
    .expect("client");
    assert_eq!(served.table.counts().open, 0, "the table forgets them");
    served.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_arriving_gets_a_json_408_and_the_connection_is_freed() {
    let served = serve(64).await;
    let addr = served.addr;
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr);
        stream
            .write_all(
                b"POST /api/v1/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"vote\":",
            )
            .expect("write");
        let (answer, closed) = read_to_close(&mut stream, Duration::from_secs(10));
        assert!(closed, "the connection is closed after the answer");
        answer
    })
    .await
    .expect("client");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let json: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(json["error"]["code"], "request_timeout");
    served.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_a_byte_at_a_time_is_bounded_as_a_whole_and_every_route_says_408() {
    let served = serve(64).await;
    let addr = served.addr;
    for path in [
        "/api/v1/feedback",
        "/api/v1/alerts/1/ack",
        "/api/v1/actions",
    ] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        );
        let (answer, took) = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let mut stream = connect(addr);
            stream.write_all(request.as_bytes()).expect("write");
            stream
                .set_read_timeout(Some(Duration::from_millis(100)))
                .expect("timeout");
            // One byte every 100 ms: never silent for the 300 ms limit, never complete.
            let mut answer = Vec::new();
            let mut buf = [0u8; 4096];
            while started.elapsed() < Duration::from_secs(5) {
                if stream.write_all(b" ").is_err() {
                    break;
                }
                match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                    Err(_) => {}
                }
                if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                    break;
                }
            }
            (
                String::from_utf8_lossy(&answer).into_owned(),
                started.elapsed(),
            )
        })
        .await
        .expect("client");
        assert!(answer.starts_with("HTTP/1.1 408"), "{path}: {answer}");
        assert!(
            took < Duration::from_secs(2),
            "{path}: the whole body is bounded, took {took:?}"
        );
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
        let json: Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(json["error"]["code"], "request_timeout", "{path}");
    }
    served.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_half_open_connections_cannot_lock_out_healthz() {
    // Limits far longer than the test, so only the cap closes connections.
    let patient = ServerLimits {
        header_timeout: Duration::from_secs(60),
        body_timeout: Duration::from_secs(60),
    };
    let served = serve_with(32, patient).await;
    let addr = served.addr;
    let (elapsed, answer) = tokio::task::spawn_blocking(move || {
        // Three times the cap, each stuck half-way through its headers.
        let (elapsed, answer, flood) = healthz_behind_half_open(addr, 96);
        drop(flood);
        (elapsed, answer)
    })
    .await
    .expect("client");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    println!("healthz answered in {elapsed:?} behind 96 half-open connections (cap 32)");
    let counts = served.table.counts();
    assert!(
        counts.evicted >= 64,
        "idle connections made room: {counts:?}"
    );
    assert_eq!(counts.refused, 0);
    served.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bodies_sent_a_byte_at_a_time_cannot_lock_out_healthz() {
    // Limits far longer than the test, so only the cap closes connections.
    let patient = ServerLimits {
        header_timeout: Duration::from_secs(60),
        body_timeout: Duration::from_secs(60),
    };
    let served = serve_with(32, patient).await;
    let addr = served.addr;
    let (answer, flood) = tokio::task::spawn_blocking(move || {
        // Three times the cap, each with its request head sent and its body begun: busy, but
        // still receiving.
        let flood: Vec<TcpStream> = (0..96)
            .map(|_| {
                let mut s = connect(addr);
                s.write_all(b"POST /api/v1/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
                    .expect("write");
                s
            })
            .collect();
        // Let the server read every head before the probe.
        std::thread::sleep(Duration::from_millis(300));
        let mut probe = connect(addr);
        probe
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .expect("write");
        let (answer, _) = read_to_close(&mut probe, Duration::from_secs(10));
        (answer, flood)
    })
    .await
    .expect("client");
    drop(flood);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let counts = served.table.counts();
    assert!(
        counts.evicted >= 64,
        "unfinished bodies made room: {counts:?}"
    );
    assert_eq!(counts.refused, 0, "{counts:?}");
    served.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_http_library_cannot_parse_get_json_errors_too() {
    let served = serve(64).await;
    let addr = served.addr;
    let huge_uri = format!(
        "GET /{} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "a".repeat(70_000)
    );
    let many_headers = format!(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n",
        (0..1000)
            .map(|i| format!("x-h{i}: v\r\n"))
            .collect::<String>()
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a URI over 64 KB", huge_uri.into_bytes()),
        ("a raw 0xff in the path", b"GET /\xff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec()),
        ("a bare CR in a header", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\rX: y\r\n\r\n".to_vec()),
        ("a NUL in a header", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX: a\x00b\r\n\r\n".to_vec()),
        (
            "two Content-Lengths",
            b"POST /api/v1/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}".to_vec(),
        ),
        ("1,000 headers", many_headers.into_bytes()),
        ("a TLS hello", vec![0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]),
    ];
    for (what, bytes) in cases {
        let answer = tokio::task::spawn_blocking(move || {
            let mut stream = connect(addr);
            // A peer that stops reading early may see the server close mid-write: fine.
            let _ = stream.write_all(&bytes);
            read_to_close(&mut stream, Duration::from_secs(5)).0
        })
        .await
        .expect("client");
        let status: u16 = answer.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
        assert!((400..500).contains(&status), "{what}: {answer:.200}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{what}: {answer:.300}"
        );
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
        let json: Value =
            serde_json::from_str(body).unwrap_or_else(|_| panic!("{what}: JSON body: {body:?}"));
        assert!(json["error"]["code"].is_string(), "{what}: {body}");
    }
    // The server still answers.
    let ok = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr);
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .expect("write");
        read_to_close(&mut stream, Duration::from_secs(5)).0
    })
    .await
    .expect("client");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    served.stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_the_api_s_json_error() {
    let served = serve(64).await;
    let base = format!("http://{}", served.addr);
    let client = reqwest::Client::new();
    let long = "a".repeat(5000);
    let big = "x".repeat(20 * 1024);
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            client
                .put(format!("{base}/api/v1/status"))
                .header("content-type", "application/json")
                .body("{}"),
            405,
            "method_not_allowed",
        ),
        (
            client
                .post(format!("{base}/api/v1/feedback"))
                .header("content-type", "application/json")
                .body(big),
            413,
            "payload_too_large",
        ),
        (
            client.get(format!("{base}/api/v1/metrics/{long}/history")),
            414,
            "uri_too_long",
        ),
        (
            client.get(format!("{base}/api/v1/leases/%FF%FE")),
            400,
            "bad_request",
        ),
        (client.get(format!("{base}/no/such/page")), 404, "not_found"),
        (
            client
                .get(format!("{base}/api/v1/status"))
                .header("host", "evil.example"),
            403,
            "host_not_allowed",
        ),
        (
            // A rebinding page's vote: right Origin for its own name, refused for the name.
            client
                .post(format!("{base}/api/v1/feedback"))
                .header("host", "evil.example")
                .header("origin", "http://evil.example")
                .header("content-type", "application/json")
                .body(r#"{"vote":"up"}"#),
            403,
            "host_not_allowed",
        ),
    ];
    for (request, status, code) in cases {
        let response = request.send().await.expect("response");
        let got = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response.text().await.expect("body");
        assert_eq!(got, status, "{code}: {body}");
        assert!(
            content_type.starts_with("application/json"),
            "{code}: {content_type}"
        );
        let json: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(json["error"]["code"], code, "{body}");
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
    let ok = client
        .get(format!("{base}/healthz"))
        .header("host", "localhost:8099")
        .send()
        .await
        .expect("response");
    assert_eq!(ok.status().as_u16(), 200, "localhost is this machine");
    served.stop.cancel();
}

#[test]
fn the_token_flag_is_warned_about_and_never_logged() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_str().expect("utf-8");
    let secret = "flag-secret-7f3a9c";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_resource-manager"))
        .args([
            "--data-dir",
            data,
            "--listen",
            "127.0.0.1:0",
            "--api-token",
            secret,
        ])
        .env_remove("SUPERVISOR_TOKEN")
        .env_remove("RM_API_TOKEN")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
    {
        let serving = line.contains("serving on");
        lines.push(line);
        if serving {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = lines.join("\n");
    assert!(log.contains("serving on"), "{log}");
    assert!(
        log.contains("--api-token is readable") && log.contains("RM_API_TOKEN"),
        "{log}"
    );
    assert!(
        !log.contains(secret),
        "the token itself never reaches the log"
    );
}

#[test]
fn the_binary_answers_healthz_behind_2000_half_open_connections() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    // This test process needs its own 2,000 descriptors.
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|c| c < 4096) {
        let raised = Rlimit {
            current: limit.maximum.map(|m| m.min(8192)),
            maximum: limit.maximum,
        };
        setrlimit(Resource::Nofile, raised).expect("raise this test's descriptor limit");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_str().expect("utf-8");
    let mut app = common::spawn_binary(&["--data-dir", data, "--listen", "127.0.0.1:0"]);
    let addr: SocketAddr = app
        .base
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let (elapsed, answer, flood) = healthz_behind_half_open(addr, 2000);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    println!("healthz answered in {elapsed:?} behind 2000 half-open connections");
    let diagnostics = app.get_json("api/v1/diagnostics");
    let http = &diagnostics["http"];
    assert!(
        http["open"]
            .as_u64()
            .is_some_and(|open| open <= http["max"].as_u64().unwrap_or(0)),
        "{http}"
    );
    drop(flood);
    let _ = app.child.kill();
    let _ = app.child.wait();
}

#[test]
fn json_logs_carry_operation_ids_and_resource_figures() {
    use std::io::BufRead;
    use std::sync::mpsc;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_str().expect("utf-8");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_resource-manager"))
        .args(["--data-dir", data, "--listen", "127.0.0.1:0"])
        .args([
            "--sample-interval-seconds",
            "1",
            "--write-batch-seconds",
            "5",
        ])
        .args(["--log-format", "json", "--log-level", "debug"])
        .env_remove("SUPERVISOR_TOKEN")
        .env_remove("HA_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines: Vec<Value> = Vec::new();
    let mut base = None;
    let mut leased = false;
    // The engine's own jobs take leases too: wait for the one this test asks for.
    let seen = |lines: &[Value], message: &str, holder: Option<&str>| {
        lines.iter().any(|l| {
            l["message"] == message
                && l["resource_management_id"].is_string()
                && holder.is_none_or(|h| l["holder"] == h)
        })
    };
    while Instant::now() < deadline
        && !(seen(&lines, "history written", None) && seen(&lines, "lease changed", Some("backup")))
    {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        if let Some(pos) = line.find("serving on http://") {
            // The one plain line, for people and harnesses, printed outside the log.
            base = Some(line[pos + "serving on ".len()..].trim().to_string());
            continue;
        }
        let parsed: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
        lines.push(parsed);
        if let (Some(base), false) = (&base, leased) {
            leased = true;
            let body =
                r#"{"holder": "backup", "resources": {"cpu_cores": 0.1}, "ttl_seconds": 60}"#;
            let status = std::process::Command::new("curl")
                .args([
                    "-s",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-H",
                    "content-type: application/json",
                    "-d",
                    body,
                ])
                .arg(format!("{base}/api/v1/leases"))
                .output()
                .expect("curl");
            assert_eq!(String::from_utf8_lossy(&status.stdout), "201");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let write = lines
        .iter()
        .find(|l| l["message"] == "history written")
        .unwrap_or_else(|| panic!("no write line in {} lines", lines.len()));
    assert!(
        write["resource_management_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("write-")),
        "{write}"
    );
    assert!(
        write["memory_usage_mb"].as_f64().is_some_and(|mb| mb > 0.0),
        "{write}"
    );
    assert!(write["cpu_usage_percentage"].as_f64().is_some(), "{write}");
    let lease = lines
        .iter()
        .find(|l| l["message"] == "lease changed" && l["holder"] == "backup")
        .expect("a line for the test's lease");
    assert!(
        lease["resource_management_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("lease-")),
        "{lease}"
    );
    for line in &lines {
        assert!(
            line["level"].is_string() && line["timestamp"].is_string(),
            "{line}"
        );
    }
}
