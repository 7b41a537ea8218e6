//! A real Home Assistant Core for tests, run by `scripts/ha-core.sh` (installed by
//! `scripts/provision.sh`). Traffic stays on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use resource_manager::config::{Cli, Config};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// One running Home Assistant Core with an onboarded owner and a long-lived token.
pub struct HaCore {
    dir: tempfile::TempDir,
    pub url: String,
    pub token: String,
    client: reqwest::Client,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ha-core.sh")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn run(args: &[&str]) -> String {
    let out = Command::new(script())
        .args(args)
        .output()
        .expect("run scripts/ha-core.sh");
    assert!(
        out.status.success(),
        "ha-core.sh {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl HaCore {
    /// Starts a fresh instance on a free port and waits until Core is RUNNING.
    pub fn start() -> HaCore {
        HaCore::start_with(&[])
    }

    /// [`HaCore::start`] with files written into the config directory first, by path
    /// relative to it (`packages/x.yaml` holds automations and scripts,
    /// `blueprints/script/…` blueprints).
    pub fn start_with(files: &[(&str, &str)]) -> HaCore {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let path = dir.path().join("config").join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("config dir");
            }
            std::fs::write(&path, text).expect("config file");
        }
        let port = free_port().to_string();
        let dir_arg = dir.path().to_string_lossy().into_owned();
        let out = run(&["start", &dir_arg, &port]);
        let url = out
            .lines()
            .find_map(|l| l.strip_prefix("HA_URL="))
            .expect("HA_URL line")
            .to_string();
        let token_file = out
            .lines()
            .find_map(|l| l.strip_prefix("HA_TOKEN_FILE="))
            .expect("token line");
        let token = std::fs::read_to_string(token_file)
            .expect("token")
            .trim()
            .to_string();
        // No pooled connections: they break when Core restarts under them.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        HaCore {
            dir,
            url,
            token,
            client,
        }
    }

    fn dir_arg(&self) -> String {
        self.dir.path().to_string_lossy().into_owned()
    }

    /// Restarts Core; returns when it is RUNNING again.
    pub fn restart(&self) {
        run(&["restart", &self.dir_arg()]);
    }

    /// Stops Core.
    pub fn stop(&self) {
        run(&["stop", &self.dir_arg()]);
    }

    /// Starts Core again after `stop`; returns when it is RUNNING.
    pub fn start_again(&self) {
        run(&["start", &self.dir_arg()]);
    }

    /// [`Self::start_again`] on a thread of its own, so the test's runtime (and the app in it)
    /// runs on while Core starts; the handle ends when Core is RUNNING.
    pub fn start_again_in_background(&self) -> std::thread::JoinHandle<()> {
        let dir = self.dir_arg();
        std::thread::spawn(move || {
            run(&["start", &dir]);
        })
    }

    /// Polls `GET /api/` until Core answers it (200), or panics after `timeout`; returns when.
    pub async fn wait_answering(&self, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        loop {
            let answered = self
                .client
                .get(format!("{}/api/", self.url))
                .bearer_auth(&self.token)
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if answered {
                return Instant::now();
            }
            assert!(
                Instant::now() < deadline,
                "Home Assistant did not answer GET /api/ within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `GET /api/config`'s `state` (`RUNNING` once started), None while Core does not answer.
    pub async fn core_state(&self) -> Option<String> {
        let res = self
            .client
            .get(format!("{}/api/config", self.url))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        let config: Value = res.json().await.ok()?;
        config["state"].as_str().map(String::from)
    }

    /// `GET /api/states/<id>`: the state JSON, or None on 404 (or while Core is unreachable).
    pub async fn state(&self, entity_id: &str) -> Option<Value> {
        let res = self
            .client
            .get(format!("{}/api/states/{entity_id}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .ok()?;
        if res.status() == 404 {
            return None;
        }
        assert!(
            res.status().is_success(),
            "GET state {entity_id}: {}",
            res.status()
        );
        Some(res.json().await.expect("state json"))
    }

    /// Polls until `entity_id` exists and `check` holds, or panics after `timeout`.
    pub async fn wait_state(
        &self,
        entity_id: &str,
        timeout: Duration,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(state) = self.state(entity_id).await
                && check(&state)
            {
                return state;
            }
            assert!(
                Instant::now() < deadline,
                "{entity_id} not as expected within {timeout:?}: {:?}",
                self.state(entity_id).await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for HaCore {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .args(["stop", &self.dir_arg()])
            .output();
    }
}

/// A WebSocket to Core, authenticated with the test token.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects and authenticates a WebSocket of the test's own.
pub async fn ws_connect(ha: &HaCore) -> Socket {
    let url = format!("{}/api/websocket", ha.url.replacen("http://", "ws://", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect");
    let _required = ws.next().await;
    ws.send(Message::Text(
        json!({"type": "auth", "access_token": ha.token})
            .to_string()
            .into(),
    ))
    .await
    .expect("auth");
    let ok = ws.next().await.expect("auth answer").expect("frame");
    assert!(ok.to_text().expect("text").contains("auth_ok"));
    ws
}

/// Sends a command with `id` and returns its result.
pub async fn ws_command(ws: &mut Socket, id: u64, mut command: Value) -> Value {
    command["id"] = json!(id);
    ws.send(Message::Text(command.to_string().into()))
        .await
        .expect("send");
    loop {
        let frame = ws.next().await.expect("frame").expect("ok frame");
        let message: Value = serde_json::from_str(frame.to_text().expect("text")).expect("json");
        if message["id"] == json!(id) && message["type"] == "result" {
            return message["result"].clone();
        }
    }
}

/// The ids of the persistent notifications Core holds.
pub async fn notifications(ws: &mut Socket, id: u64) -> Vec<String> {
    let result = ws_command(ws, id, json!({"type": "persistent_notification/get"})).await;
    result
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|n| n["notification_id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A standalone config linked to `ha` with `token`: `options` written to `dir/options.json`,
/// history in `dir/data`, and `extra_env` besides `HA_URL` and `HA_TOKEN`.
pub fn config_with_ha(
    dir: &Path,
    ha: &HaCore,
    token: &str,
    options: Value,
    extra_env: &[(&str, String)],
) -> Config {
    let mut options = options;
    pin_cadence(&mut options);
    let path = dir.join("options.json");
    std::fs::write(&path, options.to_string()).expect("options");
    let cli = Cli {
        options: Some(path),
        data_dir: Some(dir.join("data")),
        ..Cli::default()
    };
    let mut env: std::collections::HashMap<&str, String> = extra_env.iter().cloned().collect();
    env.insert("HA_URL", ha.url.clone());
    env.insert("HA_TOKEN", token.to_string());
    Config::load(&cli, &|k| env.get(k).cloned()).expect("config")
}

/// Turns self-scaling off unless `options` set it: tests count ticks and wait on the sample
/// interval, and a busy test machine would otherwise stretch it (tests/power.rs tests
/// self-scaling itself).
pub fn pin_cadence(options: &mut Value) {
    if let Some(map) = options.as_object_mut() {
        map.entry("self_scaling")
            .or_insert_with(|| json!({"enabled": false}));
    }
}

/// The start of the previous full hour, for a statistics import.
fn iso_hour_ago() -> String {
    let s = resource_manager::util::unix_ms() / 1000 / 3600 * 3600 - 3600;
    let (y, m, d) = resource_manager::model::civil_from_days(s.div_euclid(86_400));
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:00:00+00:00",
        s.rem_euclid(86_400) / 3600
    )
}

/// Gives `energy_id` one hour of long-term statistics (`recorder/import_statistics`), so the
/// Energy dashboard's validation looks at it at once instead of after the recorder's next
/// five-minute run.
pub async fn seed_energy_statistics(ws: &mut Socket, id: u64, energy_id: &str) {
    let imported = ws_command(
        ws,
        id,
        json!({"type": "recorder/import_statistics",
            "metadata": {"statistic_id": energy_id, "source": "recorder",
                "name": null, "unit_of_measurement": "kWh", "has_mean": false, "has_sum": true},
            "stats": [{"start": iso_hour_ago(), "state": 0.0, "sum": 0.0}]}),
    )
    .await;
    assert!(imported.is_null(), "import_statistics answered {imported}");
}
