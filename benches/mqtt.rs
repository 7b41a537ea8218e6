//! MQTT discovery of a whole box (issue 26); prints numbers, never asserts.
//!
//! Run with `cargo bench --bench mqtt`. Without `--bench` on the command line it runs once, as
//! a smoke test.
//!
//! 1. The entities of a box with 10 add-ons (`addon_entities: true`) and 2 remote hosts, as the
//!    catalogue publishes them, translated to discovery configs and state messages: messages,
//!    bytes, CPU time of the translation.
//! 2. With Debian's `mosquitto` on PATH: the same messages published to a broker on loopback
//!    (configs QoS 1 retained, states QoS 0 retained, as the add-on does) until a subscriber
//!    has received every config back: wall time.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use resource_manager::config::PublishOptions;
use resource_manager::ha::entities::entities;
use resource_manager::ha::mqtt::discovery::{Announcement, Node, announce};
use resource_manager::model::registry::{self, families};
use resource_manager::model::{Sample, Snapshot};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

const ADDONS: usize = 10;
const HOSTS: [&str; 2] = ["nas", "pve"];

/// Series ids of one box: every global family, the usual instances, 10 add-ons, 2 hosts with
/// what a node_exporter gives.
fn series_ids() -> Vec<String> {
    let mut ids = Vec::new();
    for family in families() {
        match family.pattern.split_once('*') {
            None => ids.push(family.pattern.to_string()),
            Some((prefix, suffix)) if prefix.starts_with("addon.") => {
                for n in 0..ADDONS {
                    ids.push(format!("{prefix}addon_{n}{suffix}"));
                }
            }
            Some((prefix, suffix)) => {
                for instance in ["/", "/data", "eth0", "cpu"] {
                    ids.push(format!("{prefix}{instance}{suffix}"));
                }
            }
        }
    }
    let local = ids.clone();
    for host in HOSTS {
        for id in &local {
            if !id.starts_with("addon.") && !id.starts_with("engine.") {
                ids.push(format!("{host}:{id}"));
            }
        }
    }
    ids
}

fn announcements() -> (Vec<Announcement>, Duration) {
    let samples: Vec<Sample> = series_ids()
        .iter()
        .filter_map(|id| registry::meta_for_id(id))
        .map(|meta| Sample {
            series: Arc::new(meta),
            value: 42.0,
        })
        .collect();
    let snapshot = Snapshot {
        ts_ms: 1,
        samples,
        ..Snapshot::default()
    };
    let options = PublishOptions {
        addon_entities: true,
        hosts: HOSTS.iter().map(|h| h.to_string()).collect(),
        ..PublishOptions::default()
    };
    let node = Node {
        id: "rm_0123456789ab".into(),
        discovery_prefix: "homeassistant".into(),
        entity_prefix: options.entity_prefix.clone(),
        model: "Home Assistant add-on",
        configuration_url: Some("homeassistant://hassio/ingress/abc_resource_manager".into()),
    };
    let start = Instant::now();
    let out: Vec<Announcement> = entities(&options, &snapshot, None)
        .iter()
        .filter_map(|e| announce(&node, &e.entity_id, &e.state))
        .collect();
    (out, start.elapsed())
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn broker(dir: &std::path::Path, port: u16) -> Result<Child> {
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"),
    )?;
    let child = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "mosquitto did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(child)
}

/// Publishes every message and waits until a subscriber has every config back.
async fn round_trip(port: u16, all: &[Announcement]) -> Result<Duration> {
    let (sub, mut sub_events) =
        AsyncClient::new(MqttOptions::new("bench-sub", "127.0.0.1", port), 1024);
    sub.subscribe("homeassistant/#", QoS::AtLeastOnce).await?;
    // Until the subscription is acknowledged, published configs could be missed.
    loop {
        if let Event::Incoming(Packet::SubAck(_)) = sub_events.poll().await? {
            break;
        }
    }
    let (publisher, mut pub_events) =
        AsyncClient::new(MqttOptions::new("bench-pub", "127.0.0.1", port), 4096);
    tokio::spawn(async move { while pub_events.poll().await.is_ok() {} });
    let start = Instant::now();
    for a in all {
        publisher
            .publish(&a.config_topic, QoS::AtLeastOnce, true, a.config.clone())
            .await?;
        publisher
            .publish(&a.state_topic, QoS::AtMostOnce, true, a.state.clone())
            .await?;
    }
    let mut configs = 0;
    while configs < all.len() {
        if let Event::Incoming(Packet::Publish(_)) = sub_events.poll().await? {
            configs += 1;
        }
    }
    Ok(start.elapsed())
}

fn main() -> Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let runs = if full { 20 } else { 1 };
    let (all, translate) = announcements();
    let config_bytes: usize = all
        .iter()
        .map(|a| a.config_topic.len() + a.config.len())
        .sum();
    let state_bytes: usize = all
        .iter()
        .map(|a| a.state_topic.len() + a.state.len())
        .sum();
    println!(
        "\n== discovery of a box with {ADDONS} add-ons and {} remote hosts ==",
        HOSTS.len()
    );
    println!(
        "entities: {}; messages: {} configs + {} states = {}",
        all.len(),
        all.len(),
        all.len(),
        2 * all.len()
    );
    println!(
        "bytes (topic + payload): configs {config_bytes}, states {state_bytes}, total {} (mean config {} B)",
        config_bytes + state_bytes,
        config_bytes / all.len().max(1)
    );
    println!("translation (catalogue + discovery JSON): {translate:?}");
    if Command::new("mosquitto").arg("-h").output().is_err() {
        println!("mosquitto not on PATH: broker round trip skipped");
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let mut child = broker(dir.path(), port).context("start mosquitto")?;
    let runtime = tokio::runtime::Runtime::new()?;
    let mut times = Vec::new();
    for _ in 0..runs {
        times.push(runtime.block_on(round_trip(port, &all))?);
    }
    let _ = child.kill();
    let _ = child.wait();
    times.sort();
    println!(
        "publish all + every config received by a subscriber (loopback mosquitto): median {:?}, max {:?} over {runs} runs",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    Ok(())
}
