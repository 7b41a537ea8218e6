//! Several hosts and remote write with real parts on loopback (issue 15, ADR 0014): Debian's
//! `prometheus-node-exporter` as remote hosts, Debian's `prometheus` as the remote write
//! receiver. Both come from scripts/provision.sh; these tests are ignored by default and run
//! by scripts/test.sh.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::TestApp;
use resource_manager::config::{Cli, Config};
use serde_json::{Value, json};

/// A program from Debian's packages, by its installed path.
fn program(name: &str) -> PathBuf {
    let path = PathBuf::from("/usr/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: install it with scripts/provision.sh",
        path.display()
    );
    path
}

/// A loopback port nobody listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A child process that is stopped (SIGTERM, then killed) when dropped.
struct Service {
    child: Option<Child>,
    program: PathBuf,
    args: Vec<String>,
    log: PathBuf,
}

impl Service {
    fn start(program: PathBuf, args: Vec<String>, log: PathBuf) -> Service {
        let mut service = Service {
            child: None,
            program,
            args,
            log,
        };
        service.spawn();
        service
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", self.program.display()));
        self.child = Some(child);
    }

    /// Stops the process the way a service manager would, and waits for it.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn wait_http_ok(client: &reqwest::Client, url: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(res) = client.get(url).send().await
            && res.status().is_success()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} did not answer within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A node_exporter on `port` with only `collectors`.
fn node_exporter(dir: &Path, name: &str, port: u16, collectors: &[&str]) -> Service {
    let mut args = vec![
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--collector.disable-defaults".to_string(),
    ];
    args.extend(collectors.iter().map(|c| format!("--collector.{c}")));
    Service::start(
        program("prometheus-node-exporter"),
        args,
        dir.join(format!("{name}.log")),
    )
}

/// Standalone config sampling every second, with `options` as the options file.
fn config(dir: &Path, options: Value) -> Config {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let path = dir.join("options.json");
    std::fs::write(&path, options.to_string()).expect("options");
    let cli = Cli {
        data_dir: Some(data),
        options: Some(path),
        listen: Some("127.0.0.1:0".into()),
        sample_interval_seconds: Some("1".into()),
        write_batch_seconds: Some("5".into()),
        log_level: Some("warning".into()),
        ..Cli::default()
    };
    Config::load(&cli, &|_| None).expect("valid test config")
}

fn values(status: &Value) -> &serde_json::Map<String, Value> {
    status["values"].as_object().expect("values")
}

fn has(status: &Value, id: &str) -> bool {
    values(status).contains_key(id)
}

