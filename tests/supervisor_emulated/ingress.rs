//! The add-on's listen address comes from an EMULATED Supervisor's `GET /addons/self/info`
//! (`host_network` with `ingress_port: 0`): the real binary listens there and on loopback for
//! its health check, never on all interfaces, and exits non-zero, saying why, when the
//! Supervisor does not tell it.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::emulator::{Role, Supervisor};

const BINARY: &str = env!("CARGO_BIN_EXE_resource-manager");

/// The binary in add-on mode against `supervisor_url`, data in `dir`.
fn addon_binary(dir: &std::path::Path, supervisor_url: &str, wait_seconds: &str) -> Command {
    let options = dir.join("options.json");
    std::fs::write(
        &options,
        r#"{"sample_interval_seconds": 1, "log_level": "info"}"#,
    )
    .expect("options");
    let mut command = Command::new(BINARY);
    command
        .arg("--options")
        .arg(&options)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env_remove("RM_LISTEN")
        .env_remove("HA_URL")
        .env_remove("HA_TOKEN")
        .env("SUPERVISOR_TOKEN", "emulated-token")
        .env("SUPERVISOR_URL", supervisor_url)
        .env("RM_SUPERVISOR_WAIT_SECONDS", wait_seconds)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Lines of the child's stderr, on a thread, until it closes.
fn stderr_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn healthcheck(dir: &std::path::Path) -> std::process::Output {
    Command::new(BINARY)
        .arg("--options")
        .arg(dir.join("options.json"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("healthcheck")
        .env("SUPERVISOR_TOKEN", "emulated-token")
        .env("SUPERVISOR_URL", "http://127.0.0.1:9")
        .output()
        .expect("healthcheck runs")
}

#[tokio::test]
async fn emulated_supervisor_assigns_the_ingress_address_the_binary_listens_on_only_there_and_on_loopback()
 {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    let port = free_port();
    // 127.0.0.2 stands in for the hassio bridge's 172.30.32.1: another address of this host.
    supervisor.set_self_info(json!({"slug": "resource_manager", "ingress": true,
        "ingress_port": port, "ip_address": "127.0.0.2", "host_network": true}));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = addon_binary(dir.path(), &supervisor.url, "10")
        .spawn()
        .expect("spawn");
    let lines = stderr_lines(&mut child);
    let serving = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = lines.recv_timeout(Duration::from_millis(200))
                && line.contains("serving on http://")
            {
                return Some(line);
            }
        }
        None
    })
    .await
    .expect("join")
    .expect("the binary announced where it serves");
    assert!(
        serving.contains(&format!("serving on http://127.0.0.2:{port}")),
        "{serving}"
    );

    // The assigned address and loopback answer; the same port on another address does not.
    for addr in [format!("127.0.0.2:{port}"), format!("127.0.0.1:{port}")] {
        assert!(
            TcpStream::connect(&addr).is_ok(),
            "nothing listens on {addr}"
        );
    }
    assert!(
        TcpStream::connect(format!("127.0.0.3:{port}")).is_err(),
        "listens beyond the assigned address"
    );
    let noted = std::fs::read_to_string(dir.path().join("data/listening")).expect("noted");
    assert_eq!(noted.trim(), format!("127.0.0.1:{port}"));
    let check = healthcheck(dir.path());
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let status = child.wait().expect("exits");
    assert!(status.success(), "stopped cleanly on SIGTERM: {status}");
    let check = healthcheck(dir.path());
    assert!(!check.status.success(), "healthy after the server stopped");
}

#[tokio::test]
async fn without_an_answer_from_the_supervisor_the_binary_exits_nonzero_naming_the_call() {
    // Nothing listens on this port: every attempt is refused.
    let url = format!("http://127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let output = addon_binary(dir.path(), &url, "3").output().expect("runs");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("/addons/self/info"), "{stderr}");
    assert!(stderr.contains("within 3 s"), "{stderr}");
    assert_eq!(
        stderr.matches("did not tell the Ingress address").count(),
        1,
        "the cause is said once: {stderr}"
    );
    assert!(stderr.contains("watchdog"), "{stderr}");
    assert!(
        elapsed < Duration::from_secs(20),
        "gave up after {elapsed:?}"
    );
    assert!(
        !dir.path().join("data/history.db").exists(),
        "started anyway"
    );
}

#[tokio::test]
async fn an_answer_without_a_port_is_final_and_says_what_was_wrong() {
    let supervisor = Supervisor::start(Role::Manager, vec![]).await;
    supervisor.set_self_info(json!({"slug": "resource_manager", "ingress": true,
        "ingress_port": 0, "ip_address": "172.30.32.1"}));
    let dir = tempfile::tempdir().expect("tempdir");
    let url = supervisor.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        let out = addon_binary(dir.path(), &url, "30").output().expect("runs");
        (out, dir)
    })
    .await
    .expect("join")
    .0;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("ingress_port is 0"), "{stderr}");
}
