//! Shared test helpers: start the real app on port 0 with a temporary data directory, or the
//! real binary as a child process.
#![allow(dead_code)]

pub mod disk;
pub mod fixtures;
pub mod ha;
pub mod history;
pub mod mqtt;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use resource_manager::config::{Cli, Config};
use serde_json::Value;
use tokio::sync::oneshot;

/// The app running in this test process.
pub struct TestApp {
    pub base: String,
    pub data_dir: PathBuf,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), resource_manager::app::AppError>>,
}

/// The API token add-on-mode tests configure: in add-on mode loopback is every host-network
/// process, so the tests' own client (on loopback) needs it like any other caller.
pub const ADDON_API_TOKEN: &str = "test-api-token-0123456789";

/// Add-on mode (a Supervisor token, default options but the API token) with its data in `dir`.
pub fn addon_config(dir: &Path) -> Config {
    let options = dir.join("options.json");
    std::fs::write(
        &options,
        format!(r#"{{"access": {{"api_token": "{ADDON_API_TOKEN}"}}}}"#),
    )
    .expect("options");
    let cli = Cli {
        data_dir: Some(dir.to_path_buf()),
        options: Some(options),
        ..Cli::default()
    };
    let env = |k: &str| (k == "SUPERVISOR_TOKEN").then(|| "t".to_string());
    Config::load(&cli, &env).expect("add-on config")
}

/// Standalone config with the given flag values and data dir (self-scaling off, see
/// [`ha::pin_cadence`]).
pub fn config(data_dir: &Path, sample_interval: u32, write_batch: u32) -> Config {
    std::fs::create_dir_all(data_dir).expect("data dir");
    let options = data_dir.join("test-options.json");
    std::fs::write(&options, r#"{"self_scaling": {"enabled": false}}"#).expect("options");
    let cli = Cli {
        options: Some(options),
        data_dir: Some(data_dir.to_path_buf()),
        listen: Some("127.0.0.1:0".into()),
        sample_interval_seconds: Some(sample_interval.to_string()),
        write_batch_seconds: Some(write_batch.to_string()),
        log_level: Some("warning".into()),
        ..Cli::default()
    };
    Config::load(&cli, &|_| None).expect("valid test config")
}

impl TestApp {
    /// Starts the app on an ephemeral port.
    pub async fn start(config: Config) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let data_dir = config.data_dir.clone();
        let (tx, rx) = oneshot::channel::<()>();
        // A configured API token is sent on every request, as a client on this host must.
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = &config.api_token {
            let value = format!("Bearer {}", token.expose());
            headers.insert(
                reqwest::header::AUTHORIZATION,
                value.parse().expect("token header"),
            );
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("client");
        let task = tokio::spawn(resource_manager::app::run(config, listener, async move {
            let _ = rx.await;
        }));
        TestApp {
            base,
            data_dir,
            client,
            stop: Some(tx),
            task,
        }
    }

    /// GET a path and parse JSON, asserting success.
    pub async fn get_json(&self, path: &str) -> Value {
        let res = self
            .client
            .get(format!("{}/{}", self.base, path))
            .send()
            .await
            .expect("request");
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.json().await.expect("json")
    }

    /// POST a JSON body, returning status and the JSON answer (every answer is JSON, errors
    /// included).
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}/{}", self.base, path))
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json answer"))
    }

    /// GET a path, returning status and body text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(format!("{}/{}", self.base, path))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    /// Polls `check` on the status JSON until it holds or `timeout` passes.
    pub async fn wait_status(&self, timeout: Duration, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.get_json("api/v1/status").await;
            if check(&status) {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "condition not met within {timeout:?}; last status: {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the app the way SIGTERM would, and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task
            .await
            .expect("app task")
            .expect("app stopped cleanly");
    }
}

/// The real binary as a child process, with its port read from the log.
pub struct ChildApp {
    pub child: Child,
    pub base: String,
}

/// Flags for a binary that samples every second and writes every 5 s into `data`, on a free
/// loopback port.
pub fn fast_write_args(data: &str) -> Vec<&str> {
    vec![
        "--data-dir",
        data,
        "--listen",
        "127.0.0.1:0",
        "--sample-interval-seconds",
        "1",
        "--write-batch-seconds",
        "5",
        "--log-level",
        "info",
    ]
}

/// Starts `resource-manager` with `args`; waits for its "serving on" line.
pub fn spawn_binary(args: &[&str]) -> ChildApp {
    spawn_wrapped(&[], args)
}

/// [`spawn_binary`] under a wrapper command (`unshare …`), which runs the binary.
pub fn spawn_wrapped(wrapper: &[&str], args: &[&str]) -> ChildApp {
    spawn_with_env(wrapper, args, &[])
}

/// [`spawn_wrapped`] with `env` set for the binary (e.g. `HA_URL` and `HA_TOKEN`).
pub fn spawn_with_env(wrapper: &[&str], args: &[&str], env: &[(&str, &str)]) -> ChildApp {
    let binary = env!("CARGO_BIN_EXE_resource-manager");
    let (program, before) = match wrapper.split_first() {
        Some((program, rest)) => (*program, [rest, &[binary]].concat()),
        None => (binary, Vec::new()),
    };
    let mut child = Command::new(program)
        .args(before)
        .args(args)
        .env_remove("SUPERVISOR_TOKEN")
        .env_remove("HA_URL")
        .env_remove("HA_TOKEN")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn binary");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(pos) = line.find("serving on http://") {
                let rest = &line[pos + "serving on ".len()..];
                let url: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
                let _ = tx.send(url);
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("binary announced its address");
    ChildApp { child, base }
}

impl ChildApp {
    /// Sends a signal with the `kill` command.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Blocking GET returning JSON.
    pub fn get_json(&self, path: &str) -> Value {
        blocking_get_json(&self.base, path)
    }
}

mod reqwest {
    pub use ::reqwest::*;

    /// Minimal blocking GET over a throwaway runtime (reqwest's blocking feature is not enabled).
    pub fn blocking_get(url: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            ::reqwest::get(url)
                .await
                .expect("request")
                .text()
                .await
                .expect("body")
        })
    }
}

/// Waits for a child to exit, up to `timeout`.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "process did not exit within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills and reaps child processes (the app, `stress-ng`) when a test ends, even on a failed
/// assertion.
pub struct KillOnDrop(pub Vec<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Blocking GET of `path` under `base` returning JSON (for a child app whose `Child` has moved
/// into a [`KillOnDrop`]).
pub fn blocking_get_json(base: &str, path: &str) -> Value {
    let body = reqwest::blocking_get(&format!("{base}/{path}"));
    serde_json::from_str(&body).expect("json")
}