fn value(status: &Value, id: &str) -> Option<f64> {
    values(status).get(id).and_then(Value::as_f64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's prometheus-node-exporter (scripts/provision.sh); run by scripts/test.sh"]
async fn two_node_exporters_are_two_hosts_and_one_that_stops_is_down_alerted_and_then_back() {
    let dir = tempfile::tempdir().expect("dir");
    let (nas_port, pve_port) = (free_port(), free_port());
    // Different collectors, so the two hosts' series differ.
    let _nas = node_exporter(
        dir.path(),
        "nas",
        nas_port,
        &["cpu", "meminfo", "loadavg", "filesystem", "stat"],
    );
    let mut pve = node_exporter(dir.path(), "pve", pve_port, &["cpu", "netdev", "stat"]);
    let client = reqwest::Client::new();
    for port in [nas_port, pve_port] {
        wait_http_ok(
            &client,
            &format!("http://127.0.0.1:{port}/metrics"),
            Duration::from_secs(20),
        )
        .await;
    }
    let app = TestApp::start(config(
        dir.path(),
        json!({
            "hosts": [
                {"name": "nas", "url": format!("http://127.0.0.1:{nas_port}/metrics"), "interval": 1},
                {"name": "pve", "url": format!("http://127.0.0.1:{pve_port}/metrics"), "interval": 1}
            ],
            "alert_rules": [
                {"name": "host_down", "metric": "*:host.up", "direction": "below",
                 "warn": 0.5, "clear": 0.9, "for": "1s"}
            ]
        }),
    ))
    .await;

    let status = app
        .wait_status(Duration::from_secs(30), |s| {
            ["nas:cpu.usage", "nas:memory.total_bytes", "pve:cpu.usage"]
                .iter()
                .all(|id| has(s, id))
                && values(s)
                    .keys()
                    .any(|k| k.starts_with("pve:net.") && k.ends_with(".rx_bytes_per_second"))
        })
        .await;
    // Same machine: node_exporter's MemTotal is the local collector's.
    assert_eq!(
        value(&status, "nas:memory.total_bytes"),
        value(&status, "memory.total_bytes")
    );
    assert!(has(&status, "nas:disk./.used_percent"), "{status}");
    assert!(has(&status, "nas:system.uptime_seconds"));
    assert!(
        !has(&status, "pve:memory.total_bytes"),
        "pve has no meminfo collector"
    );
    assert!(
        !values(&status).keys().any(|k| k.starts_with("nas:net.")),
        "nas has no netdev"
    );
    assert_eq!(value(&status, "nas:host.up"), Some(1.0));
    // Local series keep their ids.
    assert!(has(&status, "cpu.usage") && !has(&status, "local:cpu.usage"));

    let hosts = app.get_json("api/v1/hosts").await;
    let names: Vec<(&str, bool)> = hosts["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .map(|h| (h["name"].as_str().unwrap_or(""), h["up"] == json!(true)))
        .collect();
    assert_eq!(names, [("local", true), ("nas", true), ("pve", true)]);

    let nas = app.get_json("api/v1/metrics?host=nas").await;
    let list = nas["metrics"].as_array().expect("metrics");
    assert!(
        !list.is_empty() && list.iter().all(|m| m["host"] == "nas"),
        "{nas}"
    );
    let (code, body) = app.get("api/v1/metrics?host=nope").await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("allowed: local, nas, pve"), "{body}");
    let history = app
        .get_json("api/v1/metrics/memory.total_bytes/history?host=nas&resolution=raw")
        .await;
    assert_eq!(history["series"]["id"], "nas:memory.total_bytes");
    assert!(!history["points"].as_array().expect("points").is_empty());

    let (_, metrics) = app.get("metrics").await;
    assert!(
        metrics.contains("resource_manager_host_up{host=\"pve\"} 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("resource_manager_memory_total_bytes{host=\"nas\"} "));
    assert!(metrics.contains("resource_manager_memory_total_bytes{host=\"local\"} "));

    // pve goes away: shown down, nas and the app go on, the rule fires.
    pve.stop();
    let status = app
        .wait_status(Duration::from_secs(30), |s| {
            value(s, "pve:host.up") == Some(0.0)
        })
        .await;
    assert!(!has(&status, "pve:cpu.usage"), "a down host's values pause");
    assert_eq!(value(&status, "nas:host.up"), Some(1.0));
    let pve_status = status["links"]["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .find(|h| h["name"] == "pve")
        .expect("pve")
        .clone();
    assert_eq!(pve_status["up"], json!(false));
    assert!(
        pve_status["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{pve_status}"
    );
    // The dashboard's Hosts card and host switcher, and the status report, show every host.
    let (_, page) = app.get("").await;
    for needle in [
        "id=\"hosts-card\"",
        "data-host=\"nas\"",
        "data-host=\"pve\"",
        "id=\"chart-host\"",
    ] {
        assert!(page.contains(needle), "page lacks {needle}");
    }
    let (_, report) = app.get("api/v1/status.md").await;
    assert!(report.contains("| Host | State | Values |"), "{report}");
    assert!(report.contains("| pve | unreachable |"), "{report}");
    assert!(report.contains("| nas | up | CPU "), "{report}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let alerts = app.get_json("api/v1/alerts").await;
        let firing = alerts["active"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["series"] == "pve:host.up" && a["status"] == "firing");
        if firing {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "host_down did not fire: {alerts}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // pve comes back on the same port: it resumes by itself.
    pve.spawn();
    app.wait_status(Duration::from_secs(30), |s| {
        value(s, "pve:host.up") == Some(1.0) && has(s, "pve:cpu.usage")
    })
    .await;
    app.stop().await;
}

/// A Prometheus with the remote write receiver on, keeping its data in `dir/tsdb`.
fn prometheus(dir: &Path, port: u16) -> Service {
    let config = dir.join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\n").expect("config");
    Service::start(
        program("prometheus"),
        vec![
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--web.enable-remote-write-receiver".into(),
        ],
        dir.join("prometheus.log"),
    )
}

/// `text` percent-encoded for a query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The result vector of an instant query.
async fn query(
    client: &reqwest::Client,
    base: &str,
    promql: &str,
    time: Option<f64>,
) -> Vec<Value> {
    let mut url = format!("{base}/api/v1/query?query={}", encode(promql));
    if let Some(t) = time {
        url.push_str(&format!("&time={t:.3}"));
    }
    let res: Value = client
        .get(url)
        .send()
        .await
        .expect("query")
        .json()
        .await
        .expect("json");
    assert_eq!(res["status"], "success", "{res}");
    res["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn sample_value(result: &Value) -> f64 {
    result["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .expect("value")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Debian's prometheus and prometheus-node-exporter (scripts/provision.sh); run by scripts/test.sh"]
async fn remote_write_reaches_a_real_prometheus_and_what_an_outage_kept_arrives_after_it() {
    let dir = tempfile::tempdir().expect("dir");
    let (prom_port, nas_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{prom_port}");
    let client = reqwest::Client::new();
    let mut prom = prometheus(dir.path(), prom_port);
    let _nas = node_exporter(dir.path(), "nas", nas_port, &["meminfo", "loadavg"]);
    wait_http_ok(&client, &format!("{base}/-/ready"), Duration::from_secs(60)).await;
    let app = TestApp::start(config(
        dir.path(),
        json!({
            "hosts": [{"name": "nas", "url": format!("http://127.0.0.1:{nas_port}/metrics"), "interval": 1}],
            "remote_write": {"url": format!("{base}/api/v1/write"), "interval": 1, "max_buffer_mb": 8}
        }),
    ))
    .await;
    let status = app
        .wait_status(Duration::from_secs(30), |s| {
            has(s, "nas:memory.total_bytes")
        })
        .await;
    let memory = value(&status, "memory.total_bytes").expect("local memory");

    // Our series arrive with the names and labels of /metrics, in base units.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (local, nas) = loop {
        let local = query(
            &client,
            &base,
            "resource_manager_memory_total_bytes{host=\"local\"}",
            None,
        )
        .await;
        let nas = query(
            &client,
            &base,
            "resource_manager_memory_total_bytes{host=\"nas\"}",
            None,
        )
        .await;
        if !local.is_empty() && !nas.is_empty() {
            break (local, nas);
        }
        assert!(Instant::now() < deadline, "series never reached Prometheus");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(sample_value(&local[0]), memory);
    assert_eq!(sample_value(&nas[0]), memory, "same machine, same MemTotal");
    let used = query(
        &client,
        &base,
        "resource_manager_memory_used_ratio{host=\"local\"}",
        None,
    )
    .await;
    let ratio = sample_value(&used[0]);
    assert!(ratio > 0.0 && ratio < 1.0, "a share in base units: {ratio}");
    let disks = query(
        &client,
        &base,
        "resource_manager_disk_total_bytes{host=\"local\",mount=\"/\"}",
        None,
    )
    .await;
    assert_eq!(disks.len(), 1, "labels as /metrics has them");

    // Prometheus goes away for ~20 s: batches are kept on disk, then all arrive.
    prom.stop();
    let stopped_at = resource_manager::util::unix_ms() as f64 / 1000.0;
    let status = app
        .wait_status(Duration::from_secs(60), |s| {
            s["links"]["remote_write"]["buffered_batches"].as_u64() >= Some(20)
        })
        .await;
    let during = &status["links"]["remote_write"];
    assert!(during["failures"].as_u64() > Some(0), "{during}");
    assert!(during["last_error"].is_string(), "{during}");
    let outage_end = resource_manager::util::unix_ms() as f64 / 1000.0;
    prom.spawn();
    wait_http_ok(&client, &format!("{base}/-/ready"), Duration::from_secs(60)).await;
    let status = app
        .wait_status(Duration::from_secs(90), |s| {
            s["links"]["remote_write"]["buffered_batches"].as_u64() == Some(0)
        })
        .await;
    let after = &status["links"]["remote_write"];
    assert_eq!(after["dropped_samples"], 0, "{after}");
    assert_eq!(after["rejected_samples"], 0, "{after}");
    // One sample a second was taken while Prometheus was down; they are all there now.
    let window = (outage_end - stopped_at - 2.0).floor();
    let counted = query(
        &client,
        &base,
        &format!(
            "count_over_time(resource_manager_memory_total_bytes{{host=\"local\"}}[{window}s])"
        ),
        Some(outage_end - 1.0),
    )
    .await;
    let count = sample_value(&counted[0]);
    assert!(
        count >= window - 3.0,
        "{count} samples in the {window} s of the outage, expected about one a second"
    );
    app.stop().await;
}
