//! A real Mosquitto broker on 127.0.0.1 (Debian's `mosquitto`, installed by
//! scripts/provision.sh), a test client for it, and Home Assistant's MQTT integration set up
//! through its config flow.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

use super::ha::{HaCore, Socket, ws_command};

/// One broker process; stopped (by its pid) when dropped.
pub struct Mosquitto {
    dir: tempfile::TempDir,
    pub port: u16,
    /// The TLS listener's port ([`Mosquitto::start_tls`]).
    pub tls_port: Option<u16>,
    child: Option<Child>,
}

/// A throwaway certificate authority made with the openssl CLI: `<name>.crt`, `<name>.key`.
pub fn throwaway_ca(dir: &std::path::Path, name: &str) -> PathBuf {
    let (crt, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        &format!("/CN={name}"),
        "-keyout",
        &key.to_string_lossy(),
        "-out",
        &crt.to_string_lossy(),
    ]);
    crt
}

/// A server certificate for 127.0.0.1 and localhost signed by the CA at `ca` (its key beside
/// it): `(certificate, key)`.
pub fn server_cert(dir: &std::path::Path, ca: &std::path::Path) -> (PathBuf, PathBuf) {
    signed_cert(
        dir,
        ca,
        "server",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
    )
}

/// A client certificate signed by the CA at `ca`: `(certificate, key)`.
pub fn client_cert(dir: &std::path::Path, ca: &std::path::Path) -> (PathBuf, PathBuf) {
    signed_cert(dir, ca, "client", "extendedKeyUsage=clientAuth")
}

fn signed_cert(
    dir: &std::path::Path,
    ca: &std::path::Path,
    name: &str,
    extension: &str,
) -> (PathBuf, PathBuf) {
    let file = |ext: &str| dir.join(format!("{name}.{ext}"));
    let (crt, key, csr, ext) = (file("crt"), file("key"), file("csr"), file("ext"));
    std::fs::write(&ext, format!("{extension}\n")).expect("ext");
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        &format!("/CN={name}"),
        "-keyout",
        &key.to_string_lossy(),
        "-out",
        &csr.to_string_lossy(),
    ]);
    openssl(&[
        "x509",
        "-req",
        "-days",
        "2",
        "-in",
        &csr.to_string_lossy(),
        "-CA",
        &ca.to_string_lossy(),
        "-CAkey",
        &ca.with_extension("key").to_string_lossy(),
        "-CAcreateserial",
        "-extfile",
        &ext.to_string_lossy(),
        "-out",
        &crt.to_string_lossy(),
    ]);
    (crt, key)
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl CLI (scripts/provision.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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
        Mosquitto::launch(dir, &conf, port, None)
    }

    /// An anonymous broker with a plain listener (for the test's client) and a TLS one with
    /// the server certificate `cert` and its `key`.
    pub fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> Mosquitto {
        Mosquitto::start_tls_with(cert, key, None)
    }

    /// [`Self::start_tls`]; with `client_ca`, the TLS listener requires a client certificate
    /// signed by it.
    pub fn start_tls_with(
        cert: &std::path::Path,
        key: &std::path::Path,
        client_ca: Option<&std::path::Path>,
    ) -> Mosquitto {
        // Started as root, mosquitto reads its certificate as the `mosquitto` user.
        use std::os::unix::fs::PermissionsExt;
        let readable = |path: &std::path::Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
        };
        readable(cert.parent().expect("folder"), 0o755);
        readable(cert, 0o644);
        readable(key, 0o644);
        let dir = tempfile::tempdir().expect("tempdir");
        let (port, tls_port) = (free_port(), free_port());
        let mut conf = format!(
            "per_listener_settings false\nallow_anonymous true\npersistence false\n\
             listener {port} 127.0.0.1\nlistener {tls_port} 127.0.0.1\ncertfile {}\nkeyfile {}\n",
            cert.display(),
            key.display()
        );
        if let Some(ca) = client_ca {
            readable(ca, 0o644);
            conf.push_str(&format!(
                "cafile {}\nrequire_certificate true\n",
                ca.display()
            ));
        }
        Mosquitto::launch(dir, &conf, port, Some(tls_port))
    }

    /// Writes `conf` into `dir` and starts the broker on it.
    fn launch(dir: tempfile::TempDir, conf: &str, port: u16, tls_port: Option<u16>) -> Mosquitto {
        std::fs::write(dir.path().join("mosquitto.conf"), conf).expect("conf");
        let mut broker = Mosquitto {
            dir,
            port,
            tls_port,
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

/// Every entity registry entry whose entity id starts with `prefix`.
pub async fn registry(ws: &mut Socket, id: &mut u64, prefix: &str) -> Vec<Value> {
    *id += 1;
    let list = ws_command(ws, *id, json!({"type": "config/entity_registry/list"})).await;
    list.as_array()
        .expect("entity registry list")
        .iter()
        .filter(|e| e["entity_id"].as_str().is_some_and(|i| i.contains(prefix)))
        .cloned()
        .collect()
}

/// Polls the entity registry until `check` holds for the entries of `prefix`.
pub async fn wait_registry(
    ws: &mut Socket,
    id: &mut u64,
    prefix: &str,
    timeout: Duration,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let entries = registry(ws, id, prefix).await;
        if check(&entries) {
            return entries;
        }
        assert!(
            Instant::now() < deadline,
            "entity registry not as expected within {timeout:?}: {entries:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn entry<'a>(entries: &'a [Value], entity_id: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["entity_id"] == entity_id)
        .unwrap_or_else(|| panic!("{entity_id} not in the registry"))
}

pub fn numeric(state: &Value) -> bool {
    state["state"]
        .as_str()
        .is_some_and(|s| s.parse::<f64>().is_ok())
}
