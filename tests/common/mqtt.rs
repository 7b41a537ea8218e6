//! A real Mosquitto broker on 127.0.0.1 (Debian's `mosquitto`, installed by
//! scripts/provision.sh), a test client for it, and Home Assistant's MQTT integration set up
//! through its config flow.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

use super::ha::HaCore;

/// One broker process; stopped (by its pid) when dropped.
pub struct Mosquitto {
    dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Mosquitto {
    /// A broker open to anonymous clients.
    pub fn start() -> Mosquitto {
        Mosquitto::start_with(None)
    }

    /// A broker that requires `user` with `password` (a password file made by
    /// `mosquitto_passwd`).
    pub fn start_with(login: Option<(&str, &str)>) -> Mosquitto {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let mut conf = format!("listener {port} 127.0.0.1\npersistence false\n");
        match login {
            None => conf.push_str("allow_anonymous true\n"),
            Some((user, password)) => {
                let file = dir.path().join("passwd");
                let made = Command::new("mosquitto_passwd")
                    .args(["-c", "-b"])
                    .arg(&file)
                    .args([user, password])
                    .status()
                    .expect("mosquitto_passwd (scripts/provision.sh installs mosquitto)");
                assert!(made.success(), "mosquitto_passwd failed");
                conf.push_str(&format!(
                    "allow_anonymous false\npassword_file {}\n",
                    file.display()
                ));
            }
        }
        std::fs::write(dir.path().join("mosquitto.conf"), conf).expect("conf");
        let mut broker = Mosquitto {
            dir,
            port,
            child: None,
        };
        broker.start_again();
        broker
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("mosquitto.conf")
    }

    /// Starts the broker (again) on the same port; returns once it accepts connections.
    pub fn start_again(&mut self) {
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(self.conf())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto (scripts/provision.sh installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "mosquitto did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the broker (SIGKILL of our child: it keeps nothing, persistence is off).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A test client of the broker, with its event loop polled on a task of its own.
pub struct TestClient {
    pub client: AsyncClient,
    messages: tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>, bool)>,
}

impl TestClient {
    /// Connects anonymously to 127.0.0.1:`port`, subscribed to `filters`.
    pub async fn connect(port: u16, filters: &[&str]) -> TestClient {
        TestClient::connect_as(port, None, filters).await
    }

    /// [`Self::connect`] with a user name and password.
    pub async fn connect_as(
        port: u16,
        login: Option<(&str, &str)>,
        filters: &[&str],
    ) -> TestClient {
        let id = format!("test-{}", free_port());
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        if let Some((user, password)) = login {
            options.set_credentials(user, password);
        }
        let (client, mut events) = AsyncClient::new(options, 64);
        for filter in filters {
            client
                .subscribe(*filter, QoS::AtLeastOnce)
                .await
                .expect("subscribe");
        }
        let (tx, messages) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok(event) = events.poll().await {
                if let Event::Incoming(Packet::Publish(p)) = event
                    && tx
                        .send((p.topic.to_string(), p.payload.to_vec(), p.retain))
                        .is_err()
                {
                    break;
                }
            }
        });
        TestClient { client, messages }
    }

    /// Waits for a message that `check` accepts (topic, payload, retained), or panics after
    /// `timeout`.
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        check: impl Fn(&str, &[u8], bool) -> bool,
    ) -> (String, Vec<u8>) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.messages.recv()).await {
                Ok(Some((topic, payload, retain))) if check(&topic, &payload, retain) => {
                    return (topic, payload);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => panic!("no matching MQTT message within {timeout:?}"),
            }
        }
    }

    /// Publishes and waits until the broker acknowledged it.
    pub async fn publish(&self, topic: &str, payload: &[u8], retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload.to_vec())
            .await
            .expect("publish");
    }
}

/// Sets up Home Assistant's MQTT integration through its config flow (the way a user does in
/// Settings → Devices & services), pointed at 127.0.0.1:`port`.
pub async fn setup_ha_mqtt(ha: &HaCore, port: u16) {
    let client = reqwest::Client::new();
    let flow: Value = client
        .post(format!("{}/api/config/config_entries/flow", ha.url))
        .bearer_auth(&ha.token)
        .json(&json!({"handler": "mqtt"}))
        .send()
        .await
        .expect("start flow")
        .json()
        .await
        .expect("flow json");
    assert_eq!(flow["step_id"], "broker", "{flow}");
    let flow_id = flow["flow_id"].as_str().expect("flow id");
    let done: Value = client
        .post(format!(
            "{}/api/config/config_entries/flow/{flow_id}",
            ha.url
        ))
        .bearer_auth(&ha.token)
        .json(&json!({"broker": "127.0.0.1", "port": port}))
        .send()
        .await
        .expect("broker step")
        .json()
        .await
        .expect("flow json");
    assert_eq!(done["type"], "create_entry", "{done}");
    assert_eq!(done["result"]["state"], "loaded", "{done}");
}
